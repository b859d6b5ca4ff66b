"""Exchanges carried out by their dates: postings, cancelling, ending early, extending, listing.

Carrying out happens when an exchange is approved (a plan's approval, or a recorded
exchange): its postings are written then, with their future dates, so anything read "as of
a day" — eligibility, the roster, the annual report, the 公示 — sees the teacher where the
approved exchanges put him on that day, and nothing has to run when the start date comes.

* A personnel move (轮岗 with 人事关系调动) ends the teacher's personnel posting the day
  before its start and opens one at the receiving school (tenure restarts there).
* A temporary form adds a stint at the receiving school ending on the exchange's end; the
  personnel posting stays, so the teacher is at home again afterwards.

Cancelling, ending early and extending adjust those postings in one audited write and
append an :class:`ExchangeEvent`; the exchange row keeps the end as approved
(``planned_end``), so the history is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from db.bulk import insert_rows
from db.engine import StoreError
from db.models import Exchange, ExchangeEvent, Posting, School, Teacher, utcnow
from db.store import Store
from policy.calendar import Span
from policy.exchange_forms import CANCELLED, PLANNED, status_label, status_on
from policy.profile import Profile


class ExchangeError(StoreError):
    """A change the exchange's dates or state do not allow; the message says why."""


def posting_kind(form: str) -> str:
    """The posting kind a form's stint is recorded as (柔性流动 and 轮岗 both as 轮岗)."""
    return "轮岗" if form in ("轮岗", "柔性流动") else form


def materialise(connection: Connection, exchanges: Sequence[dict[str, Any]], now: dt.datetime) -> int:
    """Write the dated postings of approved ``exchanges`` (dicts with id, teacher_id,
    to_school_id, form, start, end_on, moves_personnel); returns how many were written.

    A posting the roster already holds (the same teacher, school, personnel flag and start,
    e.g. a past move imported with the roster) is linked to the exchange, not duplicated.
    """
    p = Posting.__table__
    teachers = list({e["teacher_id"] for e in exchanges})
    existing: dict[tuple[Any, Any, bool, dt.date], Any] = {}
    # Each teacher's personnel postings: [id, start, end_on], to close them by id below.
    personnel: dict[Any, list[list[Any]]] = defaultdict(list)
    for begin in range(0, len(teachers), 500):
        for row in connection.execute(select(p.c.id, p.c.teacher_id, p.c.school_id, p.c.holds_personnel, p.c.start,
                                             p.c.end_on)
                                      .where(p.c.teacher_id.in_(teachers[begin:begin + 500]))):
            existing[(row.teacher_id, row.school_id, bool(row.holds_personnel), _day(row.start))] = row.id
            if row.holds_personnel:
                personnel[row.teacher_id].append(
                    [row.id, _day(row.start), None if row.end_on is None else _day(row.end_on)])
    # Personnel stints a move ends the day before its start: those starting earlier and not
    # ended before it, applied in the exchanges' order (as one UPDATE per move would), then
    # written as one UPDATE by id (the write guard reads their before-images in one query).
    closes: dict[Any, dict[str, Any]] = {}
    links, inserts = [], []
    for e in exchanges:
        if e["start"] is None:
            continue
        found = existing.get((e["teacher_id"], e["to_school_id"], bool(e["moves_personnel"]), e["start"]))
        if found is not None:
            links.append({"b_id": found, "exchange_id": e["id"], "updated_at": now})
            continue
        if e["moves_personnel"]:
            for stint in personnel.get(e["teacher_id"], ()):
                if stint[1] < e["start"] and (stint[2] is None or stint[2] >= e["start"]):
                    stint[2] = e["start"] - dt.timedelta(days=1)
                    closes[stint[0]] = {"b_id": stint[0], "close": stint[2], "updated_at": now}
        inserts.append({"id": uuid.uuid4(), "teacher_id": e["teacher_id"], "school_id": e["to_school_id"],
                        "kind": posting_kind(e["form"]), "holds_personnel": bool(e["moves_personnel"]),
                        "start": e["start"], "end_on": None if e["moves_personnel"] else e["end_on"],
                        "exchange_id": e["id"], "created_at": now, "updated_at": now})
    if closes:
        connection.execute(p.update().where(p.c.id == bindparam("b_id"))
                           .values(end_on=bindparam("close"), updated_at=bindparam("updated_at")),
                           list(closes.values()))
    if links:
        connection.execute(p.update().where(p.c.id == bindparam("b_id"))
                           .values(exchange_id=bindparam("exchange_id"), updated_at=bindparam("updated_at")), links)
    insert_rows(connection, p, inserts)
    return len(inserts) + len(links)


def _day(value: str | dt.date) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _event(session: Session, store: Store, exchange: Exchange, action: str, on: dt.date, before: dt.date | None,
           after: dt.date | None, note: str | None) -> None:
    session.add(ExchangeEvent(exchange_id=exchange.id, action=action, on=on, end_before=before, end_after=after,
                              actor=store.actor.username, note=note))


