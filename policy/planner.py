"""The year's exchange plan, found by a real solver (太平区2023方案 四(二)3; 教师〔2014〕4号).

Rules, every figure from the profile:

1. every ``mandatory`` teacher (not exempt) moves;
2. moves ≥ ceil(exchange.min_share × (eligible + mandatory));
3. backbone moves ≥ ceil(exchange.backbone_share × moves) — or × (eligible + mandatory)
   when exchange.backbone_denominator is ``eligible``;
4. optionally (exchange.per_sending_school) rule 2 for each sending 城镇/优质 school;
5. flow toward rural and weak schools — a cost, not a wall (``policy.directions``): each
   move has a direction class (rural, weak, town, staffing, lateral, any) whose rank is a
   profile figure; a teacher goes to the lowest rank he can, and only a mandatory teacher
   moves above ``exchange.direction.eligible_max`` (the 12-year limit is a limit);
6. a receiving school takes teachers only into its needs by subject (the needs table,
   or :func:`default_needs` for a school the clerk entered no row for);
7. the clerk's pins (this teacher goes there / stays) are kept as given.

Among plans meeting the rules, as few teachers move as the rules allow (every move
uproots a teacher; the rules are floors, not targets), then the direction ranks of the
moves are least (a lateral move only where no rural/weak place is left), and then the
total cost is minimised: distance (haversine between school coordinates,
:data:`UNKNOWN_DISTANCE_KM` when one is missing) plus a penalty for leaving the teacher's
own cluster.

**Where the direction tier sits: mandatory > backbone > total > moves > direction >
distance** (with rule 4, each school's shortfall sits between backbone and total). Below the rules, so that a lateral move never costs a rule (a backbone
teacher may take the last rural place while a mandatory one goes laterally: the rural
flow is the same), and below "fewest moves", so that no extra teacher is uprooted to
improve someone else's direction. Above distance, since the aim outranks a shorter trip.
Being below moves is also what keeps the proofs: the backbone-floor bound
(:func:`_floor_bound`) and the floor search (:func:`_least_floor`) reason only about the
tiers from mandatory to moves, which are unchanged; direction and distance are one
secondary arc cost ``rank × D + travel`` with D above any travel a residual cycle can
save (:func:`_build`), and the move penalty above any secondary cost a cycle can change
(:func:`_penalties`).

**Shape.** Teachers are units of flow: each flows to a slot node (school × subject) or
to a "stays" node. Rules 2 and 3 bound how many may *stay* (N − required moves; backbone
N_bb − required backbone), which are plain arc capacities; each bound also has a parallel
overflow arc with a large cost, so a plan always exists and the overflow says how far a
rule is missed. Rule 1 is a large cost on a mandatory teacher's "stays" arc. Penalties
are ordered mandatory > backbone > total > moves > distance, and each exceeds every cost
the cheaper tiers can add (see :func:`_penalties`), so the optimum meets as many rules as
can be met, in that order, then moves fewest and travels least. OR-Tools
``SimpleMinCostFlow`` solves it exactly over the *full* graph — every allowed destination
of every teacher, teachers of one school and subject sharing one hub node
(:class:`_Flow`). ``max_destinations`` can prune each teacher to its nearest
destinations; ``Plan.pruned`` then says the optimum is only that smaller graph's (at
city scale 30 destinations left 132 more mandatory teachers unplaced than the full graph). With rule 4 the stay bounds cross (school and backbone),
which a flow cannot express. The flow is solved first all the same: when its optimum already meets
every school's floor it is the optimum with rule 4 too (:func:`_solve_flow` says when that is
proven) — in both demos, where the mandatory moves alone meet most schools' floors. Otherwise the
same network, with a row per sending school, goes to linear programming (GLOP, columns priced
in) and, only when the LP's optimum is fractional, to a MILP (HiGHS) — both inside OR-Tools
(:class:`_PerSchoolLP`). Never a greedy.

When backbone share is counted on moves, the required backbone depends on the number of
moves: the plan is the optimum at the least floor F its own moves justify
(F ≥ ceil(share × moves)). :func:`_floor_bound` starts the search at a floor every lower one
provably fails (three max flows), which is usually the answer: one min-cost-flow solve.
:func:`_least_floor` climbs from there when it is not; the MILP path starts from the same
bound and raises the floor step by step.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from policy import vocab
from policy.calendar import add_years
from policy.directions import DIRECTIONS, LABELS, DirectionRules, tier
from policy.eligibility import EXEMPT, MANDATORY, EligibilityEntry, EligibilityResult
from policy.errors import PolicyError
from policy.profile import Profile
from policy.progress import Progress, quiet

if TYPE_CHECKING:
    from ortools.linear_solver import pywraplp
    from ortools.linear_solver.pywraplp import Variable

UNKNOWN_DISTANCE_KM = 30.0  # assumed when a school has no coordinates
OTHER_CLUSTER_KM = 20.0  # leaving one's own cluster costs as much as 20 km more
COST_PER_KM = 10  # integer costs in units of 100 m
MILP_SECONDS = 60  # how long the per-school model may run before the clerk is told it did not finish
# What solved a plan, as printed on it (the product names stay as their makers write them).
FLOW_SOLVER = "OR-Tools 最小费用流"
LP_SOLVER = "OR-Tools GLOP 线性规划"
LP_MILP_SOLVER = "OR-Tools GLOP 线性规划、HiGHS 整数规划"

BACKBONE_FORM = "柔性流动"  # 骨干教师柔性流动 (银川2023方案 二(三)8): personnel stays
ORDINARY_FORM = "轮岗"  # 普通教师交流轮岗: personnel relationship moves


@dataclass(frozen=True, slots=True)
class PlanSchool:
    """A school as the planner sees it."""

    code: str
    name: str
    location: str  # 城区 / 镇区 / 乡村
    is_weak: bool = False
    stage: str = "小学"
    students: int = 0
    teachers: int = 0  # teachers whose personnel relationship is there
    latitude: float | None = None
    longitude: float | None = None
    clusters: frozenset[Hashable] = frozenset()
    region: Hashable = None  # exchanges stay inside one county (县(区)域内, 教师〔2014〕4号)


@dataclass(frozen=True, slots=True)
class Move:
    entry: EligibilityEntry
    to_school: str
    form: str
    moves_personnel: bool
    distance_km: float | None
    same_cluster: bool
    pinned: bool = False
    direction: str = ""  # policy.directions class: rural / weak / town / staffing / lateral / any

    @property
    def from_school(self) -> str:
        return self.entry.school

    @property
    def backbone(self) -> bool:
        return self.entry.backbone

    def to_json(self) -> dict[str, object]:
        return {"id_number": self.entry.teacher.id_number, "from_school": self.from_school,
                "to_school": self.to_school, "form": self.form, "backbone": self.backbone,
                "moves_personnel": self.moves_personnel, "direction": self.direction,
                "direction_label": LABELS.get(self.direction, ""), "distance_km": self.distance_km,
                "same_cluster": self.same_cluster, "pinned": self.pinned}


@dataclass(slots=True)
class Plan:
    """A plan and how it stands against the rules. ``unmet`` says which rule fails and why."""

    school_year: int
    base: int
    moves: list[Move]
    required_moves: int
    required_backbone: int
    optimal: bool
    unmet: list[str]
    solver: str
    seconds: float
    needs_source: str  # "table" (the clerk's needs), "ratio" (derived defaults) or "table+ratio"
    slots: int
    start: object = None  # dt.date of the exchanges
    end: object = None
    stays: list[EligibilityEntry] = field(default_factory=list)
    pins: dict[Hashable, str | None] = field(default_factory=dict)
    # True when teachers kept only their cheapest destinations: ``optimal`` then holds for
    # that smaller graph, not necessarily for the full problem.
    pruned: bool = False
    # What explains each teacher's outcome (policy.plan_outcomes): the direction rules, the
    # lowest direction rank each candidate could reach (None: no school needs his subject),
    # the exempt teachers, the needs the plan used and the schools' names.
    rules: DirectionRules | None = None
    best_rank: dict[Hashable, int | None] = field(default_factory=dict)
    exempt: list[EligibilityEntry] = field(default_factory=list)
    needs: dict[tuple[str, str], int] = field(default_factory=dict)
    school_names: dict[str, str] = field(default_factory=dict)
    clauses: dict[str, str] = field(default_factory=dict)

    @property
    def backbone_moves(self) -> int:
        return sum(1 for m in self.moves if m.backbone)

    def directions(self) -> dict[str, int]:
        """Moves by direction class (every class listed)."""
        counts = dict.fromkeys(DIRECTIONS, 0)
        for move in self.moves:
            if move.direction in counts:
                counts[move.direction] += 1
        return counts

    def to_json(self) -> dict[str, object]:
        """The shape ``edubridge plan --json`` prints (issue 4; issue 10 added fields:
        each move's direction and reason, ``unplaced`` and ``outcomes``)."""
        from policy.plan_outcomes import explain

        outcomes = explain(self)
        reasons = {o.id_number: o.reason for o in outcomes if o.outcome == "moved"}
        moves = []
        for move in self.moves:
            data = move.to_json()
            data["reason"] = reasons.get(move.entry.teacher.id_number, "")
            moves.append(data)
        return {
            "school_year": self.school_year,
            "base": self.base,
            "moves": moves,
            "summary": self.summary(),
            "unmet": list(self.unmet),
            "unplaced": [o.unplaced_json() for o in outcomes if o.outcome == "unplaced"],
            "outcomes": [o.to_json() for o in outcomes],
        }

    def summary(self) -> dict[str, object]:
        """The figures of ``to_json()["summary"]``, without explaining every teacher."""
        unplaced = sum(1 for e in self.stays if e.due == MANDATORY and self.pins.get(e.teacher.key, "") is not None)
        return {"moves": len(self.moves), "backbone": self.backbone_moves, "required_moves": self.required_moves,
                "required_backbone": self.required_backbone, "optimal": self.optimal, "unplaced": unplaced,
                "directions": self.directions()}


def sections(school: PlanSchool) -> int:
    """The sections the school teaches: 1 primary, 2 junior, 3 both (unknown stage: both)."""
    return vocab.STAGE_SECTIONS.get(school.stage, 3)


def allowed(source: PlanSchool, target: PlanSchool) -> bool:
    """A move stays in the county, between schools teaching a common section (a primary
    teacher is not sent to a junior school), and goes to a less advantaged school; a
    rural/weak school's teacher may also move to another rural/weak school (nowhere is
    "lower")."""
    if source.code == target.code or source.region != target.region:
        return False
    if not sections(source) & sections(target):
        return False
    a, b = tier(source), tier(target)
    return b < a or (a == 0 and b == 0)


def _ratio(profile: Profile, stage: str) -> float | None:
    primary: float | None = profile.value("staffing.ratio.primary")
    junior: float | None = profile.value("staffing.ratio.junior")
    if stage == "初中":
        return junior
    if stage in ("九年一贯制", "十二年一贯制"):
        return (primary + junior) / 2 if primary and junior else primary or junior
    return primary


def default_needs(
    schools: Mapping[str, PlanSchool], candidates: Sequence[EligibilityEntry], profile: Profile
) -> dict[tuple[str, str], int]:
    """Needs by (school, subject) when the clerk has entered none for the year.

    A receiving school (tier 0 or 1) can take, per subject, as many teachers as it has
    candidates of that subject itself (exchange goes both ways: one leaves, one comes),
    plus its staffing shortfall — ceil(students / staffing.ratio.*) − teachers — spread
    over subjects in the subject mix of the county's candidates at schools of its own
    sections (a primary school is given no 历史 slots), largest remainders first.
    """
    mixes: dict[int, dict[str, int]] = {}  # school sections → subject → candidates
    own: dict[tuple[str, str], int] = {}
    leaving: dict[str, dict[str, int]] = {}  # school → subject → mandatory candidates (they leave)
    for entry in candidates:
        subject = entry.teacher.subject or ""
        own[(entry.school, subject)] = own.get((entry.school, subject), 0) + 1
        if entry.due == MANDATORY and subject:
            mine = leaving.setdefault(entry.school, {})
            mine[subject] = mine.get(subject, 0) + 1
        if subject and entry.school in schools:
            mix = mixes.setdefault(sections(schools[entry.school]), {})
            mix[subject] = mix.get(subject, 0) + 1

    def mix_for(section: int) -> dict[str, int]:
        """Candidates' subjects at schools teaching only sections this one teaches (else any shared)."""
        for fits in (lambda k: not k & ~section, lambda k: k & section):
            merged: dict[str, int] = {}
            for key, mix in mixes.items():
                if fits(key):
                    for subject, n in mix.items():
                        merged[subject] = merged.get(subject, 0) + n
            if merged:
                return merged
        return {}

    needs: dict[tuple[str, str], int] = {}
    own_by_school: dict[str, list[tuple[str, int]]] = {}
    for (code, subject), count in own.items():
        if subject:
            own_by_school.setdefault(code, []).append((subject, count))
    for school in schools.values():
        if tier(school) == 2:
            # An urban school takes no one toward it, except in place of its own mandatory
            # teachers, who leave whatever happens: a lateral move for another school's
            # mandatory teacher when no rural/weak school needs his subject.
            for subject, count in leaving.get(school.code, {}).items():
                needs[(school.code, subject)] = needs.get((school.code, subject), 0) + count
            continue
        for subject, count in own_by_school.get(school.code, ()):
            needs[(school.code, subject)] = needs.get((school.code, subject), 0) + count
        ratio = _ratio(profile, school.stage)
        if not ratio or school.students <= 0:
            continue
        gap = math.ceil(school.students / ratio) - school.teachers
        mix = mix_for(sections(school))
        if gap <= 0 or not mix:
            continue
        total = sum(mix.values())
        shares = sorted(((gap * n / total, s) for s, n in mix.items()), reverse=True)
        given = {s: int(v) for v, s in shares}
        rest = gap - sum(given.values())
        for _value, subject in sorted(shares, key=lambda x: x[0] - int(x[0]), reverse=True)[:rest]:
            given[subject] += 1
        for subject, n in given.items():
            if n:
                needs[(school.code, subject)] = needs.get((school.code, subject), 0) + n
    return needs


def haversine_matrix(a: Sequence[PlanSchool], b: Sequence[PlanSchool]) -> np.ndarray:
    """Distances in km between every school of ``a`` and of ``b``; NaN when unknown."""
    def coords(schools: Sequence[PlanSchool]) -> tuple[np.ndarray, np.ndarray]:
        lat = np.array([s.latitude if s.latitude is not None else np.nan for s in schools], dtype=float)
        lon = np.array([s.longitude if s.longitude is not None else np.nan for s in schools], dtype=float)
        return np.radians(lat), np.radians(lon)

    lat1, lon1 = coords(a)
    lat2, lon2 = coords(b)
    dlat = lat2[None, :] - lat1[:, None]
    dlon = lon2[None, :] - lon1[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1)[:, None] * np.cos(lat2)[None, :] * np.sin(dlon / 2) ** 2
    km: np.ndarray = 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return km


def distance_km(a: PlanSchool, b: PlanSchool) -> float | None:
    """The distance between two schools in km, None when either lacks coordinates (a move
    changed by hand in the review shows the same figure the planner would have)."""
    km = float(haversine_matrix([a], [b])[0, 0])
    return None if math.isnan(km) else km


@dataclass(slots=True, eq=False)
class _Options:
    """Destinations of one (school, subject, mandatory or not): slot indices, costs (direction
    rank × D + travel), km (NaN unknown), same cluster, direction class (index into DIRECTIONS)
    and its rank. Not frozen: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, and a city builds ~19,000 of these (nothing changes them)."""

    slots: np.ndarray
    costs: np.ndarray
    km: np.ndarray
    same: np.ndarray
    kinds: np.ndarray
    ranks: np.ndarray
    best: int | None = None  # the least of ``ranks`` (None: no destination)

    def __len__(self) -> int:
        return len(self.slots)


_NO_OPTIONS = _Options(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool),
                       np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int64))


