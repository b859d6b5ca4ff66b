"""教师与交流 and exchanges: an approved year is read-only, the 登记交流 form, the detail's history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.exchange_import import END, FORM, ID, NAME, NOTES, PERSONNEL, SOURCE, START, TARGET
from db.exchanges import cancel_exchange, exchange_list
from db.models import Exchange
from desktop import messages
from desktop.context import AppContext
from desktop.pages.teachers import ApprovedModel, TeachersPage


@pytest.fixture
def page(gui, demo_store, qtbot):
    widget = TeachersPage(AppContext.for_store(demo_store))
    qtbot.addWidget(widget)
    widget.resize(1366, 740)
    widget.show()
    widget.refresh()
    qtbot.waitUntil(lambda: widget.eligibility is not None, timeout=20000)
    return widget


def test_an_approved_year_shows_its_exchanges_read_only(page, demo_store, qtmodeltester):
    page.plan_year.setValue(2026)  # the demo's approved plan
    model = page.plan_table.model()
    assert isinstance(model, ApprovedModel)
    expected = exchange_list(demo_store, dt.date.today(), year=2026)
    assert model.rowCount() == len(expected) > 0
    assert {model.row_at(r)["state_label"] for r in range(model.rowCount())} >= {"已取消"}
    for button in (page.count_button, page.run_button, page.load_button, page.save_button, page.approve_button,
                   page.change_button, page.remove_button, page.pin_button, page.rerun_button):
        assert not button.isEnabled(), button.text()
    assert "批准" in page.counts_label.text() and "只读" in page.quota_label.text()
    qtmodeltester.check(model)
    page.plan_year.setValue(2027)  # not approved: the review table and planning are back
    assert page.plan_table.model() is page.plan_model and page.run_button.isEnabled()


def _village_and_city(page):
    from db.clusters import load

    schools = load(page.context.store).schools
    return (next(s for s in schools if s.location == "乡村" and s.stage != "教学点"),
            next(s for s in schools if s.location == "城区"))


def _select_urban_teacher(page, city):
    page.search.setText(city.code)
    page.search_timer.stop()
    page.requery()
    page.table.selectRow(0)
    return page.roster.row(0)


def test_the_form_records_one_exchange_with_the_importers_checks(page, demo_store, monkeypatch):
    village, city = _village_and_city(page)
    teacher = _select_urban_teacher(page, city)
    dialog = page.exchange_dialog()
    assert dialog.id_number.text() == teacher.id_number and dialog.name.text() == teacher.name
    with demo_store.read() as session:
        before = session.scalar(select(func.count()).select_from(Exchange))
    # a city teacher cannot 跟岗 at a village school: refused by field, nothing written
    dialog.form_choice.setCurrentText("跟岗")
    dialog.target.setCurrentIndex(dialog.target.findData(village.id))
    monkeypatch.setattr(messages, "log", [])
    assert page.submit_exchange(dialog) is False
    assert "“交流单位”：跟岗应由乡村学校到更城镇化的学校" in messages.log[-1].text
    # 支教 to the village school for a year is recorded and carried out
    dialog.form_choice.setCurrentText("支教")
    assert not dialog.personnel.isEnabled()  # the profile says 支教 keeps the personnel relationship
    dialog.start.setDate(dialog.start.date().fromString("2029-09-01", "yyyy-MM-dd"))
    dialog.end.setDate(dialog.end.date().fromString("2030-07-10", "yyyy-MM-dd"))
    assert page.submit_exchange(dialog) is True
    rows = exchange_list(demo_store, dt.date(2029, 10, 1), teacher=teacher.id_number)
    assert [(r["form"], r["to_code"], r["state"]) for r in rows if r["start"] == dt.date(2029, 9, 1)] == [
        ("支教", village.code, "in_progress")]
    with demo_store.read() as session:
        assert session.scalar(select(func.count()).select_from(Exchange)) == before + 1
    # the same again is refused
    assert page.submit_exchange(dialog) is False
    assert "已登记过同一项交流" in messages.log[-1].text or "同一时间已有一项交流" in messages.log[-1].text


def test_the_detail_shows_the_exchange_history(page, demo_store):
    village, city = _village_and_city(page)
    teacher = _select_urban_teacher(page, city)
    from db.exchange_import import record_exchange

    record_exchange(demo_store, page.context.profile, {
        ID: teacher.id_number, NAME: teacher.name, SOURCE: city.code, TARGET: village.code, FORM: "走教",
        START: dt.date(2029, 9, 1), END: dt.date(2030, 7, 10), PERSONNEL: "否", NOTES: "每周2天"})
    record = next(r for r in exchange_list(demo_store, dt.date.today(), teacher=teacher.id_number)
                  if r["start"] == dt.date(2029, 9, 1))
    cancel_exchange(demo_store, record["id"], dt.date(2029, 8, 1), "学校调整课表")
    page.show_detail(page.roster.index(0, 0))
    html = page.detail.toPlainText()
    assert "交流记录变动" in html and "登记" in html and "取消" in html and "学校调整课表" in html
    assert "已取消" in html


def test_an_exchange_of_the_approved_plan_is_ended_early_from_the_table(page, demo_store):
    page.plan_year.setValue(2026)
    assert not page.lifecycle.isHidden()
    model = page.approved_model
    row = next(r for r in range(model.rowCount())
               if model.row_at(r)["state"] == "in_progress" and not model.row_at(r)["moves_personnel"])
    record = model.row_at(row)
    page.plan_table.setCurrentIndex(model.index(row, 0))
    last = record["start"] + dt.timedelta(days=30)
    assert page.change_exchange("end", last, "学校撤并") is True
    after = next(r for r in exchange_list(demo_store, last + dt.timedelta(days=1), year=2026) if r["id"] == record["id"])
    assert (after["end_on"], after["state"]) == (last, "ended_early")
    assert page.approved_model.rowCount() == model.rowCount()  # the table was refreshed, nothing lost
    page.plan_table.setCurrentIndex(page.approved_model.index(0, 0))
    assert page.change_exchange("extend", dt.date(2000, 1, 1)) is False  # refused with a sentence, nothing written
    assert "不晚于" in messages.log[-1].text or "早于" in messages.log[-1].text
    page.plan_year.setValue(2027)
    assert page.lifecycle.isHidden()
