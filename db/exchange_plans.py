"""Exchange plans in the store: inputs for the planner, saving a draft, approval, status.

* :func:`make_plan` loads eligibility, schools and the needs table and runs the planner.
* :func:`save_plan` writes a draft :class:`ExchangePlan` with its :class:`Exchange` rows
  (status ``planned``) in one transaction audited as one entry, replacing the year's
  earlier draft.
* :func:`approve_plan` freezes a plan (approved, who and when; audited) and carries it out:
  the dated postings of its exchanges are written at once (:mod:`db.exchanges`), so every
  reader "as of a day" sees them from their start. A draft made from another roster (the
  roster signature saved with it no longer matches) is refused. A frozen plan refuses every
  later change; its exchanges are then cancelled, ended or extended one by one
  (:mod:`db.exchanges`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
import uuid
from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy import Connection, String, bindparam, func, select, type_coerce
from sqlalchemy.exc import IntegrityError, OperationalError

from db.bulk import insert_rows
from db.engine import StoreError
from db.exchanges import approval_events, materialise
from db.gc_pause import gc_paused
from db.models import (
    Exchange,
    ExchangeEvent,
    ExchangePlan,
    Exemption,
    Membership,
    PlanScenario,
    Posting,
    School,
    SubjectNeed,
    Teacher,
    utcnow,
)
from db.spans import holds_on
from db.store import Store
from db.teachers import store_eligibility
from policy.planner import (
    Move,
    Plan,
    PlanSchool,
    destination_ranks,
    haversine_matrix,
    plan_exchanges,
)
from policy.profile import Profile
from policy.progress import Progress, quiet


class PlanError(StoreError):
    """A change the plan's state does not allow; the message says why."""


def load_schools(store: Store, on: dt.date) -> dict[str, PlanSchool]:
    """Every school as the planner sees it, with its clusters and teachers on ``on``."""
    s, m, p = School.__table__, Membership.__table__, Posting.__table__
    with store.read() as session:
        connection = session.connection()
        clusters: dict[Any, set[Any]] = {}
        for school_id, cluster_id in connection.execute(
            select(m.c.school_id, m.c.cluster_id).where(
                holds_on(m.c.joined, on, left=m.c.left_on))
        ):
            clusters.setdefault(school_id, set()).add(cluster_id)
        teachers: dict[Any, int] = dict(connection.execute(
            select(p.c.school_id, func.count()).where(
                p.c.holds_personnel.is_(True), holds_on(p.c.start, on, last=p.c.end_on))
            .group_by(p.c.school_id)).all())
        return {
            row.code: PlanSchool(row.code, row.name, row.location, bool(row.is_weak), row.stage, row.students or 0,
                                 int(teachers.get(row.id, 0)), row.latitude, row.longitude,
                                 frozenset(clusters.get(row.id, ())), row.region_id)
            for row in connection.execute(select(s.c.id, s.c.code, s.c.name, s.c.location, s.c.is_weak, s.c.stage,
                                                 s.c.students, s.c.latitude, s.c.longitude, s.c.region_id))
        }


def load_needs(store: Store, school_year: int) -> dict[tuple[str, str], int]:
    """The clerk's needs table for the year: {(school code, subject): slots}."""
    n, s = SubjectNeed.__table__, School.__table__
    with store.read() as session:
        rows = session.connection().execute(
            select(s.c.code, n.c.subject, n.c.slots).join(s, s.c.id == n.c.school_id)
            .where(n.c.school_year == school_year))
        return {(code, subject): slots for code, subject, slots in rows}


def make_plan(
    store: Store,
    profile: Profile,
    school_year: int,
    pins: Mapping[Hashable, str | None] | None = None,
    progress: Progress = quiet,
) -> Plan:
    """Eligibility → planner, for the whole store; ``progress`` as in :func:`policy.planner.plan_exchanges`."""
    progress("计算交流条件", 0.02)
    with gc_paused():  # the planner's arrays and records hold no cycles either
        result = store_eligibility(store, profile, school_year)
        schools = load_schools(store, result.reference_date)
        needs = load_needs(store, school_year)
        return plan_exchanges(result, schools, profile, needs or None, pins, progress=progress)


def draft_for_year(store: Store, school_year: int) -> ExchangePlan | None:
    with store.read() as session:
        return session.scalars(select(ExchangePlan).where(ExchangePlan.school_year == school_year)
                               .order_by(ExchangePlan.created_at.desc())).first()


