"""Migration 0015 on a populated 0009 database: the year's plan stays, and the new
scenario table refuses a second scenario of one name in one year."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import MetaData, func, insert, select
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine
from db.migrate import HEAD_REVISION, _config, current_revision, upgrade
from db.models import ExchangePlan, PlanScenario

T0 = dt.datetime(2026, 1, 1)


def test_a_populated_0009_database_gains_scenarios(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        command.upgrade(_config(engine), "0009")
        old = MetaData()
        old.reflect(engine)
        plan_id = uuid.uuid4().hex
        with engine.begin() as c:
            c.execute(insert(old.tables["exchange_plan"]).values(
                id=plan_id, school_year=2027, status="draft", profile_id="default", summary={"moves": 3},
                created_at=T0, updated_at=T0))
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
        with engine.connect() as c:
            assert c.execute(select(ExchangePlan.summary)).scalar() == {"moves": 3}
            assert c.execute(select(func.count()).select_from(PlanScenario)).scalar() == 0
        row = {"school_year": 2027, "name": "基准", "status": "draft", "profile_id": "default", "settings": {},
               "pins": {}, "created_at": T0, "updated_at": T0}
        with engine.begin() as c:
            c.execute(insert(PlanScenario).values(id=uuid.uuid4(), **row))
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(insert(PlanScenario).values(id=uuid.uuid4(), **row))
    finally:
        engine.dispose()
