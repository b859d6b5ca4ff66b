"""Teacher-development duties (issue 11, 4): training hours per five-year cycle, 种子教师 /
榜样教师 per rural school, 师徒结对 followed for three years — each finding with its clause."""

from __future__ import annotations

import datetime as dt
import uuid

from policy.clusters import SchoolRec
from policy.profile import load_profile
from policy.teacher_development import (
    Cycle,
    DesignationRec,
    DevelopmentRecords,
    MentoringRec,
    StaffRec,
    TrainingRec,
    check,
    cycle_on,
    mentoring_year,
    previous_cycle,
    training_lines,
)

DEFAULT = load_profile()
ON = dt.date(2026, 11, 23)
D = dt.date


def school(code: str, location: str, stage: str = "小学") -> SchoolRec:
    return SchoolRec(uuid.uuid4(), code, f"{code}校", stage, location)


def person(name: str, at: SchoolRec) -> StaffRec:
    return StaffRec(uuid.uuid4(), name, at.id)


def fired(result, rule: str) -> list[str]:
    return [v.subject for v in result.violations if v.rule == rule]


def test_cycles_follow_the_profile_and_the_ended_one_is_judged() -> None:
    assert cycle_on(DEFAULT, ON) == Cycle(D(2026, 1, 1), D(2031, 1, 1))
    assert previous_cycle(DEFAULT, ON) == Cycle(D(2021, 1, 1), D(2026, 1, 1))
    assert cycle_on(DEFAULT, D(2019, 5, 1)) == Cycle(D(2016, 1, 1), D(2021, 1, 1))
    shifted = DEFAULT.with_overrides({"training.cycle_start": "2020-09-01"})
    assert previous_cycle(shifted, ON) == Cycle(D(2020, 9, 1), D(2025, 9, 1))


def test_training_hours_360_for_everyone_and_180_rural_special_for_rural_staff() -> None:
    city, village, town = school("C1", "城区"), school("R1", "乡村"), school("T1", "镇区")
    full_city = person("甲", city)
    short_city = person("乙", city)
    rural_ok = person("丙", village)  # a principal, like every teacher of a rural school
    rural_no_special = person("丁", village)
    town_ok = person("戊", town)
    staff = [full_city, short_city, rural_ok, rural_no_special, town_ok]
    training = [
        TrainingRec(full_city.id, D(2022, 3, 1), 360),
        TrainingRec(short_city.id, D(2022, 3, 1), 300),
        TrainingRec(short_city.id, D(2026, 3, 1), 100),  # the current cycle: not counted for the old one
        TrainingRec(rural_ok.id, D(2021, 7, 1), 180, special=True),
        TrainingRec(rural_ok.id, D(2024, 7, 1), 180),
        TrainingRec(rural_no_special.id, D(2023, 7, 1), 400),
        TrainingRec(town_ok.id, D(2025, 12, 31), 360),
    ]
    result = check([city, village, town], DevelopmentRecords(staff, staff, training), DEFAULT, ON)
    assert fired(result, "training.hours") == ["C1"]
    assert fired(result, "training.rural_hours") == ["R1"]  # 镇区 staff owe no rural 专项
    hours = next(v for v in result.violations if v.rule == "training.hours")
    assert "乙300学时" in hours.detail and "2021-01-01至2025-12-31" in hours.detail
    assert hours.clause == "太平区2023方案 四(二)1；保山2022方案 16"
    rural = next(v for v in result.violations if v.rule == "training.rural_hours")
    assert "丁0学时" in rural.detail and rural.clause == "海门2019计划 三(四)2"
    assert {line.name for line in result.behind} == {"乙", "丁"}
    schools = {s.id: s for s in (city, village, town)}
    current = cycle_on(DEFAULT, ON)
    progress = {line.name: line.hours for line in training_lines(staff, training, current, schools, DEFAULT)}
    assert progress["乙"] == 100 and progress["甲"] == 0
    lower = DEFAULT.with_overrides({"training.hours_5y": 300})
    assert fired(check([city, village, town], DevelopmentRecords(staff, staff, training), lower, ON),
                 "training.hours") == []