def load_draft(store: Store, profile: Profile, school_year: int) -> Plan | None:
    """The year's saved draft as a plan the review can show, edit and approve (None: none).

    Its moves are matched to this year's candidates by ID number, with the pins it was
    saved with. A saved move whose teacher is no longer a candidate (the roster changed
    since) is left out and said in ``unmet``, and the plan is then not called optimal.
    """
    saved = draft_for_year(store, school_year)
    if saved is None or saved.status != "draft":
        return None
    summary = saved.summary or {}
    result = store_eligibility(store, profile, school_year)
    candidates = result.candidates()
    by_number = {e.teacher.id_number: e for e in candidates}
    schools = load_schools(store, result.reference_date)
    rows = plan_rows(store, saved.id)
    moves, gone = [], []
    for row in rows:
        entry = by_number.get(row["id_number"])
        if entry is None:
            gone.append(row["name"])
            continue
        a, b = schools.get(entry.school), schools.get(row["to_code"])
        km = float(haversine_matrix([a], [b])[0, 0]) if a and b else math.nan
        moves.append(Move(entry, row["to_code"], row["form"], bool(row["moves_personnel"]),
                          None if math.isnan(km) else round(km, 1), bool(a and b and a.clusters & b.clusters),
                          bool(row["pinned"])))
    moved = {m.entry.teacher.key for m in moves}
    stay_pins = set(summary.get("stay_pins", ()))
    pins: dict[Hashable, str | None] = {m.entry.teacher.key: m.to_school for m in moves if m.pinned}
    pins.update({e.teacher.key: None for e in candidates if str(e.teacher.key) in stay_pins})
    unmet = list(summary.get("unmet", ()))
    if gone:
        unmet.append(f"草案中 {len(gone)} 名教师已不在本学年的交流名单中（{'、'.join(gone[:5])}"
                     f"{'等' if len(gone) > 5 else ''}）：名册有变动，请重新生成计划")
    start = rows[0]["start"] if rows else profile.exchange_reference_date(school_year)
    end = rows[0]["end_on"] if rows else None
    plan = Plan(school_year, int(summary.get("base", result.base)), moves, int(summary.get("required_moves", 0)),
                int(summary.get("required_backbone", 0)), bool(summary.get("optimal")) and not gone, unmet,
                str(summary.get("solver", "")), 0.0, str(summary.get("needs_source", "")), 0, start, end,
                [e for e in candidates if e.teacher.key not in moved], pins)
    # Directions and outcomes are not stored: they follow from the schools and needs (issue 10).
    destination_ranks(result, schools, profile, load_needs(store, school_year) or None, plan)
    rules = plan.rules
    plan.moves = [dataclasses.replace(m, direction=rules.kind(schools[m.from_school], schools[m.to_school]))
                  if rules is not None and m.from_school in schools and m.to_school in schools else m
                  for m in plan.moves]
    return plan


def save_plan(store: Store, plan: Plan, profile: Profile, note: str | None = None,
              scenario: str | None = None) -> uuid.UUID:
    """Write ``plan`` as the year's draft, replacing the earlier draft in place; returns its id.
    ``scenario``: the name of the plan scenario (db.scenarios) it was made from, approved
    with it.

    One transaction through :meth:`Store.bulk` (Core statements, each audited as one batch
    entry with every record's before → after, plus one entry naming the plan, the year and
    the number of exchanges). The year's draft keeps its id and only what differs is
    written (:func:`_replace_exchanges`): a plan made again from the same roster rewrites
    none of its thousands of exchanges, and the audit holds exactly what changed.

    Two saves at once are serialised by the audit chain's lock, which the transaction takes
    before it reads anything; the one draft per year is also the database's rule
    (``uq_exchange_plan_draft_year``). Should a save still lose a race — a key refused by a
    row another save committed, or SQLite giving up on the WAL index — nothing of it was
    written, and it runs again on what is there now (up to :data:`SAVE_ATTEMPTS` times).
    While another writer holds SQLite's lock (an import of a large roster holds it for
    seconds, longer than SQLite's own 5 s wait on a loaded machine), the save waits for it
    as imports do, up to :data:`db.locks.LOCK_WAIT_SECONDS`.

    Raises:
        PlanError: the year already has an approved plan.
        StoreError: the database stayed locked by another writer.
    """
    from db.locks import LOCK_WAIT_SECONDS

    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    attempt = 0
    while True:
        attempt += 1
        try:
            return _save_plan(store, plan, profile, note, scenario)
        except IntegrityError:
            # The transaction rolled back whole; a key refused because of a row another save
            # committed meanwhile is not refused on the next look. A key this save breaks on
            # its own is refused every time and raised after the last attempt.
            if attempt >= SAVE_ATTEMPTS:
                raise
        except OperationalError as exc:
            reason = str(exc.orig)
            if "locked" in reason or "busy" in reason:  # SQLite's busy_timeout ran out: wait on
                if time.monotonic() > deadline:
                    raise StoreError(f"数据库正被另一个程序写入，等待超过 {LOCK_WAIT_SECONDS:.0f} 秒仍未结束，"
                                     f"计划未保存：请稍后再保存") from None
                attempt -= 1  # waiting is not a failed attempt
                continue
            # SQLITE_PROTOCOL: two writers raced for the WAL index and SQLite gave up its own
            # retries (seen with Debian 12's SQLite 3.40); nothing was written, so try again.
            if "locking protocol" not in reason or attempt >= SAVE_ATTEMPTS:
                raise


