"""Read-only queries behind the 教师与交流 page: id lists, row pages, one teacher's history.

The roster table holds only ids (from :func:`roster_ids`, ordered and filtered in SQL) and
fetches rows a page at a time (:func:`roster_rows`), so 50,000 teachers stay smooth.
Ids are the stored text form (as in :func:`db.teachers.load_records`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, FromClause, and_, or_, select
from sqlalchemy.orm import Session

from db.ids import id_text
from db.models import (
    Exchange,
    ExchangeEvent,
    Exemption,
    Pairing,
    Posting,
    School,
    Teacher,
    TeacherDesignation,
    TrainingRecord,
)
from db.spans import holds_on
from db.store import Store
from policy import vocab
from policy.exchange_forms import status_label, status_on

SORT_COLUMNS = ("id_number", "name", "gender", "subject", "title", "backbone_level", "school")


def in_force(postings: FromClause, on: dt.date | None = None) -> ColumnElement[bool]:
    """The SQL condition "this posting holds on ``on``" (default today).

    Postings are written when an exchange is approved, with their future dates (db.exchanges):
    "the open posting" (``end_on IS NULL``) may not have begun yet, so every reader of where a
    teacher works asks for the day instead.
    """
    day = on or dt.date.today()
    return holds_on(postings.c.start, day, last=postings.c.end_on)


def roster_ids(store: Store, search: str = "", order: str = "id_number", descending: bool = False) -> list[str]:
    """Teacher ids matching ``search`` (name, ID number, school name/code or subject), ordered."""
    t, p, s = Teacher.__table__, Posting.__table__, School.__table__
    joined = t.outerjoin(p, and_(p.c.teacher_id == t.c.id, in_force(p), p.c.holds_personnel.is_(True)))
    joined = joined.outerjoin(s, s.c.id == p.c.school_id)
    query = select(id_text(t.c.id)).select_from(joined)
    text = search.strip()
    if text:
        like = f"%{text}%"
        # Any open posting, so a teacher on a stint is found by that school too.
        working, place = p.alias("working"), s.alias("place")
        stint = (select(working.c.teacher_id).join(place, place.c.id == working.c.school_id)
                 .where(in_force(working), or_(place.c.name.like(like), place.c.code.like(like))))
        subject = vocab.SUBJECT_ALIASES.get(text.replace(" ", ""), text)  # 道法 finds 道德与法治
        query = query.where(or_(t.c.name.like(like), t.c.id_number.like(like.upper()), t.c.subject.like(like),
                                t.c.subject == subject, t.c.id.in_(stint)))
    column = s.c.name if order == "school" else t.c[order] if order in SORT_COLUMNS else t.c.id_number
    query = query.order_by(column.desc() if descending else column, t.c.id_number)
    with store.read() as session:
        seen: set[str] = set()
        result = []
        for (teacher_id,) in session.connection().execute(query):
            if teacher_id not in seen:  # a teacher with two open personnel postings appears once
                seen.add(teacher_id)
                result.append(teacher_id)
        return result


@dataclasses.dataclass(frozen=True, slots=True)
class SearchIndex:
    """The roster as its search sees it, in roster order: one lower-case text per teacher
    (name, ID number, subject, every in-force school's name and code) laid end to end in
    ``blob``, each starting at ``starts[n]``, so a search is ``str.find`` in C over one string."""

    ids: list[str]
    blob: str
    starts: list[int]
    by_subject: dict[str, list[int]]  # subject → positions in ``ids`` (the alias search)


def roster_search_index(store: Store, order: str = "id_number", descending: bool = False) -> SearchIndex:
    """Every teacher in roster order with what :func:`roster_ids` searches, read once (off the
    GUI thread), so the page filters while the clerk types without a query per keystroke
    (50,000 teachers: ~10 ms in Python against several hundred in SQL). :func:`search_index`
    filters it.

    One query, the roster's own (same joins and order as :func:`roster_ids`, with the texts),
    plus the schools of in-force postings without personnel (stints: a few rows).
    """
    t, p, s = Teacher.__table__, Posting.__table__, School.__table__
    joined = t.outerjoin(p, and_(p.c.teacher_id == t.c.id, in_force(p), p.c.holds_personnel.is_(True)))
    joined = joined.outerjoin(s, s.c.id == p.c.school_id)
    column = s.c.name if order == "school" else t.c[order] if order in SORT_COLUMNS else t.c.id_number
    query = (select(id_text(t.c.id), t.c.name, t.c.id_number, t.c.subject, s.c.name, s.c.code).select_from(joined)
             .order_by(column.desc() if descending else column, t.c.id_number))
    stints = (select(id_text(p.c.teacher_id), s.c.name, s.c.code).join(s, s.c.id == p.c.school_id)
              .where(in_force(p), p.c.holds_personnel.is_(False)))
    with store.read() as session:
        connection = session.connection()
        rows = connection.execute(query).all()
        places: dict[str, list[str]] = {}
        for teacher_id, name, code in connection.execute(stints):
            places.setdefault(teacher_id, []).extend((name or "", code or ""))
    from db.gc_pause import gc_paused

    with gc_paused():  # 50,000 records without cycles: the collector would walk them again and again
        parts: dict[str, list[str]] = {}
        subjects: dict[str, str] = {}
        for teacher_id, name, id_number, subject, school, code in rows:
            if teacher_id not in parts:  # a teacher with two open personnel postings appears once
                parts[teacher_id] = [name, id_number, subject or "", *places.get(teacher_id, ())]
                subjects[teacher_id] = subject or ""
            parts[teacher_id] += (school or "", code or "")
        ids = list(parts)
        texts = ["\x1f".join(parts[i]).lower() for i in ids]
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        by_subject: dict[str, list[int]] = {}
        for position, teacher_id in enumerate(ids):
            by_subject.setdefault(subjects[teacher_id], []).append(position)
        return SearchIndex(ids, "\n".join(texts), starts, by_subject)


def search_index(index: SearchIndex, search: str) -> list[str]:
    """The ids of ``index`` (in its order) that :func:`roster_ids` would find for ``search``."""
    import bisect

    text = search.strip()
    if not text:
        return list(index.ids)
    needle = text.lower()
    found: set[int] = set()
    blob, starts = index.blob, index.starts
    at = blob.find(needle)
    while at >= 0:
        position = bisect.bisect_right(starts, at) - 1
        found.add(position)
        if position + 1 >= len(starts):
            break
        at = blob.find(needle, starts[position + 1])  # the next teacher's text
    subject = vocab.SUBJECT_ALIASES.get(text.replace(" ", ""), text)
    found.update(index.by_subject.get(subject, ()))
    return [index.ids[position] for position in sorted(found)]


@dataclasses.dataclass(frozen=True, slots=True)
class RosterRow:
    id: str
    id_number: str
    name: str
    gender: str
    subject: str | None
    title: str | None
    backbone_level: str | None
    school: str | None
    school_code: str | None


def roster_rows(store: Store, ids: Sequence[str]) -> dict[str, RosterRow]:
    """The rows of ``ids`` (one query; call with a page of a few hundred)."""
    if not ids:
        return {}
    t, p, s = Teacher.__table__, Posting.__table__, School.__table__
    joined = t.outerjoin(p, and_(p.c.teacher_id == t.c.id, in_force(p), p.c.holds_personnel.is_(True)))
    joined = joined.outerjoin(s, s.c.id == p.c.school_id)
    query = (select(id_text(t.c.id), t.c.id_number, t.c.name, t.c.gender, t.c.subject, t.c.title, t.c.backbone_level,
                    s.c.name, s.c.code).select_from(joined)
             .where(t.c.id.in_([uuid.UUID(i) for i in ids])))
    with store.read() as session:
        return {row[0]: RosterRow(*row) for row in session.connection().execute(query)}


class MentoringLine(NamedTuple):
    """One 师徒结对 of a teacher, seen from that teacher."""

    role: str  # the teacher's part in it: 师傅 or 徒弟
    partner: str  # the other one's name (a 师傅 may be registered by name only)
    school: str  # the other one's school: stored with the pairing, else their personnel school today ("" unknown)
    start: dt.date
    end: dt.date | None


@dataclasses.dataclass(slots=True)
class TeacherDetail:
    row: RosterRow
    birth_date: dt.date
    started_teaching: dt.date | None
    position: str  # 职务
    position_since: dt.date | None  # 任现职时间
    postings: list[tuple[str, str, bool, dt.date, dt.date | None]]  # school, kind, personnel, start, end
    # year, from, to, form, personnel, status label today, start, end in force
    exchanges: list[tuple[int, str, str, str, bool, str, dt.date | None, dt.date | None]]
    exemptions: list[tuple[str, str, dt.date, dt.date | None]]  # reason, evidence, start, end
    history: list[tuple[dt.date, str, str]] = dataclasses.field(default_factory=list)  # day, action, what
    training: list[tuple[dt.date, str, float, bool]] = dataclasses.field(default_factory=list)  # day, course, hours, 专项
    designations: list[tuple[str, dt.date, dt.date | None]] = dataclasses.field(default_factory=list)  # kind, start, end
    mentoring: list[MentoringLine] = dataclasses.field(default_factory=list)  # as 师傅 and as 徒弟, by start


def teacher_detail(store: Store, teacher_id: str) -> TeacherDetail | None:
    key = uuid.UUID(teacher_id)
    rows = roster_rows(store, [key.hex])  # keyed as db.ids.id_text reads ids, whichever form was passed
    if key.hex not in rows:
        return None
    with store.read() as session:
        teacher = session.get(Teacher, key)
        if teacher is None:
            return None
        names = dict(session.execute(select(School.id, School.name)).all())
        postings = [(names.get(p.school_id, "?"), p.kind, p.holds_personnel, p.start, p.end_on)
                    for p in session.scalars(select(Posting).where(Posting.teacher_id == key).order_by(Posting.start))]
        today = dt.date.today()
        stored = session.scalars(select(Exchange).where(Exchange.teacher_id == key)
                                 .order_by(Exchange.school_year, Exchange.start)).all()
        exchanges = [(e.school_year, names.get(e.from_school_id, "?"), names.get(e.to_school_id, "?"), e.form,
                      e.moves_personnel,
                      status_label(status_on(e.status, e.start, e.end_on, e.planned_end, e.cancelled_on,
                                             e.moves_personnel, today), e.end_on, e.planned_end),
                      e.start, e.end_on) for e in stored]
        where = {e.id: f"{names.get(e.to_school_id, '?')} {e.form}" for e in stored}
        history = [(ev.on, ev.action, where.get(ev.exchange_id, "")
                    + (f"，结束日期 {ev.end_before or '—'} → {ev.end_after}" if ev.action in ("提前结束", "延期") else "")
                    + (f"（{ev.note}）" if ev.note else "") + f"　{ev.actor}")
                   for ev in session.scalars(select(ExchangeEvent).where(ExchangeEvent.exchange_id.in_(list(where)))
                                             .order_by(ExchangeEvent.created_at))] if where else []
        exemptions = [(x.reason, x.evidence, x.start, x.end_on)
                      for x in session.scalars(select(Exemption).where(Exemption.teacher_id == key)
                                               .order_by(Exemption.start))]
        training = [(t.completed_on, t.course, t.hours, t.special) for t in session.scalars(
            select(TrainingRecord).where(TrainingRecord.teacher_id == key).order_by(TrainingRecord.completed_on))]
        designations = [(d.kind, d.start, d.end_on) for d in session.scalars(
            select(TeacherDesignation).where(TeacherDesignation.teacher_id == key).order_by(TeacherDesignation.start))]
        pairs = session.execute(select(Pairing.supporter_teacher_id, Pairing.supporter_name,
                                       Pairing.supporter_school_id, Pairing.target_teacher_id,
                                       Pairing.target_school_id, Pairing.start, Pairing.end)
                                .where(Pairing.kind == vocab.MENTORING,
                                       or_(Pairing.target_teacher_id == key, Pairing.supporter_teacher_id == key))
                                .order_by(Pairing.start)).all()
        detail = TeacherDetail(rows[key.hex], teacher.birth_date, teacher.started_teaching, teacher.position,
                               teacher.position_since, postings, exchanges, exemptions, history, training,
                               designations)
    detail.mentoring = _mentoring_lines(store, key, pairs, names)
    return detail


def _mentoring_lines(store: Store, key: uuid.UUID, pairs: Sequence[Any],
                     school_names: dict[uuid.UUID, str]) -> list[MentoringLine]:
    """The teacher's 师徒结对 seen from them: the partner's name and school (the one stored
    with the pairing, else where the partner's personnel relationship is today)."""
    def side(pair: Any) -> tuple[str, uuid.UUID | None, uuid.UUID | None, str | None]:
        if pair.target_teacher_id == key:  # a 徒弟: the partner is the 师傅, maybe registered by name only
            return "徒弟", pair.supporter_teacher_id, pair.supporter_school_id, pair.supporter_name
        return "师傅", pair.target_teacher_id, pair.target_school_id, None

    sides = [side(pair) for pair in pairs]
    partners = roster_rows(store, [other.hex for _role, other, _school, _name in sides if other is not None])
    lines = []
    for pair, (role, other, school_id, typed) in zip(pairs, sides, strict=True):
        found = partners.get(other.hex) if other is not None else None
        school = school_names.get(school_id, "") if school_id is not None else (found.school or "" if found else "")
        lines.append(MentoringLine(role, typed or (found.name if found else ""), school, pair.start, pair.end))
    return lines


def unique_teacher(session: Session, name: str, school_id: uuid.UUID) -> uuid.UUID | None:
    """The teacher of that name ever posted at that school, when exactly one is (a visitor or a
    duty holder typed by name is linked to a roster record only when it cannot be the wrong one)."""
    ids = set(session.scalars(
        select(Teacher.id).join(Posting, Posting.teacher_id == Teacher.id)
        .where(Teacher.name == name, Posting.school_id == school_id)))
    return next(iter(ids)) if len(ids) == 1 else None