def _open_exchange(session: Session, exchange_id: uuid.UUID) -> Exchange:
    # Two clerks at once: a write first takes SQLite's lock (the row's on PostgreSQL) before
    # anything is read, so the second one reads the first one's result.
    table = Exchange.__table__
    session.execute(update(table).where(table.c.id == exchange_id).values(updated_at=utcnow()))
    exchange = session.get(Exchange, exchange_id, populate_existing=True)
    if exchange is None:
        raise ExchangeError("找不到该交流记录")
    if exchange.status == PLANNED:
        raise ExchangeError("该交流还在计划草案中，尚未批准：请在年度交流计划中修改或移出")
    if exchange.status == CANCELLED:
        raise ExchangeError(f"该交流已于 {exchange.cancelled_on or '—'} 取消")
    return exchange


def cancel_exchange(store: Store, exchange_id: uuid.UUID, on: dt.date, reason: str | None = None) -> None:
    """Cancel an approved exchange from ``on`` (the first day it no longer holds).

    Before its start: its postings are removed (it never took effect) and a personnel move's
    teacher stays at home with tenure carrying on (a home posting continues the closed one
    without a gap; the closed one is not reopened). During it: the stint ends the day before
    ``on``; a personnel move's teacher is back at the home school from ``on``.

    Raises:
        ExchangeError: unknown, still in a draft, already cancelled, or already over by ``on``.
    """
    with store.write(f"取消交流（{on.isoformat()}起）") as session:
        exchange = _open_exchange(session, exchange_id)
        if exchange.end_on is not None and on > exchange.end_on and not exchange.moves_personnel:
            raise ExchangeError(f"该交流已于 {exchange.end_on} 结束，不能再取消（可查看历史记录）")
        postings = session.scalars(select(Posting).where(Posting.exchange_id == exchange.id)).all()
        took_effect = exchange.start is not None and on > exchange.start
        for posting in postings:
            if posting.start >= on:
                session.delete(posting)
            elif Span(posting.start, posting.end_on).contains(on):
                posting.end_on = on - dt.timedelta(days=1)
        if exchange.moves_personnel and postings:
            session.flush()
            back = on if took_effect else _day_after_home(session, exchange) or on
            session.add(Posting(teacher_id=exchange.teacher_id, school_id=exchange.from_school_id, kind="任职",
                                holds_personnel=True, start=back, end_on=None))
        exchange.status = CANCELLED
        exchange.cancelled_on = on
        _event(session, store, exchange, "取消", on, exchange.end_on, exchange.end_on, reason)


def _day_after_home(session: Session, exchange: Exchange) -> dt.date | None:
    """The day after the home personnel posting this move closed (so tenure runs on)."""
    closed = session.scalars(
        select(Posting).where(Posting.teacher_id == exchange.teacher_id, Posting.school_id == exchange.from_school_id,
                              Posting.holds_personnel.is_(True), Posting.end_on.is_not(None),
                              Posting.exchange_id.is_distinct_from(exchange.id))
        .order_by(Posting.end_on.desc())).first()
    return None if closed is None or closed.end_on is None else closed.end_on + dt.timedelta(days=1)


def end_exchange(store: Store, exchange_id: uuid.UUID, last_day: dt.date, reason: str | None = None) -> None:
    """End an exchange early: ``last_day`` is its last day (before the end in force).

    A temporary stint ends on ``last_day``; a personnel move's teacher is back at the home
    school from the next day (a new home posting; tenure there counts from then).

    Raises:
        ExchangeError: unknown, draft, cancelled, ``last_day`` before the start or not earlier
            than the end in force.
    """
    with store.write(f"提前结束交流（最后一天 {last_day.isoformat()}）") as session:
        exchange = _open_exchange(session, exchange_id)
        if exchange.start is not None and last_day < exchange.start:
            raise ExchangeError(f"最后一天 {last_day} 早于开始日期 {exchange.start}：尚未开始的交流请取消")
        if exchange.end_on is not None and last_day >= exchange.end_on:
            raise ExchangeError(f"最后一天 {last_day} 不早于现在的结束日期 {exchange.end_on}：延长请用“延期”")
        for posting in session.scalars(select(Posting).where(Posting.exchange_id == exchange.id)):
            if posting.end_on is None or posting.end_on > last_day:
                posting.end_on = last_day
        if exchange.moves_personnel:
            session.add(Posting(teacher_id=exchange.teacher_id, school_id=exchange.from_school_id, kind="任职",
                                holds_personnel=True, start=last_day + dt.timedelta(days=1), end_on=None))
        before = exchange.end_on
        exchange.end_on = last_day
        _event(session, store, exchange, "提前结束", last_day, before, last_day, reason)


