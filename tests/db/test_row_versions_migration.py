"""Migration 0008 on a populated 0006 database holding two drafts of one year (the race of
issue 13): the upgrade keeps the newest draft and its exchanges, leaves the approved plan,
gives every row version 1, and the new index refuses another draft of that year."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, func, insert, select
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine
from db.migrate import HEAD_REVISION, _config, current_revision, upgrade
from db.models import Exchange, ExchangePlan, Region

T0 = dt.datetime(2026, 1, 1)


def _upgrade_with_two_drafts(engine: Engine) -> None:
    command.upgrade(_config(engine), "0006")

    def new() -> object:
        return uuid.uuid4().hex if engine.dialect.name == "sqlite" else uuid.uuid4()

    old = MetaData()
    old.reflect(engine)  # the 0006 tables, without row_version
    t = old.tables
    ids = {k: new() for k in ("region", "city", "village", "teacher", "old", "new", "approved")}
    stamp = {"created_at": T0, "updated_at": T0}
    with engine.begin() as c:
        c.execute(insert(t["region"]).values(id=ids["region"], code="640121", name="县", level="县区",
                                             profile_id="default", **stamp))
        for key, location in (("city", "城区"), ("village", "乡村")):
            c.execute(insert(t["school"]).values(id=ids[key], code=key, name=key, stage="小学", location=location,
                                                 run_by="县属", region_id=ids["region"], students=1, classes=1,
                                                 is_weak=False, **stamp))
        c.execute(insert(t["teacher"]).values(id=ids["teacher"], id_number="110101198001010011", name="张三",
                                              gender="男", birth_date=dt.date(1980, 1, 1), position="教师", **stamp))
        for key, year, status, second in (("old", 2027, "draft", 0), ("new", 2027, "draft", 5),
                                          ("approved", 2026, "approved", 0)):
            c.execute(insert(t["exchange_plan"]).values(
                id=ids[key], school_year=year, status=status, profile_id="default", summary={},
                created_at=T0 + dt.timedelta(seconds=second), updated_at=T0))
            c.execute(insert(t["exchange"]).values(
                id=new(), plan_id=ids[key], teacher_id=ids["teacher"], from_school_id=ids["city"],
                to_school_id=ids["village"], form="支教", school_year=year, moves_personnel=False,
                status="planned" if status == "draft" else "approved", pinned=False, **stamp))
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as c:
        plans = {(str(uuid.UUID(str(i))), y, s) for i, y, s in c.execute(
            select(ExchangePlan.id, ExchangePlan.school_year, ExchangePlan.status))}
        assert plans == {(str(uuid.UUID(str(ids["new"]))), 2027, "draft"),
                         (str(uuid.UUID(str(ids["approved"]))), 2026, "approved")}
        assert c.execute(select(func.count()).select_from(Exchange)).scalar() == 2  # the old draft's is gone
        assert c.execute(select(Region.row_version)).scalar() == 1
    with pytest.raises(IntegrityError), engine.begin() as c:
        c.execute(insert(ExchangePlan.__table__).values(id=uuid.uuid4(), school_year=2027, status="draft",
                                                        profile_id="default", **stamp))


def test_a_0006_sqlite_file_with_two_drafts_upgrades_to_one(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _upgrade_with_two_drafts(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_0006_postgresql_database_with_two_drafts_upgrades_to_one(pg_url):
    engine = make_engine(pg_url)
    try:
        _upgrade_with_two_drafts(engine)
    finally:
        engine.dispose()
