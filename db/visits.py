"""Assistance activities (帮扶活动): saving, completion sources, pairings, summaries, quotas.

Reads for the quota table are done with Core selects that return raw column text (ids as
32-digit hex, dates as ISO text on SQLite) and are turned into ``policy.quotas`` records
here: a school year of 200,000 activities loads in well under a second. Every id handed to
``policy`` is ``uuid.hex`` so ORM and Core reads agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import mimetypes
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, func, or_, select, type_coerce

from db.engine import StoreError
from db.models import (
    Attachment,
    Cluster,
    Membership,
    Pairing,
    Posting,
    School,
    SemesterSummary,
    Teacher,
    Visit,
    VisitParticipant,
)
from db.store import Store
from policy import vocab
from policy.calendar import Semester, school_year_bounds, semester_of
from policy.profile import Profile
from policy.quotas import (
    TEACHER_ROLES,
    ClusterRec,
    PairingRec,
    Participant,
    QuotaRow,
    TeacherRec,
    VisitRec,
    quota_table,
)


def hex_id(value: Any) -> str | None:
    """A stored id as 32 hex digits, whatever the driver returned (str, UUID or None)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.hex
    text = str(value)
    return text.replace("-", "") if len(text) == 36 else text


def _date(value: Any, cache: dict[Any, dt.date]) -> dt.date:
    found = cache.get(value)
    if found is None:
        found = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        cache[value] = found
    return found


# ---------------------------------------------------------------------------------------
# Quota inputs
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class QuotaInputs:
    """Everything ``policy.quotas.quota_table`` needs for one school year."""

    school_year: int
    visits: list[VisitRec]
    pairings: list[PairingRec]
    clusters: list[ClusterRec]
    teachers: list[TeacherRec]
    summaries: set[tuple[str, str]]
    school_names: dict[str, str]
    school_codes: dict[str, str]


def load_visits(store: Store, first: dt.date, last: dt.date) -> list[VisitRec]:
    """Activities dated ``first``..``last`` with their visitors (fast Core read)."""
    v, p = Visit.__table__.c, VisitParticipant.__table__.c
    query = (
        select(
            type_coerce(v.id, String), type_coerce(v.date, String), type_coerce(v.host_school_id, String),
            v.activity_type, v.lessons, p.name, p.role, type_coerce(p.home_school_id, String),
            type_coerce(p.teacher_id, String), p.lessons,
        )
        .select_from(Visit.__table__.join(VisitParticipant.__table__, p.visit_id == v.id, isouter=True))
        .where(v.date >= first, v.date <= last)
        .order_by(v.id)
    )
    result: list[VisitRec] = []
    dates: dict[Any, dt.date] = {}
    ids: dict[Any, str | None] = {None: None}
    current: Any = None
    people: list[Participant] = []
    head: tuple[Any, ...] = ()

    def flush() -> None:
        result.append(VisitRec(head[0], _date(head[1], dates), head[2], head[3], head[4] or 0, tuple(people)))

    with store.engine.connect() as connection:
        rows = connection.execute(query)
        for vid, date, host, kind, lessons, name, role, home, teacher, own in rows:
            if vid != current:
                if current is not None:
                    flush()
                current = vid
                people = []
                host_id = ids.get(host) or ids.setdefault(host, hex_id(host))
                head = (hex_id(vid), date, host_id, kind, lessons)
            if name is not None:
                home_id = ids[home] if home in ids else ids.setdefault(home, hex_id(home))
                teacher_id = ids[teacher] if teacher in ids else ids.setdefault(teacher, hex_id(teacher))
                people.append(Participant(name, role, home_id, teacher_id, own))
        if current is not None:
            flush()
    return result


