"""Cluster and school rules of policy.clusters, on plain records."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.clusters import (
    ClusterRec,
    MembershipRec,
    PairingRec,
    SchoolRec,
    WaiverRec,
    check,
    summarize,
    unclustered,
)
from policy.profile import load_profile

ON = dt.date(2025, 3, 1)
JOINED = dt.date(2020, 9, 1)
PROFILE = load_profile()


def school(code: str, location: str = "城区", stage: str = "小学", students: int = 500, classes: int = 12,
           run_by: str = "县属") -> SchoolRec:
    return SchoolRec(uuid.uuid4(), code, f"学校{code}", stage, location, run_by, students, classes)


def cluster(name: str, kind: str = "教育集团", lead: SchoolRec | None = None) -> ClusterRec:
    return ClusterRec(uuid.uuid4(), name, kind, lead.id if lead else None)


def member(c: ClusterRec, s: SchoolRec, role: str = "成员校", joined: dt.date = JOINED,
           left: dt.date | None = None) -> MembershipRec:
    return MembershipRec(uuid.uuid4(), c.id, s.id, role, joined, left)


def rules(result) -> list[tuple[str, str]]:
    return [(v.rule, v.subject) for v in result.violations]


def run(schools, clusters=(), memberships=(), pairings=(), waivers=(), profile=PROFILE, on=ON):
    return check(list(schools), list(clusters), list(memberships), list(pairings), list(waivers), profile, on)


def test_a_sound_cluster_has_no_violation() -> None:
    lead = school("A1", "城区")
    rural = school("R1", "乡村", students=200, classes=6)
    city = school("C1", "城区", run_by="市属")
    c = cluster("一集团", lead=lead)
    pair = PairingRec(uuid.uuid4(), "包片包抓", JOINED, supporter_school_id=city.id, cluster_id=c.id)
    result = run([lead, rural, city], [c], [member(c, lead, "牵头校"), member(c, rural), member(c, city, "成员校")],
                 [pair])
    assert result.violations == ()
    assert (result.coverage.rural_schools, result.coverage.rural_in_cluster) == (1, 1)


@pytest.mark.parametrize(("count", "broken"), [(6, False), (7, True)])
def test_cluster_max_schools(count: int, broken: bool) -> None:
    schools = [school(f"S{i}", students=100, classes=4) for i in range(count)]
    c = cluster("大集团")
    result = run(schools, [c], [member(c, s) for s in schools])
    assert (("cluster.max_schools", "大集团") in rules(result)) is broken
    if broken:
        v = next(v for v in result.violations if v.rule == "cluster.max_schools")
        assert v.clause == "银川2023方案 二(一)1"
        assert "7所" in v.detail


@pytest.mark.parametrize(("students", "broken"), [(6000, False), (6001, True)])
def test_cluster_max_students(students: int, broken: bool) -> None:
    a = school("A", students=students, classes=200)
    b = school("B", students=6000, classes=200)
    c = cluster("学生多")
    result = run([a, b], [c], [member(c, a), member(c, b)])
    assert (("cluster.max_students", "学生多") in rules(result)) is broken


def test_disabled_figure_skips_its_rule() -> None:
    schools = [school(f"S{i}") for i in range(8)]
    c = cluster("大集团")
    profile = PROFILE
    from dataclasses import replace

    figures = dict(profile.figures)
    figures["cluster.max_schools"] = replace(figures["cluster.max_schools"], enabled=False)
    result = run(schools, [c], [member(c, s) for s in schools], profile=replace(profile, figures=figures))
    assert "cluster.max_schools" not in {v.rule for v in result.violations}


def test_profile_override_changes_the_limit() -> None:
    schools = [school(f"S{i}") for i in range(4)]
    c = cluster("四校")
    result = run(schools, [c], [member(c, s) for s in schools],
                 profile=PROFILE.with_overrides({"cluster.max_schools": 3}))
    assert ("cluster.max_schools", "四校") in rules(result)


def test_overlap_only_while_both_memberships_run() -> None:
    s = school("X", "城区")
    c1, c2 = cluster("甲"), cluster("乙")
    moved = [member(c1, s, left=dt.date(2024, 9, 1)), member(c2, s, joined=dt.date(2024, 9, 1))]
    assert "membership.overlap" not in {v.rule for v in run([s], [c1, c2], moved).violations}
    both = [member(c1, s), member(c2, s, joined=dt.date(2024, 9, 1))]
    result = run([s], [c1, c2], both)
    assert ("membership.overlap", "X") in rules(result)
    detail = next(v.detail for v in result.violations if v.rule == "membership.overlap")
    assert "甲" in detail and "乙" in detail
    # before the second join there was no overlap
    assert "membership.overlap" not in {v.rule for v in run([s], [c1, c2], both, on=dt.date(2024, 8, 31)).violations}


@pytest.mark.parametrize(
    ("location", "stage", "include_town", "counted"),
    [
        ("乡村", "小学", False, True),
        ("城区", "教学点", False, True),
        ("镇区", "初中", False, False),
        ("镇区", "初中", True, True),
        ("城区", "小学", True, False),
    ],
)
def test_coverage_counts_rural_and_teaching_points(location, stage, include_town, counted) -> None:
    s = school("Z", location, stage, students=100, classes=4)
    profile = PROFILE.with_overrides({"coverage.include_town": include_town})
    result = run([s], profile=profile)
    assert (("coverage.rural", "Z") in rules(result)) is counted
    assert result.coverage.rural_schools == int(counted)
    assert result.coverage.rural_in_cluster == 0


def test_rural_partner_from_cluster_or_pairing() -> None:
    rural = school("R", "乡村", students=100, classes=4)
    other_rural = school("Q", "乡村", students=100, classes=4)
    city = school("C", "城区", run_by="市属")
    c = cluster("乡村学区")
    ms = [member(c, rural, "牵头校"), member(c, other_rural)]
    result = run([rural, other_rural, city], [c], ms)
    assert {("partner.rural_has_urban", "R"), ("partner.rural_has_urban", "Q")} <= set(rules(result))
    pairing = PairingRec(uuid.uuid4(), "包片包抓", dt.date(2023, 1, 1), supporter_school_id=city.id, cluster_id=c.id)
    assert "partner.rural_has_urban" not in {v.rule for v in run([rural, other_rural, city], [c], ms, [pairing]).violations}
    hand = PairingRec(uuid.uuid4(), "手拉手", dt.date(2023, 1, 1), supporter_school_id=city.id, target_school_id=rural.id)
    result = run([rural, other_rural, city], [c], ms, [hand])
    assert ("partner.rural_has_urban", "R") not in rules(result)
    assert ("partner.rural_has_urban", "Q") in rules(result)
    # an ended pairing gives no partner
    ended = PairingRec(uuid.uuid4(), "手拉手", dt.date(2020, 1, 1), dt.date(2022, 1, 1), city.id, None, rural.id)
    assert ("partner.rural_has_urban", "R") in rules(run([rural, other_rural, city], [c], ms, [ended]))


@pytest.mark.parametrize(
    ("leads", "members", "broken"),
    [(1, 1, False), (1, 2, False), (1, 3, True), (1, 0, True), (2, 1, True), (0, 2, True)],
)
def test_fusion_size(leads: int, members: int, broken: bool) -> None:
    schools = [school(f"L{i}") for i in range(leads)] + [school(f"M{i}") for i in range(members)]
    c = cluster("融合一", "融合型教共体")
    ms = [member(c, s, "总校") for s in schools[:leads]] + [member(c, s, "受援校") for s in schools[leads:]]
    result = run(schools, [c], ms)
    assert (("fusion.size", "融合一") in rules(result)) is broken
    # the same shape in a 协作型 community is fine
    c2 = ClusterRec(c.id, "协作一", "协作型教共体")
    assert "fusion.size" not in {v.rule for v in run(schools, [c2], ms).violations}


@pytest.mark.parametrize(
    ("stage", "students", "broken"),
    [("小学", 2000, False), ("小学", 2001, True), ("教学点", 2001, True), ("初中", 2001, True),
     ("九年一贯制", 2500, False), ("十二年一贯制", 2501, True)],
)
def test_school_max_students_by_stage(stage: str, students: int, broken: bool) -> None:
    s = school("S", stage=stage, students=students, classes=100)
    result = run([s])
    assert (("school.max_students", "S") in rules(result)) is broken


@pytest.mark.parametrize(
    ("stage", "students", "classes", "broken"),
    [("小学", 450, 10, False), ("小学", 451, 10, True), ("教学点", 46, 1, True), ("初中", 500, 10, False),
     ("初中", 501, 10, True), ("九年一贯制", 501, 10, True), ("小学", 0, 0, False)],
)
def test_class_size_by_stage(stage: str, students: int, classes: int, broken: bool) -> None:
    s = school("S", stage=stage, students=students, classes=classes)
    result = run([s])
    assert (("school.class_size", "S") in rules(result)) is broken
    if broken:
        assert next(v for v in result.violations if v.rule == "school.class_size").clause.startswith("太平区2023方案")


def test_waiver_marks_but_never_hides() -> None:
    schools = [school(f"S{i}") for i in range(7)]
    c = cluster("大集团")
    ms = [member(c, s) for s in schools]
    waiver = WaiverRec(uuid.uuid4(), "cluster.max_schools", "cluster", c.id, "山区学校分散", "王局长",
                       dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    result = run(schools, [c], ms, waivers=[waiver])
    v = next(v for v in result.violations if v.rule == "cluster.max_schools")
    assert v.waived and v.waiver_reason == "山区学校分散"
    assert v.as_json()["waived"] is True
    assert result.open_violations() == [x for x in result.violations if x is not v]
    later = run(schools, [c], ms, waivers=[waiver], on=dt.date(2026, 1, 1))
    assert not next(v for v in later.violations if v.rule == "cluster.max_schools").waived


def test_summary_and_unclustered() -> None:
    lead = school("A", "城区", students=1000)
    rural = school("B", "乡村", students=100)
    point = school("C", "乡村", "教学点", students=20, classes=2)
    loose = school("D", "乡村")
    city = school("Z", "城区", run_by="市属")
    c = cluster("一集团", lead=lead)
    ms = [member(c, lead, "牵头校"), member(c, rural), member(c, point), member(c, loose, left=dt.date(2024, 1, 1))]
    pairing = PairingRec(uuid.uuid4(), "包片包抓", dt.date(2023, 1, 1), supporter_school_id=city.id, cluster_id=c.id)
    (row,) = summarize([lead, rural, point, loose, city], [c], ms, [pairing], ON)
    assert (row.schools, row.rural_schools, row.students) == (3, 2, 1120)
    assert row.lead == lead and row.city_partner_names == "学校Z"
    assert row.members[0][1] == lead
    assert [s.code for s in unclustered([lead, rural, point, loose, city], ms, ON)] == ["D", "Z"]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=6),
    limit=st.integers(min_value=1, max_value=8),
)
def test_max_schools_property(sizes: list[int], limit: int) -> None:
    """Exactly the clusters with more active schools than the limit are reported."""
    schools, clusters, ms = [], [], []
    for index, size in enumerate(sizes):
        c = cluster(f"集团{index}")
        clusters.append(c)
        for j in range(size):
            s = school(f"{index}-{j}", students=10, classes=1)
            schools.append(s)
            ms.append(member(c, s))
            # a member that left long ago never counts
            ms.append(member(c, school(f"old{index}-{j}"), joined=dt.date(2010, 1, 1), left=dt.date(2011, 1, 1)))
    result = run(schools, clusters, ms, profile=PROFILE.with_overrides({"cluster.max_schools": limit}))
    reported = {v.subject for v in result.violations if v.rule == "cluster.max_schools"}
    assert reported == {f"集团{i}" for i, size in enumerate(sizes) if size > limit}


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=5, unique=True),
    probe=st.integers(min_value=0, max_value=3100),
)
def test_moves_never_overlap_property(moves: list[int], probe: int) -> None:
    """Leave + join on the same day, repeated: never two clusters, always exactly one after the first join."""
    s = school("M", "乡村", students=10, classes=1)
    clusters = [cluster(f"C{i}") for i in range(len(moves) + 1)]
    start = dt.date(2015, 1, 1)
    days = sorted(moves)
    ms = []
    previous = start
    for i, day in enumerate(days):
        d = start + dt.timedelta(days=day)
        ms.append(member(clusters[i], s, joined=previous, left=d))
        previous = d
    ms.append(member(clusters[-1], s, joined=previous))
    on = start + dt.timedelta(days=probe)
    result = run([s], clusters, ms, on=on)
    assert "membership.overlap" not in {v.rule for v in result.violations}
    assert result.coverage.rural_in_cluster == 1


def test_city_scale_is_fast() -> None:
    """1,000 schools, 170 clusters: one check well under a second (figures: benchmarks/bench_clusters.py)."""
    schools = [school(f"{i:04d}", ["城区", "镇区", "乡村"][i % 3], students=300 + i, classes=10) for i in range(1000)]
    clusters = [cluster(f"C{i:03d}") for i in range(170)]
    ms = [member(clusters[i % 170], s) for i, s in enumerate(schools[:960])]
    started = time.perf_counter()
    result = run(schools, clusters, ms)
    assert time.perf_counter() - started < 1.0
    assert result.coverage.rural_schools == 333
