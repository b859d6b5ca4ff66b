"""教师与交流 page on the county demo: lazy roster, search, filters, detail, the plan wizard."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from db.models import ExchangePlan, Teacher
from desktop import messages
from desktop.context import AppContext
from desktop.pages.teachers import PAGE_SIZE, PlanModel, RosterModel, TeachersPage

YEAR = 2027


@pytest.fixture
def page(gui, demo_store, qtbot):
    widget = TeachersPage(AppContext.for_store(demo_store))
    qtbot.addWidget(widget)
    widget.resize(1400, 800)
    widget.show()
    widget.refresh()
    qtbot.waitUntil(lambda: widget.eligibility is not None, timeout=20000)
    return widget


def test_roster_is_lazy_and_complete(page, demo_store):
    with demo_store.read() as session:
        total = session.scalar(select(func.count()).select_from(Teacher))
    model = page.roster
    assert model.rowCount() == total and page.count_label.text() == f"共 {total} 名教师"
    assert len(model.cache) <= PAGE_SIZE * 6  # only what was shown has been fetched
    last = model.index(total - 1, RosterModel.COL_NAME).data()
    assert last and len(model.cache) <= PAGE_SIZE * 7


def test_roster_model_passes_model_tester(qtmodeltester, demo_store, gui):
    from db.teacher_queries import roster_ids

    model = RosterModel(demo_store)
    model.set_ids(roster_ids(demo_store)[:300])
    qtmodeltester.check(model)


def test_roster_shows_a_rename_after_a_requery(demo_store, gui):
    from db.teacher_queries import roster_ids

    model = RosterModel(demo_store)
    ids = roster_ids(demo_store)[:10]
    model.set_ids(ids)
    assert model.index(0, RosterModel.COL_NAME).data() != "改名测试"
    with demo_store.write() as session:
        session.get(Teacher, __import__("uuid").UUID(ids[0])).name = "改名测试"
    model.set_ids(ids)
    assert model.index(0, RosterModel.COL_NAME).data() == "改名测试"


def test_search_filter_and_detail(page, qtbot):
    first_name = page.roster.index(0, RosterModel.COL_NAME).data()
    page.search.setText(first_name)
    qtbot.waitUntil(lambda: page.roster.rowCount() < 200, timeout=3000)
    assert all(first_name in page.roster.index(r, RosterModel.COL_NAME).data()
               for r in range(page.roster.rowCount()))
    page.search.setText("")
    page.filter.setCurrentIndex(page.filter.findData("mandatory"))
    summary = page.eligibility.summary
    assert page.roster.rowCount() == summary["mandatory"]
    assert page.roster.index(0, RosterModel.COL_STATUS).data().startswith("须交流")
    page.table.setCurrentIndex(page.roster.index(0, 0))
    html = page.detail.toHtml()
    assert "任职记录" in html and "须交流" in html


def test_plan_wizard_review_and_approve(page, qtbot, demo_store):
    page.tabs.setCurrentIndex(1)
    page.plan_year.setValue(YEAR)
    page.count_button.click()  # computed in the background
    qtbot.waitUntil(lambda: "须交流" in page.counts_label.text(), timeout=30000)
    page.run_button.click()
    qtbot.waitUntil(lambda: page.plan is not None, timeout=30000)
    moves = page.plan_model.rowCount()
    assert moves == len(page.plan.moves) > 0 and "最优解" in page.quota_label.text()
    assert "OR-Tools" not in page.quota_label.text() and "OR-Tools" in page.quota_label.toolTip()  # no jargon
    assert page.progress.value() == 100
    before = page.quota_label.text()
    # remove the first move: the quota figures follow at once
    page.plan_table.setCurrentIndex(page.plan_model.index(0, 0))
    removed = page.plan_model.moves[0].entry.teacher.key
    page.remove_button.click()
    assert page.plan_model.rowCount() == moves - 1 and page.quota_label.text() != before
    assert f"交流 <b>{moves - 1}</b>" in page.quota_label.text()
    # change a destination and pin it, then re-run keeping the pins
    page.plan_table.setCurrentIndex(page.plan_model.index(0, 0))
    target = page.destination.itemData(page.destination.count() - 1)
    page.destination.setCurrentIndex(page.destination.count() - 1)
    page.change_button.click()
    changed = page.plan_model.moves[0].entry.teacher.key
    assert page.pins == {removed: None, changed: target}
    page.rerun_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=30000)
    by_key = {m.entry.teacher.key: m for m in page.plan.moves}
    assert removed not in by_key and by_key[changed].to_school == target and by_key[changed].pinned
    saved = len(page.plan.moves)
    page.save_button.click()
    assert messages.log[-1].title == "已保存草案"
    page._year_changed()  # what the tab says when the year is chosen again
    assert f"已保存的草案：{saved} 人" in page.counts_label.text() and page.load_button.isEnabled()
    page.load_button.click()  # back into the review, pins and all
    assert page.plan_model.rowCount() == saved and page.pins == {removed: None, changed: target}
    assert "已保存的草案" in page.quota_label.text()
    page.run_button.click()
    qtbot.waitUntil(lambda: page.plan is not None and page.job is None, timeout=30000)
    page.approve_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=30000)  # approval runs off the GUI thread
    assert messages.log[-1].kind == "info"
    with demo_store.read() as session:
        plan = session.scalars(select(ExchangePlan).where(ExchangePlan.school_year == YEAR)).one()
        assert plan.status == "approved"
    page.grab().save(str(page.context.store.location) + ".plan.png")


def test_cancel_planner(page, qtbot, monkeypatch):
    """取消 while the solver runs ends the job as cancelled: no plan, and the page says so."""
    import threading

    from desktop.pages import teachers

    started, release = threading.Event(), threading.Event()

    def held_plan(store, profile, year, pins, progress):
        started.set()
        release.wait(10)
        progress("求解中", 0.5)  # the cancellation point: raises once 取消 was clicked
        raise AssertionError("the job was not cancelled")

    monkeypatch.setattr(teachers, "make_plan", held_plan)
    page.tabs.setCurrentIndex(1)
    page.plan_year.setValue(YEAR)
    page.run_button.click()
    assert started.wait(10)
    page.cancel_button.click()
    release.set()
    qtbot.waitUntil(lambda: page.job is None, timeout=30000)
    assert page.plan is None and page.quota_label.text() == "已取消求解。"
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()


def test_plan_model_headers():
    model = PlanModel()
    assert model.columnCount() == 12 and model.rowCount() == 0
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in (10, 11)] == ["方向", "说明"]


def test_plan_rows_and_roster_detail_explain_each_outcome(page, qtbot, qtmodeltester):
    """Each move says where and why there (column and tooltip); a teacher removed from the plan
    says which rule let him stay, in the roster's detail."""
    page.tabs.setCurrentIndex(1)
    page.plan_year.setValue(YEAR)
    page.run_button.click()
    qtbot.waitUntil(lambda: page.plan is not None and page.job is None, timeout=30000)
    model = page.plan_model
    qtmodeltester.check(model)
    direction = model.index(0, 10).data()
    reason = model.index(0, 11).data()
    assert direction and "调往" in reason and "方向：" in reason
    assert model.index(0, 11).data(Qt.ItemDataRole.ToolTipRole) == reason
    page.plan_table.setCurrentIndex(model.index(0, 0))
    removed = model.moves[0].entry.teacher.key
    page.remove_button.click()
    assert page.outcome_by_id[str(removed)].rule == "pinned"
    page.tabs.setCurrentIndex(0)
    page.search.setText(model.names and next(o.entry.teacher.id_number for o in page.outcomes.values()
                                            if o.entry.teacher.key == removed))
    qtbot.waitUntil(lambda: page.roster.rowCount() == 1, timeout=3000)
    page.table.setCurrentIndex(page.roster.index(0, 0))
    html = page.detail.toPlainText()
    assert "交流计划：留任" in html and "指定留任" in html


