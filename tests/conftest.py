"""Shared fixtures: every test gets its own data folder and, when asked, a fresh store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Without a display Qt aborts; tests always run offscreen unless told otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default database and settings live under a temporary folder, never the user's."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("EDUBRIDGE_DATA_DIR", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:  # noqa: F821
    """A fresh, migrated, empty SQLite store."""
    from db.store import Store

    opened = Store.open(str(db_path))
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county demo (seed 2026), built once per test session; never write to this file."""
    from db.demo import build_demo
    from db.store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    built = Store.open(str(path))
    try:
        build_demo(built, "county", 2026)
        with built.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        built.dispose()
    return path


@pytest.fixture
def demo_store(demo_db_file: Path, tmp_path: Path) -> Iterator[Store]:  # noqa: F821
    """A private copy of the county demo, opened: tests may write to it freely."""
    import shutil

    from db.store import Store

    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_db_file, copy)
    opened = Store.open(str(copy))
    yield opened
    opened.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections see only a fresh, empty schema (dropped afterwards).

    Skips the test when EDUBRIDGE_TEST_PG_URL is not set (``installer/bootstrap.sh test``
    starts a throwaway server and sets it).
    """
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get("EDUBRIDGE_TEST_PG_URL")
    if not base:
        pytest.skip("EDUBRIDGE_TEST_PG_URL is not set (no PostgreSQL server)")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty database for an upgrade test (tests/old_database.py): a SQLite file, or a fresh
    PostgreSQL schema (skipped without a server)."""
    from db.engine import make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:  # noqa: F821
    """A fresh, migrated store on PostgreSQL (see ``pg_url``)."""
    from db.store import Store

    opened = Store.open(pg_url)
    yield opened
    opened.dispose()
