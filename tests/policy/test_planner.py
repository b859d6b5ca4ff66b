"""The planner: every rule, pins, unmet reasons, and optimality (flow and MILP agree)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy import planner
from policy.directions import DIRECTIONS, DirectionRules
from policy.eligibility import ELIGIBLE, MANDATORY, EligibilityEntry, EligibilityResult, TeacherRec
from policy.planner import PlanSchool, allowed, default_needs, plan_exchanges, tier
from policy.profile import load_profile

PROFILE = load_profile()
REF = dt.date(2025, 9, 1)


def school(code, location="城区", weak=False, lat=None, lon=None, clusters=(), region="R1", students=0,
           teachers=0):
    return PlanSchool(code, f"学校{code}", location, weak, "小学", students, teachers, lat, lon,
                      frozenset(clusters), region)


def entry(key, school_code, due=ELIGIBLE, subject="语文", backbone=None, years=None):
    teacher = TeacherRec(key, f"ID{key}", f"教师{key}", "女", dt.date(1985, 1, 1), subject, backbone)
    years = years or (13 if due == MANDATORY else 10)
    return EligibilityEntry(teacher, school_code, REF, years, due, due, "clause")


def _rules(schools, profile=PROFILE):
    return DirectionRules.from_profile(profile, schools)


def _merged(schools, entries, needs):
    """The needs the planner uses: the table, and defaults for the schools it leaves out."""
    return planner.merged_needs(schools, entries, PROFILE, needs)[0]


def result(entries):
    return EligibilityResult(2025, REF, list(entries))


def schools_of(*items):
    return {s.code: s for s in items}


def test_tiers_and_direction():
    urban, town, rural, weak_urban = school("U"), school("T", "镇区"), school("R", "乡村"), school("W", weak=True)
    assert [tier(s) for s in (urban, town, rural, weak_urban)] == [2, 1, 0, 0]
    assert allowed(urban, town) and allowed(urban, rural) and allowed(town, rural) and allowed(urban, weak_urban)
    assert allowed(rural, school("R2", "乡村"))  # rural teachers rotate among rural schools
    assert not allowed(rural, urban) and not allowed(town, urban) and not allowed(town, school("T2", "镇区"))
    assert not allowed(urban, school("R9", "乡村", region="R2"))  # never across counties


def test_mandatory_moves_and_quota_floors():
    schools = schools_of(school("U", lat=36.5, lon=105.7), school("R", "乡村", lat=36.6, lon=105.8))
    entries = [entry("m", "U", MANDATORY)] + [entry(f"e{i}", "U") for i in range(19)]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 5})
    assert plan.base == 20 and plan.required_moves == 2
    moved = {m.entry.teacher.key for m in plan.moves}
    assert "m" in moved and len(plan.moves) == 2  # the floor, no more (each move costs)
    assert all(m.to_school == "R" for m in plan.moves) and plan.optimal
    # no backbone teacher exists: the 20 % backbone floor cannot be met and says why
    assert plan.required_backbone == 1
    assert any("骨干" in u and "只有 0 人" in u for u in plan.unmet)
    data = plan.to_json()
    # issue 4's shape stays; issue 10 only added fields
    assert set(data) >= {"school_year", "base", "moves", "summary", "unmet"}
    assert {k: data["summary"][k] for k in ("moves", "backbone", "required_moves", "required_backbone", "optimal")} \
        == {"moves": 2, "backbone": 0, "required_moves": 2, "required_backbone": 1, "optimal": True}
    assert set(data["moves"][0]) >= {"id_number", "from_school", "to_school", "form", "backbone", "moves_personnel"}
    assert data["moves"][0]["direction"] == "rural" and "向乡村学校" in data["moves"][0]["reason"]
    assert data["unplaced"] == [] and data["summary"]["directions"]["rural"] == 2
    outcomes = {o["id_number"]: o for o in data["outcomes"]}
    assert len(outcomes) == 20 and outcomes["IDm"]["outcome"] == "moved"
    stays = [o for o in outcomes.values() if o["outcome"] == "stays"]
    assert len(stays) == 18 and all(o["rule"] == "share_met" and "比例已达到" in o["reason"] for o in stays)


def test_backbone_floor_met_with_backbone_teachers():
    schools = schools_of(school("U"), school("R", "乡村"))
    entries = [entry(f"e{i}", "U") for i in range(30)] + [entry("b1", "U", backbone="县级骨干教师"),
                                                         entry("b2", "U", backbone="名师")]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 10})
    assert len(plan.moves) == 4 and plan.backbone_moves >= 1 and plan.required_backbone == 1
    assert plan.unmet == []
    backbone_move = next(m for m in plan.moves if m.backbone)
    assert (backbone_move.form, backbone_move.moves_personnel) == ("柔性流动", False)
    ordinary = next(m for m in plan.moves if not m.backbone)
    assert (ordinary.form, ordinary.moves_personnel) == ("轮岗", True)


def test_backbone_share_counted_on_moves_grows_with_mandatory_moves():
    schools = schools_of(school("U"), school("R", "乡村"))
    entries = [entry(f"m{i}", "U", MANDATORY) for i in range(10)] + \
        [entry(f"b{i}", "U", backbone="县级骨干教师") for i in range(5)]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 20})
    # 10 mandatory must move; backbone ≥ 20 % of all moves → 3 backbone (3 ≥ 0.2 × 13)
    assert len(plan.moves) == 13 and plan.backbone_moves == 3 and plan.required_backbone == 3
    assert plan.unmet == []
    eligible_base = PROFILE.with_overrides({"exchange.backbone_denominator": "eligible"})
    plan = plan_exchanges(result(entries), schools, eligible_base, {("R", "语文"): 20})
    assert plan.required_backbone == 3 and plan.backbone_moves == 3  # ceil(0.2 × 15)


def test_subject_needs_and_unmet_reasons():
    schools = schools_of(school("U"), school("R", "乡村"))
    entries = [entry("math", "U", MANDATORY, subject="数学"), entry("chn1", "U", MANDATORY),
               entry("chn2", "U", MANDATORY)]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 1})
    assert len(plan.moves) == 1 and plan.moves[0].entry.teacher.subject == "语文"
    text = "\n".join(plan.unmet)
    assert "没有可去的学校" in text and "数学" in text  # no 数学 need anywhere
    assert "空缺已被占满" in text  # two 语文 mandatory teachers, one slot


def test_prefers_own_cluster_then_distance():
    schools = schools_of(
        school("U", lat=36.50, lon=105.70, clusters={"A"}),
        school("NEAR", "乡村", lat=36.52, lon=105.70, clusters={"B"}),  # 2 km, other cluster
        school("MINE", "乡村", lat=36.60, lon=105.70, clusters={"A"}),  # 11 km, own cluster
        school("FAR", "乡村", lat=36.90, lon=105.70, clusters={"A"}),  # 44 km, own cluster
    )
    plan = plan_exchanges(result([entry("m", "U", MANDATORY)]), schools, PROFILE,
                          {("NEAR", "语文"): 1, ("MINE", "语文"): 1, ("FAR", "语文"): 1})
    move = plan.moves[0]
    assert move.to_school == "MINE" and move.same_cluster and move.distance_km == pytest.approx(11.1, abs=0.2)


def test_pins_go_and_stay():
    schools = schools_of(school("U"), school("R1", "乡村"), school("R2", "乡村"))
    entries = [entry("m", "U", MANDATORY), entry("e", "U"), entry("x", "U")]
    needs = {("R1", "语文"): 1, ("R2", "语文"): 1}
    plan = plan_exchanges(result(entries), schools, PROFILE, needs, pins={"e": "R2", "m": None})
    by_key = {m.entry.teacher.key: m for m in plan.moves}
    assert by_key["e"].to_school == "R2" and by_key["e"].pinned
    assert "m" not in by_key
    assert any("指定留任" in u for u in plan.unmet)
    assert plan.pins == {"e": "R2", "m": None}


def test_default_needs_from_ratio_and_own_candidates():
    profile = PROFILE
    schools = schools_of(school("U", students=2000, teachers=90),
                         school("R", "乡村", students=380, teachers=15))  # 380/19 = 20 → gap 5
    entries = [entry("a", "R", subject="数学"), entry("b", "U"), entry("c", "U")]
    needs = default_needs(schools, entries, profile)
    assert not any(code == "U" for code, _ in needs)  # urban schools do not receive
    assert sum(needs.values()) == 5 + 1
    assert needs[("R", "数学")] >= 1
    plan = plan_exchanges(result([entry("m", "U", MANDATORY)]), schools, profile, None)
    assert plan.needs_source == "ratio" and plan.moves[0].to_school == "R"


def test_moves_keep_to_the_sections_a_teacher_teaches():
    def staged(code, stage, location="乡村"):
        return PlanSchool(code, code, location, False, stage, 0, 0, None, None, frozenset(), "R1")

    primary, junior, through, point = (staged("P", "小学"), staged("J", "初中"), staged("N", "九年一贯制"),
                                       staged("D", "教学点"))
    city_primary, city_junior = staged("UP", "小学", "城区"), staged("UJ", "初中", "城区")
    assert allowed(city_primary, primary) and allowed(city_primary, point) and allowed(city_primary, through)
    assert not allowed(city_primary, junior) and not allowed(city_junior, primary) and allowed(city_junior, through)
    schools = schools_of(city_primary, city_junior, primary, junior)
    entries = [entry("p", "UP", MANDATORY), entry("j", "UJ", MANDATORY)]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("P", "语文"): 2, ("J", "语文"): 2})
    assert sorted((m.entry.teacher.key, m.to_school) for m in plan.moves) == [("j", "J"), ("p", "P")]


def test_default_needs_give_a_primary_school_only_primary_subjects():
    schools = {s.code: s for s in (
        PlanSchool("UJ", "城区初中", "城区", False, "初中", 1500, 80, None, None, frozenset(), "R1"),
        PlanSchool("RP", "乡村小学", "乡村", False, "小学", 380, 15, None, None, frozenset(), "R1"),
        PlanSchool("UP", "城区小学", "城区", False, "小学", 1500, 80, None, None, frozenset(), "R1"))}
    entries = [entry("h", "UJ", subject="历史"), entry("w", "UP", subject="语文"), entry("m", "UP", subject="数学")]
    needs = default_needs(schools, entries, PROFILE)
    assert {subject for code, subject in needs if code == "RP"} <= {"语文", "数学"}
    assert sum(n for (code, _), n in needs.items() if code == "RP") == 5  # 380 / 19 = 20, 15 teachers


def _random_case(seed: int):
    rng = random.Random(seed)
    schools = [school(f"U{i}", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 3}) for i in range(4)]
    schools += [school(f"T{i}", "镇区", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 3})
                for i in range(3)]
    schools += [school(f"R{i}", "乡村", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 3})
                for i in range(6)]
    subjects = ("语文", "数学", "英语")
    entries = []
    for k in range(60):
        home = rng.choice(schools[:7] + schools[7:9])
        entries.append(entry(f"t{k:02d}", home.code, MANDATORY if rng.random() < 0.15 else ELIGIBLE,
                             rng.choice(subjects), "县级骨干教师" if rng.random() < 0.2 else None))
    needs = {(s.code, subj): rng.randint(0, 3) for s in schools if tier(s) < 2 for subj in subjects}
    return schools_of(*schools), entries, needs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flow_and_milp_find_the_same_optimum(seed):
    schools, entries, needs = _random_case(seed)
    flow = plan_exchanges(result(entries), schools, PROFILE, needs)
    assert flow.solver == planner.FLOW_SOLVER and flow.optimal
    # The MILP on the same model with no per-school floors is the same problem: the same optimum.
    model = planner._build(entries, schools, _merged(schools, entries, needs), {}, None, _rules(schools))
    floor, chosen = _milp_reference(model, flow.required_moves, {})
    milp_moves = [(model.entries[i], c) for i, c in enumerate(chosen) if c is not None]
    assert (flow.required_backbone, len(flow.moves), flow.backbone_moves) == \
        (floor, len(milp_moves), sum(1 for e, _ in milp_moves if e.backbone))
    assert _integer_cost(flow, schools) == _integer_cost(_as_plan(model, milp_moves), schools)
    mandatory = {e.teacher.key for e in entries if e.due == MANDATORY}
    moved = {m.entry.teacher.key for m in flow.moves}
    assert len(flow.moves) >= flow.required_moves or flow.unmet
    assert mandatory <= moved or any("须交流" in u for u in flow.unmet)
    for move in flow.moves:
        assert allowed(schools[move.from_school], schools[move.to_school])
    taken = {}
    for move in flow.moves:
        key = (move.to_school, move.entry.teacher.subject)
        taken[key] = taken.get(key, 0) + 1
    assert all(n <= needs.get(k, 0) for k, n in taken.items())


def test_per_sending_school_floor_uses_milp_when_the_flow_misses_it():
    """U1 is nearer the rural school: the flow sends both required teachers from U1, which
    leaves U2 under its own 10 %; per school, the MILP sends one from each."""
    schools = schools_of(school("U1", lat=36.50, lon=105.70), school("U2", lat=36.90, lon=105.70),
                         school("R", "乡村", lat=36.52, lon=105.70))
    entries = [entry(f"a{i}", "U1") for i in range(10)] + [entry(f"b{i}", "U2") for i in range(10)]
    county = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 5})
    assert {m.from_school for m in county.moves} == {"U1"} and len(county.moves) == 2
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    plan = plan_exchanges(result(entries), schools, profile, {("R", "语文"): 5})
    assert sorted(m.from_school for m in plan.moves) == ["U1", "U2"]
    assert plan.solver == planner.LP_SOLVER and plan.optimal
    assert not any("本校应交流" in u for u in plan.unmet)  # (no backbone teacher exists: that rule is unmet)


def test_per_school_milp_branches_when_its_lp_relaxation_is_fractional(monkeypatch):
    """Half of the cheap pair (two ordinary teachers) and half of the dear one (two backbone
    teachers) meet every floor in the LP relaxation at less travel; only the dear pair meets
    them in whole teachers. The integer model is solved when the relaxation is fractional."""
    from ortools.linear_solver import pywraplp

    schools = schools_of(school("U1", lat=36.0, lon=105.0), school("U2", lat=37.0, lon=105.0),
                         school("R1", "乡村", lat=37.01, lon=105.0), school("R2", "乡村", lat=36.01, lon=105.0))
    entries = [entry("x", "U1", subject="语文", backbone="名师"), entry("y", "U1", subject="数学"),
               entry("z", "U2", subject="数学", backbone="名师"), entry("w", "U2", subject="语文")]
    needs = {("R1", "语文"): 1, ("R2", "数学"): 1}
    integer = []
    set_integer = pywraplp.Variable.SetInteger
    monkeypatch.setattr(pywraplp.Variable, "SetInteger", lambda v, on: integer.append(on) or set_integer(v, on))
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    plan = plan_exchanges(result(entries), schools, profile, needs)
    assert plan.solver == planner.LP_MILP_SOLVER and plan.optimal and integer
    assert sorted((m.entry.teacher.key, m.to_school) for m in plan.moves) == [("x", "R1"), ("z", "R2")]
    assert not plan.unmet
    cheap = plan_exchanges(result(entries), schools, PROFILE, needs)  # one school's floor: one backbone move
    assert len(cheap.moves) == 1 and cheap.backbone_moves == 1


def test_per_sending_school_takes_the_flow_optimum_when_it_meets_every_floor():
    """Mandatory teachers in every urban school already meet each school's 10 %: the flow's
    optimum is the answer (no MILP), the same plan the MILP finds."""
    schools = schools_of(school("U1", lat=36.50, lon=105.70), school("U2", lat=36.90, lon=105.70),
                         school("R", "乡村", lat=36.52, lon=105.70))
    entries = [entry(f"a{i}", "U1", MANDATORY if i < 2 else ELIGIBLE) for i in range(10)]
    entries += [entry(f"b{i}", "U2", MANDATORY if i < 1 else ELIGIBLE, backbone="名师" if i == 5 else None)
                for i in range(10)]
    needs = {("R", "语文"): 6}
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    plan = plan_exchanges(result(entries), schools, profile, needs)
    assert plan.solver == planner.FLOW_SOLVER and plan.optimal and not plan.unmet
    model = planner._build(entries, schools, _merged(schools, entries, needs), {}, None, _rules(schools))
    floor, chosen = _milp_reference(model, plan.required_moves, {"U1": 1, "U2": 1})
    milp_moves = [(model.entries[i], c) for i, c in enumerate(chosen) if c is not None]
    assert sorted(m.entry.teacher.key for m in plan.moves) == sorted(e.teacher.key for e, _ in milp_moves)
    assert plan.required_backbone == floor and "b5" in {m.entry.teacher.key for m in plan.moves}


def test_a_per_school_plan_out_of_time_says_what_the_clerk_can_do(monkeypatch):
    from ortools.linear_solver import pywraplp

    from policy.errors import PolicyError

    schools = schools_of(school("U1", lat=36.50, lon=105.70), school("U2", lat=36.90, lon=105.70),
                         school("R", "乡村", lat=36.52, lon=105.70))
    entries = [entry(f"a{i}", "U1") for i in range(10)] + [entry(f"b{i}", "U2") for i in range(10)]
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    # HiGHS answers 99 (unknown) when its time runs out before any plan is found.
    monkeypatch.setattr(pywraplp.Solver, "Solve", lambda _solver: 99)
    with pytest.raises(PolicyError) as caught:  # (the flow's optimum leaves U2 short: HiGHS is asked)
        plan_exchanges(result(entries), schools, profile, {("R", "语文"): 5})
    message = str(caught.value)
    assert f"{planner.MILP_SECONDS} 秒内未能算出" in message and "按全县统一核定" in message
    assert "HiGHS" not in message and "99" not in message


def test_the_per_school_time_limit_is_for_the_whole_plan_not_each_solve(monkeypatch):
    """MILP_SECONDS bounds all the LP and MILP solves of one plan together (pricing rounds and
    backbone floors can take several): a solve that would start after it is not started."""
    from ortools.linear_solver import pywraplp

    from policy.errors import PolicyError

    schools = schools_of(school("U1", lat=36.50, lon=105.70), school("U2", lat=36.90, lon=105.70),
                         school("R", "乡村", lat=36.52, lon=105.70))
    entries = [entry(f"a{i}", "U1") for i in range(10)] + [entry(f"b{i}", "U2") for i in range(10)]
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    limits, solve = [], pywraplp.Solver.Solve
    monkeypatch.setattr(pywraplp.Solver, "SetTimeLimit", lambda _solver, ms: limits.append(ms))
    plan = plan_exchanges(result(entries), schools, profile, {("R", "语文"): 5})
    assert plan.solver == planner.LP_SOLVER and limits and max(limits) <= planner.MILP_SECONDS * 1000
    assert limits == sorted(limits, reverse=True)  # each solve gets what the earlier ones left
    monkeypatch.setattr(planner, "MILP_SECONDS", 0)
    called = []
    monkeypatch.setattr(pywraplp.Solver, "Solve", lambda s: called.append(1) or solve(s))
    with pytest.raises(PolicyError, match="秒内未能算出"):
        plan_exchanges(result(entries), schools, profile, {("R", "语文"): 5})
    assert not called


# --- the one-pass floor search and the full graph -------------------------------------


def _plain_floor(moves_at, start, share, required):
    """The reference: raise the floor to ceil(share × moves) until it holds."""
    floor = start
    while True:
        need = planner.backbone_need(share, moves_at(floor), required)
        if need <= floor:
            return floor
        floor = need


@settings(max_examples=300, deadline=None)
@given(base=st.integers(0, 400), steps=st.lists(st.sampled_from([0, 1]), min_size=1, max_size=400),
       start=st.integers(0, 40), share=st.sampled_from([0.1, 0.2, 0.25, 1 / 3, 0.5]), required=st.integers(0, 300))
def test_least_floor_agrees_with_the_plain_iteration(base, steps, start, share, required):
    """Any monotone, 1-Lipschitz M(F) (what a parametric min-cost flow gives): same floor."""
    def moves(floor):
        return base + sum(steps[:max(0, floor)]) + max(0, floor - len(steps))

    calls = []
    def moves_at(floor):
        calls.append(floor)
        return moves(floor)

    ceiling = max(start, planner.backbone_need(share, base + 10_000, required))
    floor, settled = planner._least_floor(moves_at, start, share, required, ceiling)
    assert settled and floor == _plain_floor(moves, start, share, required)
    assert planner.backbone_need(share, moves(floor), required) <= floor


def _integer_cost(plan, schools):
    """The planner's travel cost of a plan, recomputed from the schools (pinned moves cost 0)."""
    total = 0
    for move in plan.moves:
        if move.pinned:
            continue
        a, b = schools[move.from_school], schools[move.to_school]
        km = planner.haversine_matrix([a], [b])[0, 0]
        km = planner.UNKNOWN_DISTANCE_KM if math.isnan(km) else km
        cluster = 0.0 if a.clusters & b.clusters else planner.OTHER_CLUSTER_KM
        total += round(float(km + cluster) * planner.COST_PER_KM) + 1
    return total


