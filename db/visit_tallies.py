"""The quota tallies kept in their own tables (``visit_tally``, ``visit_school_tally``).

Grouping 200,000 activities (400,000 visitor rows) into ``ActivityTally`` / ``SchoolTally``
records takes SQLite about three seconds; the quota dashboard must answer in under one. So
the grouped rows are stored per semester (:class:`~db.models.VisitTally`,
:class:`~db.models.VisitSchoolTally`) and read back in a tenth of a second. They are derived
data, recomputable at any time from the visit tables; nothing else reads them.

How they stay right
    * Every semester stored has a :class:`~db.models.VisitTallyPeriod` row: its dates, the
      tally spec it was grouped for (``policy.quotas.tally_spec`` — which roles and types the
      profile counts) and the *signature* of the visit tables it is current at: row counts of
      ``visit`` and ``visit_participant`` and their latest ``updated_at``.
    * :func:`read_tallies` compares each semester's row with the live signature, spec and
      dates; a mismatch (a bulk load, the demo, another profile, a writer that did not keep the
      tallies) rebuilds that semester from the visit tables, in SQL, before reading.
    * ORM writes of activities (``store.write``: quick entry, edits, deletes) keep them current
      in the same transaction: a ``before_flush`` hook notes the touched activities' visitor
      names and pairing contributions as they were, an ``after_flush`` hook re-tallies those
      visitors in each kept semester, applies the pairing differences and moves the kept
      semesters' signatures on: counts by the rows the write itself added or removed, latest
      ``updated_at`` to the new values. A semester is kept when its stored latest
      ``updated_at`` matched before the write (so writes never count rows); one whose counts
      were already off stays off by as much, i.e. stale, and is rebuilt on read.
    * The same writes and rebuilds add newly logged people to the duty register
      (``db.duty_holders.sync_logged``), so the register is as current as the tallies.
    * Bulk importers call :func:`before_change` / :func:`after_change` around their writes
      (``db.visit_import``); a load too large for that simply leaves the signature behind.
    * Period rows are read ``FOR UPDATE`` (PostgreSQL) by writers and rebuilders, so two of
      them never interleave on one semester; SQLite has one writer at a time anyway.

The grouping SQL is the same for a rebuild, a re-tally of some visitors and the pairing
contributions of some activities (:func:`_person_select`, :func:`_school_selects`), so the
three always agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Join,
    Row,
    Select,
    String,
    and_,
    case,
    delete,
    event,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, UOWTransaction

from db.duty_holders import sync_logged
from db.ids import hex_id, id_text
from db.models import (
    Visit,
    VisitParticipant,
    VisitSchoolTally,
    VisitTally,
    VisitTallyPeriod,
    utcnow,
)
from policy.quotas import ActivityTally, SchoolTally, TallySpec

CHUNK = 500
# An import touching more activities than this leaves the tallies stale (one rebuild on the
# next read is cheaper than re-tallying most visitors one chunk at a time).
INCREMENTAL_LIMIT = 20_000

_V, _P = Visit.__table__, VisitParticipant.__table__
_T, _S, _PERIOD = VisitTally.__table__, VisitSchoolTally.__table__, VisitTallyPeriod.__table__


@dataclasses.dataclass(frozen=True, slots=True)
class Period:
    """A semester as the tallies group it: code and first..last day."""

    code: str
    first: dt.date
    last: dt.date


def spec_json(spec: TallySpec) -> dict[str, Any]:
    """The spec as stored with a period (JSON, order-independent)."""
    return {
        "counted": {role: sorted(types) for role, types in sorted(spec.counted.items())},
        "school_rules": [[rule, None if roles is None else sorted(roles), sorted(types)]
                         for rule, roles, types in spec.school_rules],
    }


def spec_from_json(data: dict[str, Any]) -> TallySpec:
    counted = {role: frozenset(types) for role, types in data["counted"].items()}
    rules = tuple((rule, None if roles is None else frozenset(roles), frozenset(types))
                  for rule, roles, types in data["school_rules"])
    return TallySpec(frozenset(counted), counted, rules)


Signature = tuple[int, int, Any, Any]  # rows in visit, rows in visit_participant, latest updated_at of each


def _latest(connection: Connection) -> tuple[Any, Any]:
    """Latest ``updated_at`` of the visit tables (indexed: instant)."""
    row = connection.execute(select(
        select(func.max(_V.c.updated_at)).scalar_subquery(), select(func.max(_P.c.updated_at)).scalar_subquery(),
    )).one()
    return row[0], row[1]


def signature(connection: Connection) -> Signature:
    """Row counts and latest ``updated_at`` of the visit tables (~10 ms at 400,000 rows)."""
    row = connection.execute(select(
        select(func.count()).select_from(_V).scalar_subquery(),
        select(func.count()).select_from(_P).scalar_subquery(),
    )).one()
    return (row[0], row[1], *_latest(connection))


def _stored_signature(row: Row[Any]) -> Signature:
    return (row.visit_rows, row.participant_rows, row.visit_changed_at, row.participant_changed_at)


# ---------------------------------------------------------------------------------------
# The grouping SQL
# ---------------------------------------------------------------------------------------


def _amount() -> ColumnElement[Any]:
    return func.coalesce(_P.c.lessons, _V.c.lessons, 0)


def _joined() -> Join:
    return _P.join(_V, _V.c.id == _P.c.visit_id)


def _person_select(spec: TallySpec, period: Period, *extra: ColumnElement[bool]) -> Select[Any]:
    """Person tallies of one semester, columns in ``visit_tally`` order (no id)."""
    v, p = _V.c, _P.c
    conditions = [and_(p.role == role, v.activity_type.in_(sorted(types)))
                  for role, types in sorted(spec.counted.items()) if types]
    counted = or_(*conditions) if conditions else false()
    host = case((counted, v.host_school_id), else_=None)
    kind = case((counted, v.activity_type), else_=None)
    return (
        select(literal(period.code, String), p.name, p.role, p.home_school_id, p.teacher_id, host, kind,
               func.count(), func.sum(_amount()), func.min(v.date))
        .select_from(_joined())
        .where(v.date >= period.first, v.date <= period.last, p.role.in_(sorted(spec.roles)), *extra)
        .group_by(p.name, p.role, p.home_school_id, p.teacher_id, host, kind)
    )


def _school_selects(spec: TallySpec, period: Period, *extra: ColumnElement[bool]) -> list[Select[Any]]:
    """Per pairing rule: school tallies of one semester, columns in ``visit_school_tally`` order.

    An activity counts once per sending school; its lessons are the largest figure among that
    school's visitors.
    """
    v, p = _V.c, _P.c
    result = []
    for rule_id, roles, types in spec.school_rules:
        conditions = [v.date >= period.first, v.date <= period.last, v.activity_type.in_(sorted(types)),
                      p.home_school_id.is_not(None), *extra]
        if roles is not None:
            conditions.append(p.role.in_(sorted(roles)))
        per_visit = (
            select(p.home_school_id.label("home"), v.host_school_id.label("host"), func.max(_amount()).label("amount"))
            .select_from(_joined()).where(*conditions)
            .group_by(v.id, p.home_school_id, v.host_school_id)
            .subquery()
        )
        result.append(
            select(literal(rule_id, String), literal(period.code, String), per_visit.c.home, per_visit.c.host,
                   func.count(), func.sum(per_visit.c.amount))
            .group_by(per_visit.c.home, per_visit.c.host)
        )
    return result


_PERSON_COLUMNS = ("semester", "name", "role", "home_school_id", "teacher_id", "host_school_id", "activity_type",
                   "activities", "lessons", "first_on")
_SCHOOL_COLUMNS = ("rule", "semester", "home_school_id", "host_school_id", "activities", "lessons")


def compute_tallies(connection: Connection, spec: TallySpec, periods: Sequence[Period]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Raw grouped rows straight from the visit tables (no stored tallies involved)."""
    people: list[tuple[Any, ...]] = []
    schools: list[tuple[Any, ...]] = []
    for period in periods:
        if spec.roles:
            people.extend(tuple(r) for r in connection.execute(_person_select(spec, period)))
        for query in _school_selects(spec, period):
            schools.extend(tuple(r) for r in connection.execute(query))
    return people, schools


