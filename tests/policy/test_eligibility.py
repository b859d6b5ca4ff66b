"""Eligibility: completed years at the personnel school, thresholds, exemptions, principals."""

from __future__ import annotations

import datetime as dt

import pytest

from policy.calendar import add_years
from policy.eligibility import (
    ELIGIBLE,
    EXEMPT,
    MANDATORY,
    ExemptionRec,
    PostingRec,
    TeacherRec,
    eligibility,
    tenure,
)
from policy.profile import load_profile

D = dt.date
PROFILE = load_profile()
BORN = D(1985, 5, 5)


def teacher(key: str = "t", *, gender: str = "女", born: dt.date = BORN, position: str = "教师",
            backbone: str | None = None) -> TeacherRec:
    return TeacherRec(key, f"ID{key}", f"教师{key}", gender, born, "语文", backbone, position)


def run(teachers, postings, exemptions=(), year=2025, profile=PROFILE):
    return eligibility(teachers, postings, exemptions, profile, year)


def only(result):
    assert len(result.entries) == 1, result.entries
    return result.entries[0]


@pytest.mark.parametrize(
    ("start", "listed", "status", "years"),
    [
        (D(2016, 9, 1), True, ELIGIBLE, 9),      # starting on 1 Sept: the anniversary completes the year
        (D(2016, 9, 2), False, None, 8),          # one day later: only 8 completed years
        (D(2013, 9, 1), True, MANDATORY, 12),
        (D(2013, 9, 2), True, ELIGIBLE, 11),
        (D(2000, 1, 1), True, MANDATORY, 25),
    ],
)
def test_thresholds_on_reference_date(start, listed, status, years):
    result = run([teacher()], [PostingRec("t", "S1", start)])
    assert result.reference_date == D(2025, 9, 1)
    if not listed:
        assert result.entries == []
        return
    entry = only(result)
    assert (entry.status, entry.years, entry.school) == (status, years, "S1")
    assert "太平区2023方案 四(二)3" in entry.clause


def test_start_on_29_february_counts_on_28_february():
    # A start on 29 Feb 2016 completes 9 years on 28 Feb 2025 — well before the reference date.
    entry = only(run([teacher()], [PostingRec("t", "S1", D(2016, 2, 29))]))
    assert entry.years == 9
    # reference moved to 28 Feb: the profile's reference is 09-01 so use completed years directly
    assert add_years(D(2016, 2, 29), 9) == D(2025, 2, 28)


def test_temporary_stint_in_the_middle_does_not_reset_tenure():
    postings = [
        PostingRec("t", "HOME", D(2012, 9, 1)),  # personnel posting, still open
        PostingRec("t", "RURAL", D(2018, 9, 1), D(2020, 8, 31), holds_personnel=False, kind="支教"),
    ]
    entry = only(run([teacher()], postings))
    assert (entry.school, entry.years, entry.status) == ("HOME", 13, MANDATORY)


def test_a_temporary_kind_never_counts_even_if_flagged_as_personnel():
    postings = [PostingRec("t", "HOME", D(2012, 9, 1)),
                PostingRec("t", "OTHER", D(2020, 9, 1), kind="走教", holds_personnel=True)]
    assert only(run([teacher()], postings)).school == "HOME"


def test_personnel_move_resets_tenure():
    postings = [
        PostingRec("t", "OLD", D(2005, 9, 1), D(2019, 8, 31)),
        PostingRec("t", "NEW", D(2019, 9, 1)),
    ]
    assert run([teacher()], postings).entries == []  # 6 years at NEW
    result = run([teacher()], postings, year=2031)
    entry = only(result)
    assert (entry.school, entry.years, entry.status) == ("NEW", 12, MANDATORY)


def test_consecutive_personnel_postings_at_same_school_join_up():
    postings = [
        PostingRec("t", "S1", D(2010, 9, 1), D(2015, 8, 31)),
        PostingRec("t", "S1", D(2015, 9, 1)),
    ]
    assert only(run([teacher()], postings)).years == 15
    # … but a move in between breaks the chain
    postings.insert(1, PostingRec("t", "S2", D(2012, 9, 1), D(2015, 8, 31)))
    postings[0] = PostingRec("t", "S1", D(2010, 9, 1), D(2012, 8, 31))
    assert only(run([teacher()], postings)).years == 10  # only since 2015 at S1


def test_returning_after_a_gap_starts_tenure_again():
    """Left S1 in 2010, back in 2015 (a leave or a post outside the county in between)."""
    postings = [
        PostingRec("t", "S1", D(2000, 9, 1), D(2010, 8, 31)),
        PostingRec("t", "S1", D(2015, 9, 1)),
    ]
    entry = only(run([teacher()], postings))
    assert (entry.years, entry.status) == (10, "eligible")  # not 25 years and mandatory