def load_quota_inputs(store: Store, profile: Profile, school_year: int) -> QuotaInputs:
    """Visits, pairings, clusters, teachers and summaries of one school year."""
    first, last = school_year_bounds(school_year, profile.calendar)
    visits = load_visits(store, first, last)
    with store.read() as session:
        schools = session.execute(select(School.id, School.name, School.code)).all()
        school_names = {s.id.hex: s.name for s in schools}
        school_codes = {s.id.hex: s.code for s in schools}
        pairings = [
            PairingRec(
                id=p.id.hex, kind=p.kind, start=p.start, end=p.end,
                supporter_school=hex_id(p.supporter_school_id), supporter_teacher=hex_id(p.supporter_teacher_id),
                supporter_name=p.supporter_name, cluster=hex_id(p.cluster_id), target_school=hex_id(p.target_school_id),
            )
            for p in session.scalars(select(Pairing).where(Pairing.start <= last, or_(Pairing.end.is_(None), Pairing.end >= first)))
        ]
        pairings = _resolve_target_teachers(session, pairings, last)
        members: dict[str, set[str]] = defaultdict(set)
        for cluster_id, school_id in session.execute(
            select(Membership.cluster_id, Membership.school_id).where(
                Membership.joined <= last, or_(Membership.left_on.is_(None), Membership.left_on >= first))
        ):
            members[cluster_id.hex].add(school_id.hex)
        clusters = []
        for c in session.scalars(select(Cluster)):
            schools_of = set(members.get(c.id.hex, ()))
            if c.lead_school_id:
                schools_of.add(c.lead_school_id.hex)
            clusters.append(ClusterRec(c.id.hex, c.name, frozenset(schools_of), c.founded, c.dissolved))
        teachers = _quota_teachers(session, first, last)
        codes = (f"{school_year}-1", f"{school_year}-2")
        summaries = {
            (cid.hex, code)
            for cid, code in session.execute(
                select(SemesterSummary.cluster_id, SemesterSummary.semester).where(SemesterSummary.semester.in_(codes)))
        }
    return QuotaInputs(school_year, visits, pairings, clusters, teachers, summaries, school_names, school_codes)


def _resolve_target_teachers(session: Any, pairings: list[PairingRec], last: dt.date) -> list[PairingRec]:
    """A pairing with a rural teacher covers that teacher's school (as of the period's end)."""
    wanted = {
        p.id for p in pairings if p.target_school is None and p.cluster is None
    }
    if not wanted:
        return pairings
    rows = session.execute(select(Pairing.id, Pairing.target_teacher_id).where(Pairing.target_teacher_id.is_not(None)))
    target_teacher = {pid.hex: tid for pid, tid in rows if pid.hex in wanted}
    result = []
    for pairing in pairings:
        teacher_id = target_teacher.get(pairing.id)
        if teacher_id is not None:
            posting = session.scalars(
                select(Posting).where(Posting.teacher_id == teacher_id, Posting.start <= last).order_by(Posting.start.desc())
            ).first()
            if posting is not None:
                pairing = dataclasses.replace(pairing, target_school=posting.school_id.hex)
        result.append(pairing)
    return result


def _quota_teachers(session: Any, first: dt.date, last: dt.date) -> list[TeacherRec]:
    """Teachers whose position or backbone level carries a quota, with their school then."""
    keys = tuple(TEACHER_ROLES)
    query = (
        select(Teacher.id, Teacher.name, Teacher.position, Teacher.backbone_level, Posting.school_id, Posting.start)
        .join(Posting, Posting.teacher_id == Teacher.id)
        .where(
            or_(Teacher.position.in_(keys), Teacher.backbone_level.in_(keys)),
            Posting.start <= last, or_(Posting.end_on.is_(None), Posting.end_on >= first),
            Posting.holds_personnel.is_(True),
        )
        .order_by(Teacher.id, Posting.start)
    )
    latest: dict[str, TeacherRec] = {}
    for tid, name, position, backbone, school_id, _start in session.execute(query):
        latest[tid.hex] = TeacherRec(tid.hex, name, position, backbone, school_id.hex)
    return list(latest.values())


def quota_rows(store: Store, profile: Profile, when: Semester | int, inputs: QuotaInputs | None = None) -> list[QuotaRow]:
    """The quota table for a semester or a school year (see ``policy.quotas``)."""
    year = when if isinstance(when, int) else when.year
    if inputs is None or inputs.school_year != year:
        inputs = load_quota_inputs(store, profile, year)
    return quota_table(
        inputs.visits, inputs.pairings, profile, when, people=inputs.teachers, clusters=inputs.clusters,
        summaries=inputs.summaries, school_names=inputs.school_names,
    )


def current_semester(profile: Profile, today: dt.date | None = None) -> Semester:
    return semester_of(today or dt.date.today(), profile.calendar)
