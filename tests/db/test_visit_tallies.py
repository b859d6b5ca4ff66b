"""The aggregated quota path (SQL tallies) gives the same table as the per-visit path it replaced."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
import quota_reference
import visit_world
from sqlalchemy import func, select

from db.models import Visit, VisitParticipant, VisitTally, VisitTallyPeriod
from db.store import Store
from db.visit_import import import_visits
from db.visit_tallies import ensure_current
from db.visits import (
    VisitDraft,
    VisitorDraft,
    compute_tallies,
    delete_visit,
    load_quota_inputs,
    load_tallies,
    load_visits,
    quota_rows,
    save_visit,
    tally_periods,
)
from policy.calendar import Semester, school_year_bounds
from policy.profile import load_profile
from policy.quotas import quota_table, tally_spec, tally_visits

PROFILE = load_profile()


def add_visit(store: Store, day: dt.date, host: uuid.UUID, kind: str, people: list[tuple], lessons: int = 0) -> None:
    with store.write("测试") as s:
        visit = Visit(date=day, host_school_id=host, activity_type=kind, lessons=lessons)
        for name, role, home, teacher, *own in people:
            visit.participants.append(VisitParticipant(name=name, role=role, home_school_id=home, teacher_id=teacher,
                                                       lessons=own[0] if own else None))
        s.add(visit)


# The rules as they were before issue 11 (every host counts, 片区 seminars per person): the
# old per-visit reference implements exactly these.
LEGACY = dataclasses.replace(PROFILE, quotas=tuple(
    dataclasses.replace(r, hosts="any", scope="person", roles=("片区长学校",)) if r.scope == "area"
    else dataclasses.replace(r, hosts="any") for r in PROFILE.quotas))
LEGACY_FIELDS = 16  # rule … home_school: the fields the reference knows


def per_visit_rows(store: Store, when: Semester | int) -> list[tuple]:
    """The table from every activity loaded and tallied in Python (``policy.quotas.tally_visits``)
    with the same inputs: the stored SQL tallies must give exactly this."""
    year = when if isinstance(when, int) else when.year
    inputs = load_quota_inputs(store, PROFILE, year)
    visits = load_visits(store, *school_year_bounds(year, PROFILE.calendar))
    rows = quota_table(
        visits, inputs.pairings, PROFILE, when, people=inputs.teachers, clusters=inputs.clusters,
        summaries=inputs.summaries, school_names=inputs.school_names, hosts=inputs.hosts,
        duties=inputs.duties, area_leads=inputs.area_leads)
    return [dataclasses.astuple(r) for r in rows]


def reference_rows(store: Store, when: Semester | int) -> list[tuple]:
    """The table as the old per-visit code computed it, under the rules it knew (``LEGACY``)."""
    year = when if isinstance(when, int) else when.year
    inputs = load_quota_inputs(store, LEGACY, year)
    visits = load_visits(store, *school_year_bounds(year, LEGACY.calendar))
    rows = quota_reference.quota_table(
        visits, inputs.pairings, LEGACY, when, people=inputs.teachers, clusters=inputs.clusters,
        summaries=inputs.summaries, school_names=inputs.school_names)
    return [dataclasses.astuple(r)[:LEGACY_FIELDS] for r in rows]


def aggregated_rows(store: Store, when: Semester | int) -> list[tuple]:
    return [dataclasses.astuple(r) for r in quota_rows(store, PROFILE, when)]


@pytest.mark.parametrize("when", [Semester(2025, 1), Semester(2025, 2), 2025])
def test_without_the_new_rules_the_table_is_the_old_reference(store: Store, busy_world, when) -> None:
    """GIVEN the rules as they were (every host counts, seminars per person) and no duty register
    WHEN the table is computed from the stored tallies THEN it equals the old per-visit result."""
    year = when if isinstance(when, int) else when.year
    inputs = load_quota_inputs(store, LEGACY, year)
    rows = quota_table(
        pairings=inputs.pairings, profile=LEGACY, when=when, people=inputs.teachers, clusters=inputs.clusters,
        summaries=inputs.summaries, school_names=inputs.school_names, tallies=inputs.tallies,
        school_tallies=inputs.school_tallies, hosts=inputs.hosts)
    assert [dataclasses.astuple(r)[:LEGACY_FIELDS] for r in rows] == reference_rows(store, when)


@pytest.fixture
def busy_world(store: Store) -> visit_world.World:
    return make_busy_world(store)


def make_busy_world(store: Store) -> visit_world.World:
    """visit_world with a year of varied activity: paired and outside visits, own lesson figures,
    unlinked names that match a teacher, researchers, culture exchanges by several people of the
    city school in one activity, and types no rule counts."""
    world = visit_world.build(store)
    sc, t = world.schools, world.teachers
    city, rural1, rural2, rural9, town = sc["CITY01"], sc["RURAL01"], sc["RURAL02"], sc["RURAL09"], sc["TOWN01"]
    zhou = ("周老师", "骨干教师", city, t["周老师@CITY01"])
    chen = ("陈校长", "校级干部", city, t["陈校长@CITY01"])
    for day, host, kind, people, lessons in [
        (dt.date(2025, 9, 10), rural1, "听评课", [zhou, ("孙研", "市级教研员", None, None, 4)], 6),
        (dt.date(2025, 9, 11), rural9, "公开课", [zhou], 2),
        (dt.date(2025, 10, 1), rural2, "专题研讨", [("周老师", "骨干教师", city, None)], 0),  # unlinked, matches
        (dt.date(2025, 10, 2), rural1, "校园文化交流", [chen, zhou, ("李明", "教师", city, None)], 0),
        (dt.date(2025, 10, 3), rural9, "校园文化交流", [("李明", "教师", town, None)], 0),
        (dt.date(2025, 11, 5), town, "管理经验交流", [chen], 0),
        (dt.date(2025, 11, 6), rural1, "送教", [chen, ("吴老师", "学科带头人", rural9, None)], 1),
        (dt.date(2025, 12, 1), rural1, "听评课", [("孙研", "市级教研员", None, None)], 9),
        (dt.date(2025, 12, 2), rural2, "专题指导", [("孙研", "市级教研员", None, None)], 0),
        (dt.date(2025, 12, 3), rural9, "教研指导", [("赵研", "县级教研员", None, None)], 0),
        (dt.date(2026, 1, 31), rural1, "教研指导", [("赵研", "县级教研员", None, None)], 0),
        (dt.date(2026, 2, 1), rural2, "专题研究报告", [("赵研", "县级教研员", None, None)], 0),
        (dt.date(2026, 3, 1), rural1, "专题研讨", [("片区长", "片区长学校", town, None), zhou], 3),
        (dt.date(2026, 3, 2), rural2, "专题研讨", [("片区长", "片区长学校", town, None)], 0),
        (dt.date(2026, 4, 1), rural9, "校园文化交流", [chen], 0),
        (dt.date(2026, 5, 1), rural1, "主题教研活动", [("赵研", "县级教研员", None, None)], 0),
        (dt.date(2026, 9, 1), rural1, "听评课", [zhou], 0),  # next school year
    ]:
        add_visit(store, day, host, kind, people, lessons)
    return world


@pytest.mark.parametrize("when", [Semester(2025, 1), Semester(2025, 2), 2025])
def test_aggregated_table_equals_per_visit_table_on_visit_world(store: Store, busy_world, when) -> None:
    """GIVEN a year of varied activity WHEN the table is computed from SQL tallies
    THEN every row (who, done, outside, where, clusters, status) equals the per-visit result."""
    expected = per_visit_rows(store, when)
    assert len(expected) >= 8 and any(r[12] > 0 for r in expected) and any(r[11] > 0 for r in expected)
    assert aggregated_rows(store, when) == expected


def test_sql_tallies_equal_tallies_of_the_loaded_visits(store: Store, busy_world) -> None:
    sql_person, sql_school = load_tallies(store, PROFILE, 2025)
    visits = load_visits(store, *school_year_bounds(2025, PROFILE.calendar))
    py_person, py_school = tally_visits(visits, PROFILE)
    assert sorted(sql_person, key=repr) == sorted(py_person, key=repr)
    assert sorted(sql_school) == sorted(py_school)
    city = busy_world.schools["CITY01"].hex
    assert [(t.host_school, t.activities) for t in sql_school
            if t.rule == "visit.culture_exchange" and t.semester == "2025-1" and t.home_school == city] == [
        (busy_world.schools["RURAL01"].hex, 1)]  # three city visitors, one activity


@pytest.mark.parametrize("when", [Semester(2025, 1), Semester(2025, 2), 2025, Semester(2024, 2)])
def test_aggregated_table_equals_per_visit_table_on_the_demo(demo_store: Store, when) -> None:
    expected = per_visit_rows(demo_store, when)
    got = aggregated_rows(demo_store, when)
    assert got == expected


# ---------------------------------------------------------------------------------------
# The stored tallies (db.visit_tallies): kept current by every write path
# ---------------------------------------------------------------------------------------

YEAR = 2025


def stored_is_current(store: Store, year: int = YEAR) -> bool:
    """True when the stored semesters of ``year`` need no rebuild (kept by the write itself)."""
    return ensure_current(store.engine, tally_spec(PROFILE), tally_periods(PROFILE, year)) == []


def assert_stored_equals_raw(store: Store, year: int = YEAR) -> None:
    """Stored tallies (read without a rebuild) equal a fresh grouping of the visit tables, and the
    quota table they give equals the per-visit reference."""
    assert stored_is_current(store, year), "the write left the stored tallies stale"
    stored_people, stored_schools = load_tallies(store, PROFILE, year)
    raw_people, raw_schools = compute_tallies(store, PROFILE, year)
    assert sorted(stored_people, key=repr) == sorted(raw_people, key=repr)
    assert sorted(stored_schools) == sorted(raw_schools)
    for when in (Semester(year, 1), Semester(year, 2), year):
        assert aggregated_rows(store, when) == per_visit_rows(store, when)


def stored_rows(store: Store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(VisitTally))


def test_first_read_builds_the_stored_tallies_and_later_reads_use_them(store: Store, busy_world) -> None:
    assert stored_rows(store) == 0
    expected = per_visit_rows(store, Semester(YEAR, 1))
    assert aggregated_rows(store, Semester(YEAR, 1)) == expected
    assert stored_rows(store) > 5
    with store.read() as s:
        assert sorted(s.scalars(select(VisitTallyPeriod.semester))) == ["2025-1", "2025-2"]
    assert stored_is_current(store)


def test_quick_entry_edits_and_deletes_keep_the_stored_tallies_current(store: Store, busy_world) -> None:
    edit_scenario(store, busy_world)


def edit_scenario(store: Store, busy_world: visit_world.World) -> None:
    sc, t = busy_world.schools, busy_world.teachers
    quota_rows(store, PROFILE, YEAR)  # build
    # a new activity through quick entry
    vid = save_visit(store, VisitDraft(dt.date(2025, 10, 20), sc["RURAL02"], "听评课", [
        VisitorDraft("周老师", "骨干教师", sc["CITY01"], t["周老师@CITY01"], lessons=3),
        VisitorDraft("新研究员", "市级教研员"),
        VisitorDraft("陈校长", "校级干部", sc["CITY01"], t["陈校长@CITY01"]),
    ], lessons=2))
    assert_stored_equals_raw(store)
    # edits: move it to the other semester and another school, change type and lessons,
    # rename one visitor, drop one, add one
    with store.write("测试编辑") as s:
        visit = s.get(Visit, vid)
        visit.date, visit.host_school_id, visit.activity_type, visit.lessons = (
            dt.date(2026, 3, 15), sc["RURAL09"], "公开课", 5)
        by_name = {p.name: p for p in visit.participants}
        by_name["新研究员"].name = "改名研究员"
        visit.participants.remove(by_name["陈校长"])
        visit.participants.append(VisitParticipant(name="吴老师", role="学科带头人", home_school_id=sc["RURAL09"]))
    assert_stored_equals_raw(store)
    # an edit of one visitor row alone (its own lesson figure) and of a visit's earliest activity date
    with store.write("测试编辑") as s:
        person = s.scalars(select(VisitParticipant).where(VisitParticipant.visit_id == vid,
                                                          VisitParticipant.name == "吴老师")).one()
        person.lessons = 7
        earliest = s.scalars(select(Visit).where(Visit.date == dt.date(2025, 9, 10))).one()
        earliest.date = dt.date(2025, 12, 20)
    assert_stored_equals_raw(store)
    # pairing-rule activities (校园文化交流): one changes type, one loses its city visitors, one goes
    with store.write("测试编辑") as s:
        culture = {v.date: v for v in s.scalars(select(Visit).where(Visit.activity_type == "校园文化交流"))}
        culture[dt.date(2025, 10, 2)].activity_type = "专题研讨"
        for person in list(culture[dt.date(2025, 10, 3)].participants):
            person.home_school_id = sc["CITY01"]
        culture[dt.date(2025, 10, 3)].lessons = 4
        s.delete(culture[dt.date(2026, 4, 1)])
    assert_stored_equals_raw(store)
    # deletes, the earliest activity of a person included
    delete_visit(store, vid)
    assert_stored_equals_raw(store)
    with store.read() as s:
        first_of_zhou = s.scalars(select(Visit.id).where(Visit.date == dt.date(2025, 9, 11))).one()
    delete_visit(store, first_of_zhou)
    assert_stored_equals_raw(store)


def test_a_failed_write_leaves_the_stored_tallies_as_they_were(store: Store, busy_world) -> None:
    quota_rows(store, PROFILE, YEAR)
    before = sorted(load_tallies(store, PROFILE, YEAR)[0], key=repr)
    with pytest.raises(RuntimeError), store.write("失败") as s:
        add = Visit(date=dt.date(2025, 10, 9), host_school_id=busy_world.schools["RURAL01"], activity_type="听评课")
        add.participants.append(VisitParticipant(name="周老师", role="骨干教师", home_school_id=busy_world.schools["CITY01"]))
        s.add(add)
        s.flush()  # the tallies are changed in the transaction …
        raise RuntimeError("boom")  # … and rolled back with it
    assert sorted(load_tallies(store, PROFILE, YEAR)[0], key=repr) == before
    assert_stored_equals_raw(store)


def test_imports_keep_the_stored_tallies_current(store: Store, busy_world, tmp_path) -> None:
    from test_visit_import import write_log

    quota_rows(store, PROFILE, YEAR)
    import_visits(store, write_log(tmp_path / "a.xlsx", [
        ["2025-09-10", "RURAL01", "李明", "教师", "CITY01", "听评课", 2, "补充"],  # extends an activity
        ["2025-09-10", "RURAL01", "吴老师", "学科带头人", "RURAL09", "听评课", 8, None],  # own figure
        ["2025-11-20", "RURAL02", "周老师", "骨干教师", "CITY01", "公开课", 1, "新活动"],
        ["2025-11-20", "RURAL02", "赵研", "县级教研员", None, "公开课", 1, None],
        ["2026-04-02", "TOWN01", "陈校长", "校级干部", "CITY01", "校园文化交流", None, None],
    ]))
    assert_stored_equals_raw(store)
    import_visits(store, write_log(tmp_path / "b.xlsx", [  # partly a re-import
        ["2025-11-20", "RURAL02", "周老师", "骨干教师", "CITY01", "公开课", 1, "新活动"],
        ["2025-11-20", "RURAL02", "片区长", "片区长学校", "TOWN01", "公开课", 3, None],
    ]))
    assert_stored_equals_raw(store)


def test_a_bulk_load_that_keeps_nothing_is_caught_by_the_signature(store: Store, busy_world) -> None:
    """GIVEN stored tallies WHEN rows are added with Core (as the demo and benchmark do), or
    removed THEN the next read rebuilds the semester and matches the raw grouping."""
    sc = busy_world.schools
    quota_rows(store, PROFILE, YEAR)
    vid = uuid.uuid4()
    with store.bulk("visit", "测试批量") as connection:
        connection.execute(Visit.__table__.insert(), [{"id": vid, "date": dt.date(2025, 9, 12), "host_school_id": sc["RURAL01"],
                                                       "activity_type": "听评课", "lessons": 3}])
        connection.execute(VisitParticipant.__table__.insert(), [{"id": uuid.uuid4(), "visit_id": vid, "name": "周老师",
                                                                  "role": "骨干教师", "home_school_id": sc["CITY01"]}])
    assert not stored_is_current(store)  # rebuilt now
    assert_stored_equals_raw(store)
    with store.bulk("visit", "测试批量删除") as connection:
        connection.execute(VisitParticipant.__table__.delete().where(VisitParticipant.visit_id == vid))
        connection.execute(Visit.__table__.delete().where(Visit.id == vid))
    assert not stored_is_current(store)
    assert_stored_equals_raw(store)


def test_another_profile_rebuilds_the_stored_tallies(store: Store, busy_world) -> None:
    quota_rows(store, PROFILE, YEAR)
    rules = [dataclasses.replace(r, enabled=False) if r.scope in ("pairing", "area") else r for r in PROFILE.quotas]
    other = dataclasses.replace(PROFILE, quotas=tuple(rules))
    spec = tally_spec(other)
    assert spec != tally_spec(PROFILE)
    assert ensure_current(store.engine, spec, tally_periods(other, YEAR)) == ["2025-1", "2025-2"]
    assert load_tallies(store, other, YEAR)[1] == []  # no pairing or area rule, no school tallies
    assert sorted(load_tallies(store, PROFILE, YEAR)[1]) == sorted(compute_tallies(store, PROFILE, YEAR)[1])


def test_the_demo_is_rebuilt_once_then_kept_by_quick_entry(demo_store: Store) -> None:
    assert_stored_equals_raw_after_rebuild = aggregated_rows(demo_store, Semester(2025, 1))
    assert assert_stored_equals_raw_after_rebuild == per_visit_rows(demo_store, Semester(2025, 1))
    with demo_store.read() as s:
        host, home = s.execute(select(Visit.host_school_id, VisitParticipant.home_school_id)
                               .join(VisitParticipant, VisitParticipant.visit_id == Visit.id)
                               .where(VisitParticipant.role == "骨干教师", Visit.date >= dt.date(2025, 9, 1))
                               .limit(1)).one()
    save_visit(demo_store, VisitDraft(dt.date(2025, 11, 3), host, "听评课",
                                      [VisitorDraft("演示新人", "骨干教师", home)], lessons=2))
    assert_stored_equals_raw(demo_store)


@pytest.mark.postgres
def test_stored_tallies_on_postgres(pg_store: Store, tmp_path) -> None:
    """The same SQL on PostgreSQL: build, quick entry, edits, deletes, an import, a bulk load."""
    world = make_busy_world(pg_store)
    quota_rows(pg_store, PROFILE, YEAR)
    with pg_store.read() as s:
        assert s.scalar(select(func.count()).select_from(VisitTally)) > 5
    assert_stored_equals_raw(pg_store)
    edit_scenario(pg_store, world)
    from test_visit_import import write_log

    import_visits(pg_store, write_log(tmp_path / "a.xlsx", [
        ["2025-09-10", "RURAL01", "李明", "教师", "CITY01", "听评课", 2, "补充"],
        ["2025-11-20", "RURAL02", "陈校长", "校级干部", "CITY01", "校园文化交流", 1, "新活动"],
    ]))
    assert_stored_equals_raw(pg_store)
    with pg_store.bulk("visit", "测试批量") as connection:
        connection.execute(VisitParticipant.__table__.delete().where(VisitParticipant.name == "李明"))
    assert not stored_is_current(pg_store)
    assert_stored_equals_raw(pg_store)
