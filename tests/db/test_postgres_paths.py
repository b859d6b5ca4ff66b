"""Cluster edits, visit entry with the quota tallies, and the school list on PostgreSQL.

These paths read ids through ``type_coerce(column, String)`` to skip SQLAlchemy's per-row UUID
processing. On SQLite that yields the stored 32-hex text; on PostgreSQL psycopg hands back
``uuid.UUID`` (and ``datetime.date`` for dates) whatever SQLAlchemy type was asked for, so
every such read must normalise what it gets. Each test runs one scenario on PostgreSQL and,
where the answer can be compared, the same scenario on SQLite: the two must agree, with ids of
the same Python type and value that the writes used.

Runs when EDUBRIDGE_TEST_PG_URL names a database (``installer/bootstrap.sh test`` starts a
throwaway server and sets it); each test works in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import visit_world
from sqlalchemy import func, select

from db import clusters as cl
from db import visits as dv
from db.models import AuditEntry, Cluster, Membership, Pairing, Region, School, Visit
from db.school_queries import SORT_KEYS, school_rows
from db.store import Store
from db.visit_tallies import ensure_current
from policy.calendar import Semester, school_year_bounds
from policy.profile import load_profile
from policy.quotas import tally_spec

pytestmark = pytest.mark.postgres  # the pg_store fixture skips when no server is configured

PROFILE = load_profile()
D1 = dt.date(2023, 9, 1)
D2 = dt.date(2024, 9, 1)
ON = dt.date(2025, 3, 1)


def test_both_stores_are_what_the_tests_claim(store: Store, pg_store: Store) -> None:
    assert (store.engine.dialect.name, pg_store.engine.dialect.name) == ("sqlite", "postgresql")


# ---- Clusters: membership edits and the rule check -----------------------------------------


def add_schools(store: Store, specs: list[tuple[str, str, str, int, int]]) -> dict[str, uuid.UUID]:
    """specs: (code, name, location, students, classes) → {code: id}; every school a 小学."""
    ids = {}
    with store.write("测试数据") as session:
        region = Region(id=uuid.uuid4(), code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        for code, name, location, students, classes in specs:
            school = School(id=uuid.uuid4(), code=code, name=name, stage="小学", location=location,
                            region_id=region.id, students=students, classes=classes)
            session.add(school)
            ids[code] = school.id
    return ids


CLUSTER_SCHOOLS = [
    ("C1", "城区一小", "城区", 1500, 30), ("R1", "东村小学", "乡村", 200, 6),
    ("R2", "西村小学", "乡村", 100, 6), ("R3", "北村小学", "乡村", 80, 4), ("R4", "南村小学", "乡村", 60, 3),
]


def cluster_scenario(store: Store) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    """Two clusters edited the way the 集团 page does: create, join, move, leave, undo, lead change."""
    sc = add_schools(store, CLUSTER_SCHOOLS)
    a = cl.create_cluster(store, "甲集团", "教育集团", lead_school_id=sc["C1"], on=D1).cluster_id
    b = cl.create_cluster(store, "乙学区", "学区", lead_school_id=sc["R3"], on=D1).cluster_id
    assert a is not None and b is not None
    cl.join(store, a, sc["R1"], D1)
    cl.join(store, a, sc["R2"], D1)
    cl.move(store, sc["R2"], b, D2)  # leave 甲 + join 乙, same day
    left = cl.leave(store, a, sc["R1"], D2)
    cl.undo(store, left)  # R1 stays in 甲 after all
    cl.change_lead(store, b, sc["R2"], D2)  # R3 continues as 成员校
    return sc, {"甲集团": a, "乙学区": b}


def test_cluster_edits_read_back_as_uuids_on_postgres(pg_store: Store) -> None:
    sc, cid = cluster_scenario(pg_store)
    records = cl.load(pg_store)
    assert {s.id for s in records.schools} == set(sc.values())
    assert all(type(s.id) is uuid.UUID and type(s.region_id) is uuid.UUID for s in records.schools)
    assert records.school(sc["R1"]) is not None and records.school(sc["R1"]).name == "东村小学"
    clusters = {c.name: c for c in records.clusters}
    assert {n: c.id for n, c in clusters.items()} == cid
    assert clusters["乙学区"].lead_school_id == sc["R2"] and clusters["甲集团"].lead_school_id == sc["C1"]
    code = {v: k for k, v in sc.items()}
    name = {v: k for k, v in cid.items()}
    now = sorted((name[m.cluster_id], code[m.school_id], m.role) for m in records.memberships if m.active_on(ON))
    assert now == [("乙学区", "R2", "牵头校"), ("乙学区", "R3", "成员校"),
                   ("甲集团", "C1", "牵头校"), ("甲集团", "R1", "成员校")]
    history = cl.memberships_of_cluster(pg_store, cid["乙学区"])
    assert sorted((code[m.school_id], m.role, m.joined, m.left_on) for m in history) == [
        ("R2", "成员校", D2, D2), ("R2", "牵头校", D2, None), ("R3", "成员校", D2, None), ("R3", "牵头校", D1, D2)]
    # the standing-on view drops nothing it should keep
    on_d1 = cl.load(pg_store, D1, reuse=records)
    assert {(code[m.school_id], name[m.cluster_id]) for m in on_d1.memberships if m.active_on(D1)} == {
        ("C1", "甲集团"), ("R1", "甲集团"), ("R2", "甲集团"), ("R3", "乙学区")}
    with pg_store.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "membership")) > 0


def violations(store: Store, on: dt.date) -> list[tuple[str, str, bool]]:
    return sorted((v.rule, v.subject, v.waived) for v in cl.check_store(store, PROFILE, on).violations)


def test_rule_check_matches_ids_across_tables_on_postgres(store: Store, pg_store: Store) -> None:
    """Memberships, pairings and waivers name schools by id; the check joins them in Python,
    so ids read through ``type_coerce`` must equal the ORM's ``uuid.UUID`` ids."""
    results = []
    for backend in (store, pg_store):
        sc, cid = cluster_scenario(backend)
        before = cl.check_store(backend, PROFILE, ON)
        partner = {v.subject_id for v in before.violations if v.rule == "partner.rural_has_urban"}
        # R4 is in no cluster; 乙学区 (R2, R3: all rural) has no urban school
        assert partner == {sc["R2"], sc["R3"], sc["R4"]}
        assert before.coverage.rural_schools == 4 and before.coverage.rural_in_cluster == 3
        assert {v.subject_id for v in before.for_subject(sc["R4"])} == {sc["R4"]}
        # a 包片包抓 city school for 乙学区 and a 手拉手 for R4 clear the partner rule for all three
        with backend.write("结对") as session:
            session.add(Pairing(kind="包片包抓", supporter_school_id=sc["C1"], cluster_id=cid["乙学区"], start=D2))
            session.add(Pairing(kind="手拉手", supporter_school_id=sc["C1"], target_school_id=sc["R4"], start=D2))
        after = cl.check_store(backend, PROFILE, ON)
        assert not [v for v in after.violations if v.rule == "partner.rural_has_urban"]
        # a waiver on R4's other violations applies to exactly those
        rules_r4 = {v.rule for v in after.for_subject(sc["R4"])}
        assert rules_r4 == {"coverage.rural"}  # 3 of 4 rural schools in a cluster is short of the target
        for rule in rules_r4:
            cl.add_waiver(backend, rule, "school", sc["R4"], "山区，路远", "教育局", D2)
        waived = cl.check_store(backend, PROFILE, ON)
        assert {v.rule for v in waived.violations if v.waived} == rules_r4
        assert all(v.subject_id == sc["R4"] for v in waived.violations if v.waived)
        assert [(w.rule, w.subject_id) for w in cl.list_waivers(backend)] == [("coverage.rural", sc["R4"])]
        results.append((violations(backend, ON), violations(backend, D1), before.coverage, waived.coverage))
    assert results[0] == results[1]


