"""文件 → 新建数据库… / 打开… / 最近打开 / 另存为…: another county's data without a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop import database_actions as da
from desktop import messages
from desktop.context import AppContext
from desktop.main_window import MainWindow


@pytest.fixture
def window(gui, qtbot, small_store, window_settings):
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.start("schools")
    return win


def school_count(window: MainWindow) -> int:
    page = window.page("schools")
    return page.model.rowCount()


def other_file(tmp_path: Path, name: str = "other.db", schools: int = 1) -> Path:
    path = tmp_path / name
    store = Store.open(str(path))
    from tests.desktop.conftest import add_small_county

    if schools:
        add_small_county(store)
    store.dispose()
    return path


def test_the_file_menu_starts_with_new_open_recent_save_as(window):
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions() if a.text()]
    assert texts[:4] == ["新建数据库(&N)…", "打开(&O)…", "最近打开(&R)", "另存为(&A)…"]
    assert "备份数据(&B)…" in texts and "从备份恢复(&R)…" in texts and "打印(&P)…" in texts


def test_new_database_dialog_keeps_input_and_marks_the_wrong_field(gui, qtbot, tmp_path):
    dialog = da.NewDatabaseDialog(folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("河东县")  # keyClicks types ASCII only
    qtbot.keyClicks(dialog.code_edit, "6401")
    dialog.submit()
    assert dialog.result() == 0 and dialog.result_store is None
    assert "6 位数字" in dialog.error.text() and "6401" in dialog.error.text()
    assert dialog.code_edit.styleSheet() == da.ERROR_STYLE and dialog.name_edit.styleSheet() == ""
    assert dialog.name_edit.text() == "河东县" and dialog.code_edit.text() == "6401"  # nothing typed is lost
    assert not (tmp_path / "新县区.db").exists()
    dialog.code_edit.setText("640199")
    dialog.submit()
    assert dialog.result_store is not None
    names = sorted(p.name for p in dialog.written)
    assert names[0] == "1 学校.xlsx" and len(names) == 6
    assert Path(dialog.templates_edit.text()) == tmp_path / "河东县导入模板"
    with sqlite3.connect(tmp_path / "新县区.db") as connection:
        assert connection.execute("SELECT code, name, profile_id FROM region").fetchall() == [
            ("640199", "河东县", dialog.profile_combo.currentData())]
    dialog.result_store.dispose()


def test_new_database_refuses_an_existing_file(tmp_path):
    existing = other_file(tmp_path, schools=0)
    problems = da.check(da.NewCounty(existing, "县", "640100", "default", None))
    assert "已存在" in problems["path"]


def test_new_database_through_the_menu_switches_every_page(window, tmp_path, qtbot, small_store):
    assert school_count(window) == 7
    window.show_page("settings")

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, da.NewDatabaseDialog)
        dialog.path_edit.setText(str(tmp_path / "河西县.db"))
        dialog.name_edit.setText("河西县")
        dialog.code_edit.setText("640122")
        dialog.templates_edit.setText("")
        dialog.submit()

    QTimer.singleShot(0, fill)
    assert da.new_database(window)
    assert window.context.store.location == str(tmp_path / "河西县.db")
    assert "河西县.db" in window.location_label.text()
    assert window.current_key() == "settings"
    assert school_count(window) == 0  # rebuilt over the new (empty) county
    recent = da.recent_files(window.settings)
    assert recent[0] == (tmp_path / "河西县.db").resolve()
    assert Path(small_store.location).resolve() in recent


def test_open_recent_and_a_missing_file(window, tmp_path, small_store):
    other = other_file(tmp_path)
    gone = other_file(tmp_path, "gone.db", schools=0)
    da.remember(window.settings, gone)
    da.remember(window.settings, other)
    gone.unlink()
    da.rebuild_recent(window)
    actions = {a.text(): a for a in window.recent_menu.actions()}
    assert actions["&1 other.db"].isEnabled()
    assert not actions[f"&2 gone.db {da.MISSING}"].isEnabled()
    actions["&1 other.db"].trigger()
    assert window.context.store.location == str(other)
    assert school_count(window) == 7
    # the original file is now in the list; the missing one is removed on request
    clear = next(a for a in window.recent_menu.actions() if a.text() == "清除不存在的文件")
    clear.trigger()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert not any("gone.db" in t for t in texts)
    assert any(Path(small_store.location).name in t for t in texts)


def test_a_file_gone_since_the_menu_was_built_is_removed_with_a_message(window, tmp_path):
    other = other_file(tmp_path)
    da.remember(window.settings, other)
    da.rebuild_recent(window)
    other.unlink()
    window.recent_menu.actions()[0].trigger()
    assert [m.kind for m in messages.log][-1] == "warn" and "已不存在" in messages.log[-1].text
    assert other not in da.recent_files(window.settings)
    assert window.context.store.location != str(other)


def test_unsaved_input_is_not_dropped_silently(window, tmp_path, monkeypatch, qtbot):
    other = other_file(tmp_path)
    visits = window.show_page("visits")
    visits.summary_edit.setPlainText("听课两节")
    monkeypatch.setattr(messages, "headless_answer", False)
    assert not da.open_database(window, other)
    asked = [m for m in messages.log if m.kind == "ask"][-1]
    assert "“帮扶活动”页：录入中的帮扶活动尚未保存" in asked.text
    assert window.page("visits").summary_edit.toPlainText() == "听课两节"
    monkeypatch.setattr(messages, "headless_answer", True)
    assert da.open_database(window, other)
    assert window.context.store.location == str(other)


def test_a_database_with_accounts_asks_for_sign_in_and_cancel_keeps_the_old(window, tmp_path, small_store):
    from db.users import add_user

    other = other_file(tmp_path)
    store = Store.open(str(other))
    add_user(store, "wang", "admin", "secret-123", display_name="王")
    store.dispose()

    def cancel() -> None:
        QApplication.activeModalWidget().reject()

    QTimer.singleShot(0, cancel)
    assert not da.open_database(window, other)
    assert window.context.store is small_store

    def sign_in() -> None:
        dialog = QApplication.activeModalWidget()
        dialog.username.setText("wang")
        dialog.password.setText("secret-123")
        dialog.submit()

    QTimer.singleShot(0, sign_in)
    assert da.open_database(window, other)
    assert window.context.store.actor.username == "wang"
    assert "wang" in window.user_label.text()


def test_save_as_copies_then_works_in_the_copy(window, tmp_path, monkeypatch, small_store):
    original = Path(small_store.location)
    copy = tmp_path / "副本.db"
    monkeypatch.setattr(messages, "headless_path", copy)
    assert da.save_as(window)
    assert window.context.store.location == str(copy)
    assert school_count(window) == 7
    from sqlalchemy import select

    from db.models import School

    with window.context.store.write("test") as session:
        session.scalars(select(School)).first().name = "改在副本里"
    with sqlite3.connect(original) as connection:
        assert "改在副本里" not in [r[0] for r in connection.execute("SELECT name FROM school")]


def test_an_opened_file_is_backed_up_and_the_daily_backup_follows(window, tmp_path, qtbot):
    from db.backup import automatic_backups

    other = other_file(tmp_path)
    changed = []
    window.store_changed.connect(changed.append)
    assert da.open_database(window, other)
    assert changed == [window.context.store]
    qtbot.waitUntil(lambda: window.backup_job.is_done, timeout=10000)
    assert len(automatic_backups(other)) == 1


def test_a_county_that_cannot_be_finished_leaves_no_file(gui, tmp_path):
    blocker = tmp_path / "模板"
    blocker.write_text("a file where the templates folder should go")
    county = da.NewCounty(tmp_path / "半成品.db", "河北县", "640123", "default", blocker)
    with pytest.raises(OSError):
        da.create_county(county)
    assert not (tmp_path / "半成品.db").exists()
