"""文件 → 备份数据… / 从备份恢复…: a copy through the backup API, and a checked restore."""

from __future__ import annotations

import sqlite3

import pytest

from db.backup import check_file
from db.migrate import known_revisions
from desktop import messages
from desktop.context import AppContext
from desktop.main_window import MainWindow


@pytest.fixture
def window(gui, qtbot, small_store, window_settings):
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def school_names(path):
    with sqlite3.connect(path) as connection:
        return sorted(row[0] for row in connection.execute("SELECT name FROM school"))


def test_the_file_menu_offers_backup_and_restore(window):
    texts = [action.text() for action in window.menuBar().actions()[0].menu().actions()]
    assert texts[texts.index("备份数据(&B)…"):][:2] == ["备份数据(&B)…", "从备份恢复(&R)…"]


def test_backup_then_restore_through_the_menu(window, small_store, tmp_path, monkeypatch):
    copy = tmp_path / "copy.db"
    monkeypatch.setattr(messages, "headless_path", copy)
    window.backup_actions[0].trigger()
    assert check_file(copy, known_revisions())
    names = school_names(copy)
    from sqlalchemy import select

    from db.models import School

    with small_store.write() as session:
        for school in session.scalars(select(School)):
            school.name += "（改）"
    window.backup_actions[1].trigger()
    assert not window.isVisible()  # closed: nothing on screen comes from the replaced file
    assert school_names(small_store.location) == names
    shown = [m for m in messages.log if m.kind == "info"]
    assert "已备份到" in shown[0].text and "原数据文件保留为" in shown[1].text


def test_a_bad_backup_is_refused_and_the_window_stays(window, small_store, tmp_path, monkeypatch):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 300)
    monkeypatch.setattr(messages, "headless_path", bad)
    window.backup_actions[1].trigger()
    assert window.isVisible()
    errors = [m for m in messages.log if m.kind == "error"]
    assert len(errors) == 1 and str(bad) in errors[0].text
