"""Faults of the machine, not of the input, each answered in one Chinese line.

A locked database, a full disk, a read-only file or folder, a corrupt file and exhausted
memory reach the code as driver exceptions (``sqlite3.OperationalError`` wrapped by
SQLAlchemy, psycopg errors) or ``OSError``/``MemoryError``. :func:`describe` turns any of
them into the line a clerk can act on; the CLI (``desktop.cli``), the background worker
(``desktop.worker``) and :func:`db.migrate.upgrade` (hence ``Store.open``) all ask it, so
the GUI and the command line say the same thing.

Who holds a lock is read from the operating system where it tells (Linux's ``/proc/locks``
for SQLite's shared-memory file), otherwise the line says "另一个程序". Never by opening that
file: closing any descriptor of a file drops every POSIX lock the process holds on it, so a
probe in a process with the database open released SQLite's own write lock, and two
processes wrote at once (https://www.sqlite.org/howtocorrupt.html, 2.2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

#: SQLite's primary result codes we answer (sqlite3.Error.sqlite_errorcode & 0xFF).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY = 5, 6, 7, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26

#: The busy timeout set on every SQLite connection (db.engine), in milliseconds.
BUSY_TIMEOUT_MS = 5000

#: Byte offsets of SQLite's locks in the ``-shm`` file (sqlite3.c: UNIX_SHM_BASE = 120;
#: the WAL writer lock is the first, the "dead man switch" held by every open connection
#: is at 128).
SHM_WRITE_LOCK, SHM_DMS_LOCK = 120, 128


class _Fault:
    """Mutable context: the SQLite file the current process works on, for messages."""

    database: str | None = None


def set_database(path: str | None) -> None:
    """Name the SQLite file that messages about locks and corruption refer to.

    ``db.migrate.upgrade`` (every ``Store.open``) sets it to the file just opened; a
    process works on one store at a time.
    """
    _Fault.database = path


def lock_holder(database: str | Path, offset: int = SHM_WRITE_LOCK) -> str:
    """Who holds SQLite's lock at ``offset`` of ``database``'s ``-shm`` file, in words.

    "进程 1234（python -m desktop.cli import …）" when the system says (Linux), else
    "另一个程序". Never raises.
    """
    pid = lock_pid(database, offset)
    if pid is None:
        return "另一个程序"
    return f"进程 {pid}（{_command_line(pid)}）" if _command_line(pid) else f"进程 {pid}"


def lock_pid(database: str | Path, offset: int) -> int | None:
    """The id of another process holding a byte-range lock of ``database``'s ``-shm`` file
    at ``offset`` (any lock there conflicts with a write lock), from ``/proc/locks``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        shm = os.stat(f"{database}-shm")  # a stat opens nothing (see the module docstring)
        with open("/proc/locks", encoding="ascii", errors="replace") as table:
            lines = table.read().splitlines()
    except OSError:
        return None
    device = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    for line in lines:
        holder = _holding(line.split(), device, offset)
        if holder is not None and holder != os.getpid():
            return holder
    return None


def _holding(fields: list[str], device: str, offset: int) -> int | None:
    """The pid of a ``/proc/locks`` line (``1: POSIX ADVISORY WRITE 123 fd:01:4567 120 120``)
    holding ``offset`` of the file ``device``; None for other files, ranges and waiters (``->``)."""
    if len(fields) < 8 or fields[1] == "->" or fields[1] not in ("POSIX", "OFDLCK") or fields[5] != device:
        return None
    try:
        pid, start = int(fields[4]), int(fields[6])
        end = None if fields[7] == "EOF" else int(fields[7])
    except ValueError:
        return None
    return pid if pid > 0 and start <= offset and (end is None or offset <= end) else None


class _Watcher:
    """One daemon thread per process, started on first use and never ended.

    It never exits because a thread's exit may need to load ``libgcc_s`` — which fails,
    aborting the process, exactly when memory has run out and we are printing that.
    """

    lock = threading.Lock()
    thread: threading.Thread | None = None
    database: str | Path | None = None
    say: Callable[[str], None] | None = None
    interval = 1.0

    @classmethod
    def watch(cls) -> None:
        while True:
            time.sleep(cls.interval)
            with cls.lock:
                database, say = cls.database, cls.say
            try:
                held = database is not None and lock_pid(database, SHM_WRITE_LOCK) is not None
            except MemoryError:  # the command itself is out of memory and says so; this is only a notice
                continue
            if database is not None and say is not None and held:
                with cls.lock:
                    if cls.database != database:
                        continue
                    cls.database = None  # tell once per command
                say(f"数据库正被{lock_holder(database)}写入，正在等待（最多 {BUSY_TIMEOUT_MS // 1000} 秒）…")


