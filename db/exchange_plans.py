"""Exchange plans in the store: inputs for the planner, saving a draft, approval, status.

* :func:`make_plan` loads eligibility, schools and the needs table and runs the planner.
* :func:`save_plan` writes a draft :class:`ExchangePlan` with its :class:`Exchange` rows
  (status ``planned``) in one transaction audited as one entry, replacing the year's
  earlier draft.
* :func:`approve_plan` freezes a plan (approved, who and when; audited); a frozen plan
  refuses every later change.
* :func:`set_status` moves one exchange along planned → approved → in_progress → done,
  or to cancelled; any other step is refused with a message. When an exchange starts,
  the teacher's postings follow: a new posting at the receiving school (holding the
  personnel relationship when the exchange moves it, the old one then closed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import uuid
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from sqlalchemy import func, or_, select

from db.bulk import insert_rows
from db.engine import StoreError
from db.gc_pause import gc_paused
from db.models import (
    Exchange,
    ExchangePlan,
    Membership,
    Posting,
    School,
    SubjectNeed,
    Teacher,
    utcnow,
)
from db.store import Store
from db.teachers import store_eligibility
from policy import vocab
from policy.planner import Move, Plan, PlanSchool, destination_ranks, haversine_matrix, plan_exchanges
from policy.profile import Profile

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("approved", "cancelled"),
    "approved": ("in_progress", "cancelled"),
    "in_progress": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}


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
                m.c.joined <= on, or_(m.c.left_on.is_(None), m.c.left_on > on))  # left_on: first day out
        ):
            clusters.setdefault(school_id, set()).add(cluster_id)
        teachers = dict(connection.execute(
            select(p.c.school_id, func.count()).where(
                p.c.holds_personnel.is_(True), p.c.start <= on, or_(p.c.end_on.is_(None), p.c.end_on >= on))
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
    progress: Callable[[int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Plan:
    """Eligibility → planner, for the whole store."""
    report = progress or (lambda _p, _t: None)
    report(2, "计算交流条件")
    with gc_paused():  # the planner's arrays and records hold no cycles either
        result = store_eligibility(store, profile, school_year)
        schools = load_schools(store, result.reference_date)
        needs = load_needs(store, school_year)
        return plan_exchanges(result, schools, profile, needs or None, pins, progress=progress, cancelled=cancelled)


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


def save_plan(store: Store, plan: Plan, profile: Profile, note: str | None = None) -> uuid.UUID:
    """Write ``plan`` as the year's draft (replacing an earlier draft); returns its id.

    One transaction through :meth:`Store.bulk` (Core inserts, one audit entry naming the
    plan, the year and the number of exchanges): a city plan of thousands of moves saves
    in a fraction of a second.

    Raises:
        PlanError: the year already has an approved plan.
    """
    plans, exchanges = ExchangePlan.__table__, Exchange.__table__
    year = plan.school_year
    summary = plan.summary()
    plan_id = uuid.uuid4()
    text = note or f"生成 {year}—{year + 1}学年交流轮岗计划草案（{len(plan.moves)} 人）"
    with store.bulk("exchange", text) as connection:
        existing = connection.execute(select(plans.c.id, plans.c.status).where(plans.c.school_year == year)).all()
        if any(status == "approved" for _id, status in existing):
            raise PlanError(f"{year}—{year + 1}学年的交流计划已批准，不能再修改")
        old_ids = [old_id for old_id, _status in existing]
        if old_ids:
            connection.execute(exchanges.delete().where(exchanges.c.plan_id.in_(old_ids)))
            connection.execute(plans.delete().where(plans.c.id.in_(old_ids)))
        now = utcnow()
        connection.execute(plans.insert(), [{
            "id": plan_id, "school_year": year, "status": "draft", "profile_id": profile.id, "created_at": now,
            "updated_at": now, "approved_at": None, "approved_by": None,
            "summary": {**summary, "base": plan.base, "unmet": plan.unmet, "solver": plan.solver,
                        "needs_source": plan.needs_source,
                        "stay_pins": sorted(str(k) for k, v in plan.pins.items() if v is None)},
        }])
        ids = dict(connection.execute(select(School.__table__.c.code, School.__table__.c.id)).all())
        rows = [{
            "id": uuid.uuid4(), "plan_id": plan_id, "teacher_id": uuid.UUID(str(move.entry.teacher.key)),
            "from_school_id": ids[move.from_school], "to_school_id": ids[move.to_school], "form": move.form,
            "school_year": year, "start": plan.start, "end_on": plan.end, "moves_personnel": move.moves_personnel,
            "status": "planned", "pinned": move.pinned, "notes": None, "created_at": now, "updated_at": now,
        } for move in plan.moves]
        insert_rows(connection, exchanges, rows)
    return plan_id


def approve_plan(store: Store, plan_id: uuid.UUID, by: str | None = None) -> None:
    """Freeze the plan: status approved, who and when, its exchanges approved; audited.

    Raises:
        PlanError: no such plan, or already approved.
    """
    with store.write("批准交流轮岗计划") as session:
        plan = session.get(ExchangePlan, plan_id)
        if plan is None:
            raise PlanError("找不到该交流计划")
        if plan.status == "approved":
            raise PlanError(f"{plan.school_year}—{plan.school_year + 1}学年的交流计划已于"
                            f"{plan.approved_at:%Y-%m-%d}批准，不能重复批准或修改")
        plan.status = "approved"
        plan.approved_at = utcnow()
        plan.approved_by = by or store.actor.username
        for exchange in session.scalars(select(Exchange).where(Exchange.plan_id == plan_id)):
            if exchange.status == "planned":
                exchange.status = "approved"


def _frozen_guard(session: Any, exchange: Exchange) -> None:
    if exchange.plan_id is None:
        return
    plan = session.get(ExchangePlan, exchange.plan_id)
    if plan is not None and plan.status == "approved" and exchange.status == "planned":
        raise PlanError("计划已批准，不能修改")


def set_status(store: Store, exchange_id: uuid.UUID, status: str, on: dt.date | None = None) -> None:
    """Move an exchange to ``status`` if the transition is allowed; audited.

    An exchange planned in a draft plan becomes approved only with its plan
    (:func:`approve_plan`). Starting one (in_progress) records the teacher's new posting;
    finishing a temporary one (done) ends it. Cancelling one in progress undoes its posting
    effect in the same audited transaction (:func:`_cancel_postings`); ``on`` is then the
    cancellation day (default today).

    Raises:
        PlanError: unknown exchange or a transition that is not allowed.
    """
    if status not in TRANSITIONS:
        raise PlanError(f"未知的交流状态：{status}")
    label = vocab.EXCHANGE_STATUS_LABELS
    with store.write(f"交流状态改为{label[status]}") as session:
        exchange = session.get(Exchange, exchange_id)
        if exchange is None:
            raise PlanError("找不到该交流记录")
        if status not in TRANSITIONS[exchange.status]:
            allowed = "、".join(label[s] for s in TRANSITIONS[exchange.status]) or "无"
            raise PlanError(f"交流记录不能从“{label[exchange.status]}”改为“{label[status]}”（可改为：{allowed}）")
        if status == "approved" and exchange.plan_id is not None:
            plan = session.get(ExchangePlan, exchange.plan_id)
            if plan is not None and plan.status != "approved":
                raise PlanError("计划尚未批准：请先批准整个交流计划")
        day = on or exchange.start or dt.date.today()
        if status == "in_progress":
            _start_postings(session, exchange, day)
        elif status == "cancelled" and exchange.status == "in_progress" and exchange.moves_personnel:
            _cancel_postings(session, exchange, on or dt.date.today())
        elif status in ("done", "cancelled") and exchange.status == "in_progress" and not exchange.moves_personnel:
            for posting in session.scalars(select(Posting).where(Posting.exchange_id == exchange.id,
                                                                 Posting.end_on.is_(None))):
                posting.end_on = max(posting.start, day)
        exchange.status = status


def _start_postings(session: Any, exchange: Exchange, day: dt.date) -> None:
    kind = {"柔性流动": "轮岗"}.get(exchange.form, exchange.form)
    if exchange.moves_personnel:
        for posting in session.scalars(select(Posting).where(
                Posting.teacher_id == exchange.teacher_id, Posting.holds_personnel.is_(True),
                Posting.end_on.is_(None))):
            posting.end_on = max(posting.start, day - dt.timedelta(days=1))
    session.add(Posting(teacher_id=exchange.teacher_id, school_id=exchange.to_school_id, kind=kind,
                        holds_personnel=exchange.moves_personnel, start=day,
                        end_on=None if exchange.moves_personnel else exchange.end_on, exchange_id=exchange.id))


def _cancel_postings(session: Any, exchange: Exchange, day: dt.date) -> None:
    """Undo a started personnel move: the teacher is back at the home school from ``day``.

    * The exchange's open posting at the receiving school ends the day before ``day``; if it
      starts on or after ``day`` (cancelled before a working day there) it is deleted instead,
      since the move never took effect.
    * The home school gets a new personnel posting — the closed one is never reopened, so
      history is not overwritten. It starts on ``day``, or, when the exchange posting was
      deleted, the day after the home posting was closed, so the record has no gap and tenure
      at home carries on (consecutive postings at one school are joined). After a stint that
      did take effect, tenure at home counts from ``day`` (the relationship really moved).
    * When the exchange's posting is no longer open (a later roster import moved the teacher),
      the postings are left as they are: the roster is the more recent truth.
    """
    moved = session.scalars(select(Posting).where(Posting.exchange_id == exchange.id,
                                                  Posting.holds_personnel.is_(True),
                                                  Posting.end_on.is_(None))).all()
    if not moved:
        return
    closed_home = session.scalars(
        select(Posting).where(Posting.teacher_id == exchange.teacher_id, Posting.school_id == exchange.from_school_id,
                              Posting.holds_personnel.is_(True), Posting.end_on.is_not(None),
                              Posting.exchange_id.is_distinct_from(exchange.id))
        .order_by(Posting.end_on.desc(), Posting.start.desc())).first()
    back = day
    for posting in moved:
        if posting.start >= day:
            session.delete(posting)
            if closed_home is not None and closed_home.end_on is not None:
                back = closed_home.end_on + dt.timedelta(days=1)
        else:
            posting.end_on = day - dt.timedelta(days=1)
    session.flush()
    session.add(Posting(teacher_id=exchange.teacher_id, school_id=exchange.from_school_id,
                        kind=closed_home.kind if closed_home is not None else "任职",
                        holds_personnel=True, start=back, end_on=None))


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
