"""Shared fixtures: every test gets its own data folder and, when asked, a fresh store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
def store(db_path: Path) -> Iterator["Store"]:  # noqa: F821
    """A fresh, migrated, empty SQLite store."""
    from db.store import Store

    opened = Store.open(str(db_path))
    yield opened
    opened.dispose()
