"""Quotas count what the clause counts (issue 11; POLICY.md §7): 农村学校 only, the paired
cluster or county only, 片区 seminars per 片区长学校, and every duty holder has a row."""

from __future__ import annotations

import datetime as dt

from policy.calendar import Semester
from policy.profile import load_profile
from policy.quotas import (
    NOT_IN_COUNTY,
    NOT_PAIRED,
    NOT_STARTED,
    ClusterRec,
    DutyRec,
    HostSchool,
    PairingRec,
    Participant,
    VisitRec,
    quota_table,
    todo_list,
)

PROFILE = load_profile()
S1, S2 = Semester(2025, 1), Semester(2025, 2)
CLUSTER = ClusterRec("c1", "东片集团", frozenset({"town", "r1", "tp"}))
PAIR = PairingRec("p1", "包片包抓", dt.date(2024, 9, 1), supporter_school="city", cluster="c1")
HOSTS = {
    "city": HostSchool("城区", "初中", "county-a"),
    "town": HostSchool("镇区", "小学", "county-a"),
    "r1": HostSchool("乡村", "小学", "county-a"),
    "tp": HostSchool("镇区", "教学点", "county-a"),  # a 教学点 counts whatever its location
    "urban-b": HostSchool("城区", "小学", "county-b"),
    "rural-b": HostSchool("乡村", "小学", "county-b"),
}


def visit(vid: str, day: dt.date, host: str, kind: str, *people: Participant, lessons: int = 0) -> VisitRec:
    return VisitRec(vid, day, host, kind, lessons, tuple(people))


def rows_of(rows, rule: str):
    return [r for r in rows if r.rule == rule]


def test_a_public_lesson_at_the_town_lead_school_is_shown_but_not_counted() -> None:
    """GIVEN a backbone teacher of the city school pairing c1
    WHEN they give lessons at the 镇区 lead school, a 乡村 school and a 教学点
    THEN only the 乡村 school and the 教学点 count (000 二(二)5 says 农村学校); the 镇区 visit is
    listed under not_counted with its reason."""
    zhou = Participant("周老师", "骨干教师", "city")
    visits = [
        visit("v1", dt.date(2025, 9, 10), "town", "公开课", zhou),
        visit("v2", dt.date(2025, 9, 11), "r1", "听评课", zhou),
        visit("v3", dt.date(2025, 9, 12), "tp", "专题研讨", zhou),
    ]
    [row] = rows_of(quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER], hosts=HOSTS),
                    "visit.backbone_teaching")
    assert (row.done, row.outside, row.required) == (2, 1, 3)
    assert row.counted == (("r1", 1), ("tp", 1))
    [(school, amount, reason)] = row.not_counted
    assert (school, amount) == ("town", 1) and reason.startswith("镇区学校不是农村学校")
    assert set(row.where) == {"r1", "tp"}  # where the remaining visits count


def test_the_leader_rule_counts_every_school_of_the_paired_cluster() -> None:
    """The leaders' clause (000 二(一)2) says 包片包抓的集团(学区), not 农村学校: the 镇区 school counts."""
    chen = Participant("陈校长", "校级干部", "city")
    visits = [visit("v1", dt.date(2025, 10, 1), "town", "管理经验交流", chen)]
    [row] = rows_of(quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER], hosts=HOSTS),
                    "visit.leader_management")
    assert (row.done, row.outside, row.not_counted) == (1, 0, ())


def test_outside_the_paired_cluster_the_reason_says_so() -> None:
    zhou = Participant("周老师", "骨干教师", "city")
    visits = [visit("v1", dt.date(2025, 9, 10), "rural-b", "听评课", zhou)]
    [row] = rows_of(quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER], hosts=HOSTS),
                    "visit.backbone_teaching")
    assert (row.done, row.not_counted) == (0, (("rural-b", 1, NOT_PAIRED),))


def test_a_city_researchers_lessons_count_only_at_rural_schools_of_the_paired_county() -> None:
    """GIVEN a 市级教研员 registered with 包抓县区 county-a
    WHEN he observes lessons at a 城区 school, at a rural school of county-b and at a rural school
    of county-a THEN only the last counts toward his 15 lessons, each other one with its reason."""
    sun = Participant("孙研", "市级教研员")
    duty = DutyRec("d1", "孙研", "市级教研员", dt.date(2024, 9, 1), county="county-a")
    visits = [
        visit("v1", dt.date(2025, 9, 10), "city", "听评课", sun, lessons=6),
        visit("v2", dt.date(2025, 9, 11), "rural-b", "听评课", sun, lessons=5),
        visit("v3", dt.date(2025, 9, 12), "r1", "听评课", sun, lessons=4),
    ]
    rows = quota_table(visits, [], PROFILE, S1, hosts=HOSTS, duties=[duty])
    [lessons] = rows_of(rows, "visit.city_researcher_lessons")
    assert (lessons.done, lessons.outside, lessons.required) == (4, 11, 15)
    reasons = {school: reason for school, _n, reason in lessons.not_counted}
    assert reasons["rural-b"] == NOT_IN_COUNTY and reasons["city"].startswith("城区学校不是农村学校")
    [guidance] = rows_of(rows, "visit.city_researcher_guidance")  # owed though nothing was logged
    assert (guidance.done, guidance.required, guidance.status) == (0, 2, NOT_STARTED)