def test_cluster_edit_errors_and_records_on_postgres(pg_store: Store) -> None:
    sc, cid = cluster_scenario(pg_store)
    with pytest.raises(cl.ClusterEditError, match="已属于“甲集团”"):
        cl.join(pg_store, cid["乙学区"], sc["R1"], ON)
    with pytest.raises(cl.ClusterEditError, match="不是“乙学区”的成员"):
        cl.leave(pg_store, cid["乙学区"], sc["R1"], ON)
    edit = cl.move(pg_store, sc["R1"], cid["乙学区"], ON)
    code = {v: k for k, v in sc.items()}
    member_of = {code[m.school_id]: m.cluster_id for m in cl.load(pg_store, ON).memberships if m.active_on(ON)}
    assert member_of["R1"] == cid["乙学区"]
    cl.undo(pg_store, edit)
    member_of = {code[m.school_id]: m.cluster_id for m in cl.load(pg_store, ON).memberships if m.active_on(ON)}
    assert member_of["R1"] == cid["甲集团"]
    with pg_store.read() as session:
        count = session.scalar(select(func.count()).select_from(Membership).where(Membership.school_id == sc["R1"]))
        assert count == 2  # joined 甲, joined 乙 (revoked): history is never deleted
        assert session.get(Cluster, cid["甲集团"]).lead_school_id == sc["C1"]


