"""Quota table: counting, periods, pairings, expected people, clauses."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from policy.calendar import Semester
from policy.profile import load_profile
from policy.quotas import (
    BEHIND,
    MET,
    NOT_STARTED,
    ClusterRec,
    PairingRec,
    Participant,
    TeacherRec,
    VisitRec,
    by_cluster,
    days_left,
    quota_table,
    todo_list,
)

PROFILE = load_profile()
S1 = Semester(2025, 1)
CLUSTER = ClusterRec("c1", "东片集团", frozenset({"r1", "r2", "lead"}))
OTHER = ClusterRec("c2", "西片集团", frozenset({"r9"}))
PAIR = PairingRec("p1", "包片包抓", dt.date(2024, 9, 1), supporter_school="city", cluster="c1")


def visit(vid: str, day: dt.date, host: str, kind: str, *people: Participant, lessons: int = 0) -> VisitRec:
    return VisitRec(vid, day, host, kind, lessons, tuple(people))


def rows_for(rows, rule: str, who_key: str | None = None):
    found = [r for r in rows if r.rule == rule and (who_key is None or r.who_key == who_key)]
    return found


def test_backbone_visits_count_in_paired_cluster_and_outside_is_shown_apart() -> None:
    """GIVEN a backbone teacher of a city school paired with cluster c1
    WHEN they visit two c1 schools and one school of another cluster
    THEN done is 2, outside is 1, status behind (3 required), and the clause travels with the row."""
    zhang = Participant("张老师", "骨干教师", "city")
    visits = [
        visit("v1", dt.date(2025, 9, 10), "r1", "听评课", zhang),
        visit("v2", dt.date(2025, 10, 10), "r2", "公开课", zhang),
        visit("v3", dt.date(2025, 11, 10), "r9", "专题研讨", zhang),
        visit("v4", dt.date(2025, 11, 11), "r1", "送教", zhang),  # not a counted type
        visit("v5", dt.date(2026, 3, 1), "r1", "听评课", zhang),  # next semester
    ]
    rows = quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER, OTHER], school_names={"city": "市一中"})
    [row] = rows_for(rows, "visit.backbone_teaching")
    assert (row.required, row.done, row.outside, row.status) == (3, 2, 1, BEHIND)
    assert row.clause == "银川2023方案 二(二)5"
    assert row.who == "张老师（市一中）"
    assert set(row.where) == {"r1", "r2", "lead"}
    assert row.clusters == ("c1",)


def test_without_pairing_a_visit_counts_wherever_it_took_place() -> None:
    li = Participant("李老师", "学科带头人", "town")
    visits = [visit(f"v{i}", dt.date(2025, 9, 10 + i), host, "听评课", li) for i, host in enumerate(["r1", "r9", "x"])]
    [row] = rows_for(quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER]), "visit.backbone_teaching")
    assert (row.done, row.outside, row.status, row.met) == (3, 0, MET, True)
    assert row.where == ()


def test_lessons_measure_sums_lessons_with_the_visitors_own_figure_first() -> None:
    wang = Participant("王教研员", "市级教研员")
    wang_own = Participant("王教研员", "市级教研员", lessons=4)
    visits = [
        visit("v1", dt.date(2025, 9, 10), "r1", "听评课", wang, lessons=6),
        visit("v2", dt.date(2025, 9, 11), "r2", "听评课", wang_own, lessons=9),
        visit("v3", dt.date(2025, 9, 12), "r2", "专题指导", wang, lessons=5),
    ]
    rows = quota_table(visits, [], PROFILE, S1)
    [lessons] = rows_for(rows, "visit.city_researcher_lessons")
    [guidance] = rows_for(rows, "visit.city_researcher_guidance")
    assert (lessons.done, lessons.required, lessons.status) == (10, 15, BEHIND)
    assert (guidance.done, guidance.required) == (1, 2)
    assert lessons.who == "王教研员（市级教研员）"


def test_year_rules_cover_the_whole_school_year_and_semester_rules_only_the_semester() -> None:
    """Semester 2 of 2025 starts 2026-02-01; a year rule asked for 2025-2 still sees September."""
    zhao = Participant("赵教研员", "县级教研员")
    visits = [
        visit("v1", dt.date(2025, 9, 5), "r1", "专题研究报告", zhao),
        visit("v2", dt.date(2026, 1, 31), "r1", "教研指导", zhao),  # still semester 1
        visit("v3", dt.date(2026, 2, 1), "r1", "教研指导", zhao),
        visit("v4", dt.date(2026, 9, 1), "r1", "主题教研活动", zhao),  # next school year
    ]
    rows = quota_table(visits, [], PROFILE, Semester(2025, 2))
    assert rows_for(rows, "visit.county_researcher_report")[0].done == 1
    assert rows_for(rows, "visit.county_researcher_report")[0].period == "2025"
    assert rows_for(rows, "visit.county_researcher_event")[0].status == NOT_STARTED
    guidance = rows_for(rows, "visit.county_researcher_guidance")[0]
    assert (guidance.done, guidance.period) == (1, "2025-2")


def test_school_year_gives_semester_rules_per_semester() -> None:
    zhao = Participant("赵教研员", "县级教研员")
    visits = [visit("v1", dt.date(2025, 9, 5), "r1", "教研指导", zhao),
              visit("v2", dt.date(2026, 3, 5), "r1", "专题研究报告", zhao)]
    rows = rows_for(quota_table(visits, [], PROFILE, 2025), "visit.county_researcher_guidance")
    assert [(r.period, r.done) for r in rows] == [("2025-1", 1), ("2025-2", 0)]


def test_people_are_expected_only_in_periods_where_they_appear() -> None:
    zhao = Participant("赵教研员", "县级教研员")
    rows = quota_table([visit("v1", dt.date(2025, 9, 5), "r1", "教研指导", zhao)], [], PROFILE, Semester(2025, 2))
    assert rows_for(rows, "visit.county_researcher_guidance") == []


def test_profile_dates_move_the_semester_boundary() -> None:
    moved = dataclasses.replace(PROFILE, calendar=dataclasses.replace(PROFILE.calendar, semester2_start=(3, 1)))
    zhao = Participant("赵教研员", "县级教研员")
    visits = [visit("v1", dt.date(2026, 2, 15), "r1", "教研指导", zhao),
              visit("v0", dt.date(2025, 9, 15), "r1", "送教", zhao)]
    assert rows_for(quota_table(visits, [], PROFILE, S1), "visit.county_researcher_guidance")[0].done == 0
    assert rows_for(quota_table(visits, [], moved, S1), "visit.county_researcher_guidance")[0].done == 1


def test_teachers_of_a_pairing_school_are_expected_before_their_first_visit() -> None:
    teachers = [
        TeacherRec("t1", "陈校长", position="校长", school="city"),
        TeacherRec("t2", "周老师", backbone_level="市级骨干教师", school="city"),
        TeacherRec("t3", "吴老师", backbone_level="市级骨干教师", school="unpaired"),
        TeacherRec("t4", "郑老师", school="city"),  # ordinary teacher owes nothing
    ]
    rows = quota_table([], [PAIR], PROFILE, S1, people=teachers, clusters=[CLUSTER])
    leaders = rows_for(rows, "visit.leader_management")
    backbone = rows_for(rows, "visit.backbone_teaching")
    assert [r.who_key for r in leaders] == ["t:t1"]
    assert [r.who_key for r in backbone] == ["t:t2"]
    assert backbone[0].status == NOT_STARTED


def test_an_unlinked_visitor_matching_one_teacher_is_that_teacher() -> None:
    teachers = [TeacherRec("t2", "周老师", backbone_level="市级骨干教师", school="city")]
    zhou = Participant("周老师", "骨干教师", "city")
    visits = [visit("v1", dt.date(2025, 9, 10), "r1", "听评课", zhou)]
    [row] = rows_for(quota_table(visits, [PAIR], PROFILE, S1, people=teachers, clusters=[CLUSTER]),
                     "visit.backbone_teaching")
    assert (row.who_key, row.done) == ("t:t2", 1)


def test_one_activity_counts_once_per_person_even_if_listed_twice() -> None:
    zhang = Participant("张老师", "骨干教师", "city")
    rows = quota_table([visit("v1", dt.date(2025, 9, 10), "r1", "听评课", zhang, zhang)], [], PROFILE, S1)
    assert rows_for(rows, "visit.backbone_teaching")[0].done == 1


def test_personal_pairing_restricts_where_visits_count() -> None:
    """A 1:1 pairing of a named supporter (no school) makes other hosts 'outside'."""
    pairing = PairingRec("p2", "名师工作室结对乡村学校", dt.date(2025, 1, 1), supporter_name="钱名师", target_school="r2")
    qian = Participant("钱名师", "名师工作室主持人")
    visits = [visit("v1", dt.date(2025, 9, 10), "r2", "公开课", qian), visit("v2", dt.date(2025, 9, 11), "r1", "公开课", qian)]
    [row] = rows_for(quota_table(visits, [pairing], PROFILE, S1, clusters=[CLUSTER]), "visit.backbone_teaching")
    assert (row.done, row.outside, row.where) == (1, 1, ("r2",))


def test_ended_pairing_is_ignored() -> None:
    ended = dataclasses.replace(PAIR, end=dt.date(2025, 6, 30))
    zhang = Participant("张老师", "骨干教师", "city")
    rows = quota_table([visit("v1", dt.date(2025, 9, 10), "r9", "听评课", zhang)], [ended], PROFILE, S1, clusters=[CLUSTER])
    assert rows_for(rows, "visit.backbone_teaching")[0].outside == 0


def test_pairing_scope_counts_culture_exchange_by_anyone_from_the_city_school() -> None:
    a, b = Participant("甲", "教师", "city"), Participant("乙", "校级干部", "city")
    visits = [
        visit("v1", dt.date(2025, 10, 1), "r1", "校园文化交流", a, b),  # one activity, counted once
        visit("v2", dt.date(2026, 3, 1), "r9", "校园文化交流", a),  # outside the cluster
    ]
    [row] = rows_for(quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER, OTHER],
                                 school_names={"city": "市一中"}), "visit.culture_exchange")
    assert (row.done, row.outside, row.met, row.period) == (1, 1, True, "2025")
    assert row.who == "市一中 ↔ 东片集团"
    assert row.clause == "银川2023方案 二(四)11"


def test_community_scope_counts_semester_summaries() -> None:
    rows = quota_table([], [], PROFILE, S1, clusters=[CLUSTER, OTHER], summaries=[("c1", "2025-1"), ("c2", "2024-2")])
    summary = {r.who: r.status for r in rows_for(rows, "community.semester_summary")}
    assert summary == {"东片集团": MET, "西片集团": NOT_STARTED}


def test_disabled_rule_gives_no_rows() -> None:
    rules = tuple(dataclasses.replace(q, enabled=q.id != "visit.backbone_teaching") for q in PROFILE.quotas)
    profile = dataclasses.replace(PROFILE, quotas=rules)
    zhang = Participant("张老师", "骨干教师", "city")
    rows = quota_table([visit("v1", dt.date(2025, 9, 10), "r1", "听评课", zhang)], [], profile, S1)
    assert rows_for(rows, "visit.backbone_teaching") == []


def test_every_row_carries_its_clause_and_json_has_the_contract_keys() -> None:
    zhang = Participant("张老师", "骨干教师", "city")
    rows = quota_table([visit("v1", dt.date(2025, 9, 10), "r1", "听评课", zhang)], [PAIR], PROFILE, S1,
                       clusters=[CLUSTER])
    assert rows and all(r.clause for r in rows)
    assert {"rule", "who", "required", "done", "met"} <= set(rows[0].as_json())


def test_todo_list_and_cluster_dashboard() -> None:
    zhang = Participant("张老师", "骨干教师", "city")
    rows = quota_table([visit("v1", dt.date(2025, 9, 10), "r1", "听评课", zhang)], [PAIR], PROFILE, S1,
                       clusters=[CLUSTER])
    todo = [t for t in todo_list(rows) if t.who.startswith("张老师")]
    assert todo[0].remaining == 2 and set(todo[0].where) == {"r1", "r2", "lead"}
    assert by_cluster(rows)["c1"].behind >= 1


@pytest.mark.parametrize(("today", "left"), [
    (dt.date(2025, 8, 1), 153), (dt.date(2026, 1, 31), 1), (dt.date(2026, 2, 1), 0), (dt.date(2025, 12, 31), 32),
])
def test_days_left(today: dt.date, left: int) -> None:
    assert days_left(S1, today, PROFILE.calendar) == left


def test_a_school_that_changed_cluster_on_1_february_counts_for_each_in_its_own_semester() -> None:
    """r1 leaves 东片 for 西片 on 2026-02-01 (first day out / in): a visit there in October
    counts for 东片's pairing, one in March for 西片's — never for both."""
    east = ClusterRec("c1", "东片集团", frozenset({"r1", "r2"}),
                      terms=(("r1", dt.date(2020, 9, 1), dt.date(2026, 2, 1)), ("r2", dt.date(2020, 9, 1), None)))
    west = ClusterRec("c2", "西片集团", frozenset({"r9", "r1"}),
                      terms=(("r9", dt.date(2020, 9, 1), None), ("r1", dt.date(2026, 2, 1), None)))
    west_pair = PairingRec("p2", "包片包抓", dt.date(2024, 9, 1), supporter_school="town", cluster="c2")
    city, town = Participant("甲", "教师", "city"), Participant("乙", "教师", "town")
    visits = [
        visit("v1", dt.date(2025, 10, 1), "r1", "校园文化交流", city),  # 东片's then
        visit("v2", dt.date(2026, 3, 1), "r1", "校园文化交流", city),  # 西片's by then
        visit("v3", dt.date(2025, 10, 2), "r1", "校园文化交流", town),
        visit("v4", dt.date(2026, 3, 2), "r1", "校园文化交流", town),
    ]
    rows = quota_table(visits, [PAIR, west_pair], PROFILE, 2025, clusters=[east, west])
    by_pairing = {r.who_key: (r.done, r.outside) for r in rows_for(rows, "visit.culture_exchange")}
    assert by_pairing == {"p:p1": (1, 1), "p:p2": (1, 1)}
