"""Plan scenarios in the store (issue 18): run, save, list, compare and approve.

A scenario is a named draft of one year's exchange plan: settings (profile figures changed
for it, :func:`policy.scenarios.apply_settings`), pins (ID number → school code, or None:
stays) and the result they gave (:func:`policy.scenarios.result_of`). Saving writes one
audited row; the year's scenarios live side by side.

Approval goes through the one approval path (:mod:`db.exchange_plans`): the chosen
scenario is planned again with its settings and pins, refused unless the result is the one
the clerk compared (the roster and needs unchanged), saved as the year's draft naming the
scenario, and approved; that transaction marks the scenario approved and freezes every
other scenario of the year. A frozen or approved scenario refuses every change, and no
scenario can be added to a year whose plan is approved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError, OperationalError

from db.engine import StoreError
from db.exchange_plans import (
    PlanError,
    approve_plan,
    load_needs,
    load_schools,
    roster_signature,
    save_plan,
)
from db.gc_pause import gc_paused
from db.models import Exchange, ExchangePlan, PlanScenario, utcnow
from db.store import Store
from db.teachers import load_records
from policy.county_map import MapData
from policy.eligibility import EligibilityResult, eligibility
from policy.planner import Plan, PlanSchool, plan_exchanges
from policy.profile import Figure, Profile, Value
from policy.progress import Progress, quiet
from policy.scenarios import (
    apply_settings,
    compare,
    differences_between,
    outcomes_of,
    result_of,
    settings_text,
)

STATUS_LABELS = {"draft": "草案", "approved": "已批准", "frozen": "已冻结"}
MAX_NAME = 64


class ScenarioError(StoreError):
    """A scenario change the year's state does not allow, or a bad name, pin or setting."""


@dataclasses.dataclass(frozen=True, slots=True)
class Scenario:
    """A stored scenario, as the comparison and the plan tab read it."""

    id: uuid.UUID
    school_year: int
    name: str
    status: str
    settings: dict[str, Any]
    pins: dict[str, str | None]
    result: dict[str, Any]
    plan_id: uuid.UUID | None
    updated_at: dt.datetime
    note: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "status_label": self.status_label,
                "settings": self.settings, "pins": self.pins, "figures": self.result.get("figures", {}),
                "optimal": self.result.get("optimal"), "solver": self.result.get("solver"),
                "seconds": self.result.get("seconds"), "unmet": self.result.get("unmet", []),
                "plan_id": str(self.plan_id) if self.plan_id else None,
                "updated_at": self.updated_at.isoformat(sep=" ", timespec="seconds")}


def check_name(name: str) -> str:
    """The name trimmed; refused when empty or too long."""
    name = name.strip()
    if not name:
        raise ScenarioError("方案名称不能为空")
    if len(name) > MAX_NAME:
        raise ScenarioError(f"方案名称不能超过 {MAX_NAME} 个字：{name}")
    return name


class _Reading(dict[str, Figure]):
    """A profile's figures that remember which were read (see :meth:`YearInputs.eligibility`)."""

    def __init__(self, figures: Mapping[str, Figure]) -> None:
        super().__init__(figures)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Figure:
        self.read.add(key)
        return super().__getitem__(key)


@dataclasses.dataclass(slots=True)
class YearInputs:
    """What every scenario of one school year plans from, read from the store once: the
    teachers, postings and exemptions eligibility is judged on, the schools, the needs
    table, teacher keys by ID number and the roster signature they were read under.

    Scenarios differ only in profile figures and pins, so five scenarios compared side by
    side read the roster once, not five times; and eligibility is judged once for every
    scenario whose settings leave the figures it reads alone (a scenario changing
    ``exchange.min_share`` shares it; one changing ``exchange.eligible_years`` does not).
    """

    school_year: int
    reference: dt.date
    records: tuple[list[Any], list[Any], list[Any]]
    schools: dict[str, PlanSchool]
    needs: dict[tuple[str, str], int]
    keys: dict[str, Hashable]  # ID number → teacher key (the planner's)
    roster: dict[str, Any]
    judged: list[tuple[dict[str, Figure], EligibilityResult]] = dataclasses.field(default_factory=list)

    @classmethod
    def load(cls, store: Store, profile: Profile, school_year: int) -> YearInputs:
        """Read the year's inputs. The roster signature is read first: a change landing
        while the rest is read makes the signature older than the data, so approval
        refuses the scenario (never the other way round)."""
        with store.read() as session:
            roster = roster_signature(session.connection())
        reference = profile.exchange_reference_date(school_year)
        with gc_paused():
            records = load_records(store, reference)
            schools = load_schools(store, reference)
        keys = {teacher.id_number: teacher.key for teacher in records[0]}
        return cls(school_year, reference, records, schools, load_needs(store, school_year), keys, roster)

    def eligibility(self, profile: Profile) -> EligibilityResult:
        """Eligibility under ``profile``: judged again only when a figure it read differs."""
        for read, result in self.judged:
            if all(profile.figures.get(key) == figure for key, figure in read.items()):
                return result
        reading = _Reading(profile.figures)
        with gc_paused():
            result = eligibility(*self.records, dataclasses.replace(profile, figures=reading), self.school_year)
        self.judged.append(({key: reading[key] for key in reading.read if key in reading}, result))
        return result

    def pins(self, pins: Mapping[str, str | None]) -> dict[Hashable, str | None]:
        """Pins by ID number → pins by teacher key, as the planner takes them.

        Raises:
            ScenarioError: an ID number not in the roster or a school code not in the
                store, naming it.
        """
        missing = [number for number in pins if number not in self.keys]
        if missing:
            raise ScenarioError(f"指定的教师不在教师名册中：{'、'.join(missing[:5])}")
        unknown = sorted({code for code in pins.values() if code is not None} - set(self.schools))
        if unknown:
            raise ScenarioError(f"指定的学校代码不存在：{'、'.join(unknown[:5])}")
        return {self.keys[number]: code for number, code in pins.items()}