def test_every_duty_holder_has_a_row_each_period_until_the_clerk_ends_it() -> None:
    """GIVEN a city school leader on the register since August 2025 (logged once then) and a
    registered 县级教研员 whose duty ended on 31 January 2026
    WHEN the school year is asked THEN the leader has a 0/1 row in both semesters and the
    researcher rows only in the first."""
    duties = [
        DutyRec("d1", "陈校长", "校级干部", dt.date(2025, 8, 20), home_school="city", source="活动记录"),
        DutyRec("d2", "赵研", "县级教研员", dt.date(2025, 3, 1), end=dt.date(2026, 1, 31)),
    ]
    rows = quota_table([], [PAIR], PROFILE, 2025, clusters=[CLUSTER], hosts=HOSTS, duties=duties,
                       school_names={"city": "市一中"})
    leader = rows_of(rows, "visit.leader_management")
    assert [(r.period, r.who, r.done, r.required, r.source) for r in leader] == [
        ("2025-1", "陈校长（市一中）", 0, 1, "活动记录"), ("2025-2", "陈校长（市一中）", 0, 1, "活动记录")]
    guidance = rows_of(rows, "visit.county_researcher_guidance")
    assert [(r.period, r.done, r.required) for r in guidance] == [("2025-1", 0, 4)]
    assert [r.period for r in rows_of(rows, "visit.county_researcher_report")] == ["2025"]  # a year rule: active in it
    assert {t.who for t in todo_list(rows)} >= {"陈校长（市一中）", "赵研（县级教研员）"}


def test_a_duty_holder_and_their_logged_visits_are_one_row() -> None:
    duty = DutyRec("d1", "陈校长", "校级干部", dt.date(2025, 8, 20), home_school="city", teacher="t9")
    chen = Participant("陈校长", "校级干部", "city")  # logged without the teacher link
    visits = [visit("v1", dt.date(2025, 10, 1), "r1", "管理经验交流", chen)]
    rows = rows_of(quota_table(visits, [PAIR], PROFILE, S1, clusters=[CLUSTER], hosts=HOSTS, duties=[duty]),
                   "visit.leader_management")
    assert [(r.who_key, r.done) for r in rows] == [("t:t9", 1)]


def test_area_seminars_count_per_area_lead_school_per_school_year() -> None:
    """GIVEN two 片区长学校 (A held three seminars through three people, B held none) and a school
    whose people logged a seminar as 片区长学校 without the membership
    WHEN the school year is asked THEN one row per school: A 3/2 met, B 0/2 not started, D 1/2
    (余教〔2020〕155号 五(一)3 counts per school, not per person)."""
    a1, a2, a3 = (Participant(n, "片区长学校", "lead-a") for n in ("甲", "乙", "丙"))
    visits = [
        visit("v1", dt.date(2025, 10, 1), "r1", "专题研讨", a1),
        visit("v2", dt.date(2025, 11, 1), "town", "专题研讨", a2),
        visit("v3", dt.date(2026, 3, 1), "r1", "专题研讨", a3, Participant("丁", "片区长学校", "lead-a")),  # once
        visit("v4", dt.date(2026, 3, 2), "r1", "听评课", a1),  # not a seminar
        visit("v5", dt.date(2026, 3, 3), "r1", "专题研讨", Participant("戊", "骨干教师", "lead-a")),  # not as 片区长学校
        visit("v6", dt.date(2026, 4, 1), "r1", "专题研讨", Participant("己", "片区长学校", "lead-d")),  # logged only
    ]
    leads = [("lead-a", "c1", dt.date(2020, 9, 1), None), ("lead-b", "c2", dt.date(2020, 9, 1), None),
             ("lead-c", "c3", dt.date(2020, 9, 1), dt.date(2025, 6, 1))]  # left before the year
    rows = rows_of(quota_table(visits, [], PROFILE, S2, hosts=HOSTS, area_leads=leads,
                               school_names={"lead-a": "阳明小学", "lead-b": "梨洲小学", "lead-d": "舜水小学"}),
                   "visit.area_seminar")
    assert [(r.who, r.period, r.done, r.required, r.status) for r in rows] == [
        ("梨洲小学", "2025", 0, 2, NOT_STARTED), ("舜水小学", "2025", 1, 2, "behind"), ("阳明小学", "2025", 3, 2, "met")]
    assert rows[-1].clause == "余教〔2020〕155号 五(一)3"
    assert not any(r.scope == "person" and r.rule == "visit.area_seminar" for r in rows)