def test_the_roster_masks_id_numbers_and_the_detail_shows_them(page):
    import re

    shown = page.roster.index(0, RosterModel.COL_ID).data()
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", shown)
    page.table.setCurrentIndex(page.roster.index(0, 0))
    full = re.search(r"身份证号 (\d{17}[\dX])", page.detail.toPlainText())
    assert full and full.group(1)[:6] == shown[:6] and full.group(1)[-4:] == shown[-4:]


def test_the_detail_shows_the_cycles_training_hours_and_designations(page, demo_store):
    """Training hours of the current cycle against the profile's 360 (with its clause)."""
    import datetime as dt
    import uuid

    from db.models import TeacherDesignation, TrainingRecord
    from policy.teacher_development import cycle_on

    page.table.setCurrentIndex(page.roster.index(0, 0))
    key = uuid.UUID(page.roster.ids[0])
    cycle = cycle_on(page.context.profile, dt.date.today())
    with demo_store.write("培训") as session:
        session.add(TrainingRecord(teacher_id=key, completed_on=cycle.start, course="国培计划", hours=72, special=True))
        session.add(TrainingRecord(teacher_id=key, completed_on=cycle.start - dt.timedelta(days=1), course="旧周期",
                                   hours=500))
        session.add(TeacherDesignation(teacher_id=key, kind="种子教师", start=dt.date(2024, 8, 1)))
        # the demo's own records of this cycle (it gives some teachers a 2026 course)
        done = sum(r.hours for r in session.scalars(select(TrainingRecord).where(
            TrainingRecord.teacher_id == key, TrainingRecord.completed_on >= cycle.start)))
    page.table.setCurrentIndex(page.roster.index(1, 0))
    page.table.setCurrentIndex(page.roster.index(0, 0))
    text = page.detail.toPlainText().replace("\u3000", " ")  # Qt may give the full-width space as a plain one
    assert done >= 72
    assert f"本周期（{cycle.label}）已完成 {done:g} 学时，应不少于 360 学时（太平区2023方案 四(二)1；保山2022方案 16）" in text
    assert "国培计划 72 学时（乡村专项）" in text and "旧周期 500 学时" in text
    assert "种子教师 2024-08-01 至 今" in text