def run_scenario(store: Store, profile: Profile, school_year: int, settings: Mapping[str, Value],
                 pins: Mapping[str, str | None], progress: Progress = quiet,
                 inputs: YearInputs | None = None) -> tuple[Plan, dict[str, Any]]:
    """Plan the year with the scenario's settings and pins; the plan and the result to keep
    (with the roster signature it was planned from). ``inputs``: the year's inputs already
    read (several scenarios in a row share them); read here when None."""
    scenario_profile = apply_settings(profile, settings)
    progress("计算交流条件", 0.02)
    if inputs is None or inputs.school_year != school_year or \
            inputs.reference != scenario_profile.exchange_reference_date(school_year):
        inputs = YearInputs.load(store, scenario_profile, school_year)
    keys = inputs.pins(pins)
    judged = inputs.eligibility(scenario_profile)
    with gc_paused():  # the planner's arrays and records hold no cycles
        plan = plan_exchanges(judged, inputs.schools, scenario_profile, inputs.needs or None, keys,
                              progress=progress)
    result = result_of(plan, inputs.schools)
    result["roster"] = inputs.roster
    return plan, result


def rerun_scenarios(store: Store, profile: Profile, school_year: int, names: list[str] | None = None,
                    progress: Progress = quiet) -> list[str]:
    """Plan the year's draft scenarios (``names``, or all) again with their saved settings and
    pins, and save each: what a clerk does when the roster or the needs changed since they
    were compared. The year's inputs are read once for all of them (:class:`YearInputs`).
    Returns the names planned again; frozen and approved scenarios are left as they are.

    Raises:
        ScenarioError: a name not among the year's scenarios, or the year's plan approved.
    """
    found = {s.name: s for s in scenarios(store, school_year)}
    missing = [n for n in names or () if n not in found]
    if missing:
        raise ScenarioError(f"{school_year}—{school_year + 1}学年没有方案“{'、'.join(missing)}”")
    chosen = [found[n] for n in names] if names else list(found.values())
    drafts = [s for s in chosen if s.status == "draft"]
    inputs = YearInputs.load(store, profile, school_year)
    share = 1 / max(len(drafts), 1)
    for number, scenario in enumerate(drafts):
        def step(text: str, fraction: float, number: int = number, name: str = scenario.name) -> None:
            progress(f"方案“{name}”：{text}", (number + fraction) * share)

        _plan, result = run_scenario(store, profile, school_year, scenario.settings, scenario.pins, step, inputs)
        save_scenario(store, profile, school_year, scenario.name, scenario.settings, scenario.pins, result,
                      scenario.note)
    return [s.name for s in drafts]


def _year_plans(connection: Connection, school_year: int) -> list[Any]:
    """The year's plans (id, status, summary), locked: an approval running now is waited for
    (its transaction freezes the year's scenarios), and none starts until we commit."""
    plans = ExchangePlan.__table__
    return list(connection.execute(select(plans.c.id, plans.c.status, plans.c.summary)
                                   .where(plans.c.school_year == school_year).with_for_update()).all())


