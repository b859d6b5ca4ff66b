"""The GUI's way back from a damaged file, and machine faults in background jobs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from db.backup import backup_now
from db.engine import StoreError
from db.migrate import DatabaseCorrupt
from db.store import Store
from desktop import messages
from desktop.app import RESTORE_TITLE, open_or_recover


def damage(path):
    """Overwrite a run of pages in the middle of the file (after folding in the WAL)."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    for page in range(pages // 2, pages // 2 + 8):
        data[page * 4096:page * 4096 + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))


@pytest.fixture
def filled(db_path):
    Store.open(str(db_path)).dispose()
    with sqlite3.connect(db_path) as connection:  # pages to damage, written behind the app's guard
        connection.execute("CREATE TABLE filler (x)")
        for _ in range(60):
            connection.execute("INSERT INTO filler VALUES (randomblob(3000))")
        connection.execute("INSERT INTO setting (key, value) VALUES ('good', '{}')")
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path


def test_a_damaged_file_is_restored_from_the_newest_good_backup_on_yes(gui, filled):
    backup_now(filled)
    damage(filled)
    store = open_or_recover(str(filled))
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT key FROM setting").scalars().all() == ["good"]
    finally:
        store.dispose()
    asked = [m for m in messages.log if m.kind == "ask"]
    assert asked and asked[0].title == RESTORE_TITLE and "最近的完好备份" in asked[0].text
    assert list((filled.parent / "backups").glob("test-before-restore-*.db"))  # the damaged one kept


def test_declining_leaves_the_damaged_file_alone(gui, filled, monkeypatch):
    backup_now(filled)
    damage(filled)
    before = filled.read_bytes()
    monkeypatch.setattr(messages, "headless_answer", False)
    with pytest.raises(DatabaseCorrupt):
        open_or_recover(str(filled))
    assert filled.read_bytes() == before


def test_without_a_good_backup_the_message_says_where_it_looked(gui, filled):
    damage(filled)
    with pytest.raises(StoreError, match="没有完好的自动备份"):
        open_or_recover(str(filled))


def test_run_gui_on_a_damaged_file_without_backup_is_one_message_and_exit_2(gui, filled):
    from desktop.app import run_gui

    damage(filled)
    assert run_gui(str(filled)) == 2
    errors = [m for m in messages.log if m.kind == "error"]
    assert len(errors) == 1 and "已损坏" in errors[0].text and "\n" not in errors[0].text


def test_a_locked_database_in_a_background_job_is_one_line_naming_the_holder(qtbot, store, db_path):
    from desktop.worker import run_in_background

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); c.execute(\"INSERT INTO setting (key, value) VALUES ('x', '1')\"); "
        "print('locked', flush=True); time.sleep(60)"), str(db_path)], stdout=subprocess.PIPE, text=True)

    def work(_progress):
        from db.models import Setting

        with store.write() as session:
            session.add(Setting(key="y", value=2))

    try:
        assert holder.stdout.readline().strip() == "locked"
        job = run_in_background(work)
        with qtbot.waitSignal(job.failed, timeout=15000) as blocker:
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    message = blocker.args[0]
    assert message.startswith(f"数据库被进程 {holder.pid}") and "\n" not in message
