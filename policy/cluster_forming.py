"""Cluster-forming optimiser (issue 18): group the county's schools into clusters that keep
every rule of the profile, with the least travel from each lead school, the least imbalance
between clusters, and as few changes to today's memberships as the clerk's weight asks.

Rules, each figure from the profile (a rule switched off is not imposed):

* at most ``cluster.max_schools`` schools and ``cluster.max_students`` students a cluster
  (银川2023方案 二(一)1);
* every 乡村 school and 教学点 in a cluster (``coverage.rural_in_cluster``); every school when
  ``coverage.all_in_community`` is 1 (余教〔2020〕155号 四);
* the lead school is a 城区 or 市属 school, not a 教学点 (银川2023方案 二(一)1,
  ``pairing.supporter_city``), and a cluster has a lead and at least one member;
* types per 余教〔2020〕155号 三: a cluster that keeps today's lead keeps its type unless a
  融合型 would then have more members than ``fusion.max_members`` (then 共建型); a new
  cluster is 共建型 (融合型 merges legal entities: not a grouping's decision).

Objective, in km (integers of 1 m for the solver): Σ distance(school, lead) + ``balance`` ×
(largest cluster's students) / 100 + ``keep`` × schools whose cluster changes. ``keep`` is the
clerk's "keep what works" weight: the km a changed membership is worth; ``balance``: the km
100 students more in the largest cluster are worth (every required school being grouped, a
smaller largest cluster is a more even county; the largest-minus-smallest spread made the
bound so weak that the gap stayed at 1–3 % after 60 s).

Solved exactly by OR-Tools CP-SAT with a time limit: the answer carries the solver's
status, the objective, the best bound and the gap between them — never a silent heuristic.
With ``nearest`` each school considers only its nearest candidate leads (a smaller model,
said in ``restricted``: the optimum and the gap are then that model's).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

from policy import vocab
from policy.errors import Cancelled, PolicyError
from policy.profile import Profile
from policy.progress import Progress, quiet

SCALE = 1000  # objective units per km (1 m)
#: Above this many schools each school considers only its NEAREST_LEADS nearest candidate
#: leads unless the caller says otherwise (the full city model of ~1,000 schools × ~200
#: leads found no feasible grouping in 5 minutes); the restriction is said in the result.
FULL_MODEL_SCHOOLS = 300
NEAREST_LEADS = 20
FUSION = vocab.FUSION
BUILT = "共建型教共体"


@dataclasses.dataclass(frozen=True, slots=True)
class FormingSchool:
    """A school as the optimiser sees it; ``cluster``/``cluster_lead``: today's cluster
    (name) and its lead school's code, None when the school is in none."""

    code: str
    name: str
    stage: str
    location: str
    run_by: str
    students: int
    latitude: float | None = None
    longitude: float | None = None
    cluster: str | None = None
    cluster_kind: str | None = None
    cluster_lead: str | None = None

    @property
    def rural(self) -> bool:
        return self.location == vocab.RURAL or self.stage == vocab.TEACHING_POINT

    @property
    def can_lead(self) -> bool:
        return (self.location == vocab.URBAN or self.run_by == "市属") and self.stage != vocab.TEACHING_POINT


@dataclasses.dataclass(slots=True)
class ProposedCluster:
    lead: str
    members: list[str]  # codes, the lead first
    students: int
    kind: str
    today: str | None  # today's cluster this one continues (same lead), or None: new
    travel_km: float


