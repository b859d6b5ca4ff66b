"""Plan scenarios, the pure part (issue 18): settings typed by the clerk become a profile the
planner runs with; the comparison lists the teachers whose outcome differs."""

from __future__ import annotations

import pytest

from policy.errors import PolicyError
from policy.planner import max_distance
from policy.profile import load_profile
from policy.scenarios import OFF, apply_settings, compare, differences, parse_setting, settings_text


@pytest.mark.parametrize(("text", "expected"), [
    ("exchange.min_share=0.15", ("exchange.min_share", 0.15)),
    ("exchange.max_distance_km = 40", ("exchange.max_distance_km", 40)),
    ("exchange.per_sending_school=是", ("exchange.per_sending_school", "是")),
    ("exchange.max_distance_km=OFF", ("exchange.max_distance_km", OFF)),
])
def test_settings_are_parsed(text, expected):
    assert parse_setting(text) == expected


@pytest.mark.parametrize("text", ["exchange.min_share", "=0.1"])
def test_a_setting_without_key_or_value_sign_is_refused(text):
    with pytest.raises(PolicyError, match="指标=值"):
        parse_setting(text)


def test_a_setting_switches_a_rule_on_with_its_value_and_off_again():
    profile = load_profile()
    assert max_distance(profile) is None  # off in the county's rules
    limited = apply_settings(profile, {"exchange.max_distance_km": 40})
    assert max_distance(limited) == 40.0
    assert apply_settings(limited, {"exchange.max_distance_km": OFF}).value("exchange.max_distance_km") is None
    share = apply_settings(profile, {"exchange.min_share": 0.15, "exchange.per_sending_school": "是"})
    assert share.value("exchange.min_share") == 0.15 and share.value("exchange.per_sending_school") is True
    assert profile.value("exchange.min_share") != 0.15  # the profile itself is unchanged


@pytest.mark.parametrize(("settings", "message"), [
    ({"exchange.no_such": 1}, "没有指标“exchange.no_such”"),
    ({"exchange.min_share": "很多"}, "不是有效的"),
    ({"exchange.per_sending_school": "也许"}, "应为 是/否"),
])
def test_bad_settings_are_refused_naming_the_figure(settings, message):
    with pytest.raises(PolicyError, match=message):
        apply_settings(load_profile(), settings)


def test_settings_read_as_labels():
    lines = settings_text(load_profile(), {"exchange.max_distance_km": 40.0, "exchange.min_share": OFF})
    assert lines == ["交流学校之间的最远距离（测算方案用；距离未知的不受此限）：40.0公里",
                     f"{load_profile().figure('exchange.min_share').label}：不适用"]
    # A yes/no figure is stored as typed after --set; the printout read "…派出学校：true".
    label = load_profile().figure("exchange.per_sending_school").label
    for typed, word in (("true", "是"), ("True", "是"), ("是", "是"), (True, "是"), ("false", "否"), ("否", "否")):
        assert settings_text(load_profile(), {"exchange.per_sending_school": typed}) == [f"{label}：{word}"]


def _result(moves, unplaced=()):
    return {"figures": {"moves": len(moves)},
            "moves": [{"id_number": n, "name": n.upper(), "from": "U01", "to": to} for n, to in moves],
            "unplaced": [{"id_number": n, "name": n.upper(), "from": "U01"} for n in unplaced]}


def test_differences_name_each_teacher_whose_outcome_changed():
    a = _result([("a", "R01"), ("b", "R02"), ("c", "R01")], unplaced=["d"])
    b = _result([("a", "R01"), ("b", "R01"), ("d", "R02")], unplaced=["c"])
    rows = differences(a, b, {"R01": "近郊乡小学", "R02": "远山乡小学", "U01": "城关小学"})
    assert [(r.id_number, r.a, r.b) for r in rows] == [
        ("b", "交流至 远山乡小学", "交流至 近郊乡小学"),
        ("c", "交流至 近郊乡小学", "须交流未安排"),
        ("d", "须交流未安排", "交流至 远山乡小学"),
    ]
    assert rows[0].school == "城关小学"
    assert differences(a, a) == []
    assert [r.b for r in differences(a, _result([]))] == ["留任", "留任", "留任", "留任"]


def test_compare_has_one_value_per_scenario_in_order():
    rows = compare([("x", {"figures": {"moves": 3, "rural_share": 0.5}}), ("y", {"figures": {"moves": 5}})])
    by_key = {r["key"]: r for r in rows}
    assert by_key["moves"]["values"] == [3, 5]
    assert by_key["rural_share"]["texts"] == ["50.0%", "—"]


def test_pins_are_applied_over_the_saved_ones():
    from policy.scenarios import apply_pins

    saved = {"A": "R01", "B": None}
    assert apply_pins(["C=R02", "A=", "B=stay", " D = STAY "], saved) == {"B": None, "C": "R02", "D": None}
    assert saved == {"A": "R01", "B": None}
    with pytest.raises(PolicyError, match="身份证号=学校代码"):
        apply_pins(["nonsense"], {})


def test_a_scenarios_distances_come_from_the_schools_coordinates_pinned_moves_included():
    """Seen on a held-out county: a pinned move between two schools with coordinates was kept
    with no distance (longest trip, travel and 距离未知 wrong), and the travel total, summed
    from distances rounded to 0.1 km, was 4 km short of the hand count."""
    import datetime as dt
    import math

    from policy.eligibility import MANDATORY, EligibilityEntry, EligibilityResult, TeacherRec
    from policy.planner import PlanSchool, plan_exchanges
    from policy.scenarios import result_of

    ref = dt.date(2025, 9, 1)

    def at(code, location, lat, lon):
        return PlanSchool(code, f"学校{code}", location, False, "小学", 0, 0, lat, lon, frozenset(), "R1")

    # 0.0004° of latitude is 0.0445 km: each of these moves rounds down by about 0.04 km
    schools = {s.code: s for s in (at("U", "城区", 36.0, 105.0), at("R", "乡村", 36.1004, 105.0),
                                   at("P", "乡村", 36.5, 105.0))}
    entries = [EligibilityEntry(TeacherRec(k, f"ID{k}", f"教师{k}", "女", dt.date(1985, 1, 1), "语文", None),
                                "U", ref, 13, MANDATORY, MANDATORY, "clause") for k in "abcdefgh"]
    plan = plan_exchanges(EligibilityResult(2025, ref, entries), schools, load_profile(),
                          {("R", "语文"): 7, ("P", "语文"): 1}, pins={"h": "P"})
    kept = result_of(plan, schools)
    pinned = next(m for m in kept["moves"] if m["pinned"])

    def hand(dlat):  # the haversine by hand on one meridian: the arc of the latitude difference
        return 2 * 6371.0088 * math.asin(abs(math.sin(math.radians(dlat) / 2)))

    assert pinned["to"] == "P" and pinned["km"] == round(hand(0.5), 1)
    figures = kept["figures"]
    assert figures["unknown_km"] == 0 and figures["max_km"] == round(hand(0.5), 1)
    assert figures["travel_km"] == round(7 * hand(0.1004) + hand(0.5), 1)
