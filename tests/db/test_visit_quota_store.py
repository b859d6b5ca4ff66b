"""Quota table read from the store, and the ``edubridge quota`` command."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import visit_world

from db.models import SemesterSummary, Visit, VisitParticipant
from db.store import Store
from db.visits import load_quota_inputs, load_visits, quota_rows
from desktop.cli import main
from policy.calendar import Semester, school_year_bounds
from policy.profile import load_profile

PROFILE = load_profile()


def add_visit(store: Store, day: dt.date, host: uuid.UUID, kind: str, people: list[tuple], lessons: int = 0) -> None:
    with store.write("测试") as s:
        visit = Visit(date=day, host_school_id=host, activity_type=kind, lessons=lessons)
        for name, role, home, teacher in people:
            visit.participants.append(VisitParticipant(name=name, role=role, home_school_id=home, teacher_id=teacher))
        s.add(visit)


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def test_store_quota_counts_paired_and_outside_and_expects_unvisited_leaders(store: Store, world) -> None:
    sc, t = world.schools, world.teachers
    zhou = ("周老师", "骨干教师", sc["CITY01"], t["周老师@CITY01"])
    add_visit(store, dt.date(2025, 9, 10), sc["RURAL01"], "听评课", [zhou])
    add_visit(store, dt.date(2025, 10, 10), sc["RURAL02"], "公开课", [zhou])
    add_visit(store, dt.date(2025, 11, 10), sc["RURAL09"], "专题研讨", [zhou])  # outside the cluster
    add_visit(store, dt.date(2025, 12, 1), sc["RURAL01"], "听评课", [zhou, ("孙研", "市级教研员", None, None)], lessons=7)
    with store.write("总结") as s:
        s.add(SemesterSummary(cluster_id=world.cluster, semester="2025-1", attainment="良好"))
    rows = quota_rows(store, PROFILE, Semester(2025, 1))
    by = {(r.rule, r.who): r for r in rows}
    zhou_row = by[("visit.backbone_teaching", "周老师（市一中）")]
    assert (zhou_row.done, zhou_row.outside, zhou_row.met) == (3, 1, True)
    leader = by[("visit.leader_management", "陈校长（市一中）")]
    assert (leader.done, leader.status) == (0, "not_started")
    assert by[("visit.city_researcher_lessons", "孙研（市级教研员）")].done == 7
    assert by[("community.semester_summary", "东片集团")].met
    assert by[("visit.culture_exchange", "市一中 ↔ 东片集团")].status == "not_started"


def test_inputs_load_only_the_school_year(store: Store, world) -> None:
    sc = world.schools
    add_visit(store, dt.date(2025, 8, 31), sc["RURAL01"], "听评课", [("甲", "教师", None, None)])
    add_visit(store, dt.date(2025, 9, 1), sc["RURAL01"], "听评课", [("甲", "教师", None, None)])
    add_visit(store, dt.date(2026, 8, 31), sc["RURAL01"], "听评课", [])
    add_visit(store, dt.date(2025, 8, 31), sc["RURAL01"], "听评课", [("孙研", "市级教研员", None, None)], lessons=3)
    add_visit(store, dt.date(2026, 8, 31), sc["RURAL01"], "听评课", [("孙研", "市级教研员", None, None)], lessons=4)
    visits = [v for v in load_visits(store, *school_year_bounds(2025, PROFILE.calendar)) if v.lessons == 0]
    assert sorted(v.date for v in visits) == [dt.date(2025, 9, 1), dt.date(2026, 8, 31)]
    assert {len(v.participants) for v in visits} == {0, 1}
    assert visits[0].host_school == sc["RURAL01"].hex
    inputs = load_quota_inputs(store, PROFILE, 2025)
    assert [(t.semester, t.name, t.host_school, t.activities, t.lessons, t.first) for t in inputs.tallies] == [
        ("2025-2", "孙研", sc["RURAL01"].hex, 1, 4, dt.date(2026, 8, 31))]  # 教师 owes no quota


def test_quota_command_json_shape(store: Store, world, db_path, capsys) -> None:
    sc, t = world.schools, world.teachers
    add_visit(store, dt.date(2026, 3, 10), sc["RURAL01"], "管理经验交流",
              [("陈校长", "校级干部", sc["CITY01"], t["陈校长@CITY01"])])
    assert main(["--db", str(db_path), "quota", "--semester", "2025-2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["semester"] == "2025-2"
    leader = [r for r in data["rows"] if r["rule"] == "visit.leader_management"]
    assert [(r["who"], r["required"], r["done"], r["met"]) for r in leader] == [("陈校长（市一中）", 1, 1, True)]
    assert all({"rule", "who", "required", "done", "met", "clause"} <= set(r) for r in data["rows"])
    assert leader[0]["home_school"] == "CITY01"


def test_quota_command_bad_semester_is_one_line_exit_2(db_path, capsys) -> None:
    assert main(["--db", str(db_path), "quota", "--semester", "2025-3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edubridge: ") and err.count("\n") == 1
