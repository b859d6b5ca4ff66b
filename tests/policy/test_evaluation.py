"""The evaluation scheme (policy.evaluation): shares against targets, value-added, bundled scores, grades."""

from __future__ import annotations

import pytest

from policy.evaluation import (
    EvaluationInput,
    county_changes,
    evaluate,
    grade_of,
    school_value_added,
    share_check,
    value_added_attainment,
)
from policy.profile import load_profile


@pytest.fixture(scope="module")
def profile():
    return load_profile()


def test_share_check_reads_target_and_clause_from_profile(profile) -> None:
    check = share_check(profile, "exchange.min_share", "x", 9, 100)
    assert (check.target, check.met, check.clause) == (0.10, False, "太平区2023方案 四(二)3")
    assert check.attainment == pytest.approx(0.9)
    assert share_check(profile, "exchange.min_share", "x", 10, 100).met is True
    assert share_check(profile, "exchange.min_share", "x", 0, 0).met is True  # nothing owed


def test_value_added_is_in_points_against_own_baseline_and_the_county() -> None:
    # 巩固率 90.1 → 89.8 is −0.3 百分点 (not −0.3 %); the county moved −0.5 on average.
    county = county_changes({"a": ({"巩固率": 90.0}, {"巩固率": 89.0}), "b": ({"巩固率": 80.0}, {"巩固率": 80.0})})
    assert county == {"巩固率": pytest.approx(-0.5)}
    school = school_value_added("柳湾小学", {"巩固率": 90.1, "均分": 60.0}, {"巩固率": 89.8, "均分": 62.0, "新": 1.0},
                                {"巩固率": -0.5, "均分": 1.0})
    assert school.changes == {"巩固率": pytest.approx(-0.3), "均分": pytest.approx(2.0), "新": None}
    assert school.relative("巩固率") == pytest.approx(0.2) and school.relative("均分") == pytest.approx(1.0)
    assert school.value_added == pytest.approx(0.6)
    assert value_added_attainment(None) is None  # nothing to assess: no points, not half
    assert value_added_attainment(0.0) == 0.5 and value_added_attainment(5.0) == 1.0
    assert value_added_attainment(-5.0) == 0.0


def test_evaluate_weights_total_and_grade(profile) -> None:
    data = EvaluationInput(
        "甲教共体",
        coverage=share_check(profile, "partner.rural_has_urban", "c", 2, 2),
        exchange=share_check(profile, "exchange.min_share", "e", 5, 100),  # half the target
        backbone=share_check(profile, "exchange.backbone_share", "b", 1, 5),
        quotas_met=3, quotas_total=4,
        assisted=[school_value_added("乙", {"a": 100.0}, {"a": 110.0}, {"a": 0.0})],  # +10 over the county
    )
    result = evaluate(data, profile)
    assert result.scores == {"coverage": 15.0, "exchange": 18.8, "visits": 18.8, "quality_value_added": 35.0}
    assert result.total == 87.6 and result.grade == "良好"
    assert result.bundled and result.supporting_school_quality_score() == 35.0
    assert grade_of(59.9, profile) == "不合格" and grade_of(90, profile) == "优秀"


def test_nothing_to_assess_earns_no_points(profile) -> None:
    """No rural school, no eligible teacher, no quota, no assisted school: 不参评, not a score."""
    empty = EvaluationInput("空教共体", share_check(profile, "partner.rural_has_urban", "c", 0, 0),
                            share_check(profile, "exchange.min_share", "e", 0, 0),
                            share_check(profile, "exchange.backbone_share", "b", 0, 0), 0, 0, [])
    result = evaluate(empty, profile)
    assert set(result.scores.values()) == {None} and result.total is None and result.grade == "不参评"
    # Only visits assessed, all met: 100 on the parts assessed (not 25 + free points elsewhere).
    visits_only = EvaluationInput("乙", share_check(profile, "partner.rural_has_urban", "c", 0, 0),
                                  share_check(profile, "exchange.min_share", "e", 0, 0),
                                  share_check(profile, "exchange.backbone_share", "b", 0, 0), 1, 2, [])
    result = evaluate(visits_only, profile)
    assert result.scores["visits"] == 12.5 and result.total == 50.0 and result.grade == "不合格"


def test_weights_come_from_the_profile(profile) -> None:
    import dataclasses

    changed = dataclasses.replace(profile, evaluation={**profile.evaluation, "weights": {"visits": 100}})
    data = EvaluationInput("x", share_check(profile, "partner.rural_has_urban", "c", 0, 1),
                           share_check(profile, "exchange.min_share", "e", 0, 10),
                           share_check(profile, "exchange.backbone_share", "b", 0, 0), 1, 2, [])
    assert evaluate(data, changed).total == 50.0
