"""Schema creation and upgrades. Alembic is the only way the schema changes.

At start-up :func:`upgrade` checks a SQLite file is sound (``PRAGMA quick_check``),
refuses a database written by a newer EduBridge, copies a SQLite file before migrating
it, then runs the missing revisions. A database already at :data:`HEAD_REVISION` — every
start but the first after an upgrade — is recognised with one plain query, without
importing Alembic (a quarter of a second of every start-up).

Atomic upgrades: the whole upgrade, every revision and the ``alembic_version`` row, is
one transaction. On SQLite that needs care: Python's sqlite3 module does not open a
transaction before DDL, so each ``CREATE TABLE`` used to commit on its own and a kill
mid-way left tables without a revision (a file the app then refused for good). The
upgrade therefore runs on its own connection in explicit-transaction mode
(``BEGIN IMMEDIATE``, SQLAlchemy's documented pysqlite recipe), which also serialises two
processes migrating the same file. Foreign keys are off during the upgrade (Alembic's
batch mode recreates tables; with them on, dropping the old table would cascade) and
``PRAGMA foreign_key_check`` must pass before the commit. On PostgreSQL DDL is
transactional already; an advisory lock serialises concurrent upgrades.

A file an older EduBridge left half-migrated (our tables, all empty, no revision) is
recognised and migrated afresh.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from db.engine import StoreError, sqlite_file
from db.faults import BUSY_TIMEOUT_MS, describe, is_corruption, set_database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; tests/db/test_migrations.py checks it is.
HEAD_REVISION = "0015"
#: Tables a migration fills itself (0003: the audit chain's head row), not a user.
SEEDED_BY_MIGRATIONS = frozenset({"audit_head"})
#: pg_advisory_xact_lock key serialising upgrades of one PostgreSQL database ("EDUB").
PG_LOCK_KEY = 0x45445542


class DatabaseTooNew(StoreError):
    """The database carries a revision this code does not know."""


class DatabaseCorrupt(StoreError):
    """The SQLite file fails ``PRAGMA quick_check``; ``database`` names it for a restore."""

    def __init__(self, message: str, database: Path) -> None:
        super().__init__(message)
        self.database = database


def _config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest revision this code knows, as Alembic reads the scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every revision this code knows; a database at any other one is newer than the code."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def current_revision(engine: Engine | Connection) -> str | None:
    """The database's revision, or None for an empty database (read without Alembic)."""
    with _connection(engine) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None  # nothing was ever migrated here
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextlib.contextmanager
def _connection(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


@contextlib.contextmanager
def translated_faults(database: Path | None) -> Iterator[None]:
    """Driver faults (locked, disk full, read-only, corrupt, out of memory) as one-line StoreErrors."""
    try:
        yield
    except (DBAPIError, sqlite3.Error, OSError, MemoryError) as exc:
        message = describe(exc, str(database) if database else None)
        if message is None:
            raise
        if database is not None and is_corruption(exc):
            raise DatabaseCorrupt(f"数据库文件已损坏（页面无法读取）：{database}", database) from None
        raise StoreError(message) from None


def quick_check(engine: Engine, reuse: bool = True) -> None:
    """``PRAGMA quick_check`` on a SQLite file; a damaged one raises before anything reads it.

    The check reads every page (about 30 ms per MB). With ``reuse`` it is skipped when the
    file and its WAL are exactly as they were (size, modification time, inode) at a check
    that passed less than a day ago — recorded in ``backups/.<name>.checked`` — so a run
    of read-only commands pays for it once; any write, copy or truncation changes the
    fingerprint and the next open checks again.

    Raises:
        DatabaseCorrupt: the check found damage (or could not read the file's pages).
    """
    path = sqlite_file(engine.url)
    if path is None or not path.exists():
        return
    fingerprint = _fingerprint(path)
    record = path.parent / "backups" / f".{path.name}.checked"
    if reuse and _recorded(record) == fingerprint:
        return
    with translated_faults(path), engine.connect() as connection:
        rows = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check(3)")]
    if rows != ["ok"]:
        page = re.search(r"page (\d+)", rows[0])
        where = f"，第 {page.group(1)} 页起" if page else ""
        raise DatabaseCorrupt(f"数据库文件已损坏（完整性检查未通过{where}）：{path}", path)
    with contextlib.suppress(OSError):  # a read-only folder: check again next time
        record.parent.mkdir(exist_ok=True)
        record.write_text(fingerprint, encoding="utf-8")


def _fingerprint(path: Path) -> str:
    """What changes whenever the file's content can have changed, plus today's date."""
    parts = [dt.date.today().isoformat()]
    for suffix in ("", "-wal"):
        try:
            info = Path(f"{path}{suffix}").stat()
        except FileNotFoundError:
            parts.append("-")
        else:
            parts.append(f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}")
    return " ".join(parts)


def _recorded(record: Path) -> str | None:
    try:
        return record.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def upgrade(engine: Engine) -> Path | None:
    """Check the file and bring the schema to the head revision. Returns the backup made, if any.

    Raises:
        DatabaseCorrupt: a SQLite file fails ``PRAGMA quick_check``.
        DatabaseTooNew: the database was written by a newer version of EduBridge.
        StoreError: the database holds tables but no revision (not an EduBridge file), or a
            fault (locked, disk full, read-only) stopped the upgrade — which then left the
            database exactly as it was.
    """
    path = sqlite_file(engine.url)
    set_database(str(path) if path else None)  # what later fault messages name
    quick_check(engine)
    with translated_faults(path):
        if current_revision(engine) == HEAD_REVISION:
            return None
        return _migrate(engine, path)


def _migrate(engine: Engine, path: Path | None) -> Path | None:
    from alembic import command

    migrator = _sqlite_migrator(engine) if engine.url.get_backend_name() == "sqlite" else engine
    try:
        with migrator.begin() as connection:  # one transaction: all of it, or none of it
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            current = current_revision(connection)  # again, now that we hold the lock
            if current == head_revision():
                return None
            if current is not None and current not in known_revisions():
                raise DatabaseTooNew(
                    f"数据库版本（{current}）比本程序新，请升级 EduBridge 后再打开：{engine.url.render_as_string()}")
            if current is None:
                _clear_half_migrated(connection, engine)
            backup = _backup(path, current) if current is not None and path is not None else None
            config = _config(engine)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            if connection.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StoreError(f"数据库升级后有 {len(broken)} 处外键不一致（表 {broken[0][0]}），升级已撤销")
        return backup
    finally:
        if migrator is not engine:
            migrator.dispose()


def _sqlite_migrator(engine: Engine) -> Engine:
    """A private engine on the same file whose transactions really cover DDL (see module docstring)."""
    migrator = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(migrator, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN/COMMIT of its own
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()

    @event.listens_for(migrator, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock for the whole upgrade

    return migrator


def _clear_half_migrated(connection: Connection, engine: Engine) -> None:
    """Drop what an older EduBridge left from a killed first migration, or refuse a foreign file.

    Half-migrated means: every table is one of ours and every one is empty but for what the
    migrations themselves write (the audit chain's one-row head). Nothing a user entered
    can be in such a file.
    """
    from db.models import Base

    ours = set(Base.metadata.tables)
    tables = inspect(connection).get_table_names()
    if not tables:
        return
    foreign = [t for t in tables if t not in ours and not t.startswith("_alembic_tmp_")]
    empty = all(not connection.exec_driver_sql(f'SELECT 1 FROM "{t}" LIMIT 1').first()
                for t in tables if t not in SEEDED_BY_MIGRATIONS)
    if foreign or not empty:
        raise StoreError(f"这不是 EduBridge 的数据库（有数据表但没有版本记录）：{engine.url.database}")
    for table in tables:
        connection.exec_driver_sql(f'DROP TABLE "{table}"')


def _backup(source: Path, revision: str) -> Path | None:
    """Copy a SQLite file (WAL included, by the online backup API) before migrating it."""
    from db.backup import backup_folder, copy_database

    if not source.exists():
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = backup_folder(source)
    folder.mkdir(exist_ok=True)
    return copy_database(source, folder / f"{source.stem}.before-{revision}-{stamp}{source.suffix}")