# ---- Visits: quick entry, the quota dashboard and its stored tallies -----------------------


def draft(world: visit_world.World, **changes: object) -> dv.VisitDraft:
    sc = world.schools
    values: dict[str, object] = {
        "date": dt.date(2025, 10, 9), "host_school_id": sc["RURAL01"], "activity_type": "听评课", "lessons": 2,
        "visitors": [dv.VisitorDraft("周老师", "骨干教师", sc["CITY01"]),
                     dv.VisitorDraft("孙研", "市级教研员", None, lessons=3)],
    }
    values.update(changes)
    return dv.VisitDraft(**values)  # type: ignore[arg-type]


def quota_figures(store: Store, when: Semester | int) -> list[tuple]:
    return sorted((r.rule, r.who, r.required, r.done, r.outside, r.met, r.status)
                  for r in dv.quota_rows(store, PROFILE, when))


def visit_scenario(store: Store) -> tuple[visit_world.World, list[uuid.UUID], dict[str, list[tuple]]]:
    """Quick entry on a store whose stored tallies are current, as on the 帮扶活动 page."""
    world = visit_world.build(store)
    sc, t = world.schools, world.teachers
    figures = {"empty": quota_figures(store, Semester(2025, 1))}  # builds the stored tallies
    saved = [
        dv.save_visit(store, draft(world)),
        dv.save_visit(store, draft(world, date=dt.date(2025, 11, 20), host_school_id=sc["RURAL02"])),
        dv.save_visit(store, draft(world, date=dt.date(2025, 12, 2), host_school_id=sc["RURAL09"], activity_type="专题研讨",
                                   visitors=[dv.VisitorDraft("周老师", "骨干教师", sc["CITY01"], t["周老师@CITY01"])])),
        dv.save_visit(store, draft(world, date=dt.date(2025, 10, 15), host_school_id=sc["TOWN01"],
                                   activity_type="管理经验交流", lessons=0,
                                   visitors=[dv.VisitorDraft("陈校长", "校级干部", sc["CITY01"])])),
        dv.save_visit(store, draft(world, date=dt.date(2026, 3, 12))),  # second semester
    ]
    figures["saved"] = quota_figures(store, Semester(2025, 1))
    dv.delete_visit(store, saved[1])
    figures["deleted"] = quota_figures(store, Semester(2025, 1))
    figures["year"] = quota_figures(store, 2025)
    figures["pairings"] = sorted((v.kind, v.supporter, v.target, v.activities, v.last_activity)
                                 for v in dv.list_pairings(store, PROFILE, 2025))
    return world, saved, figures


