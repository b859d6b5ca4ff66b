"""Schema creation and upgrades. Alembic is the only way the schema changes.

At start-up :func:`upgrade` refuses a database written by a newer EduBridge, copies a
SQLite file before migrating it, then runs the missing revisions. A database already at
:data:`HEAD_REVISION` — every start but the first after an upgrade — is recognised with
one plain query, without importing Alembic (a quarter of a second of every start-up).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from db.engine import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; tests/db/test_migrations.py checks it is.
HEAD_REVISION = "0005"


class DatabaseTooNew(StoreError):
    """The database carries a revision this code does not know."""


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


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None for an empty database (read without Alembic)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None  # nothing was ever migrated here
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> Path | None:
    """Bring the schema to the head revision. Returns the backup file made, if any.

    Raises:
        DatabaseTooNew: the database was written by a newer version of EduBridge.
        StoreError: the database holds tables but no revision (not an EduBridge file).
    """
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return None
    from alembic import command
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
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