@dataclass(slots=True)
class _Model:
    entries: list[EligibilityEntry]
    slots: list[tuple[str, str]]
    capacity: list[int]
    arcs: list[_Options]  # per teacher: its cheapest allowed destinations
    pinned_to: dict[int, str]
    pinned_stay: set[int]
    pruned: bool = False  # some teacher lost destinations to ``max_destinations``
    rules: DirectionRules | None = None  # always given by _build
    #: Each pinned move as the plan shows it: (to school, km or None, same cluster, direction).
    pinned_moves: dict[int, tuple[str, float | None, bool, str]] = field(default_factory=dict)
    #: Pinned moves the needs table has no place for (the pin is kept; the plan says so).
    pinned_unplaced: set[int] = field(default_factory=set)
    #: (school, subject) → the slots a scenario's distance limit takes from its teachers.
    cut_by_limit: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)


def plan_exchanges(
    result: EligibilityResult,
    schools: Mapping[str, PlanSchool],
    profile: Profile,
    needs: Mapping[tuple[str, str], int] | None = None,
    pins: Mapping[Hashable, str | None] | None = None,
    *,
    max_destinations: int | None = None,
    progress: Progress = quiet,
) -> Plan:
    """The optimal plan for ``result.school_year``.

    ``needs`` is the clerk's table {(school code, subject): slots}; a school with no row in
    it gets the defaults of :func:`default_needs`. ``pins`` maps a teacher key to a school code (goes
    there) or None (stays). ``progress(message, fraction)`` (policy.progress) lets a GUI show
    progress and stop the work: it raises :class:`~policy.errors.Cancelled`, between solves.

    Raises:
        PolicyError: a figure the planner needs is missing from the profile.
    """
    started = time.perf_counter()
    pins = dict(pins or {})
    said = ("", 0.0)  # what was said last: a cancellation point repeats it

    def report(percent: int, text: str) -> None:
        nonlocal said
        said = (text, percent / 100)
        progress(*said)

    def check() -> None:
        progress(*said)

    min_share = profile.value("exchange.min_share") or 0.0
    backbone_share = profile.value("exchange.backbone_share") or 0.0
    denominator = profile.value("exchange.backbone_denominator") or "moved"
    per_school = bool(profile.value("exchange.per_sending_school"))
    term = profile.value("exchange.term_years") or 1
    if denominator not in ("moved", "eligible"):
        raise PolicyError(f"exchange.backbone_denominator 应为 moved 或 eligible：{denominator}")

    entries = result.candidates()
    base = len(entries)
    needs, needs_source = merged_needs(schools, entries, profile, needs)
    rules = DirectionRules.from_profile(profile, schools)
    report(10, "建立模型")
    check()
    required = required_moves(profile, base)
    if denominator == "eligible":
        required_backbone = math.ceil(backbone_share * base - 1e-9)
    else:
        required_backbone = math.ceil(backbone_share * required - 1e-9)  # raised below as moves grow
    school_floors: dict[str, int] = {}
    if per_school:
        counts: dict[str, int] = {}
        for e in entries:
            if e.school in schools and tier(schools[e.school]) > 0:
                counts[e.school] = counts.get(e.school, 0) + 1
        school_floors = {code: math.ceil(min_share * n - 1e-9) for code, n in counts.items()}
    model = _build(entries, schools, needs, pins, max_destinations, rules, max_distance(profile))
    check()
    report(30, "求解中")
    settles = denominator == "moved" and bool(backbone_share)
    network = _Flow(model)
    chosen, floor, optimal, least = _solve_flow(network, required, required_backbone, backbone_share, settles,
                                                report, check)
    solver = FLOW_SOLVER
    moved = Counter(e.school for e, target in zip(model.entries, chosen) if target is not None)
    if school_floors and not (optimal and floor == least and not _short(moved, school_floors)):
        # Rule 4 crosses the backbone bound, which a flow cannot express: the same network as a
        # linear program with a row per school. (When the flow's optimum already meets every
        # school's floor, it is the optimum with them too — see :func:`_solve_flow`.)
        if not optimal:  # the flow's floor is no proven lower bound: start from the proven one
            floor = least
        chosen, floor, optimal, solver = _settle_milp(network, required, floor, backbone_share, settles,
                                                      school_floors, report, check)
    if model.pruned:
        solver += f"，每人保留最近的 {max_destinations} 个去向"
    report(90, "整理结果")
    start = profile.exchange_reference_date(result.school_year)
    end = add_years(start, int(term)) - dt.timedelta(days=1)
    moves: list[Move] = []
    stays: list[EligibilityEntry] = []
    for index, entry in enumerate(model.entries):
        target = chosen[index]
        if target is None:
            stays.append(entry)
            continue
        code, km, same, kind = target
        backbone = entry.backbone and entry.due != MANDATORY
        form = BACKBONE_FORM if backbone else ORDINARY_FORM
        moves.append(Move(entry, code, form, not backbone, km, same, index in model.pinned_to, kind))
    moves.sort(key=lambda m: (m.from_school, m.entry.teacher.id_number))
    plan = Plan(result.school_year, base, moves, max(required, 0), floor, optimal, [],
                solver, 0.0, needs_source, sum(model.capacity), start, end, stays, pins, model.pruned)
    _annotate(plan, result, model, needs, schools, profile)
    plan.unmet = _unmet(plan, model, profile, school_floors, schools, denominator)
    plan.seconds = time.perf_counter() - started
    report(100, "完成")
    return plan