def test_quick_entry_and_quota_dashboard_on_postgres(pg_store: Store) -> None:
    world, saved, figures = visit_scenario(pg_store)
    sc, t = world.schools, world.teachers
    by = {(f[0], f[1]): f for f in figures["saved"]}
    zhou = by[("visit.backbone_teaching", "周老师（市一中）")]
    assert (zhou[3], zhou[4]) == (2, 1)  # two in the paired cluster, one outside it
    assert by[("visit.city_researcher_lessons", "孙研（市级教研员）")][3] == 6  # 3 lessons at each of two
    assert by[("visit.leader_management", "陈校长（市一中）")][3:6] == (1, 0, True)
    after_delete = {(f[0], f[1]): f for f in figures["deleted"]}
    assert after_delete[("visit.backbone_teaching", "周老师（市一中）")][3:5] == (1, 1)
    assert after_delete[("visit.city_researcher_lessons", "孙研（市级教研员）")][3] == 3
    assert figures["empty"] != figures["saved"]

    # the stored tallies the dashboard read were kept current by the writes
    stored = dv.load_tallies(pg_store, PROFILE, 2025)
    computed = dv.compute_tallies(pg_store, PROFILE, 2025)
    assert sorted(stored[0], key=repr) == sorted(computed[0], key=repr)
    assert sorted(stored[1], key=repr) == sorted(computed[1], key=repr)
    ids = {value for tally in stored[0] for value in (tally.home_school, tally.teacher, tally.host_school)}
    assert sc["CITY01"].hex in ids and t["周老师@CITY01"].hex in ids
    assert all(value is None or (type(value) is str and len(value) == 32) for value in ids)
    assert all(type(s.home_school) is str and len(s.home_school) == 32 for s in stored[1])
    assert all(type(tally.first) is dt.date for tally in stored[0])

    # per-visit records: hex ids and dates, whatever the driver returned
    visits = {v.id: v for v in dv.load_visits(pg_store, *school_year_bounds(2025, PROFILE.calendar))}
    assert set(visits) == {i.hex for i in saved} - {saved[1].hex}
    first = visits[saved[0].hex]
    assert (first.date, first.host_school, first.activity_type, first.lessons) == (
        dt.date(2025, 10, 9), sc["RURAL01"].hex, "听评课", 2)
    assert sorted((p.name, p.home_school, p.teacher, p.lessons) for p in first.participants) == [
        ("周老师", sc["CITY01"].hex, t["周老师@CITY01"].hex, None), ("孙研", None, None, 3)]
    hosts = dv.load_visits(pg_store, *school_year_bounds(2025, PROFILE.calendar), hosts={sc["RURAL09"].hex})
    assert [v.id for v in hosts] == [saved[2].hex]

    # the pairings register counts what each pairing produced
    views = {v.kind: v for v in dv.list_pairings(pg_store, PROFILE, 2025)}
    assert (views["包片包抓"].activities, views["包片包抓"].last_activity) == (3, dt.date(2026, 3, 12))
    recent = dv.recent_visits(pg_store)
    assert [r.id for r in recent] == [saved[4], saved[2], saved[3], saved[0]]  # newest first
    assert {r.id: r.host for r in recent}[saved[3]] == "镇中心小学"


def test_visit_paths_agree_with_sqlite(store: Store, pg_store: Store) -> None:
    on_sqlite, on_postgres = visit_scenario(store)[2], visit_scenario(pg_store)[2]
    assert on_postgres == on_sqlite
    assert on_postgres["saved"] != on_postgres["deleted"] != on_postgres["empty"]


def test_stale_tallies_are_rebuilt_with_the_same_answer_on_postgres(pg_store: Store) -> None:
    world, _saved, figures = visit_scenario(pg_store)
    with pg_store.bulk("visit", "测试批量") as connection:  # a writer that does not keep the tallies
        visit = Visit.__table__
        connection.execute(visit.update().where(visit.c.host_school_id == world.schools["RURAL09"])
                           .values(lessons=5, updated_at=dt.datetime(2030, 1, 1)))
    periods = dv.tally_periods(PROFILE, 2025)
    assert ensure_current(pg_store.engine, tally_spec(PROFILE), periods) == ["2025-1", "2025-2"]  # rebuilt in SQL
    assert quota_figures(pg_store, Semester(2025, 1)) == figures["deleted"]  # lessons do not change these counts
    assert quota_figures(pg_store, 2025) == figures["year"]


# ---- The school list: filter and sort in SQL -----------------------------------------------


LIST_SCHOOLS = [
    # code, name, location, students, classes
    ("3601000001", "城区实验小学", "城区", 1800, 40),
    ("3601000002", "ABC双语学校", "城区", 900, 20),
    ("3601000003", "镇中心小学", "镇区", 600, 12),
    ("3601000004", "东村小学", "乡村", 300, 6),
    ("3601000005", "西村小学", "乡村", 150, 6),
    ("3601000006", "北村教学点", "乡村", 20, 2),
    ("3601000007", "南村教学点", "乡村", 12, 0),
    ("3601000008", "50%_学校", "乡村", 300, 6),
]
TODAY = dt.date(2025, 11, 3)


def school_list_store(store: Store) -> dict[str, uuid.UUID]:
    sc = add_schools(store, LIST_SCHOOLS)
    with store.write("集团") as session:
        session.execute(School.__table__.update().where(School.__table__.c.id == sc["3601000004"]).values(is_weak=True))
    a = cl.create_cluster(store, "东片集团", "教育集团", lead_school_id=sc["3601000001"], on=D1).cluster_id
    b = cl.create_cluster(store, "西片学区", "学区", lead_school_id=sc["3601000003"], on=D1).cluster_id
    assert a is not None and b is not None
    cl.join(store, a, sc["3601000004"], D1)
    cl.join(store, a, sc["3601000005"], D1)
    cl.leave(store, a, sc["3601000005"], D2)
    cl.join(store, b, sc["3601000006"], D1)
    return sc