def _drop_drafts_of(connection: Connection, plans: list[Any], name: str) -> int:
    """Delete the year's draft plans made from scenario ``name`` (the approval's vehicle,
    :func:`approve_scenario`): once the scenario changes, approving such a draft would carry
    out the old settings under the new ones' name. Returns how many were deleted."""
    ids = [p.id for p in plans if p.status == "draft" and (p.summary or {}).get("scenario") == name]
    if ids:
        connection.execute(Exchange.__table__.delete().where(Exchange.__table__.c.plan_id.in_(ids)))
        connection.execute(ExchangePlan.__table__.delete().where(ExchangePlan.__table__.c.id.in_(ids)))
    return len(ids)


def save_scenario(store: Store, profile: Profile, school_year: int, name: str, settings: Mapping[str, Value],
                  pins: Mapping[str, str | None], result: Mapping[str, Any], note: str | None = None) -> uuid.UUID:
    """Save (or replace) the year's scenario ``name``: one audited row; returns its id.

    Raises:
        ScenarioError: the year's plan is approved, or the scenario is frozen or approved.
    """
    name = check_name(name)
    for attempt in range(3):
        try:
            return _save_scenario(store, profile, school_year, name, settings, pins, result, note)
        except IntegrityError as exc:
            # Another save of the same new name committed between our look and our insert
            # (uq_plan_scenario_year_name refused ours): look again, and replace it.
            if "plan_scenario" not in str(exc.orig) or attempt == 2:
                raise
        except OperationalError as exc:  # SQLite gave up its own retries on the WAL index
            if "locking protocol" not in str(exc.orig) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _save_scenario(store: Store, profile: Profile, school_year: int, name: str, settings: Mapping[str, Value],
                   pins: Mapping[str, str | None], result: Mapping[str, Any], note: str | None) -> uuid.UUID:
    table = PlanScenario.__table__
    label = f"{school_year}—{school_year + 1}学年"
    with store.bulk("plan_scenario", f"保存{label}交流计划方案“{name}”") as connection:
        plans = _year_plans(connection, school_year)
        if any(p.status == "approved" for p in plans):
            raise ScenarioError(f"{label}的交流计划已批准，各方案已冻结，不能再保存方案“{name}”")
        found = connection.execute(select(table.c.id, table.c.status).where(
            table.c.school_year == school_year, table.c.name == name).with_for_update()).first()
        if found is not None and found.status == "draft":
            _drop_drafts_of(connection, plans, name)
        now = utcnow()
        # the signature the result was planned from (run_scenario), else the one of now
        kept = {**result, "roster": result.get("roster") or roster_signature(connection)}
        values = {"settings": dict(settings), "pins": dict(pins), "result": kept, "profile_id": profile.id,
                  "note": note, "updated_at": now}
        if found is None:
            scenario_id = uuid.uuid4()
            connection.execute(table.insert().values(id=scenario_id, school_year=school_year, name=name,
                                                     status="draft", created_at=now, row_version=1, **values))
            return scenario_id
        if found.status != "draft":
            raise ScenarioError(f"方案“{name}”{STATUS_LABELS[found.status]}，不能修改")
        connection.execute(table.update().where(table.c.id == found.id).values(**values))
        return found.id  # type: ignore[no-any-return]


def delete_scenario(store: Store, school_year: int, name: str) -> None:
    """Remove a draft scenario (audited). A frozen or approved one is kept for the record.

    Raises:
        ScenarioError: no such scenario, or it is not a draft.
    """
    table = PlanScenario.__table__
    with store.bulk("plan_scenario", f"删除交流计划方案“{name}”") as connection:
        status = connection.execute(select(table.c.status).where(
            table.c.school_year == school_year, table.c.name == name).with_for_update()).scalar()
        if status is None:
            raise ScenarioError(f"{school_year}—{school_year + 1}学年没有方案“{name}”")
        if status != "draft":
            raise ScenarioError(f"方案“{name}”{STATUS_LABELS[status]}，保留备查，不能删除")
        connection.execute(table.delete().where(table.c.school_year == school_year, table.c.name == name))


def scenarios(store: Store, school_year: int) -> list[Scenario]:
    """The year's scenarios, oldest first (the order the clerk made them)."""
    table = PlanScenario.__table__
    with store.read() as session:
        rows = session.connection().execute(select(table).where(table.c.school_year == school_year)
                                            .order_by(table.c.created_at, table.c.name)).all()
    return [Scenario(r.id, r.school_year, r.name, r.status, dict(r.settings or {}), dict(r.pins or {}),
                     dict(r.result or {}), r.plan_id, r.updated_at, r.note) for r in rows]


