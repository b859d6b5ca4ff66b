"""The aggregated quota path (SQL tallies) gives the same table as the per-visit path it replaced."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
import quota_reference
import visit_world

from db.models import Visit, VisitParticipant
from db.store import Store
from db.visits import load_quota_inputs, load_tallies, load_visits, quota_rows
from policy.calendar import Semester, school_year_bounds
from policy.profile import load_profile
from policy.quotas import tally_visits

PROFILE = load_profile()


def add_visit(store: Store, day: dt.date, host: uuid.UUID, kind: str, people: list[tuple], lessons: int = 0) -> None:
    with store.write("测试") as s:
        visit = Visit(date=day, host_school_id=host, activity_type=kind, lessons=lessons)
        for name, role, home, teacher, *own in people:
            visit.participants.append(VisitParticipant(name=name, role=role, home_school_id=home, teacher_id=teacher,
                                                       lessons=own[0] if own else None))
        s.add(visit)


def per_visit_rows(store: Store, when: Semester | int) -> list[tuple]:
    """The table as the per-visit code computed it: every activity loaded, then counted."""
    year = when if isinstance(when, int) else when.year
    inputs = load_quota_inputs(store, PROFILE, year)
    visits = load_visits(store, *school_year_bounds(year, PROFILE.calendar))
    rows = quota_reference.quota_table(
        visits, inputs.pairings, PROFILE, when, people=inputs.teachers, clusters=inputs.clusters,
        summaries=inputs.summaries, school_names=inputs.school_names)
    return [dataclasses.astuple(r) for r in rows]


def aggregated_rows(store: Store, when: Semester | int) -> list[tuple]:
    return [dataclasses.astuple(r) for r in quota_rows(store, PROFILE, when)]


@pytest.fixture
def busy_world(store: Store) -> visit_world.World:
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
    assert [(t.host_school, t.activities) for t in sql_school if t.semester == "2025-1" and t.home_school == city] == [
        (busy_world.schools["RURAL01"].hex, 1)]  # three city visitors, one activity


@pytest.mark.parametrize("when", [Semester(2025, 1), Semester(2025, 2), 2025, Semester(2024, 2)])
def test_aggregated_table_equals_per_visit_table_on_the_demo(demo_store: Store, when) -> None:
    expected = per_visit_rows(demo_store, when)
    got = aggregated_rows(demo_store, when)
    assert got == expected