#: How many times :func:`save_plan` tries before a refusal is final.
SAVE_ATTEMPTS = 4

#: The columns of a draft exchange that a new save may change (``_replace_exchanges``).
_DRAFT_COLUMNS = ("from_school_id", "to_school_id", "form", "school_year", "start", "end_on", "moves_personnel",
                  "status", "pinned", "notes")


def _save_plan(store: Store, plan: Plan, profile: Profile, note: str | None, scenario: str | None) -> uuid.UUID:
    plans = ExchangePlan.__table__
    year = plan.school_year
    text = note or f"生成 {year}—{year + 1}学年交流轮岗计划草案（{len(plan.moves)} 人）"
    with store.bulk("exchange", text) as connection:
        existing = connection.execute(select(plans.c.id, plans.c.status).where(plans.c.school_year == year)
                                      .order_by(plans.c.created_at.desc())).all()
        if any(status == "approved" for _id, status in existing):
            raise PlanError(f"{year}—{year + 1}学年的交流计划已批准，不能再修改")
        now = utcnow()
        values = {
            "status": "draft", "profile_id": profile.id, "created_at": now, "updated_at": now,
            "approved_at": None, "approved_by": None,
            "summary": {**plan.summary(), "roster": roster_signature(connection), "base": plan.base,
                        "unmet": plan.unmet, "solver": plan.solver, "needs_source": plan.needs_source,
                        "scenario": scenario,
                        "stay_pins": sorted(str(k) for k, v in plan.pins.items() if v is None)},
        }
        if existing:
            plan_id: uuid.UUID = existing[0][0]
            connection.execute(plans.update().where(plans.c.id == plan_id).values(**values))
        else:
            plan_id = uuid.uuid4()
            connection.execute(plans.insert(), [{"id": plan_id, "school_year": year, **values}])
        ids = dict(connection.execute(select(School.__table__.c.code, School.__table__.c.id)).all())
        _replace_exchanges(connection, plan_id, plan, ids, now)
    return plan_id


def _as_uuid(key: object) -> uuid.UUID:
    return key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))


def _replace_exchanges(connection: Connection, plan_id: uuid.UUID, plan: Plan, ids: Mapping[str, uuid.UUID],
                       now: dt.datetime) -> None:
    """Make the draft's exchanges the plan's moves: a teacher's row that is the same stays
    untouched, one that differs is updated in place (the audit shows before → after), one
    no longer planned is deleted and a new one inserted. A draft lists a teacher once (one
    move each), so the teacher is the key.

    Saved rows are compared as the driver returns them — on SQLite UUIDs and dates as the
    text they are stored as (``type_coerce`` to String), the moves' values put in that form
    once per school and date — so no UUID or date object is made for each of a city draft's
    ~10,000 rows (that cost more than the comparison itself). Flags compare as stored
    (1 == True). A teacher key in another form only misses the match: that row is then
    deleted and inserted again, never kept wrongly.
    """
    exchanges = Exchange.__table__
    sqlite = connection.dialect.name == "sqlite"

    def stored(value: object) -> object:
        if sqlite and isinstance(value, uuid.UUID):
            return value.hex
        if sqlite and isinstance(value, dt.date):
            return value.isoformat()
        return value

    as_text = {"form", "status"} | ({"id", "teacher_id", "from_school_id", "to_school_id", "start", "end_on"}
                                    if sqlite else set())
    raw = [type_coerce(exchanges.c[name], String) if name in as_text else exchanges.c[name]
           for name in ("id", "teacher_id", *_DRAFT_COLUMNS)]
    saved = {row[1]: (row[0], tuple(row[2:]))
             for row in connection.execute(select(*raw).where(exchanges.c.plan_id == plan_id)).all()}
    school = {code: stored(value) for code, value in ids.items()}
    start, end, year = stored(plan.start), stored(plan.end), plan.school_year
    changed, added = [], []
    for move in plan.moves:
        key = move.entry.teacher.key
        values = (school[move.from_school], school[move.to_school], move.form, year, start, end,
                  move.moves_personnel, "planned", move.pinned, None)
        old = saved.pop(key if sqlite and isinstance(key, str) else stored(_as_uuid(key)), None)
        if old is not None and old[1] == values:
            continue
        row = dict(zip(_DRAFT_COLUMNS, (ids[move.from_school], ids[move.to_school], move.form, year, plan.start,
                                        plan.end, move.moves_personnel, "planned", move.pinned, None), strict=True))
        if old is None:
            added.append({"id": uuid.uuid4(), "plan_id": plan_id, "teacher_id": _as_uuid(key), **row,
                          "created_at": now, "updated_at": now})
        else:
            changed.append({"b_id": _as_uuid(old[0]), **{f"b_{name}": v for name, v in row.items()},
                            "b_updated": now})
    if saved:  # teachers the new plan no longer moves (or a duplicate row of an old draft)
        gone = [_as_uuid(exchange_id) for exchange_id, _values in saved.values()]
        for start in range(0, len(gone), 900):
            connection.execute(exchanges.delete().where(exchanges.c.id.in_(gone[start:start + 900])))
    if changed:
        connection.execute(exchanges.update().where(exchanges.c.id == bindparam("b_id")).values(
            {**{name: bindparam(f"b_{name}") for name in _DRAFT_COLUMNS}, "updated_at": bindparam("b_updated")}),
            changed)
    insert_rows(connection, exchanges, added)