def _as_plan(model, milp_moves):
    """Moves found by :func:`_milp_reference`, shaped as a plan for :func:`_integer_cost`."""
    plan = type("P", (), {})()
    plan.moves = [planner.Move(e, c[0], "", True, c[1], c[2], model.entries.index(e) in model.pinned_to)
                  for e, c in milp_moves]
    return plan


def _crowded_case(seed, uneven=False):
    """Many mandatory teachers and few backbone ones: the backbone floor climbs with the moves.
    ``uneven``: U2 has no mandatory teacher and lies far off, so the flow's optimum tends to
    leave it under its own per-school floor."""
    rng = random.Random(seed)
    schools = [school(f"U{i}", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 2}) for i in range(3)]
    if uneven:
        schools[2] = school("U2", lat=38.0, lon=107.0)
    schools += [school(f"R{i}", "乡村", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 2})
                for i in range(5)]
    if seed % 2:
        schools.append(school("X", "乡村"))  # no coordinates
    subjects = ("语文", "数学")
    entries = []
    for k in range(45):
        home = rng.choice(schools[:3]).code
        mandatory = rng.random() < 0.6 and not (uneven and home == "U2")
        backbone = rng.random() < (0.05 if mandatory else 0.4)
        entries.append(entry(f"t{k:02d}", home, MANDATORY if mandatory else ELIGIBLE,
                             rng.choice(subjects), "县级骨干教师" if backbone else None))
    needs = {(s.code, subj): rng.randint(0, 4) for s in schools if tier(s) == 0 for subj in subjects}
    return schools_of(*schools), entries, needs


