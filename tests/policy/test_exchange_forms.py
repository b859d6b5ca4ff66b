"""Exchange forms from the profile, the direction rule and the status of an exchange on a day."""

from __future__ import annotations

import datetime as dt

import pytest

from policy import vocab
from policy.errors import PolicyError
from policy.exchange_forms import build_rules, direction_problem, status_on, took_effect
from policy.profile import load_profile

D = dt.date
PROFILE = load_profile()


def test_every_form_has_rules_with_a_clause_and_the_counting_forms_are_the_documented_ones():
    assert set(PROFILE.exchange_forms) == set(vocab.EXCHANGE_FORMS)
    assert all(rule.clause and rule.label and rule.term_months > 0 for rule in PROFILE.exchange_forms.values())
    assert PROFILE.counted_forms() == {"轮岗", "柔性流动", "走教", "支教", "驻教"}
    assert [f for f, r in PROFILE.exchange_forms.items() if r.personnel_may_move] == ["轮岗"]


def test_a_county_profile_can_change_one_form(tmp_path):
    (tmp_path / "county.toml").write_text(
        '[profile]\nid = "county"\nname = "某县"\nextends = "default"\n'
        '[exchange_forms."挂职"]\ncounts = true\nclause = "某县办法 3"\n', encoding="utf-8")
    import shutil

    from policy.profile import PROFILE_DIR

    shutil.copy(PROFILE_DIR / "default.toml", tmp_path / "default.toml")
    county = load_profile("county", tmp_path)
    assert county.form_rule("挂职").counts and county.form_rule("挂职").clause == "某县办法 3"
    assert county.form_rule("挂职").term_months == PROFILE.form_rule("挂职").term_months


def test_an_unknown_form_or_direction_is_refused():
    with pytest.raises(PolicyError, match="交流形式“换岗”"):
        build_rules({"换岗": {}})
    with pytest.raises(PolicyError, match="方向"):
        build_rules({"跟岗": {"direction": "sideways", "term_months": 6, "personnel_may_move": False, "counts": False,
                             "label": "x", "clause": "y"}})


@pytest.mark.parametrize(("source", "target", "wrong"), [
    (("乡村", "小学", False), ("城区", "小学", False), False),
    (("乡村", "小学", False), ("镇区", "小学", False), False),
    (("镇区", "小学", False), ("城区", "初中", False), False),
    (("城区", "小学", False), ("乡村", "小学", False), True),
    (("乡村", "小学", False), ("乡村", "初中", False), True),  # same tier: not rural → city
    (("城区", "教学点", False), ("镇区", "小学", False), False),  # a 教学点 counts as rural
])
def test_ganggang_runs_from_rural_to_more_urban(source, target, wrong):
    problem = direction_problem(PROFILE.form_rule("跟岗"), source, target)
    assert (problem is not None) == wrong
    if wrong:
        assert "银川2023方案 二(三)8" in problem
    assert direction_problem(PROFILE.form_rule("支教"), target, source) is None  # the aim, not enforced


START, END, PLANNED_END = D(2027, 9, 1), D(2028, 7, 10), D(2028, 7, 10)


@pytest.mark.parametrize(("status", "end", "cancelled", "personnel", "day", "expected"), [
    ("planned", END, None, False, D(2027, 10, 1), "planned"),
    ("approved", END, None, False, D(2027, 8, 31), "approved"),
    ("approved", END, None, False, START, "in_progress"),
    ("approved", END, None, False, END, "in_progress"),
    ("approved", END, None, False, D(2028, 7, 11), "done"),
    ("approved", D(2028, 1, 31), None, False, D(2028, 3, 1), "ended_early"),
    ("approved", D(2028, 1, 31), None, False, D(2028, 1, 31), "in_progress"),
    ("approved", D(2029, 1, 31), None, False, D(2028, 9, 1), "in_progress"),  # extended
    ("approved", None, None, True, D(2027, 9, 2), "done"),  # a personnel move with no term
    ("cancelled", END, D(2027, 11, 15), False, D(2027, 10, 1), "in_progress"),  # ran until cancelled
    ("cancelled", END, D(2027, 11, 15), False, D(2027, 11, 15), "cancelled"),
    ("cancelled", END, D(2027, 8, 1), False, D(2027, 7, 1), "cancelled"),  # never took effect
])
def test_status_on_a_day(status, end, cancelled, personnel, day, expected):
    assert status_on(status, START, end, PLANNED_END, cancelled, personnel, day) == expected


def test_took_effect():
    assert took_effect("approved", START, None)
    assert not took_effect("planned", START, None)
    assert not took_effect("cancelled", START, START)
    assert took_effect("cancelled", START, D(2027, 10, 1))


def test_a_mandatory_teacher_may_go_to_any_school_of_the_county_teaching_a_section_of_theirs():
    """DirectionRules.destinations (the 交流计划 page's choice of destination): every other school of
    the county with a common section, best direction first; another county and a junior school
    for a primary teacher are not offered."""
    from policy.directions import DirectionRules
    from policy.planner import PlanSchool

    def school(code, location, stage="小学", region="A", weak=False):
        return PlanSchool(code=code, name=code, location=location, stage=stage, region=region, is_weak=weak)

    city, rural, town = school("C1", "城区"), school("R1", "乡村"), school("T1", "镇区")
    schools = [city, rural, town, school("C2", "城区"), school("J1", "乡村", "初中"),
               school("X1", "乡村", region="B")]
    rules = DirectionRules.from_profile(PROFILE, {s.code: s for s in schools})
    chosen = rules.destinations(city, schools)
    assert {s.code for s, _kind in chosen} == {"R1", "T1", "C2"}
    ranks = [rules.ranks[kind] for _s, kind in chosen]
    assert ranks == sorted(ranks) and chosen[0][0].code == "R1"  # to a rural school ranks first
