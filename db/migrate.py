"""Schema creation and upgrades. Alembic is the only way the schema changes.

At start-up :func:`upgrade` refuses a database written by a newer EduBridge, copies a
SQLite file before migrating it, then runs the missing revisions.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from db.engine import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseTooNew(StoreError):
    """The database carries a revision this code does not know."""


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> Path | None:
    """Bring the schema to the head revision. Returns the backup file made, if any.

    Raises:
        DatabaseTooNew: the database was written by a newer version of EduBridge.
        StoreError: the database holds tables but no revision (not an EduBridge file).
    """
    scripts = ScriptDirectory(str(MIGRATIONS))
    current = current_revision(engine)
    head = scripts.get_current_head()
    if current == head:
        return None
    known = {rev.revision for rev in scripts.walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseTooNew(
            f"数据库版本（{current}）比本程序新，请升级 EduBridge 后再打开：{engine.url.render_as_string()}"
        )
    if current is None and inspect(engine).get_table_names():
        raise StoreError(f"这不是 EduBridge 的数据库（有数据表但没有版本记录）：{engine.url.database}")
    backup = _backup(engine, current) if current is not None else None
    command.upgrade(_config(engine), "head")
    return backup


def _backup(engine: Engine, revision: str) -> Path | None:
    """Copy a SQLite file (after a checkpoint so the WAL is inside) before migrating."""
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
        return None
    source = Path(engine.url.database)
    if not source.exists():
        return None
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = source.with_name(f"{source.stem}.before-{revision}-{stamp}{source.suffix}")
    shutil.copy2(source, target)
    return target
