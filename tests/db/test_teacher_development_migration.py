"""Migration 0011 on a populated 0009 database: pairings, agreements and teachers keep their
rows; a 师徒结对 pairing, a training record, a designation and a brand fee can be stored after."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from old_database import STAMP, populated
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from db.migrate import HEAD_REVISION, current_revision, upgrade
from db.models import Agreement, Pairing, TeacherDesignation, TrainingRecord


def test_a_populated_0009_database_upgrades(old_engine):
    old = populated(old_engine, "0009", "cluster", "pairing", "agreement")
    t, ids = old.tables, old.ids
    with old_engine.begin() as c:
        c.execute(insert(t["cluster"]).values(id=ids["cluster"], name="甲集团", kind="学区", region_id=ids["region"],
                                              **STAMP))
        c.execute(insert(t["pairing"]).values(id=ids["pairing"], kind="手拉手", supporter_school_id=ids["city"],
                                              target_school_id=ids["village"], start=dt.date(2024, 9, 1), **STAMP))
        c.execute(insert(t["agreement"]).values(id=ids["agreement"], cluster_id=ids["cluster"], title="协议",
                                                term_start=dt.date(2025, 9, 1), term_end=dt.date(2028, 8, 31),
                                                clauses={"sections": []}, version=1, **STAMP))
    upgrade(old_engine)
    assert current_revision(old_engine) == HEAD_REVISION
    teacher = old.uuid("teacher")
    with old_engine.begin() as c:
        assert c.execute(select(Pairing.kind)).scalars().all() == ["手拉手"]
        assert c.execute(select(Agreement.title, Agreement.brand_fee)).all() == [("协议", None)]
        c.execute(insert(Pairing.__table__).values(id=uuid.uuid4(), kind="师徒结对", supporter_name="王名师",
                                                   target_teacher_id=teacher, start=dt.date(2025, 9, 1), **STAMP))
        c.execute(insert(TrainingRecord.__table__).values(id=uuid.uuid4(), teacher_id=teacher,
                                                          completed_on=dt.date(2025, 7, 1), course="国培", hours=60,
                                                          special=True, **STAMP))
        c.execute(insert(TeacherDesignation.__table__).values(id=uuid.uuid4(), teacher_id=teacher,
                                                              kind="种子教师", start=dt.date(2025, 9, 1), **STAMP))
    with pytest.raises(IntegrityError), old_engine.begin() as c:  # the CHECK constraint still guards the kinds
        c.execute(insert(Pairing.__table__).values(id=uuid.uuid4(), kind="随便结对", start=dt.date(2025, 9, 1),
                                                   **STAMP))