def extend_exchange(store: Store, exchange_id: uuid.UUID, until: dt.date, profile: Profile,
                    reason: str | None = None) -> str | None:
    """Extend an exchange to ``until`` (its new last day); returns a note when the new term
    is longer than the form's term in the profile (said, not refused: the bureau decides).

    Raises:
        ExchangeError: unknown, draft, cancelled, or ``until`` not later than the end in force.
    """
    with store.write(f"交流延期至 {until.isoformat()}") as session:
        exchange = _open_exchange(session, exchange_id)
        if exchange.end_on is not None and until <= exchange.end_on:
            raise ExchangeError(f"新的结束日期 {until} 不晚于现在的结束日期 {exchange.end_on}")
        if exchange.start is not None and until < exchange.start:
            raise ExchangeError(f"新的结束日期 {until} 早于开始日期 {exchange.start}")
        for posting in session.scalars(select(Posting).where(Posting.exchange_id == exchange.id,
                                                             Posting.holds_personnel.is_(False))):
            posting.end_on = until
        before = exchange.end_on
        exchange.end_on = until
        _event(session, store, exchange, "延期", until, before, until, reason)
        return term_note(profile, exchange.form, exchange.start, until)


def term_note(profile: Profile, form: str, start: dt.date | None, end: dt.date | None) -> str | None:
    """A sentence when ``start``–``end`` is longer than the form's term, else None."""
    from policy.exchange_forms import add_months

    rule = profile.exchange_forms.get(form)
    if rule is None or start is None or end is None or end < add_months(start, rule.term_months):
        return None
    return f"{form}期限超过政策规定的 {rule.term_months} 个月（{rule.clause}）"


def exchange_list(store: Store, on: dt.date, *, year: int | None = None, school: str | None = None,
                  teacher: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Exchanges with their status on ``on``, filtered by school year, school (code or name,
    either side), teacher (ID number or name) and derived status; by year, teacher, start."""
    e, t, s = Exchange.__table__, Teacher.__table__, School.__table__
    src, dst = s.alias("src"), s.alias("dst")
    query = (select(e.c.id, t.c.id_number, t.c.name, src.c.code.label("from_code"), src.c.name.label("from_name"),
                    dst.c.code.label("to_code"), dst.c.name.label("to_name"), e.c.form, e.c.school_year, e.c.start,
                    e.c.end_on, e.c.planned_end, e.c.cancelled_on, e.c.moves_personnel, e.c.status,
                    e.c.days_per_week, e.c.notes, e.c.plan_id)
             .join(t, t.c.id == e.c.teacher_id).join(src, src.c.id == e.c.from_school_id)
             .join(dst, dst.c.id == e.c.to_school_id)
             .order_by(e.c.school_year, t.c.id_number, e.c.start))
    if year is not None:
        query = query.where(e.c.school_year == year)
    if school:
        query = query.where(or_(src.c.code == school, src.c.name == school, dst.c.code == school,
                                dst.c.name == school))
    if teacher:
        query = query.where(or_(t.c.id_number == teacher.upper(), t.c.name == teacher))
    result = []
    with store.read() as session:
        for row in session.connection().execute(query):
            record = dict(row._mapping)
            for key in ("start", "end_on", "planned_end", "cancelled_on"):
                record[key] = None if record[key] is None else _day(record[key])
            key = status_on(record["status"], record["start"], record["end_on"], record["planned_end"],
                            record["cancelled_on"], bool(record["moves_personnel"]), on)
            if status is not None and key != status:
                continue
            record["state"] = key
            record["state_label"] = status_label(key, record["end_on"], record["planned_end"])
            result.append(record)
    return result


def events_of(store: Store, teacher_id: uuid.UUID) -> list[dict[str, Any]]:
    """The dated history of a teacher's exchanges, oldest first."""
    ev, e = ExchangeEvent.__table__, Exchange.__table__
    with store.read() as session:
        rows = session.connection().execute(
            select(ev.c.exchange_id, ev.c.action, ev.c.on, ev.c.end_before, ev.c.end_after, ev.c.actor, ev.c.note,
                   ev.c.created_at)
            .join(e, e.c.id == ev.c.exchange_id).where(and_(e.c.teacher_id == teacher_id))
            .order_by(ev.c.created_at))
        return [dict(r._mapping) for r in rows]


def approval_events(exchange_ids: Sequence[Any], on_of: dict[Any, dt.date], actor: str, action: str,
                    now: dt.datetime) -> list[dict[str, Any]]:
    """Event rows for a bulk approval or recording (Core inserts)."""
    return [{"id": uuid.uuid4(), "exchange_id": i, "action": action, "on": on_of[i], "end_before": None,
             "end_after": None, "actor": actor, "note": None, "created_at": now, "updated_at": now}
            for i in exchange_ids]