def plain(rows: list) -> list[tuple]:
    """Rows without the id (whose raw form differs by driver), for comparing backends."""
    return [tuple(r)[1:] for r in rows]


def test_school_list_filter_and_sort_on_postgres(store: Store, pg_store: Store) -> None:
    sc = school_list_store(pg_store)
    rows = school_rows(pg_store, today=TODAY)
    assert [r.code for r in rows] == sorted(code for code, *_ in LIST_SCHOOLS)
    assert [r.id for r in rows] == [sc[r.code] for r in rows]  # the UUID the page acts on
    assert all(type(r.id) is uuid.UUID for r in rows)
    by = {r.code: r for r in rows}
    assert by["3601000004"].cluster == "东片集团" and by["3601000004"].is_weak is True
    assert by["3601000005"].cluster is None  # left in 2024
    assert by["3601000006"].cluster == "西片学区"
    assert by["3601000007"].avg_class_size is None and by["3601000001"].avg_class_size == pytest.approx(45.0)
    assert type(by["3601000001"].avg_class_size) is float and type(by["3601000001"].students) is int
    assert {r.code for r in school_rows(pg_store, today=dt.date(2024, 1, 1)) if r.cluster == "东片集团"} == {
        "3601000001", "3601000004", "3601000005"}

    # search: name or code substring, case-insensitive; wildcards are plain characters
    assert [r.name for r in school_rows(pg_store, "村小学", today=TODAY)] == ["东村小学", "西村小学"]
    assert [r.name for r in school_rows(pg_store, "abc", today=TODAY)] == ["ABC双语学校"]
    assert [r.code for r in school_rows(pg_store, " 01000006 ", today=TODAY)] == ["3601000006"]
    assert [r.code for r in school_rows(pg_store, "%_", today=TODAY)] == ["3601000008"]
    assert school_rows(pg_store, "_学校%", today=TODAY) == [] and len(school_rows(pg_store, "%", today=TODAY)) == 1

    # sorting in SQL: numbers exactly, blanks last either way, ties by code
    up = school_rows(pg_store, sort="students", today=TODAY)
    assert [r.students for r in up] == sorted(r.students for r in rows)
    assert [r.code for r in up if r.students == 300] == ["3601000004", "3601000008"]
    down = school_rows(pg_store, sort="students", descending=True, today=TODAY)
    assert [r.students for r in down] == sorted((r.students for r in rows), reverse=True)
    for descending in (False, True):
        ordered = school_rows(pg_store, sort="avg_class_size", descending=descending, today=TODAY)
        assert ordered[-1].code == "3601000007"
        sizes = [r.avg_class_size for r in ordered[:-1]]
        assert sizes == sorted(sizes, reverse=descending)
        clustered = school_rows(pg_store, sort="cluster", descending=descending, today=TODAY)
        assert [r.cluster for r in clustered[-4:]] == [None] * 4
    weak_first = school_rows(pg_store, sort="is_weak", descending=True, today=TODAY)
    assert weak_first[0].code == "3601000004"

    # every sort key, both ways, gives SQLite's answer (Chinese text sorts alike only under the
    # C collation, which the test server uses; other servers compare the non-text keys)
    school_list_store(store)
    with pg_store.engine.connect() as connection:
        collation = connection.exec_driver_sql("SHOW lc_collate").scalar()
    text_keys = {"name", "stage", "location", "run_by", "cluster"}
    for key in [k for k in SORT_KEYS if collation in ("C", "POSIX") or k not in text_keys]:
        for descending in (False, True):
            for search in ("", "村"):
                assert plain(school_rows(pg_store, search, key, descending, TODAY)) == \
                    plain(school_rows(store, search, key, descending, TODAY)), (key, descending, search)


def test_school_ids_from_the_list_drive_edits_on_postgres(pg_store: Store) -> None:
    """The page hands ``row.id`` to the cluster edits: it must be the school's real UUID."""
    school_list_store(pg_store)
    rows = {r.code: r for r in school_rows(pg_store, today=TODAY)}
    cluster = {c.name: c.id for c in cl.load(pg_store).clusters}["西片学区"]
    cl.join(pg_store, cluster, rows["3601000007"].id, dt.date(2025, 9, 1))
    cl.move(pg_store, rows["3601000005"].id, cluster, dt.date(2025, 9, 1))
    again = {r.code: r.cluster for r in school_rows(pg_store, sort="cluster", today=TODAY)}
    assert (again["3601000007"], again["3601000005"]) == ("西片学区", "西片学区")
