"""The write guard: roles, a principal's school, read sessions, Core DML, raw SQL, the audit log.

GIVEN a store with two schools and a visit at each, WHEN each role writes through each
path (ORM flush, Core DML on a session, Core on Store.bulk, driver SQL), THEN the guard
allows exactly what the role may do and audits it per row; nothing else reaches the file.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from db import audit
from db.bulk import insert_rows
from db.guard import classify
from db.models import (
    AuditEntry,
    Cluster,
    Membership,
    Region,
    School,
    SemesterSummary,
    Teacher,
    User,
    Visit,
    VisitParticipant,
)
from db.store import Actor, PermissionDenied, Store


@pytest.fixture
def world(store):
    with store.write("test data") as s:
        region = Region(code="640100", name="测试县", level="县区")
        s.add(region)
        s.flush()
        mine = School(code="S1", name="本校", stage="小学", location="乡村", region_id=region.id)
        other = School(code="S2", name="他校", stage="小学", location="乡村", region_id=region.id)
        s.add_all([mine, other])
        s.flush()
        cluster = Cluster(name="教共体甲", kind="学区", region_id=region.id, lead_school_id=other.id)
        s.add(cluster)
        s.flush()
        s.add(Membership(cluster_id=cluster.id, school_id=mine.id, role="成员校", joined=dt.date(2024, 9, 1)))
        own_visit = Visit(date=dt.date(2025, 10, 9), host_school_id=mine.id, activity_type="听评课", lessons=1)
        other_visit = Visit(date=dt.date(2025, 10, 9), host_school_id=other.id, activity_type="听评课", lessons=1)
        s.add_all([own_visit, other_visit])
        lone = Cluster(name="教共体乙", kind="学区", region_id=region.id, lead_school_id=other.id)
        s.add(lone)
    return {"mine": mine.id, "other": other.id, "own_visit": own_visit.id, "other_visit": other_visit.id,
            "cluster": cluster.id, "lone": lone.id}


def as_role(store, role, school=None, name=None) -> Store:
    return Store(store.engine, Actor(name or role, role, school))


def count(store, model, *where) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def lessons(store, visit_id) -> int:
    with store.read() as s:
        return s.get(Visit, visit_id).lessons


# ---- the permission matrix -----------------------------------------------------------

MATRIX = [  # role, table, allowed
    ("admin", "school", True), ("admin", "teacher", True), ("admin", "visit", True), ("admin", "app_user", True),
    ("clerk", "school", True), ("clerk", "teacher", True), ("clerk", "visit", True), ("clerk", "app_user", False),
    ("principal", "school", False), ("principal", "teacher", False), ("principal", "visit", True),
    ("principal", "app_user", False),
    ("evaluator", "school", False), ("evaluator", "teacher", False), ("evaluator", "visit", False),
    ("evaluator", "app_user", False),
]


def new_record(table, ids):
    return {
        "school": lambda: School(code=uuid.uuid4().hex[:8], name="新校", stage="小学", location="城区",
                                 region_id=_region_id),
        "teacher": lambda: Teacher(id_number="11010519491231002X", name="王芳", gender="女",
                                   birth_date=dt.date(1949, 12, 31)),
        "visit": lambda: Visit(date=dt.date(2025, 11, 1), host_school_id=ids["mine"], activity_type="公开课"),
        "app_user": lambda: User(username="u" + uuid.uuid4().hex[:6], display_name="x", role="clerk"),
    }[table]()


_region_id = None


@pytest.mark.parametrize(("role", "table", "allowed"), MATRIX)
def test_permission_matrix_orm(store, world, role, table, allowed):
    global _region_id
    with store.read() as s:
        _region_id = s.scalar(select(Region.id))
    actor_store = as_role(store, role, world["mine"] if role == "principal" else None)
    before = count(store, AuditEntry)
    if allowed:
        with actor_store.write() as s:
            s.add(new_record(table, world))
        assert count(store, AuditEntry) == before + 1
    else:
        with pytest.raises(PermissionDenied), actor_store.write() as s:
            s.add(new_record(table, world))
        assert count(store, AuditEntry) == before


@pytest.mark.parametrize("role", ["admin", "clerk", "principal", "evaluator"])
def test_no_role_may_edit_or_delete_audit_entries(store, world, role):
    actor_store = as_role(store, role, world["mine"])
    with pytest.raises(PermissionDenied), actor_store.write() as s:
        s.scalars(select(AuditEntry)).first().actor = "someone"
    with pytest.raises(PermissionDenied), actor_store.write() as s:
        s.execute(update(AuditEntry).values(note="x"))
    with pytest.raises(PermissionDenied), actor_store.write() as s:
        s.execute(delete(AuditEntry))
    with pytest.raises(PermissionDenied), actor_store.bulk("visit", "x") as c:
        c.exec_driver_sql("DELETE FROM audit_entry")
    with pytest.raises(PermissionDenied), actor_store.write() as s:
        s.add(AuditEntry(actor="forged", action="insert", entity="visit"))
    assert audit.verify(store.engine).ok


# ---- a principal and other schools' records, through every path -------------------


def test_principal_writes_own_school_only_orm(store, world):
    principal = as_role(store, "principal", world["mine"])
    with principal.write() as s:
        s.get(Visit, world["own_visit"]).lessons = 3
        s.add(VisitParticipant(visit_id=world["own_visit"], name="李明", role="骨干教师"))
    assert lessons(store, world["own_visit"]) == 3
    with pytest.raises(PermissionDenied, match="本校"), principal.write() as s:
        s.get(Visit, world["other_visit"]).lessons = 9
    with pytest.raises(PermissionDenied), principal.write() as s:  # moving an own visit to another school
        s.get(Visit, world["own_visit"]).host_school_id = world["other"]
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.add(VisitParticipant(visit_id=world["other_visit"], name="李明", role="骨干教师"))
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.delete(s.get(Visit, world["other_visit"]))
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.add(SemesterSummary(cluster_id=world["lone"], semester="2025-1"))
    with principal.write() as s:
        s.add(SemesterSummary(cluster_id=world["cluster"], semester="2025-1"))
    assert lessons(store, world["other_visit"]) == 1 and count(store, Visit) == 2


def test_principal_core_dml_is_checked_row_by_row(store, world):
    principal = as_role(store, "principal", world["mine"])
    with principal.write() as s:
        s.execute(update(Visit).where(Visit.id == world["own_visit"]).values(lessons=4))
    assert lessons(store, world["own_visit"]) == 4
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.execute(update(Visit).values(lessons=7))  # every visit: another school's among them
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.execute(update(Visit).where(Visit.id == world["own_visit"]).values(host_school_id=world["other"]))
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.execute(delete(Visit).where(Visit.host_school_id == world["other"]))
    with pytest.raises(PermissionDenied), principal.write() as s:
        s.execute(insert(Visit).values(date=dt.date(2025, 1, 1), host_school_id=world["other"], activity_type="送教"))
    with pytest.raises(PermissionDenied), principal.bulk("visit", "x") as c:
        c.execute(Visit.__table__.insert(), [{"date": dt.date(2025, 1, 1), "host_school_id": world["other"],
                                               "activity_type": "送教", "lessons": 0}])
    with pytest.raises(PermissionDenied), principal.bulk("visit", "x") as c:
        c.execute(text("UPDATE visit SET lessons = 8"))
    with pytest.raises(PermissionDenied), principal.bulk("visit", "x") as c:
        c.exec_driver_sql("UPDATE visit SET lessons = 8")
    assert lessons(store, world["other_visit"]) == 1 and lessons(store, world["own_visit"]) == 4
    assert count(store, Visit) == 2


def test_read_session_cannot_write_even_with_core_dml(store, world):
    before = count(store, AuditEntry)
    with pytest.raises(PermissionDenied, match="只读会话"), store.read() as s:
        s.execute(update(Visit).values(lessons=5))
    with pytest.raises(PermissionDenied), store.read() as s:
        s.execute(text("DELETE FROM visit"))
    with pytest.raises(PermissionDenied), store.read() as s:
        s.connection().exec_driver_sql("INSERT INTO setting (key, value) VALUES ('x', '{}')")
    assert lessons(store, world["own_visit"]) == 1 and count(store, AuditEntry) == before


def test_a_connection_outside_the_store_cannot_write(store, world):
    with pytest.raises(PermissionDenied), store.engine.begin() as c:
        c.execute(update(Visit.__table__).values(lessons=5))
    with pytest.raises(PermissionDenied), store.engine.begin() as c:
        c.exec_driver_sql("DROP TABLE visit")
    assert lessons(store, world["own_visit"]) == 1


def test_core_dml_is_audited_per_row_with_before_and_after(store, world):
    with store.write("批量修改") as s:
        s.execute(update(Visit).values(lessons=6))
    with store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity == "visit")).all()
    assert {e.entity_id for e in entries} == {str(world["own_visit"]), str(world["other_visit"])}
    assert all(e.before == {"lessons": 1} and e.after == {"lessons": 6} and e.note == "批量修改" for e in entries)


def test_bulk_audits_every_table_it_writes_per_row(store, world):
    """bulk("visit") writing participants and teachers: each table checked, each row audited
    (a statement of several rows as one batch entry holding every row)."""
    clerk = as_role(store, "clerk")
    people = [{"id": uuid.uuid4(), "visit_id": world["own_visit"], "name": f"人{i}", "role": "教师",
               "created_at": dt.datetime(2025, 1, 1), "updated_at": dt.datetime(2025, 1, 1)} for i in range(3)]
    with clerk.bulk("visit", "导入") as c:
        insert_rows(c, VisitParticipant.__table__, people)
        c.execute(Teacher.__table__.insert(), [{"id_number": "11010519491231002X", "name": "王芳", "gender": "女",
                                                "birth_date": dt.date(1949, 12, 31), "position": "教师"}])
    assert count(store, AuditEntry, AuditEntry.entity == "visit_participant", AuditEntry.action == "insert") == 1
    shown, total = audit.search(store.engine, entity="visit_participant")
    assert total == 3 and {(e.entity_id, e.after["name"]) for e in shown} == {
        (str(p["id"]), p["name"]) for p in people}
    found, _ = audit.search(store.engine, entity_id=str(people[1]["id"]))
    assert [(e.action, e.before, e.after["name"], e.note) for e in found] == [("insert", None, "人1", "导入")]
    assert count(store, AuditEntry, AuditEntry.entity == "teacher", AuditEntry.action == "insert") == 1
    assert count(store, AuditEntry, AuditEntry.action == "import", AuditEntry.note == "导入") == 1
    evaluator = as_role(store, "evaluator")
    with pytest.raises(PermissionDenied), evaluator.bulk("visit", "x"):
        pass
    principal = as_role(store, "principal", world["mine"])
    with pytest.raises(PermissionDenied), principal.bulk("visit", "x") as c:  # bulk("visit") writing teachers
        c.execute(Teacher.__table__.insert(), [{"id_number": "110105194912310021", "name": "王芳", "gender": "女",
                                                "birth_date": dt.date(1949, 12, 31), "position": "教师"}])
    assert audit.verify(store.engine).ok


def test_setup_mode_ends_when_the_first_user_exists(store, world):
    from db.users import add_user, sign_in

    add_user(store, "boss", "admin", "secret123")
    with pytest.raises(PermissionDenied, match="请先登录"), store.write() as s:
        s.get(Visit, world["own_visit"]).lessons = 2
    sign_in(store, "boss", "secret123")
    with store.write() as s:
        s.get(Visit, world["own_visit"]).lessons = 2
    with store.read() as s:
        user = s.scalar(select(User))
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "app_user"))
    assert user.password_hash.startswith("$argon2id$") and entry.after["password_hash"] == "***"


def test_lockout_after_the_profile_figure(store, world):
    from db.settings import set_active_profile
    from db.users import SignInError, add_user, sign_in

    set_active_profile(store, "default", {"security.max_failed_logins": 3})
    add_user(store, "boss", "admin", "secret123")
    for _ in range(2):
        with pytest.raises(SignInError, match="用户名或密码错误"):
            sign_in(store, "boss", "wrong-one1")
    with pytest.raises(SignInError, match="已锁定"):
        sign_in(store, "boss", "wrong-one1")
    with pytest.raises(SignInError, match="锁定"):
        sign_in(store, "boss", "secret123")  # even the right password, until the time is up


def test_password_change(store, world):
    from db.users import SignInError, add_user, change_password, sign_in

    add_user(store, "boss", "admin", "secret123")
    sign_in(store, "boss", "secret123")
    add_user(store, "li", "clerk", "clerkpw1")
    sign_in(store, "li", "clerkpw1")
    with pytest.raises(SignInError):
        change_password(store, "li", "not-it-1", "newpass22")
    with pytest.raises(PermissionDenied):
        change_password(store, "boss", None, "newpass22")
    change_password(store, "li", "clerkpw1", "newpass22")
    sign_in(store, "li", "newpass22")
    with pytest.raises(SignInError):
        sign_in(store, "li", "clerkpw1")


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM visit", (False, None)),
    ("  -- note\n UPDATE \"visit\" SET x=1", (True, "visit")),
    ("INSERT OR REPLACE INTO setting VALUES (1)", (True, "setting")),
    ("delete from audit_entry", (True, "audit_entry")),
    ("WITH x AS (SELECT 1) DELETE FROM visit", (True, None)),
    ("DROP TABLE visit", (True, None)),
    ("PRAGMA wal_checkpoint(TRUNCATE)", (False, None)),
])
def test_statement_classification(sql, expected):
    assert classify(sql) == expected

