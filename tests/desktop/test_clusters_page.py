"""The 集团与教共体 page: typing and clicking through edits, undo/redo, live checks."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog

from db import clusters as cl
from db.models import Agreement, Pairing, Region, School
from desktop import messages
from desktop.context import AppContext
from desktop.pages.clusters import ClustersPage

D1 = dt.date(2023, 9, 1)


@pytest.fixture
def world(store):
    ids = {}
    with store.write("测试数据") as session:
        region = Region(id=uuid.uuid4(), code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        for code, name, location, students in [
            ("C1", "城关一小", "城区", 1500), ("R1", "望洪小学", "乡村", 300), ("R2", "李俊小学", "乡村", 200),
            ("R3", "红星教学点", "乡村", 20), ("R4", "杨和小学", "乡村", 150), ("R5", "通桥小学", "乡村", 150),
            ("R6", "胜利小学", "乡村", 150),
        ]:
            school = School(id=uuid.uuid4(), code=code, name=name, stage="教学点" if "教学点" in name else "小学",
                            location=location, region_id=region.id, students=students,
                            classes=max(1, students // 30))
            session.add(school)
            ids[code] = school.id
    cid = cl.create_cluster(store, "城关集团", "教育集团", lead_school_id=ids["C1"], on=D1).cluster_id
    for code in ("R1", "R2", "R3", "R4"):
        cl.join(store, cid, ids[code], D1)
    # A sound cluster: its city-run lead school takes it under 包片包抓 and the agreement is signed.
    with store.write("结对与协议") as session:
        session.get(School, ids["C1"]).run_by = "市属"
        session.add(Pairing(kind="包片包抓", supporter_school_id=ids["C1"], cluster_id=cid, start=D1))
        session.add(Agreement(cluster_id=cid, title="城关集团帮扶协议", term_start=D1, term_end=dt.date(2026, 8, 31),
                              clauses={"sections": []}, signed_on=D1))
    return ids, cid


@pytest.fixture
def page(qtbot, store, world):
    messages.set_headless(True)
    messages.log.clear()
    widget = ClustersPage(AppContext.for_store(store))
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    widget.view_date.setDate(QDate(2025, 3, 1))
    widget.refresh()
    qtbot.waitUntil(lambda: widget.parts_job is None, timeout=10000)  # the teacher-development read
    yield widget
    messages.set_headless(False)


def type_text(widget, text: str) -> None:
    """Type ``text`` key by key (qtbot.keyClicks only knows ASCII keys; clerks type Chinese)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def fill_with(page, fill):
    """Run dialogs through ``fill(dialog)``; it returns whether to accept."""
    def run(dialog: QDialog) -> bool:
        dialog.show()
        if not fill(dialog):
            return False
        dialog.accept()  # as 确定 does: a refused submit keeps the dialog open
        return dialog.result() == QDialog.DialogCode.Accepted
    page.exec_dialog = run


def member_codes(page) -> list[str]:
    return [line.school.code for line in page.member_model.rows()]


def test_shows_cluster_members_and_unclustered(page) -> None:
    assert page.cluster_model.rowCount() == 1
    assert member_codes(page) == ["C1", "R1", "R2", "R3", "R4"]
    assert [s.code for s in page.loose_model.rows()] == ["R5", "R6"]
    assert "牵头校：城关一小" in page.partner.text()
    assert "符合各项规定" in page.banner.text()


def test_drop_school_on_cluster_joins_and_banner_shows_violation(page, qtbot) -> None:
    mime = page.loose_model.mimeData([page.loose_model.index(0, 0)])
    target = page.cluster_model.index(0, 0)
    assert page.cluster_model.dropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, target)
    assert "R5" in member_codes(page)
    assert [s.code for s in page.loose_model.rows()] == ["R6"]
    # 6 schools is the limit: add the 7th through the dialog with search
    def choose(dialog):
        type_text(dialog.search, "胜利")
        assert dialog.model.rowCount() == 1
        return True
    fill_with(page, choose)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert "R6" in member_codes(page)
    assert "超过上限6所" in page.banner.text()
    rules = {(v.rule, v.subject) for v in page.violation_model.rows()}
    assert ("cluster.max_schools", "城关集团") in rules
    problems = [c.header for c in page.cluster_model.COLUMNS].index("问题")
    assert "1" in page.cluster_model.index(0, problems).data()


