"""Opening a store: SQLite in the user's data folder by default, or any SQLAlchemy URL."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

APP_NAME = "EduBridge"


class StoreError(Exception):
    """The data store cannot be opened or used; str() is a clear Chinese message."""


def default_database_path() -> Path:
    """``edubridge.db`` in the per-user data folder (overridable with EDUBRIDGE_DATA_DIR)."""
    override = os.environ.get("EDUBRIDGE_DATA_DIR")
    folder = Path(override) if override else user_data_path(APP_NAME, appauthor=False)
    return folder / "edubridge.db"


def database_url(target: str | None) -> URL:
    """Turn ``--db`` (a path or a URL, or None for the default) into a URL.

    Raises:
        StoreError: when the folder of a SQLite file does not exist or the URL is malformed.
    """
    if target is None:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str(path))
    if "://" in target:
        try:
            return make_url(target)
        except ArgumentError:
            raise StoreError(f"数据库地址格式错误：{target}") from None
    path = Path(target).expanduser()
    if not path.parent.is_dir():
        raise StoreError(f"数据库文件所在的文件夹不存在：{path.parent}")
    if path.is_dir():
        raise StoreError(f"数据库路径是一个文件夹，不是文件：{path}")
    return URL.create("sqlite", database=str(path.resolve()))


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL for a reader beside a writer, foreign keys on, wait rather than fail when busy."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: URL | str) -> Engine:
    """An engine with our connection settings; nothing is created or migrated here."""
    url = make_url(url)
    engine = create_engine(url, future=True)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