@contextlib.contextmanager
def waiting_notice(database: str | Path | None, say: Callable[[str], None]) -> Iterator[None]:
    """While the body runs, tell ``say`` once when another process holds ``database``'s write lock.

    SQLite waits for a busy lock silently (up to the busy timeout); a watcher thread polling
    the lock every second lets the person see why nothing moves. Knows the holder only
    where :func:`lock_pid` does (Linux); elsewhere it stays quiet.
    """
    if database is None:
        yield
        return
    with _Watcher.lock:
        _Watcher.database, _Watcher.say = database, say
        if _Watcher.thread is None:
            _Watcher.thread = threading.Thread(target=_Watcher.watch, name="lock-watch", daemon=True)
            _Watcher.thread.start()
    try:
        yield
    finally:
        with _Watcher.lock:
            _Watcher.database = _Watcher.say = None


def _command_line(pid: int) -> str:
    """The process's command line, one line of at most 60 characters ("" when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    if words:
        words[0] = Path(words[0]).name
    shown = " ".join(" ".join(words).split())
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _where(database: str | None) -> str:
    database = database or _Fault.database
    return f"：{database}" if database else ""


def describe(exc: BaseException, database: str | None = None) -> str | None:
    """One Chinese line for a machine fault, or None when ``exc`` is not one of them."""
    if isinstance(exc, MemoryError):
        return "内存不足，操作已中止，数据未作改动；请关闭其他程序后重试，或分批处理"
    if isinstance(exc, SystemError) and "without exception set" in str(exc):
        # A C extension that could not allocate and did not say so (seen under a memory limit).
        return "运行库未能完成操作（多为内存不足），操作已中止，数据未作改动；请关闭其他程序后重试，或分批处理"
    original = getattr(exc, "orig", None)
    if original is not None and original is not exc:
        return describe(original, database)
    if isinstance(exc, sqlite3.Error):
        return _sqlite(exc, database)
    if isinstance(exc, OSError):
        return _os(exc)
    return _postgres(exc)


def _sqlite(exc: sqlite3.Error, database: str | None) -> str | None:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc)
    where = _where(database)
    if code in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in text:
        holder = lock_holder(database or _Fault.database or "")
        seconds = BUSY_TIMEOUT_MS // 1000
        return f"数据库被{holder}占用，已等待 {seconds} 秒仍未释放；请等它完成或关闭它后重试{where}"
    if code == SQLITE_FULL or "database or disk is full" in text:
        return f"磁盘空间不足，写入已撤销、数据未作改动；请腾出空间后重试{where}"
    if code == SQLITE_READONLY or "readonly database" in text:
        return f"数据库文件是只读的，无法写入；请检查文件及其文件夹的权限，或把文件复制到可写的位置{where}"
    if code == SQLITE_NOTADB or "not a database" in text:
        return f"不是 EduBridge/SQLite 数据库文件{where}"
    if code == SQLITE_CORRUPT or "malformed" in text:
        return f"数据库文件已损坏（页面损坏）；请用 restore 命令从备份恢复{where}"
    if code == SQLITE_NOMEM:
        return describe(MemoryError())
    if code == SQLITE_IOERR and "disk I/O error" in text:
        return f"读写数据库文件时出错（磁盘 I/O 错误），请检查磁盘或存储设备{where}"
    if code == SQLITE_CANTOPEN:
        return f"无法打开数据库文件，请检查文件及其文件夹是否存在、是否有读写权限{where}"
    return None


def is_out_of_memory(exc: BaseException) -> bool:
    """True for MemoryError and SQLite's SQLITE_NOMEM (wrapped or not)."""
    original = getattr(exc, "orig", None)
    if original is not None and original is not exc:
        return is_out_of_memory(original)
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    return isinstance(exc, MemoryError) or (isinstance(exc, sqlite3.Error) and code == SQLITE_NOMEM)


def is_corruption(exc: BaseException) -> bool:
    """True for SQLite's "malformed" error (wrapped or not): damaged pages of a real database."""
    original = getattr(exc, "orig", None)
    if original is not None and original is not exc:
        return is_corruption(original)
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    return code == SQLITE_CORRUPT or "malformed" in str(exc)


def _os(exc: OSError) -> str | None:
    where = f"：{exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"磁盘空间不足，无法写入{where}"
    if exc.errno == errno.EROFS:
        return f"所在磁盘或文件夹是只读的，无法写入{where}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限写入（文件或文件夹是只读的）{where}"
    if exc.errno == errno.ENOMEM:
        return describe(MemoryError())
    return None


def _postgres(exc: BaseException) -> str | None:
    """psycopg's error classes by SQLSTATE, without importing psycopg."""
    state = getattr(exc, "sqlstate", None)
    if not isinstance(state, str):
        return None
    if state in ("53100",):  # disk_full
        return "数据库服务器磁盘空间不足，写入已撤销；请联系服务器管理员"
    if state == "53200":  # out_of_memory
        return "数据库服务器内存不足，操作已中止；请稍后重试或联系服务器管理员"
    if state in ("55P03", "40P01"):  # lock_not_available, deadlock_detected
        return "数据被另一个用户或程序锁定，操作已撤销；请稍后重试"
    if state == "25006":  # read_only_sql_transaction
        return "数据库服务器处于只读状态，无法写入；请联系服务器管理员"
    if state.startswith("XX"):  # data_corrupted, index_corrupted
        return "数据库服务器报告数据损坏；请联系服务器管理员用 pg_dump 备份恢复"
    return None