def test_plan_review_search_filters_live_and_改派_keeps_selection_and_distance(page, qtbot):
    page.tabs.setCurrentIndex(1)
    page.plan_year.setValue(YEAR)
    page.run_button.click()
    qtbot.waitUntil(lambda: page.plan is not None and page.job is None, timeout=30000)
    moves = page.plan_model.moves
    visible = lambda: [r for r in range(len(moves)) if not page.plan_table.isRowHidden(r)]  # noqa: E731
    # by ID tail (the table shows it masked), then by name, then by school and subject together
    pick = moves[len(moves) // 2]
    qtbot.keyClicks(page.plan_search, pick.entry.teacher.id_number[-6:])
    assert pick in [moves[r] for r in visible()] and len(visible()) < len(moves)
    page.plan_search.setText(pick.entry.teacher.name)
    assert all(pick.entry.teacher.name in moves[r].entry.teacher.name for r in visible())
    school = page.plan_model.row_at(0).from_name
    subject = moves[0].entry.teacher.subject
    page.plan_search.setText(f"{school} {subject}")
    assert 0 in visible() and page.plan_found.text() == f"找到 {len(visible())} 人"
    # 改派 on a filtered row: same teacher still selected, distance filled, filter still on
    shown = visible()
    row = shown[-1]
    key = moves[row].entry.teacher.key
    page.plan_table.selectRow(row)
    page.destination.setCurrentIndex(page.destination.count() - 1)
    target = page.destination.currentData()
    page.change_button.click()
    selected = page.plan_table.currentIndex().row()
    assert page.plan_model.moves[selected].entry.teacher.key == key
    assert page.plan_model.moves[selected].to_school == target
    assert page.plan_model.moves[selected].distance_km is not None
    assert page.plan_model.index(selected, 8).data() != ""
    assert visible() == shown
    page.plan_search.clear()
    assert len(visible()) == len(moves)


@pytest.mark.parametrize("text", ["", "王", "640", "64012", "小学", "道法", "数学", "x", "no such"])
def test_the_search_index_finds_what_the_sql_search_finds(demo_store, text):
    from db.teacher_queries import roster_ids, roster_search_index, search_index

    for order, descending in (("id_number", False), ("name", True), ("school", False)):
        index = roster_search_index(demo_store, order, descending)
        assert search_index(index, text) == roster_ids(demo_store, text, order, descending)


def test_training_designation_and_mentoring_forms_save_audited_and_keep_a_refusal_open(page, demo_store, qtbot):
    """登记培养记录 (issue 11): each form writes one audited record for the selected teacher; a
    bad 学时 or a repeat keeps the dialog open with the reason and nothing written."""
    import datetime as dt
    import uuid

    from PySide6.QtWidgets import QDialog, QDialogButtonBox

    from db.models import AuditEntry, Pairing, TeacherDesignation, TrainingRecord
    from desktop.pages.development_dialog import DesignationDialog, MentoringDialog, TrainingDialog

    assert not page.development_button.isEnabled() or page.table.selectionModel().currentIndex().isValid()
    page.table.setCurrentIndex(page.roster.index(3, 0))
    assert page.development_button.isEnabled()
    key = uuid.UUID(page.roster.ids[3])
    seen: list[str] = []

    def run(fill):  # noqa: ANN001, ANN202
        def exec_dialog(dialog: QDialog) -> bool:
            dialog.show()
            for attempt in fill(dialog):
                attempt()
                dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
                seen.append(dialog.error.text() if dialog.error.isVisible() else "")
            return dialog.result() == QDialog.DialogCode.Accepted
        page.exec_dialog = exec_dialog

    def training(dialog: TrainingDialog):  # noqa: ANN202
        dialog.day.set_value(dt.date(2030, 7, 15))
        yield lambda: (dialog.course.setText("县级骨干研修"), dialog.hours.setText("0"))
        yield lambda: (dialog.hours.setText("48"), dialog.special.setChecked(True))
    run(training)
    page.open_development(TrainingDialog)
    assert seen == ["学时 0 应大于 0 且不超过 1000", ""]
    with demo_store.read() as session:
        saved = session.scalars(select(TrainingRecord).where(TrainingRecord.teacher_id == key,
                                                             TrainingRecord.course == "县级骨干研修")).all()
        assert [(r.completed_on, r.hours, r.special) for r in saved] == [(dt.date(2030, 7, 15), 48.0, True)]
        note = session.scalars(select(AuditEntry.note).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert "登记培训记录" in note and "县级骨干研修 48学时（乡村专项）" in note
    assert "县级骨干研修 48 学时（乡村专项）" in page.detail.toPlainText().replace("\u3000", " ")

    seen.clear()
    run(training)  # the same course and day again: refused, nothing more written
    page.exec_dialog = lambda dialog: (dialog.course.setText("县级骨干研修"), dialog.hours.setText("48"),
                                       dialog.day.set_value(dt.date(2030, 7, 15)),
                                       dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click(),
                                       seen.append(dialog.error.text()))[-1] is None and False
    page.open_development(TrainingDialog)
    assert seen == ["已登记过 2030-07-15 的“县级骨干研修”"]

    def designation(dialog: DesignationDialog):  # noqa: ANN202
        dialog.kind.setCurrentText("榜样教师")
        dialog.start.set_value(dt.date(2030, 9, 1))
        dialog.ended.setChecked(True)
        yield lambda: dialog.end.set_value(dt.date(2030, 8, 1))
        yield lambda: dialog.end.set_value(dt.date(2031, 8, 31))
    seen.clear()
    run(designation)
    page.open_development(DesignationDialog)
    assert seen == ["结束日期 2030-08-01 早于开始日期 2030-09-01", ""]

    def mentoring(dialog: MentoringDialog):  # noqa: ANN202
        dialog.start.set_value(dt.date(2030, 9, 1))
        yield lambda: dialog.mentor.setText(" ")
        yield lambda: dialog.mentor.setText("王名师")
    seen.clear()
    run(mentoring)
    page.open_development(MentoringDialog)
    assert seen == ["师傅：不能为空", ""]
    with demo_store.read() as session:
        assert session.scalars(select(TeacherDesignation.end_on).where(
            TeacherDesignation.teacher_id == key, TeacherDesignation.start == dt.date(2030, 9, 1))).all() == [
            dt.date(2031, 8, 31)]
        pair = session.scalars(select(Pairing).where(Pairing.target_teacher_id == key,
                                                     Pairing.start == dt.date(2030, 9, 1))).one()
        assert (pair.kind, pair.supporter_name, pair.end) == ("师徒结对", "王名师", None)


def _select_teacher(page, teacher_id) -> str:  # noqa: ANN001
    """Select the teacher of ``teacher_id`` in the roster; the detail pane's text, spaces plain."""
    page.table.setCurrentIndex(page.roster.index(page.roster.ids.index(teacher_id.hex), 0))
    return page.detail.toPlainText().replace("\u3000", " ")


def test_the_detail_lists_mentoring_pairs_as_mentor_and_as_apprentice(page, demo_store):
    """师徒结对 in the detail pane: the demo's pairs from both sides (partner, school, dates, the
    year or whether the 3 years were met, with the clause), a pair registered with the mentor's name
    only, and 无 for a teacher with none."""
    import datetime as dt
    import uuid

    from db.development_entry import add_mentoring
    from db.models import Pairing, School

    with demo_store.read() as session:
        pairs = session.execute(select(Pairing, School.name).join(School, School.id == Pairing.supporter_school_id)
                                .where(Pairing.kind == "师徒结对").order_by(Pairing.start)).all()
        names = dict(session.execute(select(Teacher.id, Teacher.name)).all())
    short = next((p, school) for p, school in pairs if p.end is not None and p.end < dt.date(p.start.year + 3, 8, 31))
    full = next((p, school) for p, school in pairs if p.end == dt.date(p.start.year + 3, 8, 31))
    for pair, mentor_school in (short, full):
        as_mentor = _select_teacher(page, pair.supporter_teacher_id)
        apprentice = names[pair.target_teacher_id]
        assert "师徒结对" in as_mentor and f"{pair.start:%Y-%m-%d} 至 {pair.end:%Y-%m-%d} 徒弟 {apprentice}（" in as_mentor
        as_apprentice = _select_teacher(page, pair.target_teacher_id)
        line = f"{pair.start:%Y-%m-%d} 至 {pair.end:%Y-%m-%d} 师傅 {pair.supporter_name}（{mentor_school}）"
        assert line in as_apprentice and "跟踪培养应满 3 年（银川2023方案 二(三)9）" in as_apprentice
    due = dt.date(short[0].start.year + 3, 8, 31)
    assert f"未满 3 年（应至 {due:%Y-%m-%d}）" in _select_teacher(page, short[0].target_teacher_id)
    assert "已满 3 年" in _select_teacher(page, full[0].target_teacher_id)

    paired = {p.supporter_teacher_id for p, _s in pairs} | {p.target_teacher_id for p, _s in pairs}
    loner = next(uuid.UUID(i) for i in page.roster.ids if uuid.UUID(i) not in paired)
    text = _select_teacher(page, loner)
    assert text.split("师徒结对", 1)[1].strip() == "无" and "跟踪培养应满" not in text
    add_mentoring(demo_store, loner, "王名师", dt.date.today() - dt.timedelta(days=400), None)
    _select_teacher(page, full[0].target_teacher_id)
    text = _select_teacher(page, loner)
    start = dt.date.today() - dt.timedelta(days=400)
    assert f"{start:%Y-%m-%d} 至 今 师傅 王名师 第 2 年" in text
