"""The rules the seeds state and the engine lacked (issue 11): each fires on the schools or
clusters that break it and on no other, with the clause of its profile figure."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from policy.clusters import AgreementRec, ClusterRec, MembershipRec, PairingRec, SchoolRec, check
from policy.errors import PolicyError, UserError
from policy.profile import load_profile

ON = dt.date(2025, 3, 1)
JOINED = dt.date(2020, 9, 1)
DEFAULT = load_profile()


def school(code: str, location: str = "城区", stage: str = "小学", students: int = 400, classes: int = 10,
           run_by: str = "县属", **extra) -> SchoolRec:
    return SchoolRec(uuid.uuid4(), code, f"学校{code}", stage, location, run_by, students, classes, **extra)


def cluster(name: str) -> ClusterRec:
    return ClusterRec(uuid.uuid4(), name, "教育集团")


def member(c: ClusterRec, s: SchoolRec, role: str = "成员校") -> MembershipRec:
    return MembershipRec(uuid.uuid4(), c.id, s.id, role, JOINED)


def pairing(kind: str, supporter: SchoolRec, c: ClusterRec | None = None, target: SchoolRec | None = None) -> PairingRec:
    return PairingRec(uuid.uuid4(), kind, JOINED, supporter_school_id=supporter.id,
                      cluster_id=c.id if c else None, target_school_id=target.id if target else None)


def fired(result, rule: str) -> list[str]:
    return sorted(v.subject for v in result.violations if v.rule == rule)


def clause_of(result, rule: str) -> set[str]:
    return {v.clause for v in result.violations if v.rule == rule}


def test_a_town_school_is_no_urban_partner_for_a_rural_school() -> None:
    """GIVEN R1 in a cluster led by a 镇区 school, R2 in one led by a 城区 school, R3 paired 手拉手
    with a 镇区 school and R4 paired 手拉手 with a 城区 school
    THEN only R1 and R3 lack a 城区 partner (保山2022方案 22)."""
    town, town2, urban, urban2 = school("T1", "镇区"), school("T2", "镇区"), school("U1"), school("U2")
    r1, r2, r3, r4 = (school(f"R{i}", "乡村") for i in range(1, 5))
    a, b, c = cluster("甲集团"), cluster("乙集团"), cluster("丙集团")
    members = [member(a, town, "牵头校"), member(a, r1), member(b, urban, "牵头校"), member(b, r2),
               member(c, town2, "牵头校"), member(c, r3), member(c, r4), member(c, urban2)]
    # urban2 is a member of 丙 too, so everybody in 丙 has a 城区 partner: take it out for R3/R4's test
    members = [m for m in members if m.school_id != urban2.id]
    pairs = [pairing("手拉手", town2, target=r3), pairing("手拉手", urban2, target=r4)]
    result = check([town, town2, urban, urban2, r1, r2, r3, r4], [a, b, c], members, pairs, [], DEFAULT, ON)
    assert fired(result, "partner.rural_has_urban") == ["R1", "R3"]
    assert clause_of(result, "partner.rural_has_urban") == {"保山2022方案 22"}


def test_cluster_pairing_supporter_is_city_run_or_urban_and_every_rural_cluster_has_one() -> None:
    """GIVEN 甲 supported by a 县属 镇区 school, 乙 by a 市属 school, 丙 with rural schools and no
    supporter, 丁 with no rural school and no supporter
    THEN 甲 breaks the supporter rule, 丙 the has-supporter rule, and nothing else fires."""
    county_town, city = school("T1", "镇区"), school("C1", "城区", run_by="市属")
    clusters = {n: cluster(n) for n in ("甲集团", "乙集团", "丙集团", "丁集团")}
    rural = {n: school(f"R{i}", "乡村") for i, n in enumerate(("甲集团", "乙集团", "丙集团"))}
    urban_only = school("U9")
    members = [member(clusters[n], s) for n, s in rural.items()] + [member(clusters["丁集团"], urban_only)]
    members += [member(clusters["甲集团"], county_town), member(clusters["乙集团"], city)]
    pairs = [pairing("包片包抓", county_town, clusters["甲集团"]), pairing("包片包抓", city, clusters["乙集团"])]
    result = check([county_town, city, urban_only, *rural.values()], list(clusters.values()), members, pairs, [],
                   DEFAULT, ON)
    assert fired(result, "pairing.supporter_city") == ["甲集团"]
    assert fired(result, "pairing.cluster_has_supporter") == ["丙集团"]
    assert clause_of(result, "pairing.supporter_city") == {DEFAULT.clause("pairing.supporter_city")}
    assert DEFAULT.clause("pairing.supporter_city") == "银川2023方案 二(一)1"
    yuyao = check([county_town, city, urban_only, *rural.values()], list(clusters.values()), members, pairs, [],
                  load_profile("yuyao"), ON)
    assert not fired(yuyao, "pairing.supporter_city") and not fired(yuyao, "pairing.cluster_has_supporter")


def test_class_size_per_stage_and_the_compulsory_part_of_a_through_school() -> None:
    """GIVEN N1 (九年一贯制) whose primary classes average 47 and junior 40, N2 whose averages
    are 44 and 49, N3 (十二年一贯制) with 2,900 students of whom 2,400 in 义务教育, N4 the
    same with 2,600 in 义务教育, and N5 without per-stage figures averaging 48
    THEN class size fires on N1 (primary, 45) only, size on N4 only (2,500 on the 义务教育 part)."""
    n1 = school("N1", stage="九年一贯制", students=1740, classes=40, primary_students=1410, primary_classes=30,
                junior_students=400, junior_classes=10)
    n2 = school("N2", stage="九年一贯制", students=1860, classes=40, primary_students=1320, primary_classes=30,
                junior_students=490, junior_classes=10)
    n3 = school("N3", stage="十二年一贯制", students=2900, classes=70, primary_students=1500, primary_classes=36,
                junior_students=900, junior_classes=20)
    n4 = school("N4", stage="十二年一贯制", students=2900, classes=70, primary_students=1700, primary_classes=40,
                junior_students=900, junior_classes=20)
    n5 = school("N5", stage="九年一贯制", students=1920, classes=40)
    result = check([n1, n2, n3, n4, n5], [], [], [], [], DEFAULT, ON)
    class_size = [v for v in result.violations if v.rule == "school.class_size"]
    assert [(v.subject, v.clause) for v in class_size] == [("N1", DEFAULT.clause("class.max_size.primary"))]
    assert "小学部平均班额47.0人" in class_size[0].detail
    assert fired(result, "school.max_students") == ["N4"]
    [size] = [v for v in result.violations if v.rule == "school.max_students"]
    assert "义务教育阶段在校学生2600人" in size.detail and size.clause == "保山2022方案 2"


def test_land_per_student_by_stage() -> None:
    """24.29 m² per primary and 26.31 per junior pupil (保山2022方案 2): L1 and L3 fall short."""
    l1 = school("L1", students=1000, land_area=24000.0)
    l2 = school("L2", students=1000, land_area=24300.0)
    l3 = school("L3", stage="初中", students=1000, land_area=26000.0)
    l4 = school("L4", stage="初中", students=1000, land_area=None)  # unknown: not judged
    result = check([l1, l2, l3, l4], [], [], [], [], DEFAULT, ON)
    assert fired(result, "school.land_per_student") == ["L1", "L3"]
    assert clause_of(result, "school.land_per_student") == {"保山2022方案 2"}


def test_every_school_in_a_community_where_the_profile_says_so() -> None:
    inside, outside, rural_out = school("A1"), school("A2"), school("A3", "乡村")
    c = cluster("阳明教共体")
    schools, members = [inside, outside, rural_out], [member(c, inside)]
    yuyao = check(schools, [c], members, [], [], load_profile("yuyao"), ON)
    assert fired(yuyao, "coverage.community") == ["A2"]  # A3 is reported once, as coverage.rural
    assert fired(yuyao, "coverage.rural") == ["A3"]
    assert clause_of(yuyao, "coverage.community") == {"余教〔2020〕155号 四"}
    assert not fired(check(schools, [c], members, [], [], load_profile("yinchuan"), ON), "coverage.community")


def test_the_coverage_deadline() -> None:
    """Rural schools outside every cluster break the rule only after coverage.deadline (2023-12-31)."""
    rural = school("R1", "乡村")
    before = check([rural], [], [], [], [], DEFAULT, dt.date(2023, 6, 1))
    after = check([rural], [], [], [], [], DEFAULT, dt.date(2024, 1, 1))
    assert not fired(before, "coverage.rural") and fired(after, "coverage.rural") == ["R1"]
    assert before.as_json()["coverage"]["deadline"] == "2023-12-31"
    assert "已过2023-12-31的期限" in next(v.detail for v in after.violations if v.rule == "coverage.rural")


def test_a_signed_agreement_in_force_per_community() -> None:
    a, b, c, d = cluster("甲"), cluster("乙"), cluster("丙"), cluster("丁")
    s = [school(f"S{i}") for i in range(4)]
    members = [member(x, y) for x, y in zip((a, b, c, d), s)]
    agreements = [
        AgreementRec(a.id, dt.date(2024, 9, 1), dt.date(2027, 8, 31), dt.date(2024, 9, 10)),  # in force
        AgreementRec(b.id, dt.date(2024, 9, 1), dt.date(2027, 8, 31), None),  # drafted, never signed
        AgreementRec(c.id, dt.date(2021, 9, 1), dt.date(2024, 8, 31), dt.date(2021, 9, 1)),  # expired
    ]
    result = check(s, [a, b, c, d], members, [], [], load_profile("yinchuan"), ON, agreements)
    assert sorted(fired(result, "agreement.required")) == sorted(["乙", "丙", "丁"])
    assert clause_of(result, "agreement.required") == {DEFAULT.clause("agreement.required")}
    assert not fired(check(s, [a, b, c, d], members, [], [], DEFAULT, ON), "agreement.required")  # not loaded


def test_a_missing_figure_names_its_key_with_the_projects_own_error() -> None:
    with pytest.raises(PolicyError, match="no.such.figure") as caught:
        DEFAULT.figure("no.such.figure")
    assert isinstance(caught.value, UserError)


def test_the_funding_floor_is_a_line_per_rural_school() -> None:
    """海门2019计划 三(三): a rural school under 500 students is funded as 500."""
    small, large, tp, urban = school("R1", "乡村", students=120), school("R2", "乡村", students=800), \
        school("P1", "镇区", stage="教学点", students=30), school("U1", students=100)
    result = check([small, large, tp, urban], [], [], [], [], load_profile("haimen"), ON)
    assert [(f.school, f.students, f.funded_as) for f in result.funding] == [("P1", 30, 500), ("R1", 120, 500),
                                                                             ("R2", 800, 800)]
    assert result.as_json()["funding"]["clause"] == "海门2019计划 三(三)"
