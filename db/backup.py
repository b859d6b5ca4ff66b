"""Backups of a SQLite data file and restoring one, never leaving a half-copied file.

Copies go through SQLite's online backup API (:meth:`sqlite3.Connection.backup`), so a
backup taken while the GUI is open is a consistent snapshot including the WAL. Every copy
is written to a temporary file in the target folder, synced, then renamed into place: a
kill leaves either the old file or the new one, never a torn one.

Automatic backups live in a ``backups`` folder beside the data file (for the default
store that is the platformdirs data folder), named ``<stem>-<YYYYmmdd-HHMMSS>.db``; the
newest :func:`keep_count` are kept.

PostgreSQL stores are the server's business: the messages say to use ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy.engine import URL

from db.engine import StoreError, sqlite_file
from db.faults import SHM_DMS_LOCK, lock_holder
from policy.progress import Progress, quiet, within

_log = logging.getLogger(__name__)

BACKUP_FOLDER = "backups"
#: How many automatic backups are kept unless EDUBRIDGE_BACKUP_KEEP says otherwise.
DEFAULT_KEEP = 10
#: An automatic backup is due when the newest is older than this.
DAILY = dt.timedelta(days=1)
PG_DUMP_HINT = "PostgreSQL 数据库请由服务器管理员用 pg_dump / pg_restore 备份和恢复"


class BackupError(StoreError):
    """A backup or restore that cannot be done; str() is one Chinese line."""


def keep_count() -> int:
    """How many automatic backups to keep: the EDUBRIDGE_BACKUP_KEEP setting, else 10 (at least 1)."""
    raw = os.environ.get("EDUBRIDGE_BACKUP_KEEP", "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_KEEP
    except ValueError:
        raise BackupError(f"EDUBRIDGE_BACKUP_KEEP 应为正整数：{raw}") from None


def backup_folder(database: Path) -> Path:
    """Where automatic backups of ``database`` go: ``backups/`` beside it."""
    return database.parent / BACKUP_FOLDER


def automatic_backups(database: Path) -> list[Path]:
    """The automatic backups of ``database``, newest first."""
    folder = backup_folder(database)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{database.stem}-*.db") if _stamp(database, p) is not None]
    return sorted(found, key=lambda p: _stamp(database, p) or "", reverse=True)


def _stamp(database: Path, backup: Path) -> str | None:
    """``20261204-165000`` (with an optional ``-N`` suffix) for an automatic backup's name, else None."""
    rest = backup.stem[len(database.stem) + 1:]
    digits = rest.replace("-", "")
    return rest if len(rest) >= 15 and digits.isdigit() and rest[8] == "-" else None


#: A partial copy untouched this long was left by a killed process (a live copy writes on).
STALE_PARTIAL_SECONDS = 600


#: Pages SQLite copies between two progress calls (4 MB at the default page size).
COPY_STEP_PAGES = 1024


def copy_database(source: Path, target: Path, progress: Progress = quiet) -> Path:
    """A consistent copy of the SQLite file ``source`` at ``target``, atomically replaced.

    ``progress`` is called every :data:`COPY_STEP_PAGES` pages; when it raises (Cancelled),
    the copy stops, ``target`` is untouched and no temporary file is left.

    Raises:
        OSError / sqlite3.Error: the copy could not be written (disk full, read-only folder);
            the target is then untouched and no temporary file is left.
    """
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.partial"):
        # Left by a killed copy — but another process may be writing its own right now (two
        # commands started in the same second): only an old one is stale.
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > STALE_PARTIAL_SECONDS:
                stale.unlink()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with contextlib.closing(sqlite3.connect(_read_only(source), uri=True)) as reading, \
                contextlib.closing(sqlite3.connect(temporary)) as writing:
            reading.backup(writing, pages=COPY_STEP_PAGES,
                           progress=lambda _status, left, total: progress(
                               f"正在复制 {target.name}…", 1 - left / total if total else 1.0))
            # A standalone copy: rollback journal, so the single file is the whole database.
            writing.execute("PRAGMA journal_mode=DELETE")
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync_folder(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return target


def backup_now(database: Path, keep: int | None = None, now: dt.datetime | None = None) -> Path:
    """A new automatic backup of ``database``; older ones beyond ``keep`` are removed."""
    folder = backup_folder(database)
    folder.mkdir(exist_ok=True)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{database.stem}-{stamp}.db"
    counter = 1
    while target.exists():  # two backups within one second
        target = folder / f"{database.stem}-{stamp}-{counter}.db"
        counter += 1
    copy_database(database, target)
    for old in automatic_backups(database)[keep if keep is not None else keep_count():]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


def holds_data(target: str | None) -> bool:
    """True when ``--db`` names an existing, non-empty SQLite file (checked before opening it)."""
    from db.engine import database_url

    try:
        database = sqlite_file(database_url(target, create=True))
    except StoreError:
        return False
    return database is not None and database.is_file() and database.stat().st_size > 0


def automatic_backup(url: URL, daily: bool) -> Path | None:
    """The automatic backup of an opened (hence quick-checked) store, if one is due.

    ``daily`` True (every command): only when the newest is a day old; False (GUI start):
    always. Nothing for PostgreSQL, in-memory or empty files. A backup that cannot be
    written (disk full, read-only folder) is skipped, never a reason to refuse the work;
    it returns None then.
    """
    database = sqlite_file(url)
    if database is None or not database.is_file():
        return None
    if daily and not backup_due(database):
        return None
    try:
        return backup_now(database)
    except (OSError, sqlite3.Error) as exc:
        _log.warning("automatic backup of %s failed: %s", database, exc)
        return None


def backup_due(database: Path, now: dt.datetime | None = None) -> bool:
    """True when ``database`` holds data and has no automatic backup from the last day."""
    if not database.is_file() or database.stat().st_size == 0:
        return False
    newest = automatic_backups(database)
    if not newest:
        return True
    age = (now or dt.datetime.now()).timestamp() - newest[0].stat().st_mtime
    return age >= DAILY.total_seconds()


def check_file(path: Path, known_revisions: set[str]) -> str:
    """The revision of ``path`` after checking it is a sound EduBridge database.

    Raises:
        BackupError: not a SQLite file, fails ``PRAGMA integrity_check``, has no EduBridge
            revision, or a revision newer than this code (not in ``known_revisions``).
    """
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    try:
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as connection:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
            if result != ["ok"]:
                raise BackupError(f"备份文件已损坏，不能用于恢复（{result[0][:60]}）：{path}")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision = (connection.execute("SELECT version_num FROM alembic_version").fetchone()
                        if "alembic_version" in tables else None)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"不是可用的 EduBridge 数据库文件（{_english_free(exc)}）：{path}") from None
    if revision is None:
        raise BackupError(f"这不是 EduBridge 的数据库文件（没有版本记录）：{path}")
    if revision[0] not in known_revisions:
        raise BackupError(f"备份文件的版本（{revision[0]}）比本程序新，请升级 EduBridge 后再恢复：{path}")
    return str(revision[0])


