"""Migration 0011 on a populated 0009 database: pairings, agreements and teachers keep their
rows; a 师徒结对 pairing, a training record, a designation and a brand fee can be stored after."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, insert, select
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine
from db.migrate import HEAD_REVISION, _config, current_revision, upgrade
from db.models import Agreement, Pairing, TeacherDesignation, TrainingRecord

T0 = dt.datetime(2026, 1, 1)


def _upgrade_populated(engine: Engine) -> None:
    command.upgrade(_config(engine), "0009")

    def new() -> object:
        return uuid.uuid4().hex if engine.dialect.name == "sqlite" else uuid.uuid4()

    old = MetaData()
    old.reflect(engine)
    t = old.tables
    ids = {k: new() for k in ("region", "city", "village", "teacher", "cluster", "pairing", "agreement")}
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
        c.execute(insert(t["cluster"]).values(id=ids["cluster"], name="甲集团", kind="学区", region_id=ids["region"],
                                              **stamp))
        c.execute(insert(t["pairing"]).values(id=ids["pairing"], kind="手拉手", supporter_school_id=ids["city"],
                                              target_school_id=ids["village"], start=dt.date(2024, 9, 1), **stamp))
        c.execute(insert(t["agreement"]).values(id=ids["agreement"], cluster_id=ids["cluster"], title="协议",
                                                term_start=dt.date(2025, 9, 1), term_end=dt.date(2028, 8, 31),
                                                clauses={"sections": []}, version=1, **stamp))
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.begin() as c:
        assert c.execute(select(Pairing.kind)).scalars().all() == ["手拉手"]
        assert c.execute(select(Agreement.title, Agreement.brand_fee)).all() == [("协议", None)]
        c.execute(insert(Pairing.__table__).values(id=uuid.uuid4(), kind="师徒结对", supporter_name="王名师",
                                                   target_teacher_id=uuid.UUID(str(ids["teacher"])),
                                                   start=dt.date(2025, 9, 1), **stamp))
        c.execute(insert(TrainingRecord.__table__).values(id=uuid.uuid4(), teacher_id=uuid.UUID(str(ids["teacher"])),
                                                          completed_on=dt.date(2025, 7, 1), course="国培", hours=60,
                                                          special=True, **stamp))
        c.execute(insert(TeacherDesignation.__table__).values(id=uuid.uuid4(), teacher_id=uuid.UUID(str(ids["teacher"])),
                                                              kind="种子教师", start=dt.date(2025, 9, 1), **stamp))
    with pytest.raises(IntegrityError), engine.begin() as c:  # the CHECK constraint still guards the kinds
        c.execute(insert(Pairing.__table__).values(id=uuid.uuid4(), kind="随便结对", start=dt.date(2025, 9, 1),
                                                   **stamp))


def test_a_populated_0009_sqlite_file_upgrades(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _upgrade_populated(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_populated_0009_postgresql_database_upgrades(pg_url):
    engine = make_engine(pg_url)
    try:
        _upgrade_populated(engine)
    finally:
        engine.dispose()