def _teacher_milp(model, required_moves, required_backbone, floors):
    """An independent formulation of the planner's problem: a binary variable per teacher and
    destination (no groups, hubs or flow network), solved by HiGHS with the planner's tiers
    (mandatory 36 > backbone 12 > school 4 > total 2 > move 1, then the arc costs).
    Returns (chosen, proven optimal)."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("HIGHS")
    solver.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=0")
    inf = solver.infinity()
    n = len(model.entries)
    m_move = planner._penalties(model)[3]
    objective = solver.Objective()
    once = [solver.Constraint(0.0 if i in model.pinned_to else 1.0, 1.0) for i in range(n)]
    slot_rows = [solver.Constraint(-inf, float(cap)) for cap in model.capacity]
    arcs = []
    for i in range(n):
        options = model.arcs[i]
        for position in range(0 if i in model.pinned_to else len(options)):
            move = solver.IntVar(0.0, 1.0, "")
            objective.SetCoefficient(move, float(m_move + options.costs[position]))
            once[i].SetCoefficient(move, 1.0)
            slot_rows[int(options.slots[position])].SetCoefficient(move, 1.0)
            arcs.append((i, position, move))
    counts = {}
    for e in model.entries:
        counts[e.school] = counts.get(e.school, 0) + 1
    n_bb = sum(1 for e in model.entries if e.backbone)
    rows = []
    for limit, penalty, members in (
            (n - required_moves, 2 * m_move, range(n)),
            (n_bb - required_backbone, 12 * m_move, [i for i, e in enumerate(model.entries) if e.backbone]),
            *((counts[code] - need, 4 * m_move, [i for i, e in enumerate(model.entries) if e.school == code])
              for code, need in floors.items())):
        row = solver.Constraint(-inf, float(max(0, limit)))
        slack = solver.NumVar(0.0, inf, "")
        objective.SetCoefficient(slack, float(penalty))
        row.SetCoefficient(slack, -1.0)
        rows.append((row, set(members)))
    for i, entry in enumerate(model.entries):
        pinned = i in model.pinned_to
        stay = solver.IntVar(0.0, 0.0 if pinned else 1.0, "")
        once[i].SetCoefficient(stay, 1.0)
        mandatory = entry.due == MANDATORY and i not in model.pinned_stay and not pinned
        objective.SetCoefficient(stay, 36.0 * m_move if mandatory else 0.0)
        for row, members in rows:
            if i in members and not pinned:
                row.SetCoefficient(stay, 1.0)
    objective.SetMinimization()
    status = solver.Solve()
    chosen = [None] * n
    for i, position, move in arcs:
        if move.solution_value() > 0.5:
            chosen[i] = planner._target(model, i, position)
    for i, move in model.pinned_moves.items():
        chosen[i] = move
    return chosen, status == solver.OPTIMAL


def _milp_reference(model, required_moves, floors):
    """The plain floor iteration solved by :func:`_teacher_milp`: raise the backbone floor to
    ceil(share × moves) from the base floor until it holds; (floor, chosen) at the end."""
    share = PROFILE.value("exchange.backbone_share")
    floor = planner.backbone_need(share, required_moves, required_moves)
    while True:
        chosen, proven = _teacher_milp(model, required_moves, floor, floors)
        assert proven
        need = planner.backbone_need(share, sum(1 for c in chosen if c is not None), required_moves)
        if need <= floor:
            return floor, chosen
        floor = need


@pytest.mark.parametrize("seed", range(40))
def test_one_pass_flow_matches_plain_iteration_with_milp(seed):
    """Property: the accelerated flow, and the plain floor iteration solved by HiGHS on the same
    model, reach the same floor, the same rule shortfalls and the same optimal travel cost."""
    schools, entries, needs = _crowded_case(seed)
    pins = {entries[0].teacher.key: None} if seed % 3 == 0 else {}
    if seed % 4 == 1:  # a pinned backbone move counts toward the floor and takes a place
        pinned = next((e for e in entries if e.backbone), entries[1])
        pins[pinned.teacher.key] = "R0"
    plan = plan_exchanges(result(entries), schools, PROFILE, needs, pins)
    assert plan.optimal and not plan.pruned and plan.solver.startswith("OR-Tools")

    model = planner._build(entries, schools, _merged(schools, entries, needs), pins, None, _rules(schools))
    floor, chosen = _milp_reference(model, plan.required_moves, {})
    assert plan.required_backbone == floor
    milp_moves = [(model.entries[i], c) for i, c in enumerate(chosen) if c is not None]
    mandatory_left = sum(1 for e in entries if e.due == MANDATORY) - sum(1 for e, _ in milp_moves
                                                                         if e.due == MANDATORY)
    plan_mandatory_left = sum(1 for e in entries if e.due == MANDATORY) - sum(
        1 for m in plan.moves if m.entry.due == MANDATORY)
    assert plan_mandatory_left == mandatory_left
    backbone = sum(1 for e, _ in milp_moves if e.backbone)
    assert max(0, floor - plan.backbone_moves) == max(0, floor - backbone)
    assert max(0, plan.required_moves - len(plan.moves)) == max(0, plan.required_moves - len(milp_moves))
    assert _integer_cost(plan, schools) == _integer_cost(_as_plan(model, milp_moves), schools)


def test_full_graph_places_what_pruning_loses():
    """Keeping only each teacher's nearest destinations can strand a mandatory teacher; the
    default full graph does not, and a pruned plan says so."""
    schools = schools_of(school("U1", lat=36.50, lon=105.70), school("U2", lat=36.50, lon=105.72),
                         school("NEAR", "乡村", lat=36.52, lon=105.71), school("FAR", "乡村", lat=36.90, lon=105.71))
    entries = [entry("a", "U1", MANDATORY), entry("b", "U2", MANDATORY)]
    needs = {("NEAR", "语文"): 1, ("FAR", "语文"): 1}
    pruned = plan_exchanges(result(entries), schools, PROFILE, needs, max_destinations=1)
    assert pruned.pruned and "每人保留最近的 1 个去向" in pruned.solver and len(pruned.moves) == 1
    full = plan_exchanges(result(entries), schools, PROFILE, needs)
    assert not full.pruned and full.optimal and sorted(m.to_school for m in full.moves) == ["FAR", "NEAR"]
    assert full.unmet == [] or all("骨干" in u for u in full.unmet)


def test_placeable_counts_what_the_slots_can_take():
    schools = schools_of(school("U"), school("R", "乡村"), school("R2", "乡村"))
    entries = [entry(f"m{i}", "U", MANDATORY, backbone="名师" if i < 2 else None) for i in range(5)]
    entries += [entry("p", "U"), entry("s", "U", MANDATORY)]
    model = planner._build(entries, schools, {("R", "语文"): 3, ("R2", "语文"): 1}, {"p": "R2", "s": None}, None,
                           _rules(schools))
    network = planner._Flow(model)
    groups = np.arange(network.g)
    assert network.placeable(groups[network.group_mandatory]) == 3  # R has 3 places for 5; R2's went to the pin
    assert network.placeable(groups[network.group_backbone]) == 2
    assert network.solve(0, 0) == 3 + 1


def test_floor_bound_is_the_answer_when_backbone_comes_only_from_non_mandatory():
    """Mandatory teachers fill most places; the backbone floor then needs extra non-mandatory
    backbone moves, each raising the moves: the bound lands on the settled floor."""
    schools = schools_of(school("U"), school("R", "乡村"))
    entries = [entry(f"m{i:02d}", "U", MANDATORY) for i in range(40)]
    entries += [entry(f"b{i:02d}", "U", backbone="县级骨干教师") for i in range(20)]
    model = planner._build(entries, schools, {("R", "语文"): 100}, {}, None, _rules(schools))
    network = planner._Flow(model)
    share = PROFILE.value("exchange.backbone_share")
    bound = planner._floor_bound(network, model, share, 6)
    assert bound == 10  # 40 mandatory + 10 backbone = 50 moves, 20 % of 50 = 10
    plan = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 100})
    assert plan.required_backbone == bound and len(plan.moves) == 50 and plan.backbone_moves == 10


def test_fewest_moves_before_least_travel():
    """A far backbone mandatory teacher alone meets both rules; a near ordinary one would need
    a second (backbone) teacher moved with him: the plan moves one teacher, not two."""
    schools = schools_of(school("U1", lat=36.0, lon=105.0), school("U2", lat=36.5, lon=105.5),
                         school("U3", lat=36.5, lon=105.5), school("R1", "乡村", lat=36.51, lon=105.5),
                         school("R2", "乡村", lat=36.5, lon=105.51))
    entries = [entry("far", "U1", MANDATORY, backbone="名师"), entry("near", "U2", MANDATORY),
               entry("extra", "U3", subject="数学", backbone="县级骨干教师")]
    # the clerk's table gives the urban schools no places (else "near" could take "far"'s, laterally)
    needs = {("R1", "语文"): 1, ("R2", "数学"): 1, **{(u, "语文"): 0 for u in ("U1", "U2", "U3")}}
    plan = plan_exchanges(result(entries), schools, PROFILE, needs)
    assert [m.entry.teacher.key for m in plan.moves] == ["far"]
    assert plan.unmet and all("须交流教师" in u for u in plan.unmet)  # "near" found no place


@pytest.mark.parametrize("uneven", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_per_school_plan_settles_where_the_plain_iteration_does(seed, uneven):
    """Per-school floors: the plan (the flow's optimum when it meets every school's floor, else
    HiGHS starting the floor at _floor_bound) has the floor, moves and travel of the plain
    iteration from the base floor solved per teacher by HiGHS; pins kept as given."""
    schools, entries, needs = _crowded_case(seed, uneven)
    pins = {entries[0].teacher.key: None} if seed % 3 == 0 else {}
    if seed % 4 == 1:  # a pinned backbone move counts toward its school's floor and takes a place
        pinned = next((e for e in entries if e.backbone), entries[1])
        pins[pinned.teacher.key] = "R0"
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    plan = plan_exchanges(result(entries), schools, profile, needs, pins)
    assert plan.optimal  # by the flow when its optimum meets every school's floor, else by HiGHS

    min_share = PROFILE.value("exchange.min_share")
    counts = {}
    for e in entries:
        if tier(schools[e.school]) > 0:
            counts[e.school] = counts.get(e.school, 0) + 1
    floors = {code: math.ceil(min_share * n - 1e-9) for code, n in counts.items()}
    model = planner._build(entries, schools, _merged(schools, entries, needs), pins, None, _rules(schools))
    floor, chosen = _milp_reference(model, plan.required_moves, floors)
    assert (plan.required_backbone, len(plan.moves)) == (floor, sum(1 for c in chosen if c is not None))
    assert {k: v for k, v in pins.items() if v} == {m.entry.teacher.key: m.to_school for m in plan.moves if m.pinned}
    milp_moves = [(model.entries[i], c) for i, c in enumerate(chosen) if c is not None]
    assert _integer_cost(plan, schools) == _integer_cost(_as_plan(model, milp_moves), schools)


def test_the_bound_cases_take_both_paths():
    """The cases above reach the per-school answer both ways: by the flow, and by HiGHS."""
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True})
    solvers = {plan_exchanges(result(entries), schools, profile, needs).solver
               for uneven in (False, True) for schools, entries, needs in (_crowded_case(k, uneven) for k in range(12))}
    assert solvers == {planner.FLOW_SOLVER, planner.LP_SOLVER}


# --- direction as a cost (issue 10) -------------------------------------------------------


def junior(code, location, weak=False, lat=36.5, lon=105.5, students=0, teachers=0, stage="初中"):
    return PlanSchool(code, f"{location}{code}", location, weak, stage, students, teachers, lat, lon, frozenset(), "R1")


def test_direction_classes_and_their_ranks():
    urban, urban2, town, town2 = junior("U", "城区"), junior("U2", "城区"), junior("T", "镇区"), junior("T2", "镇区")
    weak_town, rural = junior("W", "镇区", weak=True), junior("R", "乡村")
    over = junior("O", "乡村", students=135, teachers=20)  # 135 / 13.5 = 10 teachers: over-staffed
    short = junior("S", "镇区", students=270, teachers=12)  # 20 needed: understaffed
    rules = _rules(schools_of(urban, urban2, town, town2, weak_town, rural, over, short))
    assert rules.over == {"O"} and rules.under == {"S"}
    kinds = {(a.code, b.code): rules.kind(a, b) for a, b in (
        (urban, rural), (town, weak_town), (urban, town), (over, short), (over, urban), (rural, urban),
        (weak_town, town), (urban, urban2), (town, urban), (over, town), (weak_town, rural))}
    assert kinds == {("U", "R"): "rural", ("T", "W"): "weak", ("U", "T"): "town", ("O", "S"): "staffing",
                     ("O", "U"): "staffing", ("R", "U"): "any", ("W", "T"): "lateral", ("U", "U2"): "lateral",
                     ("T", "U"): "any", ("O", "T"): "any", ("W", "R"): "rural"}
    assert [rules.ranks[k] for k in ("rural", "weak", "town", "staffing", "lateral", "any")] == [0, 0, 0, 0, 1, 2]
    assert "海门2019计划 三(四)3" in rules.clauses["staffing"] and "太平区2023方案 四(二)3" in rules.clauses["lateral"]
    # the margin is a profile figure: 20 teachers for 10 is not "severe" at a 150 % margin
    relaxed = _rules(schools_of(over, short), PROFILE.with_overrides({"staffing.over_margin": 1.5}))
    assert relaxed.over == frozenset()


def _weak_town_county():
    """The only weak 初中 is a 镇区 school; no rural 初中 needs 地理/物理/生物; another 镇区 初中 does."""
    schools = schools_of(
        junior("W", "镇区", weak=True, lat=36.50, lon=105.50), junior("T", "镇区", lat=36.60, lon=105.50),
        junior("U", "城区", lat=36.70, lon=105.50), junior("R", "乡村", lat=36.40, lon=105.50),
        junior("P", "乡村", lat=36.45, lon=105.40, stage="小学"))
    entries = [entry("geo", "W", MANDATORY, "地理"), entry("phy", "W", MANDATORY, "物理"),
               entry("bio", "W", MANDATORY, "生物"), entry("chn", "W", MANDATORY, "语文"),
               entry("lone", "P", MANDATORY, "语文"), entry("elig", "W", subject="地理")]
    needs = {("R", "语文"): 1, ("R", "数学"): 1, ("T", "地理"): 2, ("T", "物理"): 1, ("T", "生物"): 1,
             ("U", "地理"): 1, ("P", "数学"): 1, ("W", "语文"): 0}
    return schools, entries, needs


def test_mandatory_teachers_without_a_rural_place_move_laterally():
    schools, entries, needs = _weak_town_county()
    plan = plan_exchanges(result(entries), schools, PROFILE, needs)
    moves = {m.entry.teacher.key: m for m in plan.moves}
    assert {k: (m.to_school, m.direction) for k, m in moves.items()} == {
        "geo": ("T", "lateral"), "phy": ("T", "lateral"), "bio": ("T", "lateral"), "chn": ("R", "rural")}
    assert plan.optimal
    data = plan.to_json()
    by_id = {m["id_number"]: m for m in data["moves"]}
    assert by_id["IDgeo"]["direction"] == "lateral" and "没有乡村、薄弱学校需要地理教师" in by_id["IDgeo"]["reason"]
    assert "太平区2023方案 四(二)3" in by_id["IDgeo"]["reason"] and "T" in by_id["IDgeo"]["to_school"]
    # no other school teaches primary: the lone primary teacher is unplaced, in a list, with a reason
    assert [(u["id_number"], u["school"], u["subject"], u["years"]) for u in data["unplaced"]] == [
        ("IDlone", "P", "语文", 13)]
    assert "没有语文接收空缺" in data["unplaced"][0]["reason"] and data["summary"]["unplaced"] == 1
    assert data["summary"]["directions"] == {"rural": 1, "weak": 0, "town": 0, "staffing": 0, "lateral": 3, "any": 0}
    # a teacher not yet mandatory does not move laterally: he stays, and says why
    outcome = {o["id_number"]: o for o in data["outcomes"]}["IDelig"]
    assert (outcome["outcome"], outcome["rule"]) == ("stays", "no_need")


def test_lateral_before_any_and_a_lateral_place_goes_to_the_one_who_needs_it():
    """Ranks: a rural place first, else lateral, else any school; the mandatory teacher with only
    a lateral option gets it, the one with a rural option goes rural."""
    schools, entries, needs = _weak_town_county()
    needs = {**needs, ("T", "地理"): 0, ("T", "物理"): 0, ("T", "生物"): 0}  # only the urban school needs 地理
    plan = plan_exchanges(result(entries), schools, PROFILE, needs)
    moves = {m.entry.teacher.key: (m.to_school, m.direction) for m in plan.moves}
    assert moves["geo"] == ("U", "any") and "phy" not in moves and "bio" not in moves
    assert {u["id_number"] for u in plan.to_json()["unplaced"]} == {"IDphy", "IDbio", "IDlone"}


def test_over_staffed_rural_school_sends_to_an_understaffed_town_school():
    schools = schools_of(junior("O", "乡村", students=135, teachers=20), junior("S", "镇区", students=270, teachers=12),
                         junior("T", "镇区", students=135, teachers=10))
    entries = [entry("a", "O", subject="数学"), entry("b", "O", subject="英语")]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("S", "数学"): 1, ("T", "英语"): 1})
    # 10 % of 2 → one move; only the understaffed school is a sanctioned direction for an eligible teacher
    assert [(m.entry.teacher.key, m.to_school, m.direction) for m in plan.moves] == [("a", "S", "staffing")]
    off = PROFILE.with_overrides({"exchange.direction.staffing": 2})
    assert plan_exchanges(result(entries), schools, off, {("S", "数学"): 1}).moves == []


def test_every_outcome_explains_itself():
    schools, entries, needs = _weak_town_county()
    exempt = EligibilityEntry(entries[0].teacher._replace(key="ex", id_number="IDex", name="免"), "W", REF, 14,
                              "exempt", MANDATORY, "教师〔2014〕4号", "孕期")
    res = EligibilityResult(2025, REF, entries + [exempt])
    plan = plan_exchanges(res, schools, PROFILE, needs, pins={"chn": None})
    outcomes = {o["id_number"]: o for o in plan.to_json()["outcomes"]}
    assert set(outcomes) == {e.teacher.id_number for e in res.entries}
    assert (outcomes["IDex"]["outcome"], outcomes["IDex"]["rule"]) == ("stays", "exempt")
    assert "孕期" in outcomes["IDex"]["reason"]
    assert (outcomes["IDchn"]["outcome"], outcomes["IDchn"]["rule"]) == ("stays", "pinned")
    assert "违反" in outcomes["IDchn"]["reason"]
    assert outcomes["IDgeo"]["outcome"] == "moved" and "距离" in outcomes["IDgeo"]["reason"]
    assert outcomes["IDlone"]["outcome"] == "unplaced"


def _tiered_case(seed):
    """Senders and receivers of every kind: mandatory teachers find rural, lateral or any places."""
    rng = random.Random(seed)
    kinds = [("城区", False)] * 2 + [("镇区", False)] * 2 + [("镇区", True), ("乡村", False), ("乡村", False)]
    schools = []
    for k, (location, weak) in enumerate(kinds):
        students = rng.choice([0, 135, 270])
        schools.append(junior(f"S{k}", location, weak, lat=36 + rng.random(), lon=105 + rng.random(),
                              students=students, teachers=rng.randint(8, 22)))
    subjects = ("语文", "数学", "地理")
    entries = []
    for k in range(36):
        mandatory = rng.random() < 0.5
        backbone = rng.random() < (0.1 if mandatory else 0.35)
        entries.append(entry(f"t{k:02d}", rng.choice(schools).code, MANDATORY if mandatory else ELIGIBLE,
                             rng.choice(subjects), "县级骨干教师" if backbone else None))
    needs = {(s.code, subj): rng.choice([0, 0, 1, 2]) for s in schools for subj in subjects}
    return schools_of(*schools), entries, needs


@pytest.mark.parametrize("seed", range(30))
def test_tiers_flow_matches_highs(seed):
    """Property, over direction tiers: the flow and the plain floor iteration solved by HiGHS reach
    the same floor and shortfalls, the same sum of direction ranks, then the same travel."""
    schools, entries, needs = _tiered_case(seed)
    plan = plan_exchanges(result(entries), schools, PROFILE, needs)
    assert plan.optimal and plan.solver.startswith("OR-Tools")
    rules = _rules(schools)
    model = planner._build(entries, schools, needs, {}, None, rules)
    floor, chosen = _milp_reference(model, plan.required_moves, {})
    assert plan.required_backbone == floor
    milp = [(model.entries[i], c) for i, c in enumerate(chosen) if c is not None]
    mandatory_moved = sum(1 for m in plan.moves if m.entry.due == MANDATORY)
    assert mandatory_moved == sum(1 for e, _ in milp if e.due == MANDATORY)
    assert len(plan.moves) == len(milp)
    assert max(0, floor - plan.backbone_moves) == max(0, floor - sum(1 for e, _ in milp if e.backbone))
    assert sum(rules.ranks[m.direction] for m in plan.moves) == sum(rules.ranks[c[3]] for _, c in milp)
    milp_plan = type("P", (), {})()
    milp_plan.moves = [planner.Move(e, c[0], "", True, c[1], c[2], False, c[3]) for e, c in milp]
    assert _integer_cost(plan, schools) == _integer_cost(milp_plan, schools)
    for move in plan.moves:  # a teacher not yet mandatory never moves against the direction
        assert move.entry.due == MANDATORY or rules.ranks[move.direction] <= rules.eligible_max


def _arc_travel(schools, source, target):
    a, b = schools[source], schools[target]
    km = planner.haversine_matrix([a], [b])[0, 0]
    km = planner.UNKNOWN_DISTANCE_KM if math.isnan(km) else km
    return round(float(km + (0.0 if a.clusters & b.clusters else planner.OTHER_CLUSTER_KM)) * planner.COST_PER_KM) + 1


def _staged_optimum(model, schools, plan, rules):
    """Independent of the planner's weights: with the plan's rule tiers held (mandatory moved,
    backbone and total shortfalls, number of moves), HiGHS minimises the sum of direction ranks,
    then, holding that, the travel. Returns (least rank sum, least travel)."""
    from ortools.linear_solver import pywraplp

    arcs = [(i, p) for i in range(len(model.entries)) for p in range(len(model.arcs[i]))]
    rank = [rules.ranks[DIRECTIONS[int(model.arcs[i].kinds[p])]] for i, p in arcs]
    travel = [_arc_travel(schools, model.entries[i].school, model.slots[int(model.arcs[i].slots[p])][0])
              for i, p in arcs]
    mandatory_moved = sum(1 for m in plan.moves if m.entry.due == MANDATORY)
    rows = [(lambda i, p, t=t: i == t, 0, 1) for t in range(len(model.entries))]
    rows += [(lambda i, p, j=j: int(model.arcs[i].slots[p]) == j, 0, cap) for j, cap in enumerate(model.capacity)]
    rows += [(lambda i, p: model.entries[i].due == MANDATORY, mandatory_moved, mandatory_moved),
             (lambda i, p: model.entries[i].backbone, min(plan.required_backbone, plan.backbone_moves), None),
             (lambda i, p: True, len(plan.moves), len(plan.moves))]

    def solve(cost, fixed_rank=None):
        solver = pywraplp.Solver.CreateSolver("HIGHS")
        solver.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=0")
        x = [solver.IntVar(0, 1, "") for _ in arcs]
        for pred, lo, hi in rows:
            row = solver.Constraint(lo, solver.infinity() if hi is None else hi)
            for k, (i, p) in enumerate(arcs):
                if pred(i, p):
                    row.SetCoefficient(x[k], 1)
        if fixed_rank is not None:
            row = solver.Constraint(fixed_rank, fixed_rank)
            for r, v in zip(rank, x):
                row.SetCoefficient(v, r)
        objective = solver.Objective()
        for c, v in zip(cost, x):
            objective.SetCoefficient(v, c)
        objective.SetMinimization()
        assert solver.Solve() == solver.OPTIMAL
        return round(solver.Objective().Value())

    least_rank = solve(rank)
    return least_rank, solve(travel, least_rank)


@pytest.mark.parametrize("seed", range(30))
def test_tiers_are_lexicographic_by_an_independent_staged_solve(seed):
    schools, entries, needs = _tiered_case(seed)
    plan = plan_exchanges(result(entries), schools, PROFILE, needs)
    rules = _rules(schools)
    model = planner._build(entries, schools, needs, {}, None, rules)
    least_rank, least_travel = _staged_optimum(model, schools, plan, rules)
    assert sum(rules.ranks[m.direction] for m in plan.moves) == least_rank
    assert _integer_cost(plan, schools) == least_travel


def test_tally_follows_the_clerks_edits_of_a_plan():
    """The review screen's figures come from policy: removing the mandatory move leaves one
    mandatory teacher unplaced and the plan short of moves; adding moves raises the backbone
    floor (20 % of the moves when the denominator is "moved")."""
    schools = schools_of(school("U"), school("R", "乡村"))
    entries = [entry("m", "U", MANDATORY)] + [entry(f"e{i}", "U") for i in range(19)]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 20})
    assert planner.required_moves(PROFILE, plan.base) == plan.required_moves == 2
    counted = planner.tally(plan, PROFILE)
    assert (counted.moves, counted.backbone, counted.required_backbone, counted.mandatory_left) == (2, 0, 1, 0)
    assert counted.moves_met and counted.mandatory_met and not counted.backbone_met
    mandatory = next(m for m in plan.moves if m.entry.teacher.key == "m")
    plan.moves.remove(mandatory)
    plan.stays.append(mandatory.entry)
    counted = planner.tally(plan, PROFILE)
    assert (counted.moves, counted.mandatory_left) == (1, 1) and not counted.moves_met and not counted.mandatory_met
    stayed = [e for e in plan.stays if e.teacher.key != "m"][:10]
    plan.moves.extend(planner.Move(e, "R", "轮岗", True, None, False, False, "rural") for e in stayed)
    share = PROFILE.value("exchange.backbone_share")
    assert planner.tally(plan, PROFILE).required_backbone == math.ceil(share * 11 - 1e-9) == 3


def test_the_planner_stops_at_its_progress_call():
    """policy.progress: a progress that raises Cancelled stops the solver between solves."""
    from policy.errors import Cancelled

    schools = schools_of(school("U"), school("R", "乡村"))
    entries = [entry("m", "U", MANDATORY)] + [entry(f"e{i}", "U") for i in range(19)]
    said: list[tuple[str, float]] = []

    def progress(message: str, fraction: float) -> None:
        said.append((message, fraction))
        if message == "求解中":
            raise Cancelled()

    with pytest.raises(Cancelled):
        plan_exchanges(result(entries), schools, PROFILE, {("R", "语文"): 5}, progress=progress)
    assert said[0] == ("建立模型", 0.1) and said[-1][0] == "求解中"
    assert all(0.0 <= fraction <= 1.0 for _message, fraction in said)


# --- pins and the distance limit say what they do (issue 18 check) -----------------------


def _junior_pair():
    return schools_of(PlanSchool("J", "城区初中", "城区", False, "初中", 0, 0, 36.0, 105.0, frozenset({1}), "R1"),
                      PlanSchool("P", "乡村小学", "乡村", False, "小学", 0, 0, 36.5, 105.0, frozenset(), "R1"),
                      PlanSchool("Q", "乡村初中", "乡村", False, "初中", 0, 0, 36.05, 105.0, frozenset({1}), "R1"),
                      PlanSchool("O", "外县初中", "乡村", False, "初中", 0, 0, 36.1, 105.0, frozenset(), "R2"))


def test_a_pinned_move_has_its_distance_and_cluster():
    schools = _junior_pair()
    entries = [entry("a", "J", MANDATORY, subject="历史"), entry("b", "J", MANDATORY, subject="历史")]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("Q", "历史"): 2}, pins={"a": "Q"})
    pinned = next(m for m in plan.moves if m.pinned)
    assert pinned.to_school == "Q" and pinned.same_cluster and pinned.direction == "rural"
    assert pinned.distance_km == round(planner.distance_km(schools["J"], schools["Q"]), 1) == 5.6
    assert not plan.unmet or all("指定" not in u for u in plan.unmet)


def test_pins_the_rules_or_the_needs_table_do_not_allow_are_named():
    schools = _junior_pair()
    entries = [entry("a", "J", MANDATORY, subject="历史"), entry("b", "J", MANDATORY, subject="历史"),
               entry("c", "J", MANDATORY, subject="历史")]
    plan = plan_exchanges(result(entries), schools, PROFILE, {("Q", "历史"): 1, ("O", "历史"): 1},
                          pins={"a": "P", "b": "O"})
    assert {m.entry.teacher.key: m.to_school for m in plan.moves if m.pinned} == {"a": "P", "b": "O"}  # kept
    said = [u for u in plan.unmet if u.startswith("指定")]
    assert len(said) == 2
    assert "教师a调往乡村小学" in said[0] and "没有相同学段" in said[0] and PROFILE.clause("exchange.direction.any") in said[0]
    assert "教师b调往外县初中" in said[1] and "不在同一县（区）" in said[1]
    pins = {"a": "Q", "b": "Q"}  # Q has one 历史 place: the second pin is beyond the needs table
    plan = plan_exchanges(result(entries), schools, PROFILE, {("Q", "历史"): 1}, pins=pins)
    assert [u for u in plan.unmet if u.startswith("指定")] == ["指定教师b调往乡村初中：该校需求表中历史的空缺不足，此项安排超出需求表"]


def test_a_distance_limit_names_only_the_teachers_it_leaves_without_a_place():
    schools = _junior_pair()
    far = PlanSchool("F", "远乡初中", "乡村", False, "初中", 0, 0, 37.0, 105.0, frozenset(), "R1")  # ~111 km
    schools = {**schools, "F": far}
    entries = [entry("h", "J", MANDATORY, subject="历史"), entry("m1", "J", MANDATORY, subject="数学"),
               entry("m2", "J", MANDATORY, subject="数学")]
    needs = {("F", "历史"): 1, ("Q", "数学"): 1, ("F", "数学"): 0}
    from policy.scenarios import apply_settings

    limited = apply_settings(PROFILE, {"exchange.max_distance_km": 40})  # as a scenario sets it (enabled)
    plan = plan_exchanges(result(entries), schools, limited, needs)
    assert sorted(m.entry.teacher.key for m in plan.moves) in (["m1"], ["m2"])
    beyond = [u for u in plan.unmet if "本方案限定交流距离不超过 40 公里，更远的学校仍有该学科空缺" in u]
    assert len(beyond) == 1 and beyond[0].startswith("1 名须交流教师未能安排（教师h）")
    assert any("空缺已被占满" in u for u in plan.unmet)  # the second 数学 teacher: crowded, not the limit
    unlimited = plan_exchanges(result(entries), schools, PROFILE, needs)
    assert "h" in {m.entry.teacher.key for m in unlimited.moves}
    assert not any("公里" in u for u in unlimited.unmet)


def _large_county(seed):
    """A county of 100 schools and 1,200 teachers: the tiers' costs reach ~1e11, where an LP
    solver's default tolerances (relative to the costs) are wider than one unit of travel."""
    rng = random.Random(seed)
    schools = [school(f"U{i}", weak=rng.random() < .1, lat=36 + rng.random(), lon=105 + rng.random(),
                      clusters={i % 5}) for i in range(25)]
    schools += [school(f"T{i}", "镇区", weak=rng.random() < .2, lat=36 + rng.random(), lon=105 + rng.random(),
                       clusters={i % 5}) for i in range(15)]
    schools += [school(f"R{i}", "乡村", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 5})
                for i in range(60)]
    subjects = ("语文", "数学", "英语", "物理")
    entries = [entry(f"t{k:04d}", rng.choice(schools).code, MANDATORY if rng.random() < 0.3 else ELIGIBLE,
                     rng.choice(subjects), "县级骨干教师" if rng.random() < 0.2 else None) for k in range(1200)]
    needs = {(s.code, subj): rng.choice([0, 1, 2, 3]) for s in schools if tier(s) <= 1 for subj in subjects}
    return schools_of(*schools), entries, needs