def roster_signature(connection: Connection) -> dict[str, Any]:
    """Row counts and latest change of the tables a plan is made from (teachers, postings,
    exemptions): a draft whose signature no longer matches was made from another roster."""
    result: dict[str, Any] = {}
    for table in (Teacher.__table__, Posting.__table__, Exemption.__table__):
        count, changed = connection.execute(select(func.count(), func.max(table.c.updated_at))).one()
        if isinstance(changed, str):
            changed = dt.datetime.fromisoformat(changed)
        result[table.name] = [int(count), None if changed is None else changed.isoformat(sep=" ", timespec="microseconds")]
    return result


def approve_plan(store: Store, plan_id: uuid.UUID, by: str | None = None, *, check_roster: bool = True) -> int:
    """Approve the plan and carry it out: status approved (who, when), its exchanges approved
    and their dated postings written (:func:`db.exchanges.materialise`), one audited
    transaction; returns the number of exchanges.

    With ``check_roster`` a draft saved with a roster signature is refused when the teachers,
    postings or exemptions changed since it was saved (the moves were computed from another
    roster: regenerate and save the plan again).

    Raises:
        PlanError: no such plan, already approved, or a stale draft.
    """
    try:
        return _approve(store, plan_id, by, check_roster)
    except IntegrityError:  # uq_exchange_recorded
        raise PlanError("计划中有交流与已登记的交流相同（同一教师、交流单位、形式与开始日期）：请在计划中移出该教师，"
                        "或取消已登记的记录后再批准") from None


def _approve(store: Store, plan_id: uuid.UUID, by: str | None, check_roster: bool) -> int:
    plans, exchanges, events = ExchangePlan.__table__, Exchange.__table__, ExchangeEvent.__table__
    now = utcnow()
    with store.bulk("exchange_plan", "批准交流轮岗计划") as connection:
        # Claim first: the write takes the lock (SQLite) or the row (PostgreSQL), so of two
        # clerks approving at once exactly one carries the plan out; the other sees it approved.
        claimed = connection.execute(plans.update().where(plans.c.id == plan_id, plans.c.status == "draft").values(
            status="approved", approved_at=now, approved_by=by or store.actor.username, updated_at=now)).rowcount
        plan = connection.execute(select(plans).where(plans.c.id == plan_id)).first()
        if plan is None:
            raise PlanError("找不到该交流计划")
        label = f"{plan.school_year}—{plan.school_year + 1}学年的交流计划"
        if claimed != 1:
            approved_at = plan.approved_at if isinstance(plan.approved_at, dt.datetime) else \
                dt.datetime.fromisoformat(str(plan.approved_at))
            raise PlanError(f"{label}已于{approved_at:%Y-%m-%d}批准，不能重复批准或修改")
        saved = (plan.summary or {}).get("roster")
        if check_roster and saved is not None:
            current = roster_signature(connection)
            changed = [_ROSTER_LABELS[k] for k, v in current.items() if list(saved.get(k, [])) != v]
            if changed:
                raise PlanError(f"{label}草案保存后{'、'.join(changed)}有变动，草案已过期：请重新生成并保存计划"
                                f"（edubridge plan --year {plan.school_year} --save）后再批准")
        _freeze_scenarios(connection, plan.school_year, plan_id, (plan.summary or {}).get("scenario"), now)
        rows = [dict(r._mapping) for r in connection.execute(
            select(exchanges.c.id, exchanges.c.teacher_id, exchanges.c.to_school_id, exchanges.c.form,
                   exchanges.c.start, exchanges.c.end_on, exchanges.c.moves_personnel)
            .where(exchanges.c.plan_id == plan_id, exchanges.c.status == "planned"))]
        for row in rows:
            row["start"] = _date(row["start"])
            row["end_on"] = _date(row["end_on"])
        connection.execute(exchanges.update().where(exchanges.c.plan_id == plan_id, exchanges.c.status == "planned")
                           .values(status="approved", planned_end=exchanges.c.end_on, updated_at=now))
        materialise(connection, rows, now)
        day = dt.date.today()
        insert_rows(connection, events, approval_events([r["id"] for r in rows],
                                                        {r["id"]: r["start"] or day for r in rows},
                                                        by or store.actor.username, "批准", now))
        return len(rows)


