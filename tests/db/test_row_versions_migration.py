"""Migration 0008 on a populated 0006 database holding two drafts of one year (the race of
issue 13): the upgrade keeps the newest draft and its exchanges, leaves the approved plan,
gives every row version 1, and the new index refuses another draft of that year."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from old_database import STAMP, T0, populated
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from db.migrate import HEAD_REVISION, current_revision, upgrade
from db.models import Exchange, ExchangePlan, Region


def test_a_0006_database_with_two_drafts_upgrades_to_one(old_engine):
    old = populated(old_engine, "0006", "old", "new", "approved")  # the 0006 tables, without row_version
    t, ids = old.tables, old.ids
    with old_engine.begin() as c:
        for key, year, status, second in (("old", 2027, "draft", 0), ("new", 2027, "draft", 5),
                                          ("approved", 2026, "approved", 0)):
            c.execute(insert(t["exchange_plan"]).values(
                id=ids[key], school_year=year, status=status, profile_id="default", summary={},
                created_at=T0 + dt.timedelta(seconds=second), updated_at=T0))
            c.execute(insert(t["exchange"]).values(
                id=old.new_id(), plan_id=ids[key], teacher_id=ids["teacher"], from_school_id=ids["city"],
                to_school_id=ids["village"], form="支教", school_year=year, moves_personnel=False,
                status="planned" if status == "draft" else "approved", pinned=False, **STAMP))
    upgrade(old_engine)
    assert current_revision(old_engine) == HEAD_REVISION
    with old_engine.connect() as c:
        plans = {(str(uuid.UUID(str(i))), y, s) for i, y, s in c.execute(
            select(ExchangePlan.id, ExchangePlan.school_year, ExchangePlan.status))}
        assert plans == {(str(old.uuid("new")), 2027, "draft"), (str(old.uuid("approved")), 2026, "approved")}
        assert c.execute(select(func.count()).select_from(Exchange)).scalar() == 2  # the old draft's is gone
        assert c.execute(select(Region.row_version)).scalar() == 1
    with pytest.raises(IntegrityError), old_engine.begin() as c:
        c.execute(insert(ExchangePlan.__table__).values(id=uuid.uuid4(), school_year=2027, status="draft",
                                                        profile_id="default", **STAMP))