def _solve_flow(network: _Flow, required: int, floor: int, share: float, settles: bool,
                report: Callable[[int, str], None], check: Callable[[], None]) -> tuple[Chosen, int, bool, int]:
    """The optimum of rules 1-3 and 5-7 by min-cost flow: (chosen, backbone floor, optimal, least).

    ``least`` is the floor :func:`_floor_bound` proves no lower floor can meet.
    That proof reasons about the mandatory and backbone tiers alone, which rule 4 (ranked
    below them) does not change; so when this optimum also meets every per-school floor
    and its floor is ``least``, it is the optimum with rule 4 as well — adding rows that the
    optimum already satisfies cannot make a better plan — and no MILP is needed.
    """
    model = network.model

    def flow_moves(level: int) -> int:
        check()
        return network.solve(required, level)

    if not settles:
        flow_moves(floor)
        return network.chosen(), floor, True, floor
    start = max(floor, _floor_bound(network, model, share, required))
    ceiling = max(start, backbone_need(share, len(model.entries), required))
    floor, optimal = _least_floor(flow_moves, start, share, required, ceiling,
                                  lambda k: report(min(85, 40 + 15 * k), "求解中"))
    if network.floor != floor:
        flow_moves(floor)
    return network.chosen(), floor, optimal, start


def _short(moved: Counter[str], floors: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """The sending schools under their own floor (rule 4): (code, moves, floor), by code."""
    return [(code, moved[code], need) for code, need in sorted(floors.items()) if moved[code] < need]


def _settle_milp(network: _Flow, required: int, floor: int, share: float, settles: bool,
                 floors: Mapping[str, int], report: Callable[[int, str], None],
                 check: Callable[[], None]) -> tuple[Chosen, int, bool, str]:
    """Rules 1-7 by linear and integer programming: (chosen, backbone floor, optimal, solvers).

    ``floor`` is where the flow settled: no lower floor can hold with rule 4 either, since
    adding rule 4 never lowers an optimal plan's moves (a plan short of the total floor could
    add a mover along an augmenting path without unseating anyone, so its school, backbone
    and mandatory stays get no worse; one meeting the total floor has the flow's mandatory and
    backbone tiers, and the flow moves fewest among such plans). It is raised to ceil(share × moves) until it holds:
    the least fixed point, as :func:`_least_floor` finds for the flow — provided the moves do
    not fall as the floor rises, which is argued for the flow, not with rule 4 (the test
    that tries every floor from the base backs it). The network's last
    flow seeds the LP's columns."""
    lp = _PerSchoolLP(network, required, floors, network.flow.flows(network.move_arcs))
    chosen, optimal = lp.solve(floor, check)
    if not settles:
        return chosen, floor, optimal, lp.solvers()
    for round_ in range(12):
        needed = backbone_need(share, sum(1 for c in chosen if c is not None), required)
        if needed <= floor:
            return chosen, floor, optimal, lp.solvers()
        floor = needed
        report(min(85, 40 + 5 * round_), "求解中")
        chosen, optimal = lp.solve(floor, check)
    return chosen, floor, False, lp.solvers()  # did not settle: the plan is not proven optimal


def merged_needs(schools: Mapping[str, PlanSchool], entries: Sequence[EligibilityEntry], profile: Profile,
                 table: Mapping[tuple[str, str], int] | None) -> tuple[dict[tuple[str, str], int], str]:
    """The clerk's rows win for the schools they cover; every other school gets defaults.
    Returns (needs, source): source "table", "ratio" or "table+ratio"."""
    table = dict(table or {})
    covered = {code for code, _subject in table}
    derived = {k: v for k, v in default_needs(schools, entries, profile).items() if k[0] not in covered}
    source = "table" if not derived else "ratio" if not table else "table+ratio"
    return {**derived, **table}, source


def _annotate(plan: Plan, result: EligibilityResult, model: _Model, needs: Mapping[tuple[str, str], int],
              schools: Mapping[str, PlanSchool], profile: Profile) -> None:
    """Give the plan what explains each teacher's outcome (see policy.plan_outcomes)."""
    plan.rules = model.rules
    best: dict[int, int | None] = {}  # by options object: most teachers share one
    plan.best_rank = {}
    for i, e in enumerate(model.entries):
        if i in model.pinned_to or i in model.pinned_stay:
            continue
        options = model.arcs[i]
        key = id(options)
        if key not in best:
            best[key] = options.best
        plan.best_rank[e.teacher.key] = best[key]
    plan.exempt = [e for e in result.entries if e.status == EXEMPT]
    plan.needs = dict(needs)
    plan.school_names = {code: school.name for code, school in schools.items()}
    plan.clauses = {figure: profile.clause(figure) for figure in (
        "exchange.max_years", "exchange.min_share", "exchange.backbone_share") if figure in profile.figures}
    plan.clauses["max_years"] = str(profile.value("exchange.max_years") or "")


def destination_ranks(result: EligibilityResult, schools: Mapping[str, PlanSchool], profile: Profile,
                      table: Mapping[tuple[str, str], int] | None, plan: Plan) -> None:
    """Annotate a plan that was not just solved (a saved draft) so its outcomes explain
    themselves: the same model as :func:`plan_exchanges` builds, without solving it."""
    entries = result.candidates()
    needs, _source = merged_needs(schools, entries, profile, table)
    model = _build(entries, schools, needs, plan.pins, None, DirectionRules.from_profile(profile, schools),
                   max_distance(profile))
    _annotate(plan, result, model, needs, schools, profile)


def max_distance(profile: Profile) -> float | None:
    """The longest move allowed (``exchange.max_distance_km``), None when the rule is off
    or the profile has no such figure."""
    figure = profile.figures.get("exchange.max_distance_km")
    return float(figure.value) if figure is not None and figure.enabled else None


def _build(entries: list[EligibilityEntry], schools: Mapping[str, PlanSchool],
           needs: Mapping[tuple[str, str], int], pins: Mapping[Hashable, str | None],
           max_destinations: int | None, rules: DirectionRules, max_km: float | None = None) -> _Model:
    """The model: every teacher's destinations with their costs.

    A destination is any school of the same county teaching a common section, with a
    place for the teacher's subject; a teacher not yet mandatory keeps only the
    directions ranked ≤ ``rules.eligible_max``. The cost of a move is
    ``rank × D + travel``, travel in 100 m units (+1, so every move costs), with
    D = max travel × (slots + 1) + 1: a residual cycle enters each slot at most once, so
    it can change travel by less than D, and any change of the rank sum outweighs it.
    """
    slots = sorted((key for key, n in needs.items() if n > 0 and key[0] in schools))
    capacity = [int(needs[key]) for key in slots]
    slot_index = {key: i for i, key in enumerate(slots)}
    pinned_to: dict[int, str] = {}
    pinned_stay: set[int] = set()
    pinned_moves: dict[int, tuple[str, float | None, bool, str]] = {}
    pinned_unplaced: set[int] = set()
    for i, entry in enumerate(entries if pins else ()):
        if entry.teacher.key in pins:
            target = pins[entry.teacher.key]
            if target is None:
                pinned_stay.add(i)
                continue
            pinned_to[i] = target
            pinned_moves[i] = (target, None, False, "")
            if entry.school in schools and target in schools:
                home, there = schools[entry.school], schools[target]
                apart = distance_km(home, there)
                pinned_moves[i] = (target, None if apart is None else round(apart, 1),
                                   bool(home.clusters & there.clusters), rules.kind(home, there))
            j = slot_index.get((target, entry.teacher.subject or ""))
            if j is not None and capacity[j] > 0:
                capacity[j] -= 1  # the pinned teacher takes one of the school's slots
            else:
                pinned_unplaced.add(i)
    receivers = sorted({code for code, _ in slots})
    senders = sorted({e.school for e in entries if e.school in schools})
    if not receivers or not senders:
        return _Model(entries, slots, capacity, [_NO_OPTIONS for _ in entries], pinned_to, pinned_stay, False,
                      rules, pinned_moves, pinned_unplaced)
    receiver_schools = [schools[c] for c in receivers]
    sender_schools = [schools[c] for c in senders]
    km = haversine_matrix(sender_schools, receiver_schools)
    # allowed[a, b]: the same county, a common section, another school; same[a, b]: a
    # shared cluster; kinds[a, b]: the direction class, rank_of[a, b] its rank.
    kinds = rules.kinds(sender_schools, receiver_schools)
    rank_of = rules.rank_table()[kinds]
    allowed_matrix = np.ones(kinds.shape, dtype=bool)
    region_ids: dict[Hashable, int] = {}
    r_send = np.array([region_ids.setdefault(x.region, len(region_ids)) for x in sender_schools])
    r_recv = np.array([region_ids.setdefault(x.region, len(region_ids)) for x in receiver_schools])
    allowed_matrix &= r_send[:, None] == r_recv[None, :]
    s_send = np.array([sections(x) for x in sender_schools])
    s_recv = np.array([sections(x) for x in receiver_schools])
    allowed_matrix &= (s_send[:, None] & s_recv[None, :]) != 0
    receiver_pos = {c: k for k, c in enumerate(receivers)}
    for a_pos, code in enumerate(senders):
        if code in receiver_pos:
            allowed_matrix[a_pos, receiver_pos[code]] = False
    within_county = allowed_matrix.copy()
    if max_km is not None:  # a scenario's distance limit; an unknown distance is not refused
        allowed_matrix &= ~(km > max_km)
    same = np.zeros(allowed_matrix.shape, dtype=bool)  # a shared cluster
    in_cluster: dict[Hashable, tuple[list[int], list[int]]] = {}
    for side, group in ((0, sender_schools), (1, receiver_schools)):
        for k, x in enumerate(group):
            for c in x.clusters:
                in_cluster.setdefault(c, ([], []))[side].append(k)
    for send_rows, recv_cols in in_cluster.values():
        if send_rows and recv_cols:
            same[np.ix_(send_rows, recv_cols)] = True
    same &= allowed_matrix
    cost = np.where(np.isnan(km), UNKNOWN_DISTANCE_KM, km) + np.where(same, 0.0, OTHER_CLUSTER_KM)
    cost = np.rint(cost * COST_PER_KM).astype(np.int64) + 1
    ranked = allowed_matrix & (rank_of > 0)
    if ranked.any():  # D only when some move is ranked above another (costs stay small otherwise)
        unit = int(cost[allowed_matrix].max()) * (sum(1 for c in capacity if c > 0) + 1) + 1
        cost = cost + rank_of * unit
    slot_recv = np.array([receiver_pos[code] for code, _ in slots])
    by_subject: dict[str | None, np.ndarray] = {}
    for slot_subject in {subject for _, subject in slots}:
        by_subject[slot_subject] = np.array([j for j, (_, s) in enumerate(slots) if s == slot_subject])
    by_subject[None] = np.arange(len(slots))  # a teacher with no subject may fill any
    sender_pos = {c: k for k, c in enumerate(senders)}
    keys: list[tuple[str, str | None] | None] = []
    wanted: dict[str | None, dict[str, None]] = {}  # subject → sending schools, in order
    open_to: list[bool] = []  # per teacher: every direction (mandatory) or ranks ≤ eligible_max
    for i, entry in enumerate(entries):
        if i in pinned_to or i in pinned_stay or entry.school not in schools:
            keys.append(None)
            open_to.append(False)
            continue
        key = (entry.school, entry.teacher.subject or None)
        keys.append(key)
        open_to.append(entry.due == MANDATORY)
        wanted.setdefault(key[1], {})[key[0]] = None
    # Every (school, subject)'s destinations at once per subject: allowed slots, cheapest
    # first (ties in slot order), as views into one array per subject.
    cache: dict[tuple[str, str | None, bool], _Options] = {}
    pruned = False
    for subject, codes in wanted.items():
        pool = by_subject.get(subject, np.zeros(0, dtype=np.int64))
        rows = np.array([sender_pos[c] for c in codes], dtype=np.int64)
        recv = slot_recv[pool] if len(pool) else np.zeros(0, dtype=np.int64)
        r_idx, c_idx = np.nonzero(allowed_matrix[rows][:, recv]) if len(pool) else (np.zeros(0, np.int64),) * 2
        a_idx, b_idx = rows[r_idx], recv[c_idx]
        costs = cost[a_idx, b_idx]
        order = np.lexsort((costs, r_idx))
        r_idx, all_slots, costs = r_idx[order], pool[c_idx[order]].astype(np.int64), costs[order]
        all_km, all_same = km[a_idx[order], b_idx[order]], same[a_idx[order], b_idx[order]]
        all_kinds, all_ranks = kinds[a_idx[order], b_idx[order]], rank_of[a_idx[order], b_idx[order]]
        bounds = np.searchsorted(r_idx, np.arange(len(rows) + 1)).tolist()
        # A row is sorted by cost, and the rank dominates the cost (the unit above), so the
        # directions open to a teacher not yet mandatory are a prefix of his school's row:
        # each option set is a slice, a view into the subject's arrays (no copies).
        is_open = all_ranks <= rules.eligible_max
        open_count = np.concatenate(([0], np.cumsum(is_open))).tolist()
        # Rows where an open direction follows a closed one (none while ranks are in cost
        # order): their open directions are picked by an index array instead.
        breaks = np.nonzero(is_open[1:] & ~is_open[:-1])[0] + 1
        scattered = set((np.searchsorted(bounds, breaks, side="right") - 1)[~np.isin(breaks, bounds)].tolist())
        # Each row's least rank, which is also the least of its open directions (if any is open).
        row_min = np.minimum.reduceat(all_ranks, np.minimum(bounds[:-1], len(all_ranks) - 1)).tolist() \
            if len(all_ranks) else [0] * len(codes)
        for k, code in enumerate(codes):
            lo, hi = bounds[k], bounds[k + 1]
            near = open_count[hi] - open_count[lo]
            prefix = k not in scattered
            for mandatory, end in ((True, hi), (False, lo + near)):
                cut = max_destinations is not None and end - lo > max_destinations
                if cut:
                    pruned, end = True, lo + (max_destinations or 0)
                if mandatory is False and end == hi and (code, subject, True) in cache:
                    cache[(code, subject, False)] = cache[(code, subject, True)]  # one hub for both
                    continue
                chosen: slice | np.ndarray = slice(lo, end)
                if not mandatory and not prefix:
                    chosen = (lo + np.nonzero(is_open[lo:hi])[0])[:end - lo]
                ranks = all_ranks[chosen]
                least = None if not len(ranks) else int(ranks.min()) if cut else row_min[k]
                cache[(code, subject, mandatory)] = _Options(
                    all_slots[chosen], costs[chosen], all_km[chosen], all_same[chosen], all_kinds[chosen], ranks,
                    least)
    arcs = [_NO_OPTIONS if key is None else cache[(key[0], key[1], mandatory)] for key, mandatory in zip(keys, open_to)]
    limited: dict[tuple[str, str | None], np.ndarray] = {}
    if max_km is not None:  # the places the limit takes away, so the plan can say whom that strands
        lost = within_county & ~allowed_matrix
        for sender, subject in {k for k in keys if k is not None}:
            pool = by_subject.get(subject, np.zeros(0, dtype=np.int64))
            taken = pool[lost[sender_pos[sender]][slot_recv[pool]]] if len(pool) else pool
            if len(taken):
                limited[(sender, subject)] = taken
    return _Model(entries, slots, capacity, arcs, pinned_to, pinned_stay, pruned, rules, pinned_moves,
                  pinned_unplaced, limited)


Chosen = list[tuple[str, float | None, bool, str] | None]


def _penalties(model: _Model) -> tuple[int, int, int, int]:
    """Penalties for a missing mandatory move, backbone move and move, and the cost of one
    move, in that order.

    A better plan differs from a worse one by simple cycles of the flow's residual graph;
    one cycle changes the backbone and total shortfalls and the number of moves by at most
    one (the mandatory shortfall by two: harmless, it is the top tier), and its travel cost
    by at most ``max_cost`` per slot it enters (each slot once). So a move
    costing more than ``max_cost`` × slots means no saving in distance ever buys a move,
    and 8 : 4 : 2 : 1 ranks the rest. Keeping the penalties that small keeps the
    cost-scaling solver fast.
    """
    distinct = {id(o): o for o in model.arcs if len(o.slots)}
    max_cost = int(np.concatenate([o.costs for o in distinct.values()]).max()) if distinct else 1
    reach = min(len(distinct), sum(1 for c in model.capacity if c > 0))  # a cycle leaves each hub once
    move = max_cost * (reach + 1) + 1
    return 8 * move, 4 * move, 2 * move, move  # mandatory, backbone, total; one move


def _target(model: _Model, i: int, position: int) -> tuple[str, float | None, bool, str]:
    options = model.arcs[i]
    km = float(options.km[position])
    return (model.slots[int(options.slots[position])][0], None if math.isnan(km) else round(km, 1),
            bool(options.same[position]), DIRECTIONS[int(options.kinds[position])])


def backbone_need(share: float, moves: int, required_moves: int) -> int:
    """Backbone moves the rule asks of a plan with ``moves`` moves: ceil(share × max(moves, required))."""
    return math.ceil(share * max(moves, required_moves) - 1e-9)


def required_moves(profile: Profile, base: int) -> int:
    """Moves the rule asks of a year with ``base`` teachers eligible: ceil(exchange.min_share × base)."""
    return math.ceil((profile.value("exchange.min_share") or 0.0) * base - 1e-9)


@dataclass(frozen=True, slots=True)
class Tally:
    """A plan against its quotas, as it stands after the clerk's edits (the review screen)."""

    moves: int
    required_moves: int
    backbone: int
    required_backbone: int
    #: Mandatory teachers the plan does not move.
    mandatory_left: int

    @property
    def moves_met(self) -> bool:
        return self.moves >= self.required_moves

    @property
    def backbone_met(self) -> bool:
        return self.backbone >= self.required_backbone

    @property
    def mandatory_met(self) -> bool:
        return self.mandatory_left == 0


def tally(plan: Plan, profile: Profile) -> Tally:
    """Count ``plan`` against the quotas of ``profile``: moves, backbone moves (the floor grows
    with the moves when exchange.backbone_denominator is "moved"), mandatory teachers left."""
    moves = plan.moves
    share = profile.value("exchange.backbone_share") or 0.0
    if (profile.value("exchange.backbone_denominator") or "moved") == "moved":
        floor = backbone_need(share, len(moves), plan.required_moves)
    else:
        floor = plan.required_backbone
    mandatory = {e.teacher.key for e in plan.stays + [m.entry for m in moves] if e.due == MANDATORY}
    left = len(mandatory - {m.entry.teacher.key for m in moves})
    return Tally(len(moves), plan.required_moves, sum(1 for m in moves if m.backbone), floor, left)


def _floor_bound(network: _Flow, model: _Model, share: float, required_moves: int) -> int:
    """A floor every lower floor provably fails: the least F with need(moves ≥ L(F)) ≤ F.

    Every optimal plan places the most mandatory teachers that can be placed (``reach``),
    and meets the backbone floor F as far as a plan with ``reach`` mandatory moves can. The
    placements of a set of teachers form a matroid (a gammoid), so a greedy basis —
    backbone mandatory first, then the other mandatory, then backbone non-mandatory —
    shows a plan with ``reach`` mandatory and ``extra`` non-mandatory backbone moves, and
    no plan places more than ``mandatory_bb`` backbone mandatory teachers. An optimal plan
    at floor F therefore moves at least L(F) = pinned + reach + min(F − pinned backbone −
    mandatory_bb, extra)⁺ teachers. Usually L is exact at the answer: one solve settles it.
    """
    group = np.arange(network.g)
    mandatory, backbone = network.group_mandatory, network.group_backbone
    mandatory_bb = network.placeable(group[mandatory & backbone])
    reach = network.placeable(group[mandatory])
    extra = network.placeable(group[mandatory | backbone]) - reach
    pinned = len(model.pinned_to)
    pinned_bb = sum(1 for i in model.pinned_to if model.entries[i].backbone)
    floor = 0
    while True:
        lowest = pinned + reach + max(0, min(floor - pinned_bb - mandatory_bb, extra))
        if backbone_need(share, lowest, required_moves) <= floor:
            return floor
        floor += 1


def _least_floor(moves_at: Callable[[int], int], start: int, share: float, required_moves: int, ceiling: int,
                 progress: Callable[[int], None] = lambda _k: None) -> tuple[int, bool]:
    """The least backbone floor F ≥ ``start`` whose optimal plan meets it: F ≥ need(M(F)).

    ``moves_at(F)`` solves with floor F and returns the plan's moves M(F). Raising the
    floor by one changes an optimal flow along one unit cycle through the floor arc, which
    moves one more backbone teacher in place of nobody (one more move) or of another
    teacher's move (same moves), or pays the penalty: M(F) ≤ M(F + 1) ≤ M(F) + 1 (moves
    are a cost tier, so equally cheap plans have equally many moves). So need(M(F)) − F never
    rises with F, and from a floor F that fails, need(M(F)) is a lower bound on the answer
    (the plain iteration's step) while the first G with G ≥ need(M(F) + G − F) is an upper
    bound — usually the answer itself. One solve at G proves it when no F' in between can
    pass even with M(F') as low as max(M(F), M(G) − (G − F')); otherwise the floor climbs
    from the lower bound as the plain iteration does.

    ``start`` must be a lower bound (e.g. from :func:`_floor_bound`); every floor
    ≥ ``ceiling`` passes. Returns (floor, settled); the last ``moves_at`` call may not be at
    the returned floor.
    """
    floor, moves = start, moves_at(start)
    best_pass = ceiling
    for rounds in range(1, 65):
        progress(rounds)
        lower = backbone_need(share, moves, required_moves)
        if lower <= floor:
            return floor, True
        probe = lower
        while probe < best_pass and probe < backbone_need(share, moves + probe - floor, required_moves):
            probe += 1
        if probe > lower:
            probe_moves = moves_at(probe)
            if backbone_need(share, probe_moves, required_moves) <= probe:
                best_pass = probe
                if all(backbone_need(share, max(moves, probe_moves - (probe - f)), required_moves) > f
                       for f in range(lower, probe)):
                    return probe, True
        floor, moves = lower, moves_at(lower)
    return floor, False


class _Flow:
    """The min-cost-flow network over the full graph, built once; the floors change per solve.

    Nodes: teacher groups → hubs → slots → sink, plus the "stays" side. Teachers who are
    interchangeable for every rule and cost — same school, subject, backbone flag and
    mandatory flag — are one group node whose supply is their number. Groups of one
    school and subject reach the same slots at the same costs, so they share one hub node
    whose arcs go to every allowed slot (no pruning: ~410,000 arcs for the city demo).
    Mandatory and other teachers of one school and subject have separate hubs when their
    destinations differ (a mandatory teacher may also go laterally or anywhere): feeding
    the mandatory group a shared hub plus a hub of its extra arcs made ~100,000 fewer arcs
    but solved slower (1.6 s against 1.2 s CPU on the city demo), so the arcs are copied.
    Members get their destinations in ID-number order. Pinned moves are supply at the
    "pinned" node.
    """

    def __init__(self, model: _Model) -> None:
        from ortools.graph.python import min_cost_flow

        self.model = model
        n, s = len(model.entries), len(model.slots)
        self.n = n
        hub_of: dict[int, int] = {}
        self.hubs: list[_Options] = []
        groups: dict[tuple[int, bool, bool], list[int]] = {}  # numbered in entry order
        group_of: dict[int, list[int]] = {}
        for i, entry in enumerate(model.entries):
            if i in model.pinned_to:
                continue
            options = model.arcs[i]
            if len(options.slots):
                hub = hub_of.get(id(options))
                if hub is None:
                    hub = hub_of[id(options)] = len(self.hubs)
                    self.hubs.append(options)
            else:
                hub = -1 - i
            mandatory = entry.due == MANDATORY and i not in model.pinned_stay
            group_of[i] = groups.setdefault((hub, entry.backbone, mandatory), [])
        # Members in ID-number order: one sort of everyone, then each appended to its group.
        for i in sorted(group_of, key=lambda i: model.entries[i].teacher.id_number):
            group_of[i].append(i)
        keys = list(groups)
        self.groups = [groups[k] for k in keys]
        g, h = len(keys), len(self.hubs)
        self.group_hub = np.array([k[0] for k in keys], dtype=np.int64)
        backbone = np.array([k[1] for k in keys], dtype=bool)
        is_mandatory = np.array([k[2] for k in keys], dtype=bool)
        sizes = np.array([len(m) for m in self.groups], dtype=np.int64)
        self.g, self.h, self.s = g, h, s
        stay_bb, stay_reg, stay, pinned, sink = g + h + s, g + h + s + 1, g + h + s + 2, g + h + s + 3, g + h + s + 4
        m_mand, m_bb, m_total, m_move = _penalties(model)
        has_hub = self.group_hub >= 0
        self.feed = np.nonzero(has_hub)[0]  # groups with a hub, in arc order
        counts = np.array([len(o) for o in self.hubs], dtype=np.int64)
        self.hub_first = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64) if h else np.zeros(0, np.int64)
        hub_supply = np.bincount(self.group_hub[has_hub], weights=sizes[has_hub], minlength=h).astype(np.int64)
        move_tails = g + np.repeat(np.arange(h), counts)
        move_heads = g + h + np.concatenate([o.slots for o in self.hubs]) if h else np.zeros(0, np.int64)
        move_costs = np.concatenate([o.costs for o in self.hubs]) if h else np.zeros(0, np.int64)
        move_caps = np.repeat(hub_supply, counts)
        self.moves = len(move_tails)
        self.n_bb = sum(1 for e in model.entries if e.backbone)
        fixed_tails = [pinned, stay_bb, stay_bb, stay_reg, stay, stay]
        fixed_heads = [sink, stay, stay, stay, sink, sink]
        fixed_caps = [n, 0, n, n, 0, n]
        fixed_costs = [0, 0, m_bb, 0, 0, m_total]
        f = len(self.feed)
        tails = np.concatenate([self.feed, move_tails, np.arange(g), g + h + np.arange(s), fixed_tails])
        heads = np.concatenate([g + self.group_hub[self.feed], move_heads, np.where(backbone, stay_bb, stay_reg),
                                np.full(s, sink), fixed_heads])
        caps = np.concatenate([sizes[self.feed], move_caps, sizes, np.array(model.capacity, dtype=np.int64),
                               fixed_caps])
        costs = np.concatenate([np.zeros(f, dtype=np.int64), m_move + move_costs, np.where(is_mandatory, m_mand, 0),
                                np.zeros(s, dtype=np.int64), fixed_costs])
        self.arrays = (tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs.astype(np.int64))
        self.feed_arcs = np.arange(f, dtype=np.int32)
        self.move_arcs = np.arange(f, f + self.moves, dtype=np.int32)
        self.flow = min_cost_flow.SimpleMinCostFlow()
        self.flow.add_arcs_with_capacity_and_unit_cost(*self.arrays)
        self.floor_bb_arc = len(tails) - 5  # stay_bb → stay without penalty
        self.floor_total_arc = len(tails) - 2  # stay → sink without penalty
        self.stay_arcs = [len(tails) - 2, len(tails) - 1]
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[:g] = sizes
        supplies[pinned] = len(model.pinned_to)
        supplies[sink] = -n
        self.flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
        self.group_backbone, self.group_mandatory = backbone, is_mandatory
        self.sizes = sizes
        self.floor: int | None = None

    def placeable(self, groups: np.ndarray) -> int:
        """The most teachers of these groups that can be placed at all (a max flow)."""
        from ortools.graph.python import max_flow

        g, h, s = self.g, self.h, self.s
        groups = groups[self.group_hub[groups] >= 0]
        if not groups.size or not h:
            return 0
        source, sink = g + h + s, g + h + s + 1
        tails, heads, caps, _costs = self.arrays
        first = len(self.feed)
        # Only the move arcs of these groups' hubs (the mandatory backbone teachers' hubs hold
        # a few thousand of the city's 410,000 arcs).
        hubs = np.unique(self.group_hub[groups])
        counts = np.diff(np.append(self.hub_first, self.moves))[hubs]
        moves = first + np.repeat(self.hub_first[hubs] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        slot_arcs = slice(first + self.moves + g, first + self.moves + g + s)
        network = max_flow.SimpleMaxFlow()
        network.add_arcs_with_capacity(
            np.concatenate([np.full(groups.size, source), groups, tails[moves], tails[slot_arcs]]).astype(np.int32),
            np.concatenate([groups, g + self.group_hub[groups], heads[moves], np.full(s, sink)]).astype(np.int32),
            np.concatenate([self.sizes[groups], self.sizes[groups], caps[moves], caps[slot_arcs]]).astype(np.int64))
        if network.solve(source, sink) != network.OPTIMAL:
            return 0
        return int(network.optimal_flow())

    def solve(self, required_moves: int, required_backbone: int) -> int:
        """Solve with these floors; returns the number of moves (pinned ones included)."""
        flow = self.flow
        flow.set_arc_capacity(self.floor_bb_arc, max(0, self.n_bb - required_backbone))
        flow.set_arc_capacity(self.floor_total_arc, max(0, self.n - required_moves))
        status = flow.solve()
        if status != flow.OPTIMAL:
            raise PolicyError(f"求解器未能求解（状态 {status}）")
        self.floor = required_backbone
        return self.n - int(flow.flows(np.array(self.stay_arcs, dtype=np.int32)).sum())

    def chosen(self) -> Chosen:
        """Each teacher's destination in the last solve (None: stays)."""
        return self.assign(self.flow.flows(self.feed_arcs), self.flow.flows(self.move_arcs))

    def assign(self, fed: np.ndarray, amounts: np.ndarray) -> Chosen:
        """Each teacher's destination, given the flow on every feed arc and every move arc
        (in arc order) — the flow's own solution or the LP's (:class:`_PerSchoolLP`)."""
        chosen: Chosen = [None] * self.n
        if self.moves:
            # Per hub, its slot flows (cheapest first) are handed to its groups' movers.
            queue: dict[int, list[int]] = {}
            for k in np.nonzero(amounts)[0].tolist():
                hub = int(np.searchsorted(self.hub_first, k, side="right")) - 1
                position = k - int(self.hub_first[hub])
                queue.setdefault(hub, []).extend([position] * int(amounts[k]))
            taken = dict.fromkeys(queue, 0)
            for arc in np.nonzero(fed)[0].tolist():
                group = int(self.feed[arc])
                hub = int(self.group_hub[group])
                positions = queue[hub]
                for i in self.groups[group][:int(fed[arc])]:
                    position = positions[taken[hub]]
                    taken[hub] += 1
                    chosen[i] = _target(self.model, i, position)
        for i, move in self.model.pinned_moves.items():
            chosen[i] = move
        return chosen


def _unfinished() -> PolicyError:
    return PolicyError(
        f"按每所派出学校分别核定比例的计划在 {MILP_SECONDS} 秒内未能算出（学校和教师越多，计算量越大）："
        "可在设置中将“10%比例同时适用于每所城镇、优质派出学校”改为否，按全县统一核定，或分县区制定计划")


@dataclass(slots=True)
class _Program:
    """One pywraplp model of :class:`_PerSchoolLP`: its rows and variables by role."""

    solver: pywraplp.Solver
    hub_rows: list[pywraplp.Constraint]
    slot_rows: list[pywraplp.Constraint]
    bb_row: pywraplp.Constraint
    stays: list[Variable]
    columns: dict[int, Variable]  # move arc → variable

    def integers(self) -> list[Variable]:
        return self.stays + list(self.columns.values())

    def integral(self) -> bool:
        return all(abs(v.solution_value() - round(v.solution_value())) <= 1e-6 for v in self.integers())


class _PerSchoolLP:
    """Rules 1-7 as a linear program on the flow's own network, solved per backbone floor.

    The flow's arcs are the variables (a move arc per hub and slot, a stay per group, a slack
    per rule bound) and rule 4 is one row per sending school bounding how many of its
    teachers stay. A group's feed is its size less its stays, so it needs no variable or row.
    Only the school rows and the backbone bound cross the network, so the relaxation's
    optimum is usually integral already (both demos, with half their sending schools
    short): it is then the integer program's optimum too.

    Columns are priced in: the LP (GLOP, which reports duals; OR-Tools' HiGHS interface does
    not) starts with each hub's cheapest arcs and the arcs the flow used, and adds every arc
    whose reduced cost is negative until none is — the optimum over the full graph without
    the city's 380,000 arcs in the model. Only a fractional optimum goes to HiGHS' MILP:
    first over the columns priced in (a plan as cheap as the LP's bound is optimal over the
    full graph), else over every arc.
    """

    SEED_ARCS = 24  # per hub, the cheapest arcs the first LP has

    def __init__(self, network: _Flow, required_moves: int, floors: Mapping[str, int],
                 used: np.ndarray | None = None) -> None:
        self.network = network
        model, g, h, f = network.model, network.g, network.h, len(network.feed)
        tails, heads, caps, costs = network.arrays
        self.arc_hub = tails[f:f + network.moves].astype(np.int64) - g
        self.arc_slot = heads[f:f + network.moves].astype(np.int64) - g - h
        self.arc_cap, self.arc_cost = caps[f:f + network.moves], costs[f:f + network.moves]
        self.hub_supply = np.bincount(network.group_hub[network.feed], weights=network.sizes[network.feed],
                                      minlength=h).astype(np.int64)
        # Rules 2-4 bound how many may stay; stays above a bound are a missed rule, a slack paid
        # for. A group with nowhere to go stays whole: its stays are taken off the bounds.
        hubless = network.group_hub < 0
        self.movable = np.nonzero(~hubless)[0]
        self.school_of = [model.entries[members[0]].school for members in network.groups]  # one school each
        counts: dict[str, int] = {}
        for e in model.entries:
            counts[e.school] = counts.get(e.school, 0) + 1
        fixed_school: dict[str, int] = {}
        for group in np.nonzero(hubless)[0].tolist():
            fixed_school[self.school_of[group]] = fixed_school.get(self.school_of[group], 0) + int(network.sizes[group])
        self.total_limit = network.n - required_moves - int(network.sizes[hubless].sum())
        self.bb_free = network.n_bb - int(network.sizes[hubless & network.group_backbone].sum())
        self.school_limits = {code: counts.get(code, 0) - need - fixed_school.get(code, 0)
                              for code, need in sorted(floors.items())}
        # The flow's integer tiers (see :func:`_penalties`), a missed per-school floor ranked
        # between the backbone and the total floor. The one-cycle argument behind the flow's
        # ratios does not carry over to the per-school rows, so the wider 36:12:4:2:1 spacing is
        # a ranking the tests check against tier-by-tier solves, not a proof
        # (test_per_school_plan_is_the_lexicographic_optimum).
        self.m_move = float(_penalties(model)[3])
        counts_per_hub = np.diff(np.append(network.hub_first, network.moves))
        seed = network.hub_first[:, None] + np.arange(self.SEED_ARCS)[None, :]
        seed = seed[np.arange(self.SEED_ARCS)[None, :] < counts_per_hub[:, None]]
        if used is not None:
            seed = np.union1d(seed, np.nonzero(used)[0])
        self.deadline = time.perf_counter() + MILP_SECONDS  # for all the solves of the plan, not each
        self.lp = self._program("GLOP", np.unique(seed), 0)
        self.branched = False  # HiGHS' MILP was needed for some floor

    def solvers(self) -> str:
        return LP_MILP_SOLVER if self.branched else LP_SOLVER

    def _program(self, kind: str, arcs: np.ndarray, floor: int) -> _Program:
        """A model of the network with these move arcs, at this backbone floor."""
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver(kind)
        if solver is None:
            raise PolicyError(f"求解器 {kind} 不可用（OR-Tools 安装不完整）")
        if kind == "HIGHS":
            # HiGHS' own options: no banner or log on stdout (it would corrupt `--json` output),
            # and mip_rel_gap=0: costs are integers near 1e12, so any relative gap could hide
            # whole moves. (pywraplp's RELATIVE_MIP_GAP parameter is ignored by its HiGHS interface.)
            solver.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=0")
        else:
            # GLOP scales the costs by default, which makes its optimality tolerance relative to
            # them: with a move near 1e8-1e12 that is wider than one unit of travel, and the
            # "optimal" plan could travel a few hundred metres more than the flow's exact optimum.
            # Unscaled costs keep the tolerance absolute (integer costs: far below one unit).
            solver.SetSolverSpecificParametersAsString("cost_scaling: NO_COST_SCALING")
        inf, network, m_move = solver.infinity(), self.network, self.m_move
        objective = solver.Objective()
        hub_rows = [solver.Constraint(float(n), float(n)) for n in self.hub_supply.tolist()]
        slot_rows = [solver.Constraint(-inf, float(c)) for c in network.model.capacity]
        total_row = solver.Constraint(-inf, float(max(0, self.total_limit)))
        bb_row = solver.Constraint(-inf, float(max(0, self.bb_free - floor)))
        school_rows = {code: solver.Constraint(-inf, float(max(0, limit))) for code, limit in self.school_limits.items()}
        stays = []
        for group in self.movable.tolist():
            stay = solver.NumVar(0.0, float(network.sizes[group]), "")
            stays.append(stay)
            hub_rows[int(network.group_hub[group])].SetCoefficient(stay, 1.0)
            objective.SetCoefficient(stay, 36.0 * m_move if network.group_mandatory[group] else 0.0)
            total_row.SetCoefficient(stay, 1.0)
            if network.group_backbone[group]:
                bb_row.SetCoefficient(stay, 1.0)
            if self.school_of[group] in school_rows:
                school_rows[self.school_of[group]].SetCoefficient(stay, 1.0)
        for row, tier_ in ((total_row, 2.0), (bb_row, 12.0), *((row, 4.0) for row in school_rows.values())):
            slack = solver.NumVar(0.0, inf, "")
            objective.SetCoefficient(slack, tier_ * m_move)
            row.SetCoefficient(slack, -1.0)
        objective.SetMinimization()
        program = _Program(solver, hub_rows, slot_rows, bb_row, stays, {})
        self._add(program, arcs)
        return program

    def _add(self, program: _Program, arcs: np.ndarray) -> None:
        solver, objective = program.solver, program.solver.Objective()
        for arc, hub, slot, cap, cost in zip(arcs.tolist(), self.arc_hub[arcs].tolist(), self.arc_slot[arcs].tolist(),
                                             self.arc_cap[arcs].tolist(), self.arc_cost[arcs].tolist()):
            move = solver.NumVar(0.0, float(cap), "")
            objective.SetCoefficient(move, float(cost))  # m_move + rank × D + travel, as in the flow
            program.hub_rows[hub].SetCoefficient(move, 1.0)
            program.slot_rows[slot].SetCoefficient(move, 1.0)
            program.columns[arc] = move

    def _priced(self) -> np.ndarray:
        """Arcs not in the LP whose reduced cost under its duals is negative."""
        lp = self.lp
        hub_dual = np.array([row.dual_value() for row in lp.hub_rows])
        slot_dual = np.array([row.dual_value() for row in lp.slot_rows]) if lp.slot_rows else np.zeros(0)
        reduced = self.arc_cost - hub_dual[self.arc_hub] - slot_dual[self.arc_slot]
        reduced[np.fromiter(lp.columns, dtype=np.int64, count=len(lp.columns))] = 0.0
        return np.nonzero(reduced < -0.5)[0]  # integer costs: noise in the duals is far below 0.5

    def solve(self, floor: int, check: Callable[[], None]) -> tuple[Chosen, bool]:
        """The plan at this backbone floor: (chosen, proven optimal)."""
        lp = self.lp
        lp.bb_row.SetUb(float(max(0, self.bb_free - floor)))
        while True:
            check()
            status = self._solve(lp)
            if status != lp.solver.OPTIMAL:  # out of time (or numerically stuck): no plan
                raise _unfinished()
            priced = self._priced()
            if not len(priced):
                break
            self._add(lp, priced)
        if lp.integral():
            return self._chosen(lp), self._exact(lp)
        bound = lp.solver.Objective().Value()
        self.branched = True
        program = self._program("HIGHS", np.fromiter(lp.columns, dtype=np.int64), floor)
        status = self._branch(program, check)
        if status != program.solver.OPTIMAL or program.solver.Objective().Value() > bound + 0.5:
            program = self._program("HIGHS", np.arange(self.network.moves), floor)
            status = self._branch(program, check)
        return self._chosen(program), status == program.solver.OPTIMAL and self._exact(program)

    def _solve(self, program: _Program) -> int:
        """One solve, in what is left of the plan's time."""
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise _unfinished()
        program.solver.SetTimeLimit(max(1, int(left * 1000)))
        return int(program.solver.Solve())

    def _branch(self, program: _Program, check: Callable[[], None]) -> int:
        for variable in program.integers():
            variable.SetInteger(True)
        check()
        status = self._solve(program)
        if status == program.solver.INFEASIBLE:
            raise PolicyError("按每所派出学校分别核定比例时，现有教师和学校无法同时满足这些约束：请检查固定的安排")
        if status not in (program.solver.OPTIMAL, program.solver.FEASIBLE):  # out of time, no plan (HiGHS: 99)
            raise _unfinished()
        return int(status)

    @staticmethod
    def _exact(program: _Program) -> bool:
        """Doubles hold integers exactly up to 2^53: beyond that the tiers may blur, and the
        plan is then not called optimal. (The city demo's optimum is near 9e14; forced through
        this path it has the exact flow's moves, directions and kilometres.)"""
        return bool(program.solver.Objective().Value() < 2.0 ** 52)

    def _chosen(self, program: _Program) -> Chosen:
        network = self.network
        amounts = np.zeros(network.moves, dtype=np.int64)
        for arc, move in program.columns.items():
            amounts[arc] = round(move.solution_value())
        stays = np.zeros(network.g, dtype=np.int64)
        stays[self.movable] = np.rint([v.solution_value() for v in program.stays]).astype(np.int64)
        return network.assign(network.sizes[network.feed] - stays[network.feed], amounts)


def _unmet(plan: Plan, model: _Model, profile: Profile, floors: Mapping[str, int],
           schools: Mapping[str, PlanSchool], denominator: str) -> list[str]:
    unmet: list[str] = []
    moved_keys = {m.entry.teacher.key for m in plan.moves}
    stuck = [(i, e) for i, e in enumerate(model.entries) if e.due == MANDATORY and e.teacher.key not in moved_keys]
    clause_max = profile.clause("exchange.max_years")
    pinned = [e for i, e in stuck if i in model.pinned_stay]
    beyond = _stranded_by_limit(plan, model, [(i, e) for i, e in stuck if i not in model.pinned_stay])
    no_place = [e for i, e in stuck if i not in model.pinned_stay and not model.arcs[i] and e not in beyond]
    crowded = [e for i, e in stuck if i not in model.pinned_stay and model.arcs[i] and e not in beyond]
    if pinned:
        unmet.append(f"{len(pinned)} 名须交流教师被指定留任（{_names(pinned)}），违反任教满"
                     f"{profile.value('exchange.max_years')}年须交流的规定（{clause_max}）")
    if no_place:
        subjects = sorted({e.teacher.subject or "未填学科" for e in no_place})
        unmet.append(f"{len(no_place)} 名须交流教师没有可去的学校（{_names(no_place)}）：县域内开设相同学段的学校"
                     f"都没有该学科（{'、'.join(subjects[:8])}）的接收空缺，请在需求表中增加空缺（{clause_max}）")
    if crowded:
        unmet.append(f"{len(crowded)} 名须交流教师未能安排（{_names(crowded)}）：接收学校的学科空缺已被占满，"
                     f"请在需求表中增加空缺（{clause_max}）")
    if beyond:
        unmet.append(f"{len(beyond)} 名须交流教师未能安排（{_names(beyond)}）：本方案限定交流距离不超过"
                     f" {profile.value('exchange.max_distance_km'):g} 公里，更远的学校仍有该学科空缺"
                     f"（{profile.clause('exchange.max_distance_km')}）")
    unmet += _pin_findings(model, schools, profile)
    moves = len(plan.moves)
    if moves < plan.required_moves:
        unmet.append(f"交流 {moves} 人，少于应交流的 {plan.required_moves} 人"
                     f"（符合条件 {plan.base} 人 × {profile.value('exchange.min_share'):.0%}，"
                     f"{profile.clause('exchange.min_share')}）：接收学校按学科的空缺共 {plan.slots} 个，"
                     f"可安排的教师不足")
    backbone = plan.backbone_moves
    if backbone < plan.required_backbone:
        available = sum(1 for e in model.entries if e.backbone)
        basis = "交流人数" if denominator == "moved" else "符合条件人数"
        why = (f"符合条件且未免交流的骨干教师只有 {available} 人" if available < plan.required_backbone
               else "骨干教师可去的学校学科空缺不足")
        unmet.append(f"骨干教师交流 {backbone} 人，少于应交流的 {plan.required_backbone} 人"
                     f"（{basis} × {profile.value('exchange.backbone_share'):.0%}，"
                     f"{profile.clause('exchange.backbone_share')}）：{why}")
    if floors:
        short = _short(Counter(m.from_school for m in plan.moves), floors)
        for code, got, need in short[:20]:
            name = schools[code].name if code in schools else code
            unmet.append(f"{name}（{code}）交流 {got} 人，少于本校应交流的 {need} 人"
                         f"（{profile.clause('exchange.per_sending_school')}）")
        if len(short) > 20:
            unmet.append(f"……另有 {len(short) - 20} 所派出学校未达到本校比例")
    return unmet


def _stranded_by_limit(plan: Plan, model: _Model, stuck: list[tuple[int, EligibilityEntry]]) -> list[EligibilityEntry]:
    """The unplaced teachers a place beyond the distance limit was left empty for: without
    the limit they could have gone (as many of them as those places hold)."""
    if not model.cut_by_limit:
        return []
    slot_of = {key: j for j, key in enumerate(model.slots)}
    left = list(model.capacity)
    for move in plan.moves:
        j = slot_of.get((move.to_school, move.entry.teacher.subject or ""))
        if j is not None and not move.pinned:
            left[j] -= 1
    stranded = []
    for _i, entry in stuck:
        for j in model.cut_by_limit.get((entry.school, entry.teacher.subject or None), ()):
            if left[j] > 0:
                left[j] -= 1
                stranded.append(entry)
                break
    return stranded


def _pin_findings(model: _Model, schools: Mapping[str, PlanSchool], profile: Profile) -> list[str]:
    """Pinned moves are kept as the clerk gave them; what the rules or the needs table say
    against one is said, not silently accepted."""
    found: list[str] = []
    for i, target in sorted(model.pinned_to.items(), key=lambda item: model.entries[item[0]].teacher.id_number):
        entry = model.entries[i]
        name, there = entry.teacher.name, schools.get(target)
        home = schools.get(entry.school)
        if there is None or home is None:
            continue
        if home.region != there.region:
            found.append(f"指定{name}调往{there.name}：不在同一县（区），交流应在县（区）域内进行"
                         f"（{profile.clause('exchange.max_distance_km')}）")
        elif not sections(home) & sections(there):
            found.append(f"指定{name}调往{there.name}：{there.name}（{there.stage}）与{home.name}（{home.stage}）"
                         f"没有相同学段（{profile.clause('exchange.direction.any')}）")
        elif i in model.pinned_unplaced:
            found.append(f"指定{name}调往{there.name}：该校需求表中{entry.teacher.subject or '该学科'}的空缺不足，"
                         "此项安排超出需求表")
    return found


def _names(entries: Sequence[EligibilityEntry], limit: int = 5) -> str:
    names = "、".join(e.teacher.name for e in entries[:limit])
    return names + ("等" if len(entries) > limit else "")
