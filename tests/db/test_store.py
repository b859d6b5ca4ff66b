"""The one write path: audited, permission-checked, all or nothing; model constraints hold."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.engine import StoreError
from db.models import AuditEntry, Membership, Region, School, Teacher
from db.store import Actor, PermissionDenied, Store


def add_school(session, code="3601000001", **fields):
    region = session.scalar(select(Region)) or Region(code="640121", name="永宁县", level="县区")
    session.add(region)
    session.flush()
    values = dict(code=code, name="永宁县第一小学", stage="小学", location="城区", region_id=region.id)
    values.update(fields)
    school = School(**values)
    session.add(school)
    return school


def test_every_write_is_audited_with_before_and_after(store):
    with store.write(note="新建") as session:
        school = add_school(session)
    with store.write() as session:
        session.get(School, school.id).students = 812
    with store.write() as session:
        session.delete(session.get(School, school.id))
    with store.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "school").order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["insert", "update", "delete"]
    assert entries[0].after["code"] == "3601000001" and entries[0].note == "新建"
    assert entries[1].before == {"students": 0} and entries[1].after == {"students": 812}
    assert entries[2].before["students"] == 812
    assert {e.entity_id for e in entries} == {str(school.id)}
    assert all(e.actor == "system" for e in entries)


def test_failed_unit_of_work_writes_nothing(store):
    with pytest.raises(IntegrityError), store.write() as session:
        add_school(session, code="A")
        session.flush()
        add_school(session, code="A")  # duplicate code
    with store.read() as session:
        assert session.scalars(select(School)).all() == []
        assert session.scalars(select(AuditEntry)).all() == []


def test_writes_outside_the_write_path_are_refused(store):
    with store.read() as session, pytest.raises(StoreError, match="只读会话"):
        add_school(session)
        session.flush()


def test_roles_limit_what_can_be_changed(store):
    viewer = Store(store.engine, Actor("guest", "evaluator"))
    with pytest.raises(PermissionDenied, match="无权修改"), viewer.write() as session:
        add_school(session)
    principal = Store(store.engine, Actor("zhang", "principal"))
    with pytest.raises(PermissionDenied), principal.write() as session:
        add_school(session)


def test_ids_are_uuids(store):
    with store.write() as session:
        school = add_school(session)
    assert isinstance(school.id, uuid.UUID) and school.id.version == 4


@pytest.mark.parametrize(
    "fields",
    [
        {"stage": "大学"},
        {"location": "郊区"},
        {"students": -1},
        {"classes": -3},
    ],
)
def test_school_constraints(store, fields):
    with pytest.raises(IntegrityError), store.write() as session:
        add_school(session, **fields)


def test_membership_cannot_end_before_it_starts(store):
    from db.models import Cluster

    with store.write() as session:
        school = add_school(session)
        session.flush()
        cluster = Cluster(name="第一教育集团", kind="教育集团", region_id=school.region_id)
        session.add(cluster)
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(Membership(cluster_id=cluster.id, school_id=school.id, role="成员校",
                               joined=dt.date(2024, 9, 1), left_on=dt.date(2024, 8, 31)))


def test_foreign_keys_are_enforced(store):
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(School(code="X", name="X", stage="小学", location="乡村", region_id=uuid.uuid4()))


def test_teacher_id_number_unique(store):
    def teacher():
        return Teacher(id_number="11010519491231002X", name="王芳", gender="女", birth_date=dt.date(1949, 12, 31))

    with store.write() as session:
        session.add(teacher())
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(teacher())


def test_local_actor_is_the_login_name(store, monkeypatch):
    from db.store import local_actor

    monkeypatch.setattr("getpass.getuser", lambda: "liming")
    clerk = Store(store.engine, local_actor())
    with clerk.write() as session:
        add_school(session)
    with store.read() as session:
        assert {e.actor for e in session.scalars(select(AuditEntry))} == {"liming"}


def test_children_added_through_a_relationship_are_audited_with_their_parent_key(store):
    from db.models import Visit, VisitParticipant

    with store.write() as session:
        school = add_school(session)
        session.flush()
        visit = Visit(date=dt.date(2025, 10, 9), host_school_id=school.id, activity_type="听评课", lessons=2)
        visit.participants.append(VisitParticipant(name="李明", role="骨干教师"))
        session.add(visit)
    with store.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "visit_participant")).one()
    assert entry.after["visit_id"] == str(visit.id)
    assert entry.after["id"] == str(entry.entity_id) and entry.hash