@pytest.mark.parametrize("seed", [0, 1])
def test_per_school_lp_is_exact_at_county_scale(seed, monkeypatch):
    """With every school's floor at 0 the per-school LP is the flow's own problem: forced down
    the LP path it must find the flow's exact optimum, to the last 100 m of travel."""
    schools, entries, needs = _large_county(seed)
    profile = PROFILE.with_overrides({"exchange.per_sending_school": True, "exchange.min_share": 0.0})
    flow = plan_exchanges(result(entries), schools, profile, needs)
    solve_flow = planner._solve_flow

    def unsettled(*args):  # the flow's answer not taken: down the LP path, from the proven floor
        chosen, floor, _optimal, least = solve_flow(*args)
        return chosen, floor, False, least

    monkeypatch.setattr(planner, "_solve_flow", unsettled)
    lp = plan_exchanges(result(entries), schools, profile, needs)
    assert flow.solver == planner.FLOW_SOLVER and lp.solver.startswith(planner.LP_SOLVER)
    rules = _rules(schools)

    def tiers(plan):
        return (plan.required_backbone, len(plan.moves), plan.backbone_moves,
                sum(rules.ranks[m.direction] for m in plan.moves), _integer_cost(plan, schools))

    assert lp.optimal and tiers(lp) == tiers(flow)


