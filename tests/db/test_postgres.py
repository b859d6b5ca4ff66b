"""The same store on PostgreSQL: migrations from empty, audited writes, UUIDs, CHECK constraints.

Runs when EDUBRIDGE_TEST_PG_URL names a database (``installer/bootstrap.sh test`` starts a
throwaway server and sets it); each test works in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError
from test_store import add_school

from db.migrate import current_revision, head_revision, upgrade
from db.models import AuditEntry, Base, School
from db.store import Store

pytestmark = pytest.mark.postgres  # the pg_url fixture skips when no server is configured


def test_empty_database_is_migrated_to_head(pg_store: Store) -> None:
    assert pg_store.engine.url.get_backend_name() == "postgresql"
    assert current_revision(pg_store.engine) == head_revision()
    with pg_store.engine.connect() as connection:
        tables = set(connection.scalars(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )))
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_audited_write_reads_back_with_uuid_ids(pg_store: Store) -> None:
    with pg_store.write(note="新建") as session:
        school = add_school(session)
    with pg_store.read() as session:
        again = session.get(School, school.id)
        assert again is not None and again.name == "永宁县第一小学" and again.stage == "小学"
        assert isinstance(again.id, uuid.UUID) and again.id == school.id
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        column_type = session.scalar(text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'school' AND column_name = 'id'"
        ))
    assert column_type == "uuid"
    assert [(e.action, e.entity) for e in entries] == [("insert", "region"), ("insert", "school")]
    assert entries[1].entity_id == str(school.id) and entries[1].after["code"] == "3601000001"
    assert entries[1].actor == "system" and entries[1].note == "新建"


def test_check_constraint_rejects_a_bad_stage_and_writes_nothing(pg_store: Store) -> None:
    with pytest.raises(IntegrityError, match="school_stage"), pg_store.write() as session:
        add_school(session, stage="大学")
    with pg_store.read() as session:
        assert session.scalar(select(func.count()).select_from(School)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_opening_again_changes_nothing(pg_url: str) -> None:
    first = Store.open(pg_url)
    with first.write() as session:
        school = add_school(session)
    first.dispose()

    second = Store.open(pg_url)
    try:
        assert upgrade(second.engine) is None  # already at head: nothing to run, no backup
        assert current_revision(second.engine) == head_revision()
        with second.read() as session:
            assert session.scalars(select(School.id)).all() == [school.id]
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
    finally:
        second.dispose()


def test_schema_isolation_is_real(pg_url: str) -> None:
    """Guard for the fixture itself: the URL really points at an empty schema of its own."""
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            schema = connection.scalar(text("SELECT current_schema()"))
            count = connection.scalar(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
            ))
    finally:
        engine.dispose()
    assert schema is not None and schema.startswith("test_") and count == 0


def test_the_demo_county_works_on_postgresql(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every read path a clerk uses on a shared server, over the demo county: no dialect surprises."""
    import datetime as dt
    import json

    from db.demo import build_demo
    from db.overview import county_overview
    from db.settings import active_profile
    from desktop.cli import main

    store = Store.open(pg_url)
    build_demo(store, "county")
    figures = county_overview(store, active_profile(store), dt.date(2026, 11, 23))
    assert figures is not None
    store.dispose()
    for args in (["check", "--json"], ["eligibility", "--year", "2026", "--json"],
                 ["quota", "--semester", "2025-1", "--json"], ["plan", "--year", "2027", "--json"],
                 ["stats", "--json"]):
        assert main(["--db", pg_url, *args]) == 0, args
        assert json.loads(capsys.readouterr().out)
