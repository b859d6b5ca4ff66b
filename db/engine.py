"""Opening a store: SQLite in the user's data folder by default, or any SQLAlchemy URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from policy.errors import UserError

APP_NAME = "EduBridge"


class StoreError(UserError):
    """The data store cannot be opened or used; str() is a clear Chinese message."""


def default_database_path() -> Path:
    """``edubridge.db`` in the per-user data folder (overridable with EDUBRIDGE_DATA_DIR)."""
    override = os.environ.get("EDUBRIDGE_DATA_DIR")
    folder = Path(override) if override else user_data_path(APP_NAME, appauthor=False)
    return folder / "edubridge.db"


MISSING_HINT = "新建数据库请用 demo 或 import 命令，或直接打开图形界面"


def database_url(target: str | None, create: bool = True) -> URL:
    """Turn ``--db`` (a path or a URL, or None for the default) into a URL.

    With ``create=False`` a SQLite file named by ``target`` must already exist: commands
    that only read refuse a mistyped path instead of quietly creating an empty database.
    The default database (``target`` None) may always be created.

    Raises:
        StoreError: the SQLite file is missing (``create=False``), its folder does not
            exist, the path is a folder, or the URL is malformed.
    """
    if target is None:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str(path))
    if "://" in target:
        try:
            url = make_url(target)
        except ArgumentError:
            raise StoreError(f"数据库地址格式错误：{target}") from None
        database = url.database or ""
        if (not create and url.get_backend_name() == "sqlite" and database
                and database != ":memory:" and not database.startswith("file:")
                and not Path(database).exists()):
            raise StoreError(f"数据库文件不存在：{Path(database).absolute()}（{MISSING_HINT}）")
        return url
    path = Path(target).expanduser()
    if path.is_dir():
        raise StoreError(f"数据库路径是一个文件夹，不是文件：{path}")
    if not create and not path.exists():
        raise StoreError(f"数据库文件不存在：{path.absolute()}（{MISSING_HINT}）")
    if not path.parent.is_dir():
        raise StoreError(f"数据库文件所在的文件夹不存在：{path.parent}")
    return URL.create("sqlite", database=str(path.resolve()))


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None (another database kind, in memory, or a URI)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # DBAPI objects: untyped
    """WAL for a reader beside a writer, foreign keys on, wait rather than fail when busy.

    A 64 MiB page cache instead of SQLite's 2 MiB: a city database is a few hundred MB and
    a bulk import touches index pages all over it (a 50,000-teacher roster loads a third
    faster). The memory is taken only as pages are read.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: URL | str) -> Engine:
    """An engine with our connection settings; nothing is created or migrated here.

    Raises:
        StoreError: the URL names a database kind SQLAlchemy does not know, or its
            driver (e.g. psycopg for PostgreSQL) is not installed.
    """
    url = make_url(url)
    shown = url.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, future=True)
    except NoSuchModuleError:
        raise StoreError(
            f"不支持这种数据库地址（“{url.drivername}”）：{shown}；"
            "请用 SQLite 文件路径，或 postgresql+psycopg://用户:密码@主机/数据库名"
        ) from None
    except ImportError as exc:  # the dialect is known but its driver module is not installed
        raise StoreError(_missing_driver(url, exc.name or str(exc))) from None
    except ArgumentError as exc:
        raise StoreError(f"数据库地址无效：{shown}（{exc}）") from None
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _missing_driver(url: URL, module: str) -> str:
    """What to install (or type) when ``module``, the driver of ``url``, cannot be imported."""
    top = module.split(".")[0]
    if url.get_backend_name() == "postgresql":
        if top == "psycopg":
            return '需要 PostgreSQL 驱动，请安装 pip install -e ".[postgres]"（缺少 psycopg）'
        return (f"缺少 PostgreSQL 驱动 {top}；EduBridge 使用 psycopg，"
                "请把地址写成 postgresql+psycopg://用户:密码@主机/数据库名")
    return f"缺少数据库驱动 {top}，无法打开 {url.render_as_string(hide_password=True)}"
