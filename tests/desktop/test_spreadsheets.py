"""The teachers page's Excel menu: import checks first and asks, export and template write files."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from db.importers import IMPORTERS
from db.models import Teacher
from desktop import messages
from desktop.context import AppContext
from desktop.pages.teachers import TeachersPage
from desktop.spreadsheets import ExcelMenu
from reports.exporters import EXPORTERS
from reports.teacher_tables import export_teachers


@pytest.fixture
def page(gui, demo_store, qtbot):
    widget = TeachersPage(AppContext.for_store(demo_store))
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    qtbot.waitUntil(lambda: widget.eligibility is not None, timeout=20000)
    return widget


def names(store):
    with store.read() as session:
        return dict(session.execute(select(Teacher.id_number, Teacher.name)).all())


def test_roster_import_is_checked_confirmed_then_written(page, demo_store, qtbot, tmp_path):
    path = export_teachers(demo_store, tmp_path / "名册.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["教师名册"]
    id_number = sheet.cell(row=2, column=1).value
    sheet.cell(row=2, column=2).value = "新名字"
    workbook.save(path)
    menu = page.roster_excel
    assert {"导入教师名册", "导出教师名册", "保存空白模板：教师名册"} <= set(menu.actions_by_name)
    messages.headless_answer = False  # the clerk says no after reading the preview
    menu.import_kind("teachers", path)
    qtbot.waitUntil(lambda: any(m.kind == "ask" for m in messages.log), timeout=30000)
    assert "→新名字" in messages.log[-1].text and names(demo_store)[id_number] != "新名字"
    messages.headless_answer = True
    menu.import_kind("teachers", path)
    qtbot.waitUntil(lambda: any(m.title == "导入完成" for m in messages.log), timeout=30000)
    assert names(demo_store)[id_number] == "新名字"


def test_a_bad_roster_shows_every_problem_and_writes_nothing(page, demo_store, qtbot, tmp_path):
    path = export_teachers(demo_store, tmp_path / "坏名册.xlsx")
    workbook = load_workbook(path)
    workbook["教师名册"].cell(row=3, column=5).value = "不存在的学校"
    workbook.save(path)
    before = names(demo_store)
    page.roster_excel.import_kind("teachers", path)
    qtbot.waitUntil(lambda: any(m.kind == "error" for m in messages.log), timeout=30000)
    error = next(m for m in messages.log if m.kind == "error")
    assert "第3行" in error.text and "学校代码" in error.text and "不存在的学校" in error.text
    assert names(demo_store) == before


def test_export_and_template_write_workbooks(page, qtbot, tmp_path):
    page.roster_excel.export_kind("teachers", tmp_path / "out.xlsx")
    qtbot.waitUntil(lambda: any(m.title == "导出教师名册" for m in messages.log), timeout=30000)
    assert load_workbook(tmp_path / "out.xlsx")["教师名册"].max_row > 100
    page.roster_excel.save_template("teachers", tmp_path / "blank.xlsx")
    assert load_workbook(tmp_path / "blank.xlsx")["教师名册"].cell(row=1, column=1).value == "身份证号"


def test_the_excel_menu_names_its_entries_from_the_registries(gui, qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    menu = ExcelMenu(parent, lambda: None, ["exchanges", "national"], lambda: 2026, lambda: None)
    label = IMPORTERS["exchanges"].label
    assert set(menu.actions_by_name) == {f"导入{label}", f"导出{label}", f"保存空白模板：{label}",
                                         f"导出{EXPORTERS['national'].label}"}


def test_cancelling_the_write_of_an_import_says_nothing_was_written(gui, qtbot, tmp_path, monkeypatch):
    """The write job of the Excel menu stops at its progress call when cancelled (the dialog's
    取消), and the clerk is told that nothing was written."""
    import threading
    from dataclasses import dataclass, field

    from db.importers import COMMITTING, Importer

    @dataclass
    class Outcome:
        changes: list[str] = field(default_factory=lambda: ["新增 1 人"])

        def counts(self) -> dict[str, int]:
            return {"rows": 1, "inserted": 1}

        def summary(self) -> str:
            return "1 行"

    started, release = threading.Event(), threading.Event()

    def held(self, store, path, dry_run, progress=None):  # noqa: ANN001, ANN202
        if dry_run:
            return Outcome()
        started.set()
        release.wait(10)
        progress(*COMMITTING)  # raises once cancelled, inside the (here imagined) transaction
        raise AssertionError("the job was not cancelled")

    monkeypatch.setattr(Importer, "run", held)
    parent = QWidget()
    qtbot.addWidget(parent)
    menu = ExcelMenu(parent, lambda: None, ["teachers"], lambda: 2026, lambda: None)
    menu.import_kind("teachers", tmp_path / "名册.xlsx")
    qtbot.waitUntil(started.is_set, timeout=20000)  # checked, confirmed (headless answer: yes), writing
    menu._job.cancel()
    release.set()
    qtbot.waitUntil(lambda: any("已取消" in m.text for m in messages.log), timeout=20000)
    assert not any(m.title == "导入完成" for m in messages.log)