@dataclasses.dataclass(slots=True)
class Proposal:
    """The optimiser's answer; ``status`` OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN."""

    status: str
    clusters: list[ProposedCluster]
    changes: list[dict[str, Any]]  # {school, name, from (cluster or None), to (lead code)}
    outside: list[str]  # schools left out (allowed only where no rule requires them)
    objective: float | None
    bound: float | None
    seconds: float
    restricted: int | None
    rules: list[dict[str, str]]
    notes: list[str]

    @property
    def status_label(self) -> str:
        """The status as the clerk reads it."""
        return {"OPTIMAL": "已证明最优", "FEASIBLE": "可行解，未证明最优", "INFEASIBLE": "按现行规则无解",
                "UNKNOWN": "时限内未找到可行解"}.get(self.status, self.status)

    @property
    def gap(self) -> float | None:
        """(objective − bound) / objective; 0 when proven optimal, None with no solution."""
        if self.objective is None or self.bound is None:
            return None
        if self.status == "OPTIMAL":
            return 0.0
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9))

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "optimal": self.status == "OPTIMAL", "gap": self.gap,
                "objective": self.objective, "bound": self.bound, "seconds": round(self.seconds, 2),
                "restricted_to_nearest": self.restricted,
                "clusters": [dataclasses.asdict(c) for c in self.clusters],
                "changes": self.changes, "outside": self.outside, "rules": self.rules, "notes": self.notes}


