"""Migration 0004 on a populated 0002 database that already holds the copies two racing
imports left: the upgrade succeeds, keeps every row, and the new keys refuse a new copy."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine
from db.migrate import HEAD_REVISION, _config, current_revision, upgrade
from db.models import Exemption, Membership, Visit, VisitParticipant

T0 = dt.datetime(2025, 1, 1)


class _Old:
    """A reflected table posing as a model for ``insert(X.__table__)``."""

    def __init__(self, table: Table) -> None:
        self.__table__ = table


def _populate(engine: Engine) -> dict[str, object]:
    """A school in a cluster twice with the same join date, an exemption stored twice, a visit
    stored twice with its visitor twice (what the race produced). Written with the 0002
    columns only."""
    def new() -> object:  # a reflected SQLite table binds ids as their 32 hex digits
        return uuid.uuid4().hex if engine.dialect.name == "sqlite" else uuid.uuid4()

    ids = {k: new() for k in ("region", "school", "cluster", "teacher", "v1", "v2")}
    stamp = {"created_at": T0, "updated_at": T0}
    old = MetaData()
    old.reflect(engine)  # the 0002 tables, without the columns 0004 adds
    Region, School, Cluster, Teacher, Membership, Exemption, Visit, VisitParticipant = (  # noqa: N806
        _Old(old.tables[n]) for n in ("region", "school", "cluster", "teacher", "membership", "exemption", "visit",
                                      "visit_participant"))
    with engine.begin() as c:
        c.execute(insert(Region.__table__).values(
            id=ids["region"], code="640100", name="市", level="市", profile_id="default", **stamp))
        c.execute(insert(School.__table__).values(
            id=ids["school"], code="S1", name="一小", stage="小学", location="乡村", run_by="县属",
            region_id=ids["region"], students=1, classes=1, is_weak=False, **stamp))
        c.execute(insert(Cluster.__table__).values(id=ids["cluster"], name="集团", kind="教育集团",
                                                   region_id=ids["region"], **stamp))
        c.execute(insert(Teacher.__table__).values(
            id=ids["teacher"], id_number="110101198001010011", name="张三", gender="男",
            birth_date=dt.date(1980, 1, 1), position="教师", **stamp))
        for n in range(3):
            at = {"created_at": T0 + dt.timedelta(seconds=n), "updated_at": T0}
            c.execute(insert(Membership.__table__).values(
                id=new(), cluster_id=ids["cluster"], school_id=ids["school"], role="成员校",
                joined=dt.date(2020, 9, 1), **at))
        for n in range(2):
            at = {"created_at": T0 + dt.timedelta(seconds=n), "updated_at": T0}
            c.execute(insert(Exemption.__table__).values(
                id=new(), teacher_id=ids["teacher"], reason="孕期", evidence=f"证明{n}",
                start=dt.date(2025, 3, 1), **at))
        for key in ("v1", "v2"):
            c.execute(insert(Visit.__table__).values(
                id=ids[key], date=dt.date(2025, 9, 10), host_school_id=ids["school"], activity_type="听评课",
                lessons=1, **stamp))
            c.execute(insert(VisitParticipant.__table__).values(
                id=new(), visit_id=ids[key], name="周老师", role="骨干教师", **stamp))
    return ids


def _upgrade_with_copies(engine: Engine) -> None:
    command.upgrade(_config(engine), "0002")
    ids = {k: uuid.UUID(str(v)) for k, v in _populate(engine).items()}
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as c:
        copies = sorted(c.execute(select(Membership.copy_no)).scalars())
        assert copies == [0, 1, 2]  # all three kept, the oldest is the one
        first = c.execute(select(Membership.copy_no).order_by(Membership.created_at)).scalars().first()
        assert first == 0
        assert sorted(c.execute(select(Exemption.copy_no, Exemption.evidence))) == [(0, "证明0"), (1, "证明1")]
        assert c.execute(select(func.count()).select_from(Visit)).scalar() == 2  # hand entries: no key
        assert c.execute(select(func.count()).select_from(VisitParticipant)).scalar() == 2
    stamp = {"created_at": T0, "updated_at": T0}
    refused = [
        insert(Membership.__table__).values(id=uuid.uuid4(), cluster_id=ids["cluster"], school_id=ids["school"],
                                            role="成员校", joined=dt.date(2020, 9, 1), **stamp),
        insert(Exemption.__table__).values(id=uuid.uuid4(), teacher_id=ids["teacher"], reason="孕期",
                                           evidence="x", start=dt.date(2025, 3, 1), **stamp),
    ]
    with engine.begin() as c:
        c.execute(insert(Visit.__table__).values(id=uuid.uuid4(), date=dt.date(2025, 9, 11), host_school_id=ids["school"],
                                                 activity_type="听评课", lessons=0, import_key="k", **stamp))
    refused.append(insert(Visit.__table__).values(id=uuid.uuid4(), date=dt.date(2025, 9, 11),
                                                  host_school_id=ids["school"], activity_type="听评课", lessons=0,
                                                  import_key="k", **stamp))
    for statement in refused:
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(statement)


def test_a_0002_sqlite_file_with_copies_upgrades_keeping_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _upgrade_with_copies(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_0002_postgresql_database_with_copies_upgrades_keeping_them(pg_url):
    engine = make_engine(pg_url)
    try:
        _upgrade_with_copies(engine)
    finally:
        engine.dispose()