def test_teacher_who_left_or_has_not_started_is_not_listed():
    gone = [PostingRec("t", "S1", D(2000, 9, 1), D(2024, 7, 1))]
    future = [PostingRec("t", "S1", D(2026, 9, 1))]
    assert run([teacher()], gone).entries == []
    assert run([teacher()], future).entries == []


def test_exemption_in_force_on_reference_date():
    postings = [PostingRec("t", "S1", D(2010, 9, 1))]
    in_force = ExemptionRec("t", "哺乳期", D(2025, 3, 1), D(2026, 2, 28), "出生证明")
    entry = only(run([teacher()], postings, [in_force]))
    assert (entry.status, entry.due, entry.reason) == (EXEMPT, MANDATORY, "哺乳期")
    assert "哺乳期" in entry.clause
    ended = ExemptionRec("t", "患病", D(2024, 1, 1), D(2025, 8, 31))
    assert only(run([teacher()], postings, [ended])).status == MANDATORY
    later = ExemptionRec("t", "患病", D(2025, 9, 2), None)
    assert only(run([teacher()], postings, [later])).status == MANDATORY
    # a profile whose rules recognise no registered exemptions
    no_register = PROFILE.with_overrides({"exchange.exemption_register": False})
    assert only(run([teacher()], postings, [in_force], profile=no_register)).status == MANDATORY


@pytest.mark.parametrize(
    ("gender", "born", "exempt"),
    [
        ("男", D(1968, 9, 1), False),  # retires 2028-09-01: exactly 3 years left → not fewer
        ("男", D(1968, 9, 2), False),
        ("男", D(1968, 8, 31), True),  # retires 2028-08-31: fewer than 3 years
        ("女", D(1973, 8, 31), True),  # women retire at 55 by default
        ("女", D(1974, 9, 1), False),
    ],
)
def test_fewer_than_n_years_to_retirement(gender, born, exempt):
    entry = only(run([teacher(gender=gender, born=born)], [PostingRec("t", "S1", D(2000, 9, 1))]))
    assert (entry.status == EXEMPT) is exempt
    if exempt:
        assert entry.reason == "距退休不足规定年限"
        assert "3年" in entry.clause


def test_retirement_rule_switched_off_by_profile():
    profile = load_profile()
    figures = dict(profile.figures)
    from dataclasses import replace
    figures["exchange.retirement_exempt_years"] = replace(figures["exchange.retirement_exempt_years"], enabled=False)
    profile = replace(profile, figures=figures)
    entry = only(run([teacher(gender="男", born=D(1966, 1, 1))], [PostingRec("t", "S1", D(2000, 9, 1))],
                     profile=profile))
    assert entry.status == MANDATORY


def test_profile_thresholds_are_used():
    profile = PROFILE.with_overrides({"exchange.eligible_years": 6, "exchange.max_years": 8})
    entry = only(run([teacher()], [PostingRec("t", "S1", D(2018, 9, 1))], profile=profile))
    assert (entry.status, entry.years) == (ELIGIBLE, 7)
    assert "满6年" in entry.clause


def test_principal_rotates_after_two_terms():
    six = [PostingRec("p", "S1", D(2019, 9, 1))]
    five = [PostingRec("p", "S1", D(2020, 9, 1))]
    entry = only(run([teacher("p", position="校长")], six))
    assert (entry.status, entry.years) == (MANDATORY, 6)
    assert "任满2届" in entry.clause
    assert run([teacher("p", position="副校长")], five).entries == []
    # an ordinary teacher with 6 years is not listed
    assert run([teacher("p")], six).entries == []


def test_summary_backbone_and_json_shape():
    teachers = [teacher("a", backbone="市级骨干教师"), teacher("b"), teacher("c")]
    postings = [PostingRec("a", "S1", D(2015, 9, 1)), PostingRec("b", "S1", D(2010, 9, 1)),
                PostingRec("c", "S2", D(2024, 9, 1))]
    result = run(teachers, postings, [ExemptionRec("b", "患病", D(2025, 1, 1))])
    assert result.summary == {"eligible": 1, "mandatory": 0, "exempt": 1}
    assert result.base == 1
    data = result.to_json()
    assert data["reference_date"] == "2025-09-01"
    assert [t["id_number"] for t in data["teachers"]] == ["IDa", "IDb"]
    assert data["teachers"][0] == {"id_number": "IDa", "name": "教师a", "school_code": "S1",
                                   "years_at_school": 10, "status": "eligible", "backbone": True,
                                   "clause": data["teachers"][0]["clause"]}


def test_tenure_helper_orders_postings_itself():
    postings = [PostingRec("t", "B", D(2020, 9, 1)), PostingRec("t", "A", D(2010, 9, 1), D(2020, 8, 31))]
    assert tenure(postings, D(2025, 9, 1)) == ("B", D(2020, 9, 1))


@pytest.mark.parametrize("kind", ["任职", "轮岗", "支教", "走教"])
@pytest.mark.parametrize("personnel", [True, False])
@pytest.mark.parametrize("start, end", [(D(2010, 9, 1), None), (D(2010, 9, 1), D(2020, 1, 31)),
                                        (D(2026, 9, 1), None), (D(2015, 2, 28), D(2025, 9, 1))])
