"""Asking who holds SQLite's write lock must not release it.

The probe used to open and close the database's ``-shm`` file; closing any descriptor of a
file drops every POSIX lock the process holds on it, so the lock-wait notice of the CLI
(polling every second) silently gave up its own process's write lock, and two processes
cancelled one exchange (or imported one file) at once.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db import faults

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/locks is Linux's")

TRY_WRITE = "import sqlite3, sys; sqlite3.connect(sys.argv[1], timeout=0).execute('BEGIN IMMEDIATE')"
HOLD = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(60)")


def _wal_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    return connection


def test_probing_in_the_holding_process_keeps_its_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    connection = _wal_database(path)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO t VALUES (1)")
    assert faults.lock_pid(path, faults.SHM_WRITE_LOCK) is None  # our own lock is not "another"
    faults.lock_holder(path)
    other = subprocess.run([sys.executable, "-c", TRY_WRITE, str(path)], capture_output=True, text=True)
    assert other.returncode != 0 and "locked" in other.stderr, other.stderr
    connection.execute("COMMIT")


def test_another_process_holding_the_lock_is_named(tmp_path: Path) -> None:
    path = tmp_path / "named.db"
    _wal_database(path).close()
    with subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            assert faults.lock_pid(path, faults.SHM_WRITE_LOCK) == holder.pid
            assert f"进程 {holder.pid}" in faults.lock_holder(path)
        finally:
            holder.kill()
    assert faults.lock_pid(path, faults.SHM_WRITE_LOCK) is None


def test_the_lock_watcher_survives_running_out_of_memory(tmp_path: Path, monkeypatch) -> None:
    """At the memory limit reading /proc/locks raised MemoryError in the watcher thread: its
    traceback went to stderr beside the command's own one-line 内存不足 message (a CI run of
    tests/test_cli_faults.py::test_out_of_memory), and the thread — meant never to end — died."""
    import threading
    import time

    calls: list[int] = []

    def probe(_database: object, _offset: int) -> int | None:
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError
        return 4242

    crashed: list[object] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_type))
    monkeypatch.setattr(faults, "lock_pid", probe)
    monkeypatch.setattr(faults, "lock_holder", lambda _database: "进程 4242")
    monkeypatch.setattr(faults._Watcher, "interval", 0.01)
    said: list[str] = []
    with faults.waiting_notice(tmp_path / "x.db", said.append):
        deadline = time.monotonic() + 10
        while not said and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(calls) >= 2 and not crashed
    assert said and "进程 4242" in said[0]