def _rebuild(connection: Connection, spec: TallySpec, period: Period, mark: Signature) -> None:
    connection.execute(delete(_T).where(_T.c.semester == period.code))
    connection.execute(delete(_S).where(_S.c.semester == period.code))
    if spec.roles:
        connection.execute(_T.insert().from_select(_PERSON_COLUMNS, _person_select(spec, period)))
    for query in _school_selects(spec, period):
        connection.execute(_S.insert().from_select(_SCHOOL_COLUMNS, query))
    connection.execute(delete(_PERIOD).where(_PERIOD.c.semester == period.code))
    connection.execute(_PERIOD.insert(), [{
        "semester": period.code, "first_on": period.first, "last_on": period.last, "spec": spec_json(spec),
        "visit_rows": mark[0], "participant_rows": mark[1], "visit_changed_at": mark[2],
        "participant_changed_at": mark[3], "built_at": utcnow(),
    }])


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def cached_date(value: object, cache: dict[object, dt.date]) -> dt.date:
    """A DATE as the driver returned it (SQLite: ISO text; PostgreSQL: a date), converted once per value."""
    found = cache.get(value)
    if found is None:
        found = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        cache[value] = found
    return found


class _Hex:
    """Stored ids as 32 hex digits, whatever the driver returned; cached (few distinct ids)."""

    def __init__(self) -> None:
        self.seen: dict[Any, str | None] = {None: None}

    def __call__(self, value: object) -> str | None:
        found = self.seen.get(value, "")
        if found == "":
            found = self.seen[value] = hex_id(value)
        return found


