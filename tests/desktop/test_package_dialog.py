"""The GUI side of data packages: a package opened on the window is imported off the GUI
thread; its conflicts are listed field by field and the clerk's choice is applied."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import visit_world

from db.models import Visit
from db.packages.conflicts import open_conflicts
from db.packages.incoming import apply
from db.packages.outgoing import export, export_setup
from db.store import Store
from desktop import messages
from desktop.context import AppContext


@pytest.fixture
def crossed(tmp_path):
    """(bureau, laptop, visit id, package from the laptop) where both sides edited the visit."""
    bureau = Store.open(str(tmp_path / "bureau.db"))
    laptop = Store.open(str(tmp_path / "laptop.db"))
    world = visit_world.build(bureau)
    apply(laptop, export_setup(bureau, tmp_path / "setup.ebpkg", "RURAL01").path)
    visit_id = uuid.uuid4()
    with laptop.write("测试") as s:
        s.add(Visit(id=visit_id, date=dt.date(2025, 10, 8), host_school_id=world.schools["RURAL01"],
                    activity_type="听评课", lessons=2, summary="原文"))
    apply(bureau, export(laptop, tmp_path / "up1.ebpkg").path)
    for store, text in ((bureau, "局里改"), (laptop, "校长改")):
        with store.write("测试") as s:
            s.get(Visit, visit_id).summary = text
    package = export(laptop, tmp_path / "up2.ebpkg").path
    yield bureau, laptop, visit_id, package
    bureau.dispose()
    laptop.dispose()


def test_open_package_imports_and_shows_the_conflict(gui, qtbot, crossed, window_settings, monkeypatch):
    from desktop import package_dialog
    from desktop.main_window import MainWindow

    bureau, _laptop, visit_id, package = crossed
    shown = []
    monkeypatch.setattr(package_dialog.ConflictDialog, "exec", lambda self: shown.append(self.conflicts))
    window = MainWindow(AppContext.for_store(bureau), settings=window_settings)
    qtbot.addWidget(window)
    assert [a.text() for a in window.package_actions] == ["导出数据包(&E)…", "导入数据包(&I)…", "处理数据包冲突(&C)…"]
    window.open_package(str(package))
    qtbot.waitUntil(lambda: bool(messages.log), timeout=10000)
    assert messages.log[-1].kind == "info" and "1 条记录两边都改过" in messages.log[-1].text
    assert [c["record_id"] for c in shown[0]] == [str(visit_id)]


def test_conflict_dialog_lists_fields_and_applies_the_choice(gui, qtbot, crossed):
    from desktop.package_dialog import ConflictDialog

    bureau, _laptop, visit_id, package = crossed
    apply(bureau, package)
    dialog = ConflictDialog(AppContext.for_store(bureau))
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1 and dialog.fields.rowCount() == 1
    assert [dialog.fields.item(0, j).text() for j in range(3)] == ["内容摘要", "局里改", "校长改"]
    dialog.keep_theirs.click()
    assert dialog.list.count() == 0 and not dialog.keep_theirs.isEnabled()
    assert open_conflicts(bureau) == []
    with bureau.read() as s:
        assert s.get(Visit, visit_id).summary == "校长改"


def test_a_damaged_package_is_one_error_and_nothing_else(gui, qtbot, crossed, window_settings, tmp_path):
    from desktop.main_window import MainWindow

    bureau, *_rest, package = crossed
    half = tmp_path / "half.ebpkg"
    half.write_bytes(package.read_bytes()[:200])
    window = MainWindow(AppContext.for_store(bureau), settings=window_settings)
    qtbot.addWidget(window)
    window.open_package(str(half))
    qtbot.waitUntil(lambda: bool(messages.log), timeout=10000)
    assert [m.kind for m in messages.log] == ["error"] and "已损坏" in messages.log[0].text


def test_export_dialog_offers_the_trusted_peers_and_the_schools(gui, qtbot, crossed):
    """The laptop trusts the bureau (from its set-up package); the bureau's schools are offered
    for a set-up package. The dialog formats what db.packages.keys.export_choices reads."""
    from desktop.package_dialog import SETUP, ExportDialog

    bureau, laptop, _visit_id, _package = crossed
    dialog = ExportDialog(AppContext.for_store(laptop))
    qtbot.addWidget(dialog)
    targets = [dialog.target.itemText(i) for i in range(dialog.target.count())]
    assert len(targets) == 2 and targets[0].endswith("（教育局）") and dialog.target.itemData(1) == SETUP
    assert uuid.UUID(dialog.target.itemData(0))
    dialog = ExportDialog(AppContext.for_store(bureau))
    qtbot.addWidget(dialog)
    schools = [dialog.school.itemData(i) for i in range(dialog.school.count())]
    assert schools[0] == "" and "RURAL01" in schools
    dialog.target.setCurrentIndex(dialog.target.findData(SETUP))
    assert dialog.choice()[0] == SETUP and dialog.choice()[1]