def _varied_case(seed):
    """A small county for rule 4, varied where _crowded_case is not: town and rural senders,
    teachers of a subject nobody needs or of a school not in the list (they stay whatever
    happens), pins, and profiles with a higher per-school share, the backbone share counted
    on the eligible, a share of 0, or a distance limit."""
    rng = random.Random(seed)
    schools = [school(f"U{i}", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 2})
               for i in range(rng.randint(2, 4))]
    schools += [school(f"T{i}", "镇区", lat=36 + rng.random(), lon=105 + rng.random()) for i in range(rng.randint(0, 2))]
    schools += [school(f"R{i}", "乡村", lat=36 + rng.random(), lon=105 + rng.random(), clusters={i % 2})
                for i in range(rng.randint(2, 5))]
    subjects = ("语文", "数学", "英语")[:rng.randint(1, 3)]
    senders = [s.code for s in schools if tier(s) > 0]
    entries = []
    for k in range(rng.randint(15, 40)):
        home = rng.choice(senders) if rng.random() < 0.85 else rng.choice(schools).code
        mandatory = rng.random() < rng.choice([0.1, 0.3, 0.6])
        entries.append(entry(f"t{k:02d}", "X9" if rng.random() < 0.04 else home, MANDATORY if mandatory else ELIGIBLE,
                             "体育" if rng.random() < 0.05 else rng.choice(subjects),
                             "县级骨干教师" if rng.random() < (0.1 if mandatory else 0.35) else None))
    needs = {(s.code, subject): rng.randint(0, 4) for s in schools if tier(s) <= 1 for subject in subjects
             if rng.random() < 0.8}
    pins = {e.teacher.key: rng.choice([None, schools[-1].code]) for e in rng.sample(entries, rng.randint(0, 3))}
    overrides = {"exchange.per_sending_school": True, "exchange.min_share": rng.choice([0.1, 0.2, 0.3])}
    overrides.update(rng.choice([{}, {"exchange.backbone_denominator": "eligible"}, {"exchange.backbone_share": 0.0},
                                 {"exchange.backbone_share": 0.5}]))
    profile = PROFILE.with_overrides(overrides)
    if rng.random() < 0.3:
        figure = dataclasses.replace(profile.figures["exchange.max_distance_km"], enabled=True, value=60.0)
        profile = dataclasses.replace(profile, figures={**profile.figures, "exchange.max_distance_km": figure})
    return schools_of(*schools), entries, needs, pins, profile


