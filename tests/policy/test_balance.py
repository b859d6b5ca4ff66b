"""The 优质均衡 schedule (issue 11, 4; 太平区2023方案 三(二)): each named school is held to the
standards after its year, every school after the deadline; a finding lists what it still misses."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from policy.balance import QualityYear, check, parse_schedule
from policy.clusters import SchoolRec, Violation
from policy.errors import PolicyError
from policy.profile import load_profile

TAIPING = load_profile("taiping")
GOOD = {"巩固率": 99.0, "辍学率": 0.2, "体质健康合格率": 96.0, "残疾儿童入学率": 97.0}


def school(name: str, stage: str = "小学") -> SchoolRec:
    return SchoolRec(uuid.uuid4(), f"S{abs(hash(name)) % 10000:04d}", name, stage, "城区")


def test_the_taiping_schedule_is_read_from_the_profile() -> None:
    entries = parse_schedule(TAIPING.value("balance.schedule"))
    assert [(year, len(names)) for year, names in entries] == [(2025, 3), (2026, 5), (2027, 2)]
    assert entries[0][1] == ["水泉初级中学", "红树小学", "城南小学"]
    with pytest.raises(PolicyError, match="甲小学"):
        parse_schedule("2025:甲小学；2026:甲小学")
    with pytest.raises(PolicyError, match="年份:学校"):
        parse_schedule("明年:甲小学")


def test_due_schools_that_still_miss_a_standard_are_found_with_the_clause() -> None:
    shuiquan, hongshu = school("水泉初级中学", "初中"), school("红树小学")
    fourth, other = school("第四初级中学", "初中"), school("青山小学")
    schools = [shuiquan, hongshu, fourth, other]
    crowded = Violation("school.class_size", shuiquan.code, "班额", "太平区2023方案 四(一)4", "school", shuiquan.id)
    quality = {shuiquan.id: QualityYear(2025, {**GOOD, "巩固率": 93.0}),
               hongshu.id: QualityYear(2025, {**GOOD, "巩固率": 80.0}),  # a 小学 is not held to 初中巩固率
               fourth.id: QualityYear(2025, {**GOOD, "辍学率": 3.0})}
    result = check(schools, [crowded], quality, TAIPING, dt.date(2026, 6, 1))
    found = {v.subject: v for v in result.violations}
    assert set(found) == {shuiquan.code, "城南小学"}  # 第四初级中学 is due only at the end of 2026
    assert found[shuiquan.code].detail == ("水泉初级中学应于2025-12-31前达到优质均衡标准，仍未达标："
                                           "班额超限、巩固率93%（2025学年）")
    assert found[shuiquan.code].clause == "太平区2023方案 三(二)1"
    assert "不在学校名单中" in found["城南小学"].detail
    rows = {r.name: r for r in result.rows}
    assert rows["第四初级中学"].missing == ("辍学率3%（2025学年）",) and rows["红树小学"].met
    assert rows["青山小学"].due == dt.date(2027, 12, 31)
    assert rows["青山小学"].missing == ("体质健康合格率（无数据）", "残疾儿童入学率（无数据）")

    later = check(schools, [crowded], quality, TAIPING, dt.date(2028, 1, 1))
    late = {v.subject: v for v in later.violations}
    assert {shuiquan.code, fourth.code, other.code} <= set(late) and hongshu.code not in late
    assert set(late) - {shuiquan.code, fourth.code, other.code} == {  # named, but not in this school list
        "城南小学", "实验小学", "纬路小学", "高德小学", "第十二初级中学", "第六初级中学", "东山小学"}
    assert late[other.code].clause == "太平区2023方案 三(二)2"
    assert not check(schools, [crowded], quality, load_profile("haimen"), dt.date(2028, 1, 1)).violations