def test_single_posting_fast_path_agrees_with_the_general_one(kind, personnel, start, end):
    """One posting takes a shortcut; a second, temporary posting (always ignored) forces the
    general path: both must give the same tenure."""
    posting = PostingRec("t", "S1", start, end, personnel, kind)
    ignored = PostingRec("t", "S9", D(2000, 1, 1), None, True, "支教")
    reference = D(2025, 9, 1)
    assert tenure([posting], reference) == tenure([posting, ignored], reference)


def _with_age_limits(**values: int):
    """The default profile with some age-limit figures switched on (as a province's would)."""
    from dataclasses import replace

    figures = dict(PROFILE.figures)
    for figure_id, value in values.items():
        figure_id = figure_id.replace("__", ".")
        figures[figure_id] = replace(figures[figure_id], value=value, enabled=True)
    return replace(PROFILE, figures=figures)


def test_age_limits_are_off_by_default_and_inclusive_when_on():
    """“男50周岁、女45周岁以下”: 50 still takes part, 51 no longer (reference 2025-09-01)."""
    postings = [PostingRec(k, "S1", D(2010, 9, 1)) for k in ("m50", "m51", "f46")]
    teachers = [teacher("m50", gender="男", born=D(1975, 9, 1)), teacher("m51", gender="男", born=D(1974, 8, 31)),
                teacher("f46", gender="女", born=D(1979, 5, 1))]
    assert {e.teacher.key: e.status for e in run(teachers, postings).entries} == \
        {"m50": MANDATORY, "m51": MANDATORY, "f46": MANDATORY}
    profile = _with_age_limits(exchange__age_limit_male=50, exchange__age_limit_female=45)
    entries = {e.teacher.key: e for e in run(teachers, postings, profile=profile).entries}
    assert entries["m50"].status == MANDATORY
    assert (entries["m51"].status, entries["m51"].reason) == (EXEMPT, "超过交流年龄上限")
    assert "超过50周岁" in entries["m51"].clause and "部分省市" in entries["m51"].clause
    assert entries["f46"].status == EXEMPT and "超过45周岁" in entries["f46"].clause


def test_principals_have_their_own_age_limit():
    postings = [PostingRec("p", "S1", D(2015, 9, 1))]
    head = [teacher("p", gender="男", born=D(1972, 1, 1), position="校长")]  # 53
    profile = _with_age_limits(exchange__age_limit_male=50, principal__age_limit_male=55)
    assert only(run(head, postings, profile=profile)).status == MANDATORY
    profile = _with_age_limits(principal__age_limit_male=52)
    assert only(run(head, postings, profile=profile)).status == EXEMPT


def test_principal_terms_count_from_taking_office():
    """Twenty years at the school, principal for two: not yet due; a principal since 2019: due."""
    postings = [PostingRec("p", "S1", D(2005, 9, 1))]
    recent = teacher("p", position="校长")._replace(position_since=D(2023, 9, 1))
    assert run([recent], postings).entries == []
    long_serving = teacher("p", position="校长")._replace(position_since=D(2019, 9, 1))
    entry = only(run([long_serving], postings))
    assert (entry.status, entry.years, entry.tenure_start) == (MANDATORY, 6, D(2019, 9, 1))
    # taking office before arriving (at another school) counts from the arrival
    early = teacher("p", position="副校长")._replace(position_since=D(2001, 9, 1))
    assert only(run([early], postings)).years == 20


def test_a_principal_without_a_limit_of_his_own_has_the_teachers_limit():
    postings = [PostingRec("p", "S1", D(2015, 9, 1))]
    deputy = [teacher("p", gender="男", born=D(1972, 1, 1), position="副校长")]  # 53
    assert only(run(deputy, postings, profile=_with_age_limits(exchange__age_limit_male=50))).status == EXEMPT


def test_tenure_of_two_postings_agrees_with_the_general_chain() -> None:
    """The two-posting shortcut (most teachers after one move) answers as the sorted chain does."""
    import datetime as dt
    import random

    from policy.eligibility import PostingRec, tenure

    rng = random.Random(15)
    reference = dt.date(2027, 9, 1)
    days = [dt.date(2015, 9, 1), dt.date(2020, 8, 31), dt.date(2020, 9, 1), dt.date(2027, 9, 1),
            dt.date(2027, 9, 2), None]
    for _ in range(3000):
        pair = []
        for _k in range(2):
            start = rng.choice(days[:5])
            pair.append(PostingRec("t", rng.choice("AB"), start, rng.choice(days), rng.random() < 0.85,
                                   rng.choice(["任职", "任职", "轮岗", "支教"])))
        filler = PostingRec("t", "C", dt.date(2000, 1, 1), None, False, "任职")  # forces the general path
        assert tenure(pair, reference) == tenure([*pair, filler], reference), pair