def ensure_current(engine: Engine, spec: TallySpec, periods: Sequence[Period]) -> list[str]:
    """Rebuild the semesters whose stored tallies are missing or stale; returns their codes."""
    wanted = {p.code: p for p in periods}
    rebuilt = []
    with engine.begin() as connection:
        stored = {row.semester: row for row in connection.execute(
            select(_PERIOD).where(_PERIOD.c.semester.in_(sorted(wanted))).with_for_update())}
        mark = signature(connection)
        expected = spec_json(spec)
        for code, period in wanted.items():
            row = stored.get(code)
            if (row is None or _stored_signature(row) != mark or row.spec != expected
                    or row.first_on != period.first or row.last_on != period.last):
                _rebuild(connection, spec, period, mark)
                rebuilt.append(code)
        if rebuilt:  # the visit tables changed behind the hooks: the duty register catches up too
            sync_logged(connection, spec.roles)
    return rebuilt


def read_tallies(engine: Engine, spec: TallySpec, periods: Sequence[Period]) -> tuple[list[ActivityTally], list[SchoolTally]]:
    """The tallies of ``periods`` from the stored tables (rebuilt first where stale).

    A database that cannot be written (read-only file, a viewer's server account) gets the
    same rows grouped from the visit tables instead.
    """
    try:
        ensure_current(engine, spec, periods)
    except DBAPIError:
        with engine.connect() as connection:
            people, schools = compute_tallies(connection, spec, periods)
        return _records(people, schools)
    codes = sorted(p.code for p in periods)
    t, s = _T.c, _S.c
    tallies: list[ActivityTally] = []
    with engine.connect() as connection:
        # 55,000 rows for 200,000 activities: plain column values, no per-row type processing.
        for code in codes:
            rows = connection.execute(
                select(t.name, t.role, id_text(t.home_school_id), id_text(t.teacher_id),
                       id_text(t.host_school_id), t.activity_type, t.activities, t.lessons,
                       type_coerce(t.first_on, String))
                .where(t.semester == code)).all()
            dates: dict[Any, dt.date] = {}
            for value in {row[8] for row in rows}:
                dates[value] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
            make = tuple.__new__  # ActivityTally(...) goes through a Python-level __new__: 3x slower
            tallies.extend([make(ActivityTally, (code, name, role, home, teacher, host, kind, count, lessons, dates[first]))
                            for name, role, home, teacher, host, kind, count, lessons, first in rows])
        stored = connection.execute(
            select(s.rule, s.semester, id_text(s.home_school_id), id_text(s.host_school_id),
                   s.activities, s.lessons)
            .where(s.semester.in_(codes))).all()
    return tallies, [SchoolTally(*row) for row in stored]