def test_seed_and_model_teachers_per_rural_school() -> None:
    short, over, fine = school("R1", "乡村"), school("R2", "乡村"), school("R3", "乡村")
    point, town = school("P1", "乡村", "教学点"), school("T1", "镇区")
    staff, marks = [], []
    for at, seeds, models in ((short, 1, 1), (over, 3, 3), (fine, 2, 1), (town, 0, 0)):
        for i in range(seeds + models):
            p = person(f"{at.code}-{i}", at)
            staff.append(p)
            marks.append(DesignationRec(p.id, "种子教师" if i < seeds else "榜样教师", D(2024, 9, 1)))
    ended = person("离任", fine)
    staff.append(ended)
    marks.append(DesignationRec(ended.id, "种子教师", D(2020, 9, 1), D(2023, 8, 31)))  # no longer counts
    records = DevelopmentRecords(staff, (), (), marks)
    result = check([short, over, fine, point, town], records, DEFAULT, ON)
    assert fired(result, "teachers.seed") == ["R1"]
    assert fired(result, "teachers.model") == ["R2"]
    seed = next(v for v in result.violations if v.rule == "teachers.seed")
    assert seed.detail == "R1校现有种子教师1名，每所乡村学校应为2～3名" and seed.clause == "海门2019计划 三(五)3"
    assert "P1" not in fired(result, "teachers.seed") and "T1" not in fired(result, "teachers.seed")
    taiping = check([short, over, fine], records, load_profile("taiping"), ON)
    assert not fired(taiping, "teachers.seed") and not fired(taiping, "teachers.model")


def test_model_teacher_counts_are_exact() -> None:
    fine, over = school("R3", "乡村"), school("R2", "乡村")
    staff, marks = [], []
    for at, models in ((fine, 1), (over, 3)):
        for i in range(models):
            p = person(f"{at.code}-{i}", at)
            staff.append(p)
            marks.append(DesignationRec(p.id, "榜样教师", D(2024, 9, 1)))
    result = check([fine, over], DevelopmentRecords(staff, (), (), marks), DEFAULT, ON)
    assert fired(result, "teachers.model") == ["R2"]
    model = next(v for v in result.violations if v.rule == "teachers.model")
    assert model.detail == "R2校现有榜样教师3名，每所乡村学校应为1～2名"


def test_mentoring_pairs_are_followed_three_years_at_rural_schools() -> None:
    village, city = school("R1", "乡村"), school("C1", "城区")
    young = [uuid.uuid4() for _ in range(4)]
    names = dict(zip(young, ("小王", "小李", "小赵", "小钱")))
    pairs = [
        MentoringRec(uuid.uuid4(), "王名师", young[0], D(2022, 9, 1), D(2024, 8, 31), village.id),  # 2 years
        MentoringRec(uuid.uuid4(), "李名师", young[1], D(2022, 9, 1), D(2025, 8, 31), village.id),  # 3 years
        MentoringRec(uuid.uuid4(), "赵名师", young[2], D(2025, 9, 1), None, village.id),  # in its 2nd year
        MentoringRec(uuid.uuid4(), "钱名师", young[3], D(2025, 9, 1), None, city.id),  # not a rural teacher
    ]
    result = check([village, city], DevelopmentRecords(mentoring=pairs, names=names), DEFAULT, ON)
    found = [(v.subject, v.detail) for v in result.violations if v.rule == "mentoring.years"]
    assert len(found) == 2
    assert found[0][0] == "C1" and "小钱" in found[0][1] and "不是农村学校" in found[0][1]
    assert found[1][0] == "R1" and "小王" in found[1][1] and "未满3年" in found[1][1] and "2025-08-31" in found[1][1]
    assert {v.clause for v in result.violations if v.rule == "mentoring.years"} == {"银川2023方案 二(三)9"}
    assert mentoring_year(pairs[2], ON) == 2 and mentoring_year(pairs[2], D(2025, 9, 1)) == 1
    assert not check([village, city], DevelopmentRecords(mentoring=pairs, names=names), load_profile("taiping"),
                     ON).violations


def test_a_waiver_marks_a_finding_and_keeps_it() -> None:
    from policy.clusters import WaiverRec

    village = school("R1", "乡村")
    waiver = WaiverRec(uuid.uuid4(), "teachers.seed", "school", village.id, "新建校，2027年前培育", "张局长",
                       D(2026, 9, 1))
    result = check([village], DevelopmentRecords(), DEFAULT, ON, [waiver])
    seed = next(v for v in result.violations if v.rule == "teachers.seed")
    assert seed.waived and seed.waiver_reason == "新建校，2027年前培育"
    assert not next(v for v in result.violations if v.rule == "teachers.model").waived