def _staged_per_school(model, required, floor, floors):
    """The lexicographic optimum at one backbone floor without the planner's weights: HiGHS
    minimises each tier in turn (mandatory left, backbone, per-school and total shortfalls,
    moves, then rank × D + travel), holding the ones before. Returns (tiers, chosen)."""
    from ortools.linear_solver import pywraplp

    n, pinned = len(model.entries), set(model.pinned_to)
    arcs = [(i, p) for i in range(n) if i not in pinned for p in range(len(model.arcs[i]))]
    due = {i for i, e in enumerate(model.entries) if e.due == MANDATORY and i not in model.pinned_stay | pinned}
    held: list[tuple[str, int]] = []
    for stage in ("mandatory", "backbone", "school", "total", "moves", "cost"):
        solver = pywraplp.Solver.CreateSolver("HIGHS")
        solver.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=0")
        x = {a: solver.IntVar(0, 1, "") for a in arcs}
        for i in set(range(n)) - pinned:
            solver.Add(sum(x[(i, p)] for p in range(len(model.arcs[i]))) <= 1)
        for j, cap in enumerate(model.capacity):
            solver.Add(sum(v for (i, p), v in x.items() if int(model.arcs[i].slots[p]) == j) <= cap)

        def moved(pred, x=x):
            return sum(v for (i, _p), v in x.items() if pred(i)) + sum(1 for i in pinned if pred(i))

        def short(pred, need, solver=solver):
            slack = solver.NumVar(0, solver.infinity(), "")
            solver.Add(slack >= need - moved(pred))
            return slack

        tiers = {"mandatory": len(due) - moved(lambda i: i in due),
                 "backbone": short(lambda i: model.entries[i].backbone, floor),
                 "school": sum(short(lambda i, c=c: model.entries[i].school == c, k) for c, k in floors.items()),
                 "total": short(lambda i: True, required), "moves": moved(lambda i: True),
                 "cost": sum(float(model.arcs[i].costs[p]) * v for (i, p), v in x.items())}
        for name, value in held:
            solver.Add(tiers[name] <= value + 0.5)
        solver.Minimize(tiers[stage])
        assert solver.Solve() == solver.OPTIMAL
        held.append((stage, round(solver.Objective().Value())))
    chosen = [planner._target(model, i, p) if v.solution_value() > 0.5 else None for (i, p), v in x.items()]
    picked: list = [None] * n
    for (i, _p), target in zip(arcs, chosen):
        picked[i] = picked[i] or target
    for i, move in model.pinned_moves.items():
        picked[i] = move
    return dict(held), picked