def _records(people: Iterable[Sequence[Any]], schools: Iterable[Sequence[Any]]) -> tuple[list[ActivityTally], list[SchoolTally]]:
    """Rows as computed (driver values) turned into ``policy.quotas`` records."""
    hexed = _Hex()
    dates: dict[Any, dt.date] = {}
    tallies = [
        ActivityTally(code, name, role, hexed(home), hexed(teacher), hexed(host), kind, count, lessons or 0,
                      cached_date(first, dates))
        for code, name, role, home, teacher, host, kind, count, lessons, first in people
    ]
    school_tallies = [
        SchoolTally(rule, code, hexed(home) or "", hexed(host) or "", count, lessons or 0)
        for rule, code, home, host, count, lessons in schools
    ]
    return tallies, school_tallies


# ---------------------------------------------------------------------------------------
# Keeping them current on writes
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Pending:
    """What :func:`before_change` saw: semesters to keep and the touched activities as they were."""

    latest: tuple[Any, Any]  # latest updated_at of the visit tables before the change
    periods: list[tuple[Period, TallySpec]]
    names: dict[str, set[str]]  # semester → visitor names of the touched activities
    schools: dict[tuple[Any, ...], list[int]]  # (rule, semester, home, host) → [activities, lessons]
    rows: list[int]  # [visits, visitor rows] of the touched activities: after − before


def _snapshot(connection: Connection, pending: Pending, ids: Sequence[Any], sign: int) -> None:
    """Add the touched activities' visitor names per semester, their rows and (× ``sign``)
    their pairing contributions."""
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        in_chunk = _V.c.id.in_(chunk)
        dated = connection.execute(
            select(_V.c.id, _V.c.date, _P.c.name, _P.c.id.is_not(None))
            .select_from(_V.outerjoin(_P, _P.c.visit_id == _V.c.id)).where(in_chunk)).all()
        pending.rows[0] += sign * len({row[0] for row in dated})
        pending.rows[1] += sign * sum(1 for row in dated if row[3])
        for period, spec in pending.periods:
            for _vid, day, name, _has in dated:
                if name is not None and period.first <= day <= period.last:
                    pending.names[period.code].add(name)
            for query in _school_selects(spec, period, in_chunk):
                for rule, code, home, host, count, lessons in connection.execute(query):
                    entry = pending.schools.setdefault((rule, code, home, host), [0, 0])
                    entry[0] += sign * count
                    entry[1] += sign * (lessons or 0)


def before_change(connection: Connection, visit_ids: Iterable[Any]) -> Pending | None:
    """Call in the writing transaction before changing activities ``visit_ids`` (ids of
    activities that already exist; new ones need not be named). None: no semester is kept.

    No row counting here (that costs ~10 ms a table): a semester is kept when its stored
    latest ``updated_at`` still match; its stored row counts then move by exactly the rows
    this change adds or removes, so counts that were already off stay off (stale, rebuilt
    on read) and counts that were right stay right.
    """
    rows = connection.execute(select(_PERIOD).with_for_update()).all()
    if not rows:
        return None
    latest = _latest(connection)
    periods = [(Period(r.semester, r.first_on, r.last_on), spec_from_json(r.spec)) for r in rows
               if (r.visit_changed_at, r.participant_changed_at) == latest]
    if not periods:
        return None
    pending = Pending(latest, periods, defaultdict(set), {}, [0, 0])
    _snapshot(connection, pending, sorted(set(visit_ids), key=str), -1)
    return pending