def _freeze_scenarios(connection: Connection, year: int, plan_id: uuid.UUID, chosen: str | None, now: dt.datetime) -> None:
    """In the approval's transaction: the scenario the plan was made from is approved (with
    the plan's id), every other scenario of the year frozen (issue 18; db.scenarios)."""
    table = PlanScenario.__table__
    of_year = (table.c.school_year == year) & (table.c.status == "draft")
    if chosen is not None:
        connection.execute(table.update().where(of_year, table.c.name == chosen)
                           .values(status="approved", plan_id=plan_id, updated_at=now))
    connection.execute(table.update().where(of_year).values(status="frozen", updated_at=now))


_ROSTER_LABELS = {"teacher": "教师名册", "posting": "任职记录", "exemption": "免交流登记"}


def _date(value: str | dt.date | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def approve_saved(store: Store, school_year: int, by: str | None = None) -> int:
    """Approve the year's saved draft (``edubridge plan --year Y --approve``).

    Raises:
        PlanError: no draft saved, already approved, or stale.
    """
    saved = draft_for_year(store, school_year)
    if saved is None:
        raise PlanError(f"{school_year}—{school_year + 1}学年还没有保存的计划草案"
                        f"（先运行 edubridge plan --year {school_year} --save）")
    return approve_plan(store, saved.id, by)


def plan_rows(store: Store, plan_id: uuid.UUID) -> list[dict[str, Any]]:
    """The plan's exchanges with names, for exports and the review table."""
    e, t, s = Exchange.__table__, Teacher.__table__, School.__table__
    src, dst = s.alias("src"), s.alias("dst")
    with store.read() as session:
        rows = session.connection().execute(
            select(e.c.id, t.c.id_number, t.c.name, t.c.subject, t.c.backbone_level, src.c.code.label("from_code"),
                   src.c.name.label("from_name"), dst.c.code.label("to_code"), dst.c.name.label("to_name"),
                   e.c.form, e.c.moves_personnel, e.c.start, e.c.end_on, e.c.status, e.c.pinned)
            .join(t, t.c.id == e.c.teacher_id).join(src, src.c.id == e.c.from_school_id)
            .join(dst, dst.c.id == e.c.to_school_id).where(e.c.plan_id == plan_id)
            .order_by(src.c.code, t.c.id_number))
        return [dict(row._mapping) for row in rows]


def exchange_rows(store: Store, school_year: int | None = None) -> list[dict[str, Any]]:
    """Every exchange (or one school year's) with school names, newest first."""
    e, t, s = Exchange.__table__, Teacher.__table__, School.__table__
    src, dst = s.alias("src"), s.alias("dst")
    query = (select(t.c.id_number, t.c.name, src.c.name.label("from_name"), dst.c.name.label("to_name"),
                    e.c.form, e.c.moves_personnel, e.c.start, e.c.end_on, e.c.status, e.c.school_year)
             .join(t, t.c.id == e.c.teacher_id).join(src, src.c.id == e.c.from_school_id)
             .join(dst, dst.c.id == e.c.to_school_id)
             .where(e.c.status != "cancelled")
             .order_by(e.c.school_year.desc(), t.c.id_number))
    if school_year is not None:
        query = query.where(e.c.school_year == school_year)
    with store.read() as session:
        return [dict(row._mapping) for row in session.connection().execute(query)]
