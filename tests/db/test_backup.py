"""Backups through SQLite's backup API, rotation, and restoring only a sound EduBridge file."""

import datetime as dt
import sqlite3
import subprocess
import sys
import time

import pytest

from db.backup import (
    BackupError,
    automatic_backups,
    backup_due,
    backup_now,
    check_file,
    copy_database,
    newest_good_backup,
    restore,
)
from db.migrate import known_revisions
from db.store import Store


def put(store, key):
    from db.models import Setting

    with store.write() as session:
        session.add(Setting(key=key, value={}))


def keys(path):
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT key FROM setting")}


def test_a_backup_holds_what_is_still_in_the_wal(store, db_path):
    put(store, "only-in-wal")  # the store is open: the row sits in the WAL, not the main file
    copy = backup_now(db_path)
    assert copy.parent == db_path.parent / "backups"
    assert "only-in-wal" in keys(copy)
    assert check_file(copy, known_revisions())


def test_rotation_keeps_the_newest(db_path, store):
    start = dt.datetime(2026, 1, 1, 8, 0, 0)
    made = [backup_now(db_path, keep=3, now=start + dt.timedelta(days=day)) for day in range(5)]
    assert automatic_backups(db_path) == made[:1:-1]  # the last three, newest first
    assert not made[0].exists() and not made[1].exists()


def test_a_backup_is_due_daily(db_path, store):
    assert backup_due(db_path)
    newest = backup_now(db_path)
    assert not backup_due(db_path)
    day_ago = time.time() - 24 * 3600 - 1
    import os

    os.utime(newest, (day_ago, day_ago))
    assert backup_due(db_path)


def test_restore_checks_replaces_and_keeps_the_old_file(tmp_path, store, db_path):
    put(store, "first")
    good = copy_database(db_path, tmp_path / "good.db")
    put(store, "second")
    store.dispose()
    kept = restore(good, db_path, known_revisions())
    assert keys(db_path) == {"first"}
    assert keys(kept) == {"first", "second"}  # the replaced file, WAL included
    Store.open(str(db_path)).dispose()


@pytest.mark.parametrize("spoil", ["not-sqlite", "foreign", "newer", "corrupt"])
def test_restore_refuses_an_unsound_file_before_touching_anything(tmp_path, store, db_path, spoil):
    put(store, "mine")
    store.dispose()
    bad = tmp_path / "bad.db"
    if spoil == "not-sqlite":
        bad.write_bytes(b"hello" * 1000)
    elif spoil == "foreign":
        with sqlite3.connect(bad) as connection:
            connection.execute("CREATE TABLE t (x)")
    else:
        copy_database(db_path, bad)
        with sqlite3.connect(bad) as connection:
            if spoil == "newer":
                connection.execute("UPDATE alembic_version SET version_num = '9999'")
            else:
                connection.execute("CREATE TABLE filler (x)")
                connection.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
        if spoil == "corrupt":
            data = bytearray(bad.read_bytes())
            data[len(data) // 2:len(data) // 2 + 8192] = b"\xff" * 8192
            bad.write_bytes(bytes(data))
    with pytest.raises(BackupError) as raised:
        restore(bad, db_path, known_revisions())
    assert "\n" not in str(raised.value) and str(bad) in str(raised.value)
    assert keys(db_path) == {"mine"}
    assert not list((db_path.parent / "backups").glob("*.db"))


def test_restore_refuses_while_another_process_has_the_database_open(tmp_path, store, db_path):
    good = copy_database(db_path, tmp_path / "good.db")
    store.dispose()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('SELECT count(*) FROM setting').fetchall(); print('open', flush=True); time.sleep(30)"),
        str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(BackupError, match=f"进程 {holder.pid}"):
            restore(good, db_path, known_revisions())
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    restore(good, db_path, known_revisions())  # and once it has closed, the restore goes ahead


def test_newest_good_backup_skips_a_damaged_one(db_path, store):
    older = backup_now(db_path, now=dt.datetime(2026, 1, 1))
    newer = backup_now(db_path, now=dt.datetime(2026, 1, 2))
    newer.write_bytes(b"\0" * 4096)
    assert newest_good_backup(db_path, known_revisions()) == older


def test_a_copy_killed_midway_leaves_no_litter_after_the_next_one(tmp_path, store, db_path):
    import os

    target = tmp_path / "copy.db"
    killed, writing = tmp_path / ".copy.db.99999.partial", tmp_path / ".copy.db.99998.partial"
    killed.write_bytes(b"half")  # what a SIGKILL left an hour ago
    os.utime(killed, (killed.stat().st_atime - 3600, killed.stat().st_mtime - 3600))
    writing.write_bytes(b"half")  # another process copying right now: not ours to delete
    copy_database(db_path, target)
    assert sorted(p.name for p in tmp_path.glob(".copy.db*")) == [".copy.db.99998.partial"]