def after_change(connection: Connection, pending: Pending | None, visit_ids: Iterable[Any]) -> None:
    """Call in the same transaction after the change, with every touched activity's id (new
    ones included): re-tallies their visitors, applies the pairing differences, and moves the
    signature of the semesters kept."""
    if pending is None:
        return
    names, schools = pending.names, pending.schools
    touched = sorted(set(visit_ids), key=str)
    _snapshot(connection, pending, touched, +1)
    sync_logged(connection, set().union(*(spec.roles for _period, spec in pending.periods)), touched)
    for period, spec in pending.periods:
        who = sorted(names.get(period.code, ()))
        for start in range(0, len(who), CHUNK):
            chunk = who[start:start + CHUNK]
            connection.execute(delete(_T).where(_T.c.semester == period.code, _T.c.name.in_(chunk)))
            if spec.roles:
                connection.execute(_T.insert().from_select(
                    _PERSON_COLUMNS, _person_select(spec, period, _P.c.name.in_(chunk))))
    s = _S.c
    for (rule, code, home, host), (count, lessons) in schools.items():
        if count == 0 and lessons == 0:
            continue
        key = and_(s.rule == rule, s.semester == code, s.home_school_id == home, s.host_school_id == host)
        done = connection.execute(update(_S).where(key).values(
            activities=s.activities + count, lessons=s.lessons + lessons))
        if done.rowcount == 0:
            connection.execute(_S.insert(), [{"rule": rule, "semester": code, "home_school_id": home,
                                              "host_school_id": host, "activities": count, "lessons": lessons}])
    if schools:
        connection.execute(delete(_S).where(s.activities <= 0))
    visits_latest, people_latest = _latest(connection)
    c = _PERIOD.c
    connection.execute(
        update(_PERIOD)
        .where(c.semester.in_([period.code for period, _spec in pending.periods]),
               c.visit_changed_at == pending.latest[0] if pending.latest[0] is not None else c.visit_changed_at.is_(None),
               c.participant_changed_at == pending.latest[1] if pending.latest[1] is not None
               else c.participant_changed_at.is_(None))
        .values(visit_rows=c.visit_rows + pending.rows[0], participant_rows=c.participant_rows + pending.rows[1],
                visit_changed_at=visits_latest, participant_changed_at=people_latest))


# ORM writes (store.write sessions): the hooks find the touched activities themselves.

_PENDING = "visit_tallies.pending"


def _touched(session: Session, new_visits: bool) -> tuple[bool, set[Any]]:
    """Whether the flush changes activities, and the ids of those it touches (with the ids of
    new activities only when ``new_visits``: before the flush they are not in the tables)."""
    found, ids = False, set()
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Visit):
            found = True
            if new_visits or obj not in session.new:
                ids.add(obj.id)
        elif isinstance(obj, VisitParticipant):
            found = True
            ids.add(obj.visit_id)
            ids.update(inspect(obj).attrs.visit_id.history.deleted or ())
            visit = obj.__dict__.get("visit")  # never lazy-load inside a flush
            if visit is not None:
                ids.add(visit.id)
    ids.discard(None)
    return found, ids


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    found, ids = _touched(session, new_visits=False)
    if found:
        session.info[_PENDING] = before_change(session.connection(), ids)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    if _PENDING not in session.info:
        return
    pending = session.info.pop(_PENDING)
    if pending is not None:
        _found, ids = _touched(session, new_visits=True)
        after_change(session.connection(), pending, ids)