def test_undo_redo_with_keyboard(page, qtbot) -> None:
    page.join_school(page.loose_model.row_at(0).id, page.selected_cluster_id())
    assert "R5" in member_codes(page)
    page.member_table.setFocus()
    qtbot.keyClick(page.member_table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "R5" not in member_codes(page)
    assert [s.code for s in page.loose_model.rows()] == ["R5", "R6"]
    qtbot.keyClick(page.member_table, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert "R5" in member_codes(page)
    # history honest: the one membership record was revoked then restored, never deleted
    records = cl.memberships_of_cluster(page.context.store, page.selected_cluster_id())
    assert len(records) == 6


def test_remove_member_with_leave_date_and_view_earlier_date(page, qtbot) -> None:
    row = member_codes(page).index("R2")
    page.member_table.selectRow(row)

    def leave(dialog):
        dialog.date.setDate(QDate(2024, 9, 1))
        return True
    fill_with(page, leave)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert "R2" not in member_codes(page)
    assert "R2" in [s.code for s in page.loose_model.rows()]
    page.view_date.setDate(QDate(2024, 1, 1))  # as it stood before the leave
    assert "R2" in member_codes(page)
    assert "2024-09-01" in [line.membership.left_on.isoformat() for line in page.member_model.rows()
                            if line.membership.left_on]


def test_a_refused_new_cluster_keeps_what_was_typed(page, qtbot) -> None:
    """A name already taken is said inside the dialog; everything typed stays for correcting."""
    taken = page.cluster_model.rows()[0].summary.cluster.name
    dialogs = []

    def create(dialog):
        dialogs.append(dialog)
        type_text(dialog.name, taken)
        type_text(dialog.area, "东片区")
        return True
    fill_with(page, create)
    before = len(page.cluster_model.rows())
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = dialogs[0]
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error.isVisibleTo(dialog) and taken in dialog.error.text()
    assert dialog.name.text() == taken and dialog.area.text() == "东片区"
    assert len(page.cluster_model.rows()) == before
    dialog.name.clear()
    type_text(dialog.name, "新的学区")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_create_rename_change_kind_and_move(page, qtbot) -> None:
    def create(dialog):
        type_text(dialog.name, "望洪学区")
        dialog.kind.setCurrentText("学区")
        dialog.lead.setCurrentIndex(dialog.lead.findText("R5 通桥小学"))
        return True
    fill_with(page, create)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.selected_summary().cluster.name == "望洪学区"
    assert member_codes(page) == ["R5"]

    def rename(dialog):
        dialog.name.clear()
        type_text(dialog.name, "望洪片区学区")
        return True
    fill_with(page, rename)
    qtbot.mouseClick(page.rename_button, Qt.MouseButton.LeftButton)
    assert page.selected_summary().cluster.name == "望洪片区学区"
    page.kind_combo.setCurrentText("协作型教共体")
    page.kind_combo.activated.emit(page.kind_combo.currentIndex())
    assert page.selected_summary().cluster.kind == "协作型教共体"
    # move R1 from 城关集团 into the new one
    page.select_cluster(next(line.summary.cluster.id for line in page.cluster_model.rows()
                             if line.summary.cluster.name == "城关集团"))
    page.member_table.selectRow(member_codes(page).index("R1"))

    def move(dialog):
        dialog.target.setCurrentText("望洪片区学区")
        return True
    fill_with(page, move)
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    assert "R1" not in member_codes(page)
    assert "membership.overlap" not in {v.rule for v in page.violation_model.rows()}
    # undo everything back to the start
    while page.undo_stack.canUndo():
        page.undo_stack.undo()
    assert [line.summary.cluster.name for line in page.cluster_model.rows()] == ["城关集团"]
    assert member_codes(page) == ["C1", "R1", "R2", "R3", "R4"]


def test_refused_edit_warns_and_is_not_on_stack(page) -> None:
    r1 = next(s.id for s in page.records.schools if s.code == "R1")
    assert page.join_school(r1, page.selected_cluster_id()) is None
    assert page.undo_stack.count() == 0
    assert messages.log[-1].kind == "warn" and "已属于" in messages.log[-1].text


def waive_row(page, qtbot, index: int) -> None:
    """Select the county list's row ``index`` and waive it through the dialog (学校撤并中, 王局长)."""
    page.violation_table.selectRow(index)

    def waive(dialog):
        type_text(dialog.reason, "学校撤并中")
        type_text(dialog.approver, "王局长")
        return True
    fill_with(page, waive)
    qtbot.mouseClick(page.waive_button, Qt.MouseButton.LeftButton)


def test_waive_violation_from_panel(page, qtbot) -> None:
    r5 = next(s for s in page.records.schools if s.code == "R5")
    rows = page.violation_model.rows()
    index = next(i for i, v in enumerate(rows) if v.rule == "coverage.rural" and v.subject_id == r5.id)
    assert rows[index].subject == f"{r5.name}（R5）"  # named, not only coded
    waive_row(page, qtbot, index)
    waived = [v for v in page.violation_model.rows() if v.subject_id == r5.id and v.rule == "coverage.rural"]
    assert waived and waived[0].waived and waived[0].waiver_approver == "王局长"
    assert "已豁免：学校撤并中" in page.violation_model.index(
        page.violation_model.rows().index(waived[0]), 4).data()


def test_models_pass_the_model_tester(qtmodeltester, page) -> None:
    for model in (page.cluster_model, page.member_model, page.loose_model, page.violation_model):
        qtmodeltester.check(model)


def test_import_from_gui_with_preview(page, qtbot, tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["集团名称", "类型", "学校代码", "角色", "加入日期", "退出日期"])
    wb.active.append(["胜利学区", "学区", "R6", "牵头校", "2024年9月1日", ""])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    messages.headless_path = path
    previews = []

    def accept(dialog):
        previews.append(dialog.summary.text())
        return True
    fill_with(page, accept)
    page.import_file("clusters")
    qtbot.waitUntil(lambda: any(m.kind == "info" and "导入完成" in m.title for m in messages.log), timeout=5000)
    messages.headless_path = None
    assert "新增 1 条" in previews[0]
    assert "胜利学区" in [line.summary.cluster.name for line in page.cluster_model.rows()]


def test_renaming_a_cluster_another_user_renamed_meanwhile_is_refused_and_reloaded(page, qtbot, store, world,
                                                                                   monkeypatch) -> None:
    _ids, cid = world
    cl.rename_cluster(store, cid, "城关教育集团")  # another user, while this page still shows 城关集团
    assert page.selected_summary().cluster.name == "城关集团"
    monkeypatch.setattr(messages, "headless_answer", True)

    def rename(dialog):
        dialog.name.clear()
        type_text(dialog.name, "城关一小集团")
        return True
    fill_with(page, rename)
    qtbot.mouseClick(page.rename_button, Qt.MouseButton.LeftButton)
    [asked] = [m for m in messages.log if m.kind == "ask"]
    assert "该集团（教共体）已被" in asked.text and "请重新载入后再改" in asked.text
    assert page.undo_stack.count() == 0
    assert page.selected_summary().cluster.name == "城关教育集团"  # reloaded; the stale rename not written


def test_teacher_development_findings_are_listed_with_their_clause_and_can_be_waived(page, qtbot) -> None:
    """The seed and model teacher rules (issue 11) are rows of the county list, each with its
    clause; a waiver given there reaches them (their read is kept across cluster edits)."""
    r1 = next(s for s in page.records.schools if s.code == "R1")
    rows = page.violation_model.rows()
    seeds = [v for v in rows if v.rule == "teachers.seed"]
    assert {v.subject_id for v in seeds} >= {r1.id}
    assert all(v.clause == "海门2019计划 三(五)3" for v in seeds)
    assert not any(v.rule == "teachers.seed" and v.subject.startswith("红星教学点") for v in rows)  # 教学点: no duty
    assert f"共 {sum(1 for v in rows if not v.waived)} 项问题" in page.coverage_label.text()
    index = next(i for i, v in enumerate(rows) if v.rule == "teachers.seed" and v.subject_id == r1.id)
    waive_row(page, qtbot, index)
    qtbot.waitUntil(lambda: page.parts_job is None, timeout=10000)  # read again, with the waiver
    after = [v for v in page.violation_model.rows() if v.rule == "teachers.seed" and v.subject_id == r1.id]
    assert after and after[0].waived and after[0].waiver_approver == "王局长"


@pytest.fixture
def held_development(monkeypatch):
    """``db.clusters.development`` recording the thread it runs in; the first call after
    ``hold.set()`` read its result and then waits for ``release`` before returning it."""
    import threading

    original = cl.development
    state = {"threads": [], "hold": threading.Event(), "release": threading.Event()}

    def development(*args):
        state["threads"].append(threading.current_thread())
        found = original(*args)
        if state["hold"].is_set():
            state["hold"].clear()
            state["release"].wait(10)
        return found

    monkeypatch.setattr(cl, "development", development)
    yield state
    state["release"].set()


def test_the_teacher_development_read_runs_off_the_gui_thread_and_fills_the_county_list(
        page, qtbot, store, held_development) -> None:
    """The ~0.3 s read of the teacher-development findings no longer runs on the GUI thread: the
    cluster rules show at once, the further findings follow, and the list is the full check's."""
    import threading

    page.refresh()
    assert page.parts_job is not None and "教师培养与优质均衡的问题正在读取" in page.coverage_label.text()
    assert not any(v.rule == "teachers.seed" for v in page.violation_model.rows())
    qtbot.waitUntil(lambda: page.parts_job is None, timeout=10000)
    assert held_development["threads"] and threading.main_thread() not in held_development["threads"]
    assert "正在读取" not in page.coverage_label.text()
    on = page.on
    full = cl.full_check(store, cl.load(store, on), page.context.profile, on)
    expected = [*full.violations, *full.part_violations()]
    assert [(v.rule, v.subject_id, v.detail) for v in page.findings()] == [
        (v.rule, v.subject_id, v.detail) for v in expected]
    assert any(v.rule == "teachers.seed" for v in page.violation_model.rows())


def test_a_second_refresh_while_the_first_read_runs_shows_the_newer_result(
        page, qtbot, store, world, held_development) -> None:
    ids, _cid = world
    held_development["hold"].set()
    page.refresh()  # its read is held after reading: no waiver yet
    first = page.parts_job
    qtbot.waitUntil(lambda: not held_development["hold"].is_set(), timeout=10000)
    cl.add_waiver(store, "teachers.seed", "school", ids["R1"], "新建校", "王局长", dt.date(2024, 9, 1))
    page.refresh()  # another clerk's waiver: the newer read has it
    assert page.parts_job is not first
    qtbot.waitUntil(lambda: page.parts_job is None, timeout=10000)

    def seed_r1():  # noqa: ANN202
        return [v for v in page.findings() if v.rule == "teachers.seed" and v.subject_id == ids["R1"]]

    assert seed_r1() and all(v.waived for v in seed_r1())
    held_development["release"].set()  # the first read ends now, with its older result
    first.wait(10000)
    qtbot.wait(50)
    assert seed_r1() and all(v.waived for v in seed_r1())


def test_a_page_closed_while_it_reads_gets_nothing(qtbot, store, world, held_development) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    messages.set_headless(True)
    messages.log.clear()
    closing = ClustersPage(AppContext.for_store(store))
    held_development["hold"].set()
    closing.refresh()
    job = closing.parts_job
    qtbot.waitUntil(lambda: not held_development["hold"].is_set(), timeout=10000)
    gone: list[bool] = []
    closing.destroyed.connect(lambda: gone.append(True))
    closing.deleteLater()  # as the main window does with every page when another database is opened
    # Deliver the deletion now: processEvents() alone leaves deferred deletes queued, and the
    # read released below could then finish first (and rightly be delivered).
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert gone
    with qtbot.waitSignal(job.cancelled, timeout=10000):
        held_development["release"].set()
    assert job.is_done and not messages.log
    messages.set_headless(False)


def test_a_failed_read_says_so_and_keeps_the_cluster_rules(page, qtbot, monkeypatch) -> None:
    from policy.errors import UserError

    def failing(*_args):
        raise UserError("数据库暂时无法读取")

    monkeypatch.setattr(cl, "development", failing)
    page.refresh()
    qtbot.waitUntil(lambda: page.parts_job is None, timeout=10000)
    assert [(m.kind, m.text) for m in messages.log if m.kind == "error"] == [("error", "数据库暂时无法读取")]
    assert "正在读取" not in page.coverage_label.text()
    assert any(v.rule == "coverage.rural" for v in page.violation_model.rows())  # the cluster rules stay
