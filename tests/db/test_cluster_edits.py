"""Cluster edits in the store: dated history, one audited transaction each, honest undo."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from db import clusters as cl
from db.models import AuditEntry, Membership, Region, School
from db.store import Store
from policy.profile import load_profile

D1 = dt.date(2023, 9, 1)
D2 = dt.date(2024, 9, 1)


def make_schools(store: Store, specs: list[tuple[str, str, int]]) -> dict[str, uuid.UUID]:
    """specs: (code, location, students) → {code: id}."""
    ids = {}
    with store.write("测试数据") as session:
        region = Region(id=uuid.uuid4(), code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        for code, location, students in specs:
            school = School(id=uuid.uuid4(), code=code, name=f"{code}学校", stage="小学", location=location,
                            region_id=region.id, students=students, classes=max(1, students // 40))
            session.add(school)
            ids[code] = school.id
    return ids


def audit_count(store: Store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def membership_rows(store: Store) -> list[tuple]:
    with store.read() as session:
        return [tuple(r) for r in session.execute(
            select(Membership.school_id, Membership.cluster_id, Membership.role, Membership.joined, Membership.left_on)
            .order_by(Membership.joined, Membership.created_at))]


@pytest.fixture
def schools(store: Store) -> dict[str, uuid.UUID]:
    return make_schools(store, [("C1", "城区", 1500), ("R1", "乡村", 200), ("R2", "乡村", 100), ("R3", "乡村", 80)])


def test_create_with_lead_records_lead_membership(store: Store, schools) -> None:
    edit = cl.create_cluster(store, " 一集团 ", "教育集团", lead_school_id=schools["C1"], on=D1)
    records = cl.load(store)
    (cluster,) = records.clusters
    assert cluster.name == "一集团" and cluster.lead_school_id == schools["C1"]
    (m,) = records.memberships
    assert (m.school_id, m.role, m.joined, m.left_on) == (schools["C1"], "牵头校", D1, None)
    assert edit.joined == [m.id]
    with pytest.raises(cl.ClusterEditError, match="已有名为"):
        cl.create_cluster(store, "一集团", "学区", on=D1)


def test_move_is_leave_plus_join_same_day_and_history_kept(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", lead_school_id=schools["C1"], on=D1).cluster_id
    b = cl.create_cluster(store, "乙", "学区", on=D1).cluster_id
    cl.join(store, a, schools["R1"], D1)
    with pytest.raises(cl.ClusterEditError, match="已属于“甲”"):
        cl.join(store, b, schools["R1"], D2)
    before = audit_count(store)
    edit = cl.move(store, schools["R1"], b, D2)
    assert audit_count(store) == before + 2  # one update (leave) + one insert (join), one transaction
    assert "由“甲”调入“乙”" in edit.note
    assert "由“" not in cl.move(store, schools["R2"], b, D2).note  # from no cluster: just 调入 (was 由“无”)
    rows = [r for r in membership_rows(store) if r[0] == schools["R1"]]
    assert rows == [(schools["R1"], a, "成员校", D1, D2), (schools["R1"], b, "成员校", D2, None)]
    profile = load_profile()
    assert "membership.overlap" not in {v.rule for v in cl.check_store(store, profile, D2).violations}
    # as it stood before the move
    on_old = cl.load(store, dt.date(2024, 1, 1))
    assert {m.cluster_id for m in on_old.memberships if m.school_id == schools["R1"] and m.active_on(dt.date(2024, 1, 1))} == {a}


def test_leave_sets_left_on_and_refuses_bad_dates(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", on=D1).cluster_id
    cl.join(store, a, schools["R1"], D1)
    with pytest.raises(cl.ClusterEditError, match="不是“甲”的成员"):
        cl.leave(store, a, schools["R1"], dt.date(2023, 1, 1))
    cl.leave(store, a, schools["R1"], D2)
    assert membership_rows(store)[-1][-1] == D2
    with pytest.raises(cl.ClusterEditError, match="不是“甲”的成员"):
        cl.leave(store, a, schools["R1"], D2)
    # rejoining later adds a new record; the old one is untouched
    cl.join(store, a, schools["R1"], dt.date(2025, 3, 1))
    assert len(membership_rows(store)) == 2


def test_undo_join_records_reversal_and_redo_restores(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", on=D1).cluster_id
    edit = cl.join(store, a, schools["R1"], D1)
    before = audit_count(store)
    reverse = cl.undo(store, edit)
    assert audit_count(store) == before + 1
    (row,) = membership_rows(store)
    assert row[3] == row[4] == D1  # still there, in force on no day
    assert cl.check_store(store, load_profile(), D2).coverage.rural_in_cluster == 0
    cl.undo(store, reverse)  # redo
    assert membership_rows(store)[0][4] is None
    assert cl.check_store(store, load_profile(), D2).coverage.rural_in_cluster == 1


def test_undo_move_restores_old_membership(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", on=D1).cluster_id
    b = cl.create_cluster(store, "乙", "学区", on=D1).cluster_id
    cl.join(store, a, schools["R2"], D1)
    edit = cl.move(store, schools["R2"], b, D2)
    cl.undo(store, edit)
    active = [m for m in cl.load(store).memberships if m.active_on(D2)]
    assert [(m.cluster_id, m.school_id) for m in active] == [(a, schools["R2"])]


def test_undo_create_withdraws_cluster(store: Store, schools) -> None:
    edit = cl.create_cluster(store, "临时", "学区", lead_school_id=schools["C1"], on=D1)
    reverse = cl.undo(store, edit)
    assert cl.load(store, D2).clusters == []
    assert [m for m in cl.load(store).memberships if m.active_on(D2)] == []
    cl.undo(store, reverse)
    assert [c.name for c in cl.load(store, D2).clusters] == ["临时"]
    assert len([m for m in cl.load(store).memberships if m.active_on(D2)]) == 1


def test_rename_kind_and_undo(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", on=D1).cluster_id
    cl.create_cluster(store, "乙", "教育集团", on=D1)
    with pytest.raises(cl.ClusterEditError, match="已有名为“乙”"):
        cl.rename_cluster(store, a, "乙")
    rename = cl.rename_cluster(store, a, "丙")
    kind = cl.change_kind(store, a, "融合型教共体")
    assert {(c.name, c.kind) for c in cl.load(store).clusters} >= {("丙", "融合型教共体")}
    cl.undo(store, kind)
    cl.undo(store, rename)
    assert ("甲", "教育集团") in {(c.name, c.kind) for c in cl.load(store).clusters}
    with store.read() as session:
        notes = [n for (n,) in session.execute(select(AuditEntry.note).where(AuditEntry.action == "update"))]
    assert any("名称：甲 → 丙" in (n or "") for n in notes)


def test_change_lead_is_dated_role_change(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "融合型教共体", lead_school_id=schools["C1"], on=D1).cluster_id
    cl.join(store, a, schools["R1"], D1)
    edit = cl.change_lead(store, a, schools["R1"], D2)
    on = dt.date(2025, 1, 1)
    records = cl.load(store)
    roles = {(m.school_id, m.role) for m in records.memberships if m.active_on(on)}
    assert roles == {(schools["C1"], "成员校"), (schools["R1"], "牵头校")}
    assert records.clusters[0].lead_school_id == schools["R1"]
    # as it stood before: C1 led
    assert {(m.school_id, m.role) for m in records.memberships if m.active_on(D1)} == {
        (schools["C1"], "牵头校"), (schools["R1"], "成员校")}
    cl.undo(store, edit)
    records = cl.load(store)
    assert {(m.school_id, m.role) for m in records.memberships if m.active_on(on)} == {
        (schools["C1"], "牵头校"), (schools["R1"], "成员校")}
    assert records.clusters[0].lead_school_id == schools["C1"]


def test_waiver_is_stored_and_marks_violation(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", on=D1).cluster_id
    for code in ("C1", "R1", "R2", "R3"):
        cl.join(store, a, schools[code], D1)
    profile = load_profile().with_overrides({"cluster.max_schools": 3})
    (v,) = [v for v in cl.check_store(store, profile, D2).violations if v.rule == "cluster.max_schools"]
    assert not v.waived
    with pytest.raises(cl.ClusterEditError, match="理由和批准人"):
        cl.add_waiver(store, "cluster.max_schools", "cluster", a, " ", "王", D1)
    cl.add_waiver(store, "cluster.max_schools", "cluster", a, "山区学校", "王局长", D1)
    (v,) = [v for v in cl.check_store(store, profile, D2).violations if v.rule == "cluster.max_schools"]
    assert v.waived and v.waiver_approver == "王局长"
    assert len(cl.list_waivers(store)) == 1


def test_failed_edit_writes_nothing(store: Store, schools) -> None:
    a = cl.create_cluster(store, "甲", "教育集团", on=D1).cluster_id
    cl.join(store, a, schools["R1"], D1)
    before = (audit_count(store), membership_rows(store))
    with pytest.raises(cl.ClusterEditError):
        cl.join(store, a, schools["R1"], D2)
    with pytest.raises(cl.ClusterEditError):
        cl.join(store, a, schools["R2"], D1, role="校长")
    assert (audit_count(store), membership_rows(store)) == before