# Seeds 18-148: cases where a tier-order slip shows (found by mutating the LP's tier weights).
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 6, 7, 11, 18, 67, 79, 148])
def test_per_school_plan_is_the_lexicographic_optimum(seed, monkeypatch):
    """Property, rule 4 on varied small counties: the plan's backbone floor is the least one its
    moves justify, found by trying every floor from the base, and at it the plan's tiers and
    travel are those of a tier-by-tier solve — no weights, so it also checks the planner's
    36:12:4:2:1 ranking. Odd seeds start the LP with one arc per hub (columns priced in)."""
    schools, entries, needs, pins, profile = _varied_case(seed)
    if seed % 2:
        monkeypatch.setattr(planner._PerSchoolLP, "SEED_ARCS", 1)
    plan = plan_exchanges(result(entries), schools, profile, needs, pins)
    assert plan.optimal
    share, base = profile.value("exchange.backbone_share") or 0.0, len(entries)
    model = planner._build(entries, schools, planner.merged_needs(schools, entries, profile, needs)[0], pins, None,
                           _rules(schools, profile), planner.max_distance(profile))
    counts: dict[str, int] = {}
    for e in entries:
        if e.school in schools and tier(schools[e.school]) > 0:
            counts[e.school] = counts.get(e.school, 0) + 1
    floors = {code: math.ceil(profile.value("exchange.min_share") * k - 1e-9) for code, k in counts.items()}
    moving = profile.value("exchange.backbone_denominator") == "moved" and share
    floor = planner.backbone_need(share, plan.required_moves, plan.required_moves) if moving \
        else math.ceil(share * base - 1e-9)
    while True:
        tiers, chosen = _staged_per_school(model, plan.required_moves, floor, floors)
        if not moving or planner.backbone_need(share, tiers["moves"], plan.required_moves) <= floor:
            break
        floor += 1
    moved: dict[str, int] = {}
    for m in plan.moves:
        moved[m.from_school] = moved.get(m.from_school, 0) + 1
    due = sum(1 for i, e in enumerate(model.entries)
              if e.due == MANDATORY and i not in model.pinned_stay and i not in model.pinned_to)
    assert plan.required_backbone == floor
    assert {"mandatory": due - sum(1 for m in plan.moves if m.entry.due == MANDATORY and not m.pinned),
            "backbone": max(0, floor - plan.backbone_moves),
            "school": sum(max(0, k - moved.get(code, 0)) for code, k in floors.items()),
            "total": max(0, plan.required_moves - len(plan.moves)), "moves": len(plan.moves)} == \
        {k: v for k, v in tiers.items() if k != "cost"}
    reference = [(model.entries[i], c) for i, c in enumerate(chosen) if c is not None]
    rules = _rules(schools, profile)
    assert sum(rules.ranks[m.direction] for m in plan.moves if not m.pinned) == \
        sum(rules.ranks[c[3]] for i, c in enumerate(chosen) if c is not None and i not in model.pinned_to)
    assert _integer_cost(plan, schools) == _integer_cost(_as_plan(model, reference), schools)