def distance_km(a: FormingSchool, b: FormingSchool) -> float | None:
    """Great-circle distance; None when either school has no coordinates."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))  # type: ignore[arg-type]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def _figure(profile: Profile, key: str) -> Any:
    return profile.value(key) if key in profile.figures else None


def rules_of(profile: Profile) -> list[dict[str, str]]:
    """The rules imposed, with the clause each rests on."""
    found = []
    for key in ("cluster.max_schools", "cluster.max_students", "coverage.rural_in_cluster",
                "coverage.all_in_community", "pairing.supporter_city", "fusion.max_members"):
        value = _figure(profile, key)
        if value is not None and value is not False:
            figure = profile.figure(key)
            found.append({"rule": key, "label": figure.label, "value": str(value), "clause": figure.clause})
    return found


def _too_few_leads(must: Sequence[FormingSchool], leads: int, max_schools: int | None, max_students: int | None,
                   profile: Profile) -> str | None:
    """Why the schools that must be grouped cannot fit under the leads there are, or None."""
    if max_schools is not None and len(must) > leads * int(max_schools):
        return (f"按现行规则无法组建：须纳入集团的学校 {len(must)} 所，可作牵头校的城区或市属学校 {leads} 所，"
                f"每个集团最多 {max_schools} 所学校，至多容纳 {leads * int(max_schools)} 所"
                f"（{profile.clause('cluster.max_schools')}）")
    students = sum(s.students for s in must)
    if max_students is not None and students > leads * int(max_students):
        return (f"按现行规则无法组建：须纳入集团的学校共有学生 {students} 人，{leads} 个集团每个最多 "
                f"{max_students} 人（{profile.clause('cluster.max_students')}）")
    return None


def propose(
    schools: Sequence[FormingSchool],
    profile: Profile,
    *,
    keep: float = 20.0,
    balance: float = 1.0,
    time_limit: float = 60.0,
    nearest: int | None = None,
    workers: int = 2,
    progress: Progress = quiet,
) -> Proposal:
    """The best grouping of ``schools`` under ``profile`` found within ``time_limit`` seconds.

    Raises:
        PolicyError: no school may lead a cluster, or a negative weight.
        Cancelled: ``progress`` (policy.progress) stopped the work; it is called five times a
            second while solving, so a cancel stops the search within a fifth of a second.
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    if keep < 0 or balance < 0:
        raise PolicyError("权重不能为负数")
    max_schools = _figure(profile, "cluster.max_schools")
    max_students = _figure(profile, "cluster.max_students")
    rural_all = (_figure(profile, "coverage.rural_in_cluster") or 0) >= 1
    everyone = (_figure(profile, "coverage.all_in_community") or 0) >= 1
    fusion_max = _figure(profile, "fusion.max_members")
    leads = [i for i, s in enumerate(schools) if s.can_lead]
    if not leads:
        raise PolicyError("没有可作牵头校的城区或市属学校，无法组建集团（银川2023方案 二(一)1）")
    notes: list[str] = []
    if nearest is None and len(schools) > FULL_MODEL_SCHOOLS:
        nearest = NEAREST_LEADS
        notes.append(f"学校超过 {FULL_MODEL_SCHOOLS} 所：每所学校只考虑最近的 {nearest} 所候选牵头校；"
                     "最优性与差距均针对这一缩小的模型（可用 --nearest 调整）")
    unknown = [s.code for s in schools if s.latitude is None or s.longitude is None]
    if unknown:
        notes.append(f"{len(unknown)} 所学校没有坐标，距离未知的按该校到最近的有坐标牵头校的距离计（不因距离未知而"
                     f"调整，是否保留现状由权重决定），不计入距离合计：{'、'.join(unknown[:5])}{'等' if len(unknown) > 5 else ''}")
    must = [s for s in schools if everyone or (rural_all and s.rural)]
    short = _too_few_leads(must, len(leads), max_schools, max_students, profile)
    if short:  # provable by counting: no solver needed, and no solver could do better
        return Proposal("INFEASIBLE", [], [], [], None, None, time.perf_counter() - started, nearest,
                        rules_of(profile), notes + [short])
    progress("建立模型", 0.05)
    km: dict[tuple[int, int], int] = {}
    options: dict[int, list[int]] = {}
    known: dict[tuple[int, int], float] = {}  # real distances only: the clusters' travel figures
    for i, school in enumerate(schools):
        away = {j: distance_km(school, schools[j]) for j in leads if j != i}
        known.update(((i, j), d) for j, d in away.items() if d is not None)
        # An unknown distance counts as far as the school's nearest lead whose distance is
        # known (nothing, when none is known): it neither wins nor loses the school, so keep
        # and balance decide. A flat 30 km drew far schools to a lead without coordinates (a
        # held-out county: five schools 40-60 km out put under one) and made a school without
        # coordinates cheaper to lead a cluster of its own than to join one.
        real = [d for d in away.values() if d is not None]
        fill = min(real) if real else 0.0
        ranked = [(0.0, i)] if school.can_lead else []
        ranked += [(fill if d is None else d, j) for j, d in away.items()]
        ranked.sort()
        if nearest is not None:
            keep_leads = ranked[:nearest]
            if school.can_lead and not any(j == i for _d, j in keep_leads):
                keep_leads.append((0.0, i))
            ranked = keep_leads
        options[i] = [j for _d, j in ranked]
        for d, j in ranked:
            km[(i, j)] = int(round(d * SCALE))
    model = cp_model.CpModel()
    x = {(i, j): model.new_bool_var(f"x{i}_{j}") for i, js in options.items() for j in js}
    open_ = {j: x[(j, j)] for j in leads}
    members: dict[int, list[int]] = {j: [] for j in leads}
    for (i, j) in x:
        members[j].append(i)
    for i, school in enumerate(schools):
        assigned = sum(x[(i, j)] for j in options[i])
        if everyone or (rural_all and school.rural):
            model.add(assigned == 1)
        else:
            model.add(assigned <= 1)
    loads = {}
    big = sum(s.students for s in schools) + 1
    for j in leads:
        for i in members[j]:
            if i != j:
                model.add_implication(x[(i, j)], open_[j])
        count = sum(x[(i, j)] for i in members[j])
        # Linear in the opening variable (not "only if"): the LP relaxation, and so the bound
        # the gap is measured against, is much tighter this way.
        model.add(count >= 2 * open_[j])  # a lead and at least one member
        if max_schools is not None:
            model.add(count <= int(max_schools) * open_[j])
        load = model.new_int_var(0, big, f"load{j}")
        model.add(load == sum(schools[i].students * x[(i, j)] for i in members[j]))
        if max_students is not None:
            model.add(load <= int(max_students) * open_[j])
        loads[j] = load
    objective: list[Any] = [km[key] * var for key, var in x.items()]
    if balance and len(leads) > 1:
        # Imbalance: the largest cluster's students (with every school grouped, a smaller
        # largest cluster means more even clusters). Linear, so the bound stays tight: a
        # largest-minus-smallest spread left a 1–3 % gap at county scale in 60 s.
        largest = model.new_int_var(0, big, "largest")
        for j in leads:
            model.add(largest >= loads[j])
        objective.append(largest * int(round(balance * 10)))  # balance km per 100 students
    if keep:
        weight = int(round(keep * SCALE))
        for i, school in enumerate(schools):
            if school.cluster is None:
                continue
            kept = next((j for j in options[i] if schools[j].code == school.cluster_lead), None)
            # a change: not in today's cluster (same lead school) any more
            objective.append(weight * (1 - x[(i, kept)]) if kept is not None else weight)
    for i, school in enumerate(schools):  # start the search from today's clusters where they fit
        start = next((j for j in options[i] if schools[j].code == school.cluster_lead), None)
        if school.cluster is not None and start is not None:
            model.add_hint(x[(i, start)], 1)
    model.minimize(sum(objective))
    progress(f"求解中（最长 {time_limit:g} 秒）", 0.2)
    solver = cp_model.CpSolver()
    # The limit is the clerk's for the whole proposal: building the model came out of it, and the
    # search stops 1 % early to leave time for reading its answer (the city's took 0.1-0.4 s).
    solver.parameters.max_time_in_seconds = max(1.0, 0.99 * float(time_limit) - (time.perf_counter() - started))
    solver.parameters.num_search_workers = workers
    solver.parameters.random_seed = 1
    stop, stopped = threading.Event(), threading.Event()
    solving = time.perf_counter()

    def watch() -> None:  # the time spent, and a cancel stops the search within a fifth of a second
        while not stop.wait(0.2):
            spent = time.perf_counter() - solving
            try:
                progress(f"求解中（已用 {spent:.0f} 秒，最长 {time_limit:g} 秒）",
                         0.2 + 0.7 * min(1.0, spent / max(float(time_limit), 0.001)))
            except Cancelled:
                stopped.set()
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        code = solver.solve(model)
    finally:
        stop.set()
        watcher.join()
    if stopped.is_set():
        raise Cancelled()
    status = solver.status_name(code)
    progress("整理结果", 0.9)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if code == cp_model.INFEASIBLE:
            rural = sum(1 for s in schools if s.rural)
            notes.append(f"按现行规则无法组建：乡村学校和教学点 {rural} 所，可作牵头校的学校 {len(leads)} 所，"
                         f"每个集团最多 {max_schools} 所学校、{max_students} 名学生")
        else:
            notes.append(f"{time_limit:g} 秒内未找到可行的分组，请延长求解时间")
        return Proposal(status, [], [], [], None, None, time.perf_counter() - started, nearest,
                        rules_of(profile), notes)
    found: list[ProposedCluster] = []
    assigned_to: dict[int, int] = {}
    for j in leads:
        if not solver.value(open_[j]):
            continue
        group = [j] + sorted((i for i in members[j] if i != j and solver.value(x[(i, j)])),
                             key=lambda i: schools[i].code)
        for i in group:
            assigned_to[i] = j
        lead = schools[j]
        today = lead.cluster if lead.cluster is not None and lead.cluster_lead == lead.code else None
        kind = lead.cluster_kind if today is not None and lead.cluster_kind else BUILT
        if kind == FUSION and fusion_max is not None and len(group) - 1 > int(fusion_max):
            kind = BUILT
        travel = sum(known.get((i, j), 0.0) for i in group if i != j)
        found.append(ProposedCluster(lead.code, [schools[i].code for i in group],
                                     sum(schools[i].students for i in group), kind, today, round(travel, 1)))
    found.sort(key=lambda c: c.lead)
    changes = []
    for i, school in enumerate(schools):
        chosen = assigned_to.get(i)
        new_lead = schools[chosen].code if chosen is not None else None
        if school.cluster is not None and new_lead == school.cluster_lead:
            continue
        if school.cluster is None and new_lead is None:
            continue
        changes.append({"school": school.code, "name": school.name, "from": school.cluster,
                        "from_lead": school.cluster_lead, "to_lead": new_lead,
                        "role": "牵头校" if chosen == i else "成员校"})
    outside = [s.code for i, s in enumerate(schools) if i not in assigned_to]
    progress("完成", 1.0)
    return Proposal(status, found, changes, outside, round(solver.objective_value / SCALE, 3),
                    round(solver.best_objective_bound / SCALE, 3),
                    time.perf_counter() - started, nearest, rules_of(profile), notes)