def find(store: Store, school_year: int, name: str) -> Scenario:
    """The year's scenario ``name``.

    Raises:
        ScenarioError: none by that name (the message lists the year's names).
    """
    found = scenarios(store, school_year)
    for scenario in found:
        if scenario.name == name:
            return scenario
    names = "、".join(s.name for s in found) or "无"
    raise ScenarioError(f"{school_year}—{school_year + 1}学年没有方案“{name}”（已有：{names}）")


def comparison(store: Store, school_year: int, names: list[str] | None = None,
               profile: Profile | None = None) -> dict[str, Any]:
    """The year's scenarios side by side: each scenario's settings (also in words, from
    ``profile``, the active one by default) and figures, the figures row by row, and for
    each pair the teachers whose outcome differs."""
    from db.school_queries import names_by_code
    from db.settings import active_profile

    profile = profile or active_profile(store)

    chosen = scenarios(store, school_year)
    if names:
        by_name = {s.name: s for s in chosen}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ScenarioError(f"{school_year}—{school_year + 1}学年没有方案“{'、'.join(missing)}”")
        chosen = [by_name[n] for n in names]
    schools = names_by_code(store)
    index = {s.name: outcomes_of(s.result) for s in chosen}
    pairs = []
    for a, b in itertools.combinations(chosen, 2):
        rows = differences_between(index[a.name], index[b.name], schools)
        pairs.append({"a": a.name, "b": b.name, "count": len(rows), "teachers": [r.to_json() for r in rows]})
    return {"school_year": school_year,
            "scenarios": [{**s.to_json(), "settings_text": settings_text(profile, s.settings)} for s in chosen],
            "figures": compare([(s.name, s.result) for s in chosen]), "differences": pairs}


def flows_map(store: Store, school_year: int, name: str, on: dt.date | None = None) -> MapData:
    """The county map (schools, clusters and pairings on ``on``, today by default) with the
    moves of scenario ``name`` as its flows: the plan printout's map."""
    from db.county_map import load_map

    moves = find(store, school_year, name).result.get("moves", ())
    return load_map(store, on or dt.date.today(), pairs=[(m["from"], m["to"]) for m in moves])


def approve_scenario(store: Store, profile: Profile, school_year: int, name: str,
                     progress: Progress = quiet, by: str | None = None) -> int:
    """Approve the year's plan from scenario ``name`` through :func:`db.exchange_plans.approve_plan`;
    returns the number of exchanges carried out.

    Raises:
        ScenarioError: no such draft scenario, or planning it again gives another result
            than the one saved (the roster or the needs changed: run the scenario again).
        db.exchange_plans.PlanError: the year's plan is already approved.
    """
    scenario = find(store, school_year, name)
    if scenario.status != "draft":
        raise ScenarioError(f"方案“{name}”{scenario.status_label}，不能再批准")
    with store.read() as session:
        roster = roster_signature(session.connection())
    plan, result = run_scenario(store, profile, school_year, scenario.settings, scenario.pins, progress)

    def moves(found: Mapping[str, Any]) -> set[tuple[str, str]]:
        return {(m["id_number"], m["to"]) for m in found.get("moves", ())}

    if roster != scenario.result.get("roster") or moves(result) != moves(scenario.result):
        raise ScenarioError(f"方案“{name}”保存后教师名册、学校或学科需求有变动，重新计算的结果与保存的不同："
                            f"请重新计算并保存该方案（edubridge plan --year {school_year} --scenario {name} --save）"
                            "，比较后再批准")
    progress("保存并批准", 0.95)
    plan_id = save_plan(store, plan, apply_settings(profile, scenario.settings),
                        f"由方案“{name}”生成 {school_year}—{school_year + 1}学年交流轮岗计划草案（{len(plan.moves)} 人）",
                        scenario=name)
    # The scenario saved anew since it was read: the draft just saved is its old version.
    # From here on a save of it deletes that draft (_drop_drafts_of) and the approval below
    # finds no plan; before here, this look sees the change.
    changed = ScenarioError(f"方案“{name}”在批准过程中被重新保存（设置或结果已变），未批准："
                            "请查看比较后再批准")
    if _updated_at(store, scenario.id) != scenario.updated_at:
        with store.bulk("exchange_plan", f"删除由方案“{name}”旧版本生成的计划草案") as connection:
            _drop_drafts_of(connection, _year_plans(connection, school_year), name)
        raise changed
    try:
        return approve_plan(store, plan_id, by)
    except PlanError:
        if _updated_at(store, scenario.id) != scenario.updated_at:
            raise changed from None
        raise


def _updated_at(store: Store, scenario_id: uuid.UUID) -> dt.datetime | None:
    table = PlanScenario.__table__
    with store.read() as session:
        found = session.connection().execute(select(table.c.updated_at).where(table.c.id == scenario_id)).scalar()
    return found