def _english_free(exc: sqlite3.Error) -> str:
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    return {26: "不是数据库文件", 11: "文件已损坏"}.get(code, "无法读取")


def newest_good_backup(database: Path, known_revisions: set[str]) -> Path | None:
    """The newest automatic backup of ``database`` that passes :func:`check_file`."""
    for candidate in automatic_backups(database):
        try:
            check_file(candidate, known_revisions)
        except BackupError:
            continue
        return candidate
    return None


def restore(source: Path, database: Path, known_revisions: set[str], progress: Progress = quiet) -> Path | None:
    """Replace ``database`` with the checked backup ``source``; returns where the replaced file was kept.

    The replaced file (with its WAL folded in) is kept as ``backups/<stem>-before-restore-….db``.
    Close every connection of this process to ``database`` first. A cancel through
    ``progress`` (while either copy runs) leaves ``database`` as it was.

    Raises:
        BackupError: ``source`` fails :func:`check_file`, or another program has ``database`` open.
    """
    check_file(source, known_revisions)
    if source.resolve() == database.resolve():
        raise BackupError(f"备份文件就是当前数据库本身：{source}")
    refuse_if_open(database)
    kept = None
    if database.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup_folder(database).mkdir(exist_ok=True)
        kept = backup_folder(database) / f"{database.stem}-before-restore-{stamp}.db"
        try:
            copy_database(database, kept, within(progress, 0.0, 0.5))
            _checkpoint(database)
        except sqlite3.DatabaseError:  # too damaged for SQLite to read: keep the raw bytes instead
            _copy_raw(database, kept)
    copy_database(source, database, within(progress, 0.5, 1.0))
    for suffix in ("-wal", "-shm"):  # never let the old file's WAL replay onto the new one
        with contextlib.suppress(FileNotFoundError):
            Path(f"{database}{suffix}").unlink()
    return kept


def _copy_raw(database: Path, kept: Path) -> None:
    """The file and its WAL as they are, for a database SQLite cannot read any more."""
    for suffix in ("", "-wal"):
        source = Path(f"{database}{suffix}")
        if source.exists():
            shutil.copy2(source, Path(f"{kept}{suffix}"))


def _checkpoint(database: Path) -> None:
    """Fold the WAL into the main file so nothing is only in ``-wal`` when the file is swapped."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def refuse_if_open(database: Path) -> None:
    """Refuse when another process has ``database`` open: in WAL mode every open connection
    holds a shared lock on the "DMS" byte of ``-shm``, so an exclusive probe fails.

    The probe is released at once; call it while this process has no connection to
    ``database`` (POSIX locks are per process: closing our probe would drop its locks).

    Raises:
        BackupError: naming the other process where the system tells.
    """
    shm = Path(f"{database}-shm")
    try:
        import fcntl
    except ImportError:  # Windows: replacing a file another process holds open fails by itself
        return
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return  # no shared-memory file: nobody has it open in WAL mode
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_LOCK)
    except OSError:
        holder = lock_holder(database, SHM_DMS_LOCK)
        raise BackupError(f"数据库正被{holder}使用，请先关闭它再恢复：{database}") from None
    finally:
        os.close(fd)  # releases the probe


def _read_only(path: Path) -> str:
    """A read-only SQLite URI for ``path`` (percent-encoded: spaces, "#" and "?" are safe)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        _fsync(folder)
