"""Assistance activities (帮扶活动): saving, completion sources, pairings, summaries, quotas.

Reads for the quota table are Core selects that return raw column text (ids as 32-digit
hex, dates as ISO text on SQLite) turned into ``policy.quotas`` records here. The quota table
never sees single activities: :func:`load_tallies` reads a school year's activities grouped
into ``ActivityTally`` / ``SchoolTally`` records (a few thousand to tens of thousands of rows
for 200,000 activities) from the stored tallies that ``db.visit_tallies`` keeps current. Every id handed to ``policy`` is ``uuid.hex`` so ORM and Core reads
agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import mimetypes
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Date, String, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from db.duty_holders import load_duties
from db.engine import StoreError
from db.ids import hex_id, id_text
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
from db.spans import holds_on, meets
from db.store import Store
from db.teacher_queries import in_force, unique_teacher
from db.versions import editing
from db.visit_tallies import Period, _records, cached_date, read_tallies
from db.visit_tallies import compute_tallies as _compute
from policy import vocab
from policy.calendar import Semester, Span, school_year_bounds, semester_bounds, semester_of
from policy.profile import Profile
from policy.quotas import (
    AREA_LEAD,
    TEACHER_ROLES,
    ActivityTally,
    ClusterRec,
    DutyRec,
    HostSchool,
    PairingRec,
    Participant,
    QuotaRow,
    SchoolTally,
    TallySpec,
    TeacherRec,
    VisitRec,
    quota_table,
    tally_spec,
)

# ---------------------------------------------------------------------------------------
# Quota inputs
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class QuotaInputs:
    """Everything ``policy.quotas.quota_table`` needs for one school year."""

    school_year: int
    tallies: list[ActivityTally]
    school_tallies: list[SchoolTally]
    pairings: list[PairingRec]
    clusters: list[ClusterRec]
    teachers: list[TeacherRec]
    summaries: set[tuple[str, str]]
    school_names: dict[str, str]
    school_codes: dict[str, str]
    hosts: dict[str, HostSchool] = dataclasses.field(default_factory=dict)
    duties: list[DutyRec] = dataclasses.field(default_factory=list)
    area_leads: list[tuple[str, str, dt.date, dt.date | None]] = dataclasses.field(default_factory=list)


def tally_periods(profile: Profile, school_year: int) -> list[Period]:
    """The two semesters of a school year as the tallies group them (contiguous, profile dates)."""
    first, last = school_year_bounds(school_year, profile.calendar)
    second, _ = semester_bounds(Semester(school_year, 2), profile.calendar)
    return [Period(f"{school_year}-1", first, second - dt.timedelta(days=1)), Period(f"{school_year}-2", second, last)]


def load_tallies(
    store: Store, profile: Profile, school_year: int, spec: TallySpec | None = None,
) -> tuple[list[ActivityTally], list[SchoolTally]]:
    """A school year's activities grouped for the quota table (see ``policy.quotas``).

    Read from the stored tallies (``db.visit_tallies``: rebuilt first where a bulk load or
    another profile made them stale). Person tallies cover only roles some person rule
    counts, with host school and type kept only where the role's rules count the type
    (otherwise NULL, so a person's other activities collapse into one row per semester that
    only says they appeared); school tallies count an activity once per sending school.
    """
    return read_tallies(store.engine, spec or tally_spec(profile), tally_periods(profile, school_year))


def compute_tallies(
    store: Store, profile: Profile, school_year: int, spec: TallySpec | None = None,
) -> tuple[list[ActivityTally], list[SchoolTally]]:
    """The same tallies grouped straight from the visit tables (slow; for checks)."""
    with store.engine.connect() as connection:
        people, schools = _compute(connection, spec or tally_spec(profile), tally_periods(profile, school_year))
    return _records(people, schools)


def load_visits(store: Store, first: dt.date, last: dt.date, hosts: set[str] | None = None) -> list[VisitRec]:
    """Activities dated ``first``..``last`` with their visitors (per-visit records; slow at
    hundreds of thousands of activities — the quota table uses :func:`load_tallies`).
    ``hosts`` (hex ids) limits them to activities at those schools.

    Two sequential scans joined in Python: a join driven by the date index costs one random
    page read per row and was 3-5x slower on 200,000 activities.
    """
    v, p = Visit.__table__.c, VisitParticipant.__table__.c
    visit_query = select(
        id_text(v.id), type_coerce(v.date, String), id_text(v.host_school_id),
        v.activity_type, v.lessons,
    )
    # On SQLite, ifnull() hides the date index so the table is read in one sequential scan.
    day = type_coerce(func.ifnull(v.date, v.date), Date) if store.engine.dialect.name == "sqlite" else v.date
    visit_query = visit_query.where(day >= first, day <= last)
    if hosts is not None:
        visit_query = visit_query.where(v.host_school_id.in_([uuid.UUID(h) for h in sorted(hosts)]))
    people_query = select(
        id_text(p.visit_id), p.name, p.role, id_text(p.home_school_id),
        id_text(p.teacher_id), p.lessons,
    )
    dates: dict[Any, dt.date] = {}
    ids: dict[Any, str | None] = {None: None}
    heads: dict[Any, tuple[Any, ...]] = {}
    with store.engine.connect() as connection:
        for vid, date, host, kind, lessons in connection.execute(visit_query):
            host_id = ids[host] if host in ids else ids.setdefault(host, hex_id(host))
            heads[vid] = (date, host_id, kind, lessons or 0)
        people: dict[Any, list[Participant]] = defaultdict(list)
        for vid, name, role, home, teacher, own in connection.execute(people_query):
            if vid in heads:
                home_id = ids[home] if home in ids else ids.setdefault(home, hex_id(home))
                teacher_id = ids[teacher] if teacher in ids else ids.setdefault(teacher, hex_id(teacher))
                people[vid].append(Participant(name, role, home_id, teacher_id, own))
    return [
        VisitRec(hex_id(vid) or "", cached_date(date, dates), host, kind, lessons, tuple(people.get(vid, ())))
        for vid, (date, host, kind, lessons) in heads.items()
    ]


def load_quota_inputs(store: Store, profile: Profile, school_year: int) -> QuotaInputs:
    """Visits, pairings, clusters, teachers and summaries of one school year."""
    first, last = school_year_bounds(school_year, profile.calendar)
    period = Span(first, last)
    tallies, school_tallies = load_tallies(store, profile, school_year)
    duties = load_duties(store)  # after the tallies: reading them brings the register up to date
    with store.read() as session:
        schools = session.execute(
            select(School.id, School.name, School.code, School.location, School.stage, School.region_id)).all()
        school_names = {s.id.hex: s.name for s in schools}
        school_codes = {s.id.hex: s.code for s in schools}
        hosts = {s.id.hex: HostSchool(s.location, s.stage, s.region_id.hex if s.region_id else None) for s in schools}
        area_leads = [
            (school_id.hex, cluster_id.hex, joined, left_on)
            for school_id, cluster_id, joined, left_on in session.execute(
                select(Membership.school_id, Membership.cluster_id, Membership.joined, Membership.left_on)
                .where(Membership.role == AREA_LEAD, meets(Membership.joined, period, left=Membership.left_on)))
            if not Span.left(joined, left_on).empty  # an undone join stood on no day
        ]
        pairings = [
            PairingRec(
                id=p.id.hex, kind=p.kind, start=p.start, end=p.end,
                supporter_school=hex_id(p.supporter_school_id), supporter_teacher=hex_id(p.supporter_teacher_id),
                supporter_name=p.supporter_name, cluster=hex_id(p.cluster_id), target_school=hex_id(p.target_school_id),
            )
            for p in session.scalars(select(Pairing).where(meets(Pairing.start, period, last=Pairing.end)))
        ]
        pairings = _resolve_target_teachers(session, pairings, last)
        members: dict[str, set[str]] = defaultdict(set)
        terms: dict[str, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
        for cluster_id, school_id, joined, left_on in session.execute(
            select(Membership.cluster_id, Membership.school_id, Membership.joined, Membership.left_on).where(
                meets(Membership.joined, period, left=Membership.left_on))
        ):
            members[cluster_id.hex].add(school_id.hex)
            terms[cluster_id.hex].append((school_id.hex, joined, left_on))
        clusters = []
        for c in session.scalars(select(Cluster)):
            schools_of = set(members.get(c.id.hex, ()))
            if c.lead_school_id:
                schools_of.add(c.lead_school_id.hex)
            clusters.append(ClusterRec(c.id.hex, c.name, frozenset(schools_of), c.founded, c.dissolved,
                                       tuple(terms.get(c.id.hex, ()))))
        teachers = _quota_teachers(session, first, last)
        codes = (f"{school_year}-1", f"{school_year}-2")
        summaries = {
            (cid.hex, code)
            for cid, code in session.execute(
                select(SemesterSummary.cluster_id, SemesterSummary.semester).where(SemesterSummary.semester.in_(codes)))
        }
    return QuotaInputs(school_year, tallies, school_tallies, pairings, clusters, teachers, summaries,
                       school_names, school_codes, hosts, duties, area_leads)


def _resolve_target_teachers(session: Session, pairings: list[PairingRec], last: dt.date) -> list[PairingRec]:
    """A pairing with a rural teacher covers that teacher's school (as of the period's end):
    the posting in force that day, the latest started first (a working posting elsewhere
    over the personnel one); a teacher with none then, the school of the last posting."""
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
            in_force = holds_on(Posting.start, last, last=Posting.end_on)
            posting = session.scalars(
                select(Posting).where(Posting.teacher_id == teacher_id, Posting.start <= last)
                .order_by(case((in_force, 0), else_=1), Posting.start.desc())
            ).first()
            if posting is not None:
                pairing = dataclasses.replace(pairing, target_school=posting.school_id.hex)
        result.append(pairing)
    return result


def _quota_teachers(session: Session, first: dt.date, last: dt.date) -> list[TeacherRec]:
    """Teachers whose position or backbone level carries a quota, with their school then."""
    keys = tuple(TEACHER_ROLES)
    query = (
        select(Teacher.id, Teacher.name, Teacher.position, Teacher.backbone_level, Posting.school_id, Posting.start)
        .join(Posting, Posting.teacher_id == Teacher.id)
        .where(
            or_(Teacher.position.in_(keys), Teacher.backbone_level.in_(keys)),
            meets(Posting.start, Span(first, last), last=Posting.end_on),
            Posting.holds_personnel.is_(True),
        )
        .order_by(Teacher.id, Posting.start)
    )
    latest: dict[str, TeacherRec] = {}
    for tid, name, position, backbone, school_id, _start in session.execute(query):
        latest[tid.hex] = TeacherRec(tid.hex, name, position, backbone, school_id.hex)
    return list(latest.values())


def quota_rows(
    store: Store, profile: Profile, when: Semester | int, inputs: QuotaInputs | None = None,
    school_id: uuid.UUID | None = None,
) -> list[QuotaRow]:
    """The quota table for a semester or a school year (see ``policy.quotas``).

    ``school_id``: only the rows of that school's people and pairings (a principal's view).
    """
    year = when if isinstance(when, int) else when.year
    if inputs is None or inputs.school_year != year:
        inputs = load_quota_inputs(store, profile, year)
    rows = quota_table(
        pairings=inputs.pairings, profile=profile, when=when, people=inputs.teachers, clusters=inputs.clusters,
        summaries=inputs.summaries, school_names=inputs.school_names, tallies=inputs.tallies,
        school_tallies=inputs.school_tallies, hosts=inputs.hosts, duties=inputs.duties,
        area_leads=inputs.area_leads,
    )
    if school_id is not None:
        rows = [row for row in rows if row.home_school == school_id.hex]
    return rows


def current_semester(profile: Profile, today: dt.date | None = None) -> Semester:
    return semester_of(today or dt.date.today(), profile.calendar)


# ---------------------------------------------------------------------------------------
# Saving one activity (quick entry)
# ---------------------------------------------------------------------------------------

SCHOOLLESS_ROLES = ("市级教研员", "县级教研员", "局领导", "机关干部")
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


class VisitError(StoreError):
    """A visit, pairing or summary that cannot be saved as given; str() says why, in Chinese."""


@dataclasses.dataclass(slots=True)
class VisitorDraft:
    name: str
    role: str
    home_school_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None  # linked by name + home school when None and unique
    lessons: int | None = None


@dataclasses.dataclass(slots=True)
class AttachmentDraft:
    filename: str
    data: bytes
    mime_type: str | None = None

    @classmethod
    def from_path(cls, path: Path) -> AttachmentDraft:
        """Read a file into memory (the bytes are stored in the database, not the path)."""
        path = Path(path)
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise VisitError(f"附件“{path.name}”超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
        return cls(path.name, path.read_bytes())


@dataclasses.dataclass(slots=True)
class VisitDraft:
    date: dt.date
    host_school_id: uuid.UUID
    activity_type: str
    visitors: list[VisitorDraft]
    lessons: int = 0
    summary: str | None = None
    attachments: list[AttachmentDraft] = dataclasses.field(default_factory=list)


def _check_draft(draft: VisitDraft) -> None:
    if draft.activity_type not in vocab.ACTIVITY_TYPES:
        raise VisitError(f"活动类型“{draft.activity_type}”不是可选值")
    if draft.lessons is None or draft.lessons < 0:
        raise VisitError("听课节数不能小于 0")
    if not draft.visitors:
        raise VisitError("请至少添加一位来访人员")
    seen = set()
    for visitor in draft.visitors:
        name = visitor.name.strip()
        if not name:
            raise VisitError("来访人员姓名不能为空")
        if visitor.role not in vocab.VISITOR_ROLES:
            raise VisitError(f"“{name}”的角色“{visitor.role}”不是可选值")
        if visitor.home_school_id is None and visitor.role not in SCHOOLLESS_ROLES:
            raise VisitError(f"“{name}”（{visitor.role}）须选择所在学校；只有{'、'.join(SCHOOLLESS_ROLES)}不属于学校")
        if (name, visitor.home_school_id) in seen:
            raise VisitError(f"来访人员“{name}”重复")
        seen.add((name, visitor.home_school_id))


def _participants(session: Session, draft: VisitDraft) -> list[VisitParticipant]:
    """The draft's visitors as rows, each linked to its teacher record when one is certain."""
    rows = []
    for visitor in draft.visitors:
        teacher_id = visitor.teacher_id
        if teacher_id is None and visitor.home_school_id is not None:
            teacher_id = unique_teacher(session, visitor.name.strip(), visitor.home_school_id)
        rows.append(VisitParticipant(
            name=visitor.name.strip(), role=visitor.role, home_school_id=visitor.home_school_id,
            teacher_id=teacher_id, lessons=visitor.lessons,
        ))
    return rows


def _attachment(draft_file: AttachmentDraft) -> Attachment:
    return Attachment(
        filename=draft_file.filename,
        mime_type=draft_file.mime_type or mimetypes.guess_type(draft_file.filename)[0] or "application/octet-stream",
        sha256=hashlib.sha256(draft_file.data).hexdigest(), data=draft_file.data,
    )


def save_visit(store: Store, draft: VisitDraft) -> uuid.UUID:
    """Save one activity with its visitors and attachments in one audited write; returns its id.

    Raises:
        VisitError: a bad draft (nothing written); PermissionDenied for a viewer.
    """
    _check_draft(draft)
    with store.write(note="登记帮扶活动") as session:
        host = session.get(School, draft.host_school_id)
        if host is None:
            raise VisitError("承办学校不存在")
        visit = Visit(
            id=uuid.uuid4(), date=draft.date, host_school_id=draft.host_school_id,
            activity_type=draft.activity_type, lessons=draft.lessons,
            summary=(draft.summary or "").strip() or None, entered_by=store.actor.username,
        )
        visit.participants.extend(_participants(session, draft))
        visit.attachments.extend(_attachment(f) for f in draft.attachments)
        session.add(visit)
    return visit.id


@dataclasses.dataclass(frozen=True, slots=True)
class StoredVisit:
    """A saved activity loaded back for correcting: its draft, and the files it already has."""

    id: uuid.UUID
    draft: VisitDraft  # attachments empty: the stored ones are in ``attachments``
    host_label: str
    attachments: list[tuple[uuid.UUID, str, int]]  # (id, filename, bytes)
    row_version: int | None = None  # as loaded: a correction based on it is refused once it moved on


def load_visit(store: Store, visit_id: uuid.UUID) -> StoredVisit:
    """An activity as the quick-entry form shows it, to be corrected with :func:`update_visit`."""
    with store.read() as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise VisitError("该活动已不存在（可能已被删除）")
        host = session.get(School, visit.host_school_id)
        visitors = [VisitorDraft(p.name, p.role, p.home_school_id, p.teacher_id, p.lessons)
                    for p in sorted(visit.participants, key=lambda p: p.created_at)]
        draft = VisitDraft(visit.date, visit.host_school_id, visit.activity_type, visitors,
                           visit.lessons or 0, visit.summary)
        label = f"{host.name}（{host.code}）" if host is not None else ""
        row_version = visit.row_version
    return StoredVisit(visit_id, draft, label, [(a, f, n) for a, f, _m, n in visit_attachments(store, visit_id)],
                       row_version)


def update_visit(store: Store, visit_id: uuid.UUID, draft: VisitDraft, keep: set[uuid.UUID],
                 expected: int | None = None) -> None:
    """Correct a saved activity in one audited write: its fields and visitors become the
    draft's; of its stored files those in ``keep`` stay, the draft's new files are added.
    ``expected``: the activity's ``row_version`` when the form loaded it.

    Raises:
        VisitError: a bad draft (nothing written).
        StaleRecord: the activity was changed or deleted since it was loaded (nothing written).
    """
    _check_draft(draft)
    with editing(store, Visit, visit_id, expected, "修改帮扶活动") as (session, visit):
        if session.get(School, draft.host_school_id) is None:
            raise VisitError("承办学校不存在")
        visit.date, visit.host_school_id, visit.activity_type = draft.date, draft.host_school_id, draft.activity_type
        visit.lessons, visit.summary = draft.lessons, (draft.summary or "").strip() or None
        # Deleted explicitly, not left to delete-orphan, so the audit log lists each one.
        for old in [*visit.participants, *(a for a in visit.attachments if a.id not in keep)]:
            session.delete(old)
        session.flush()
        session.expire(visit, ["participants", "attachments"])
        visit.participants.extend(_participants(session, draft))
        visit.attachments.extend(_attachment(f) for f in draft.attachments)


def delete_visit(store: Store, visit_id: uuid.UUID) -> None:
    with store.write(note="删除帮扶活动") as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise VisitError("该活动已不存在")
        session.delete(visit)


def attachment_data(store: Store, attachment_id: uuid.UUID) -> tuple[str, str, bytes]:
    """(filename, mime type, bytes) of a stored attachment."""
    with store.read() as session:
        item = session.get(Attachment, attachment_id)
        if item is None:
            raise VisitError("附件不存在")
        return item.filename, item.mime_type, item.data


@dataclasses.dataclass(frozen=True, slots=True)
class VisitListRow:
    id: uuid.UUID
    date: dt.date
    host: str
    activity_type: str
    visitors: str
    lessons: int
    attachments: int
    summary: str


def recent_visits(store: Store, limit: int = 200, host_school_id: uuid.UUID | None = None) -> list[VisitListRow]:
    """The latest activities, newest first (ids and display text only; attachments are not read)."""
    with store.read() as session:
        query = (select(Visit.id, Visit.date, School.name, Visit.activity_type, Visit.lessons, Visit.summary)
                 .join(School, School.id == Visit.host_school_id)
                 .order_by(Visit.date.desc(), Visit.created_at.desc()).limit(limit))
        if host_school_id is not None:
            query = query.where(Visit.host_school_id == host_school_id)
        heads = session.execute(query).all()
        ids = [h.id for h in heads]
        people: dict[uuid.UUID, list[str]] = defaultdict(list)
        files: dict[uuid.UUID, int] = defaultdict(int)
        if ids:
            for vid, name, role in session.execute(
                select(VisitParticipant.visit_id, VisitParticipant.name, VisitParticipant.role)
                .where(VisitParticipant.visit_id.in_(ids)).order_by(VisitParticipant.created_at)
            ):
                people[vid].append(f"{name}（{role}）")
            for attached_to, count in session.execute(
                select(Attachment.visit_id, func.count()).where(Attachment.visit_id.in_(ids)).group_by(Attachment.visit_id)
            ):
                if attached_to is not None:
                    files[attached_to] = count
    return [VisitListRow(h.id, h.date, h.name, h.activity_type, "、".join(people[h.id]), h.lessons or 0,
                         files[h.id], h.summary or "") for h in heads]


def visit_attachments(store: Store, visit_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, int]]:
    """(id, filename, mime type, size) of an activity's attachments."""
    with store.read() as session:
        return [tuple(r) for r in session.execute(
            select(Attachment.id, Attachment.filename, Attachment.mime_type, func.length(Attachment.data))
            .where(Attachment.visit_id == visit_id).order_by(Attachment.filename))]


# ---------------------------------------------------------------------------------------
# Completion sources and remembered values
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SchoolChoice:
    id: uuid.UUID
    code: str
    name: str

    @property
    def text(self) -> str:
        return f"{self.name}（{self.code}）"


@dataclasses.dataclass(frozen=True, slots=True)
class PersonChoice:
    """A known person: a teacher record or a visitor seen before."""

    name: str
    role: str
    home_school_id: uuid.UUID | None
    home_school: str
    teacher_id: uuid.UUID | None

    @property
    def text(self) -> str:
        return f"{self.name}（{self.home_school or self.role}）"


def cluster_choices(store: Store) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of every cluster, by name."""
    with store.read() as session:
        return [(i, n) for i, n in session.execute(select(Cluster.id, Cluster.name).order_by(Cluster.name))]


def school_choices(store: Store) -> list[SchoolChoice]:
    with store.read() as session:
        return [SchoolChoice(i, c, n) for i, c, n in session.execute(select(School.id, School.code, School.name).order_by(School.code))]


def person_choices(store: Store, limit_visitors: int = 5000) -> list[PersonChoice]:
    """Teachers with a quota role (by position / backbone level) and their current school,
    then visitors seen in recent activities (researchers, bureau staff) not already listed."""
    result: dict[tuple[str, uuid.UUID | None], PersonChoice] = {}
    with store.read() as session:
        names = dict(session.execute(select(School.id, School.name)).all())
        recent = session.execute(
            select(VisitParticipant.name, VisitParticipant.role, VisitParticipant.home_school_id, VisitParticipant.teacher_id)
            .order_by(VisitParticipant.created_at.desc()).limit(limit_visitors)).all()
        for name, role, home, teacher in recent:
            result.setdefault((name, home), PersonChoice(name, role, home, names.get(home, "") if home else "", teacher))
        query = (select(Teacher.id, Teacher.name, Teacher.position, Teacher.backbone_level, Posting.school_id)
                 .join(Posting, Posting.teacher_id == Teacher.id).where(in_force(Posting.__table__))
                 .order_by(Teacher.name))
        for tid, name, position, backbone, school in session.execute(query):
            role = TEACHER_ROLES.get(position) or TEACHER_ROLES.get(backbone or "") or "教师"
            result.setdefault((name, school), PersonChoice(name, role, school, names.get(school, ""), tid))
    return list(result.values())


# ---------------------------------------------------------------------------------------
# Pairings register (海门2019计划 四(二)) and what each produced
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class PairingView:
    id: uuid.UUID
    kind: str
    supporter: str
    target: str
    start: dt.date
    end: dt.date | None
    activities: int  # activities it produced in the school year shown
    last_activity: dt.date | None
    notes: str
    row_version: int | None = None  # as listed: an edit based on it is refused once it moved on


def add_pairing(
    store: Store,
    kind: str,
    start: dt.date,
    *,
    supporter_school_id: uuid.UUID | None = None,
    supporter_teacher_id: uuid.UUID | None = None,
    supporter_name: str | None = None,
    cluster_id: uuid.UUID | None = None,
    target_school_id: uuid.UUID | None = None,
    target_teacher_id: uuid.UUID | None = None,
    end: dt.date | None = None,
    notes: str | None = None,
) -> uuid.UUID:
    """Record a pairing (audited). Raises VisitError when a side is missing."""
    if kind not in vocab.PAIRING_KINDS:
        raise VisitError(f"结对类型“{kind}”不是可选值")
    supporter_name = (supporter_name or "").strip() or None
    if not (supporter_school_id or supporter_teacher_id or supporter_name):
        raise VisitError("请填写帮扶方（学校、教师或姓名）")
    if not (cluster_id or target_school_id or target_teacher_id):
        raise VisitError("请填写受援方（集团、学校或教师）")
    if kind == "包片包抓" and not (supporter_school_id and cluster_id):
        raise VisitError("包片包抓须选择市属学校和集团(学区)")
    if end is not None and end < start:
        raise VisitError("结束日期不能早于开始日期")
    with store.write(note=f"登记结对：{kind}") as session:
        pairing = Pairing(
            id=uuid.uuid4(), kind=kind, start=start, end=end, supporter_school_id=supporter_school_id,
            supporter_teacher_id=supporter_teacher_id, supporter_name=supporter_name, cluster_id=cluster_id,
            target_school_id=target_school_id, target_teacher_id=target_teacher_id, notes=notes,
        )
        session.add(pairing)
    return pairing.id


def end_pairing(store: Store, pairing_id: uuid.UUID, end: dt.date) -> None:
    with store.write(note="结对结束") as session:
        pairing = session.get(Pairing, pairing_id)
        if pairing is None:
            raise VisitError("该结对已不存在")
        if end < pairing.start:
            raise VisitError("结束日期不能早于开始日期")
        pairing.end = end


def update_pairing(store: Store, pairing_id: uuid.UUID, *, kind: str, start: dt.date, end: dt.date | None,
                   notes: str | None, expected: int | None = None) -> None:
    """Correct a pairing's type, dates or notes in one audited write (the audit log keeps
    the values before and after; ending it is an ``end`` date, the record stays).

    Raises:
        VisitError: a bad value (nothing written), with the reason in Chinese.
        StaleRecord: changed or deleted by someone else since ``expected`` was read.
    """
    if kind not in vocab.PAIRING_KINDS:
        raise VisitError(f"结对类型“{kind}”不是可选值")
    if end is not None and end < start:
        raise VisitError(f"结束日期 {end.isoformat()} 不能早于开始日期 {start.isoformat()}")
    with editing(store, Pairing, pairing_id, expected, f"修改结对：{kind}", "该结对已不存在") as (_s, pairing):
        if kind == "包片包抓" and not (pairing.supporter_school_id and pairing.cluster_id):
            raise VisitError("包片包抓须有市属帮扶学校和受援集团(学区)；这条结对缺少其一，不能改为包片包抓")
        pairing.kind, pairing.start, pairing.end = kind, start, end
        pairing.notes = (notes or "").strip() or None


def list_pairings(store: Store, profile: Profile, school_year: int, inputs: QuotaInputs | None = None) -> list[PairingView]:
    """Every pairing, with the activities it produced in ``school_year``.

    An activity is produced by a pairing when it took place at one of the pairing's schools
    (the cluster's schools, the target school or the target teacher's school) and one of its
    visitors is the supporter: the supporter teacher (or a visitor of the supporter's name),
    or — for a school supporter — anyone from that school.
    """
    if inputs is None or inputs.school_year != school_year:
        inputs = load_quota_inputs(store, profile, school_year)
    schools_of_cluster = {c.id: c.schools for c in inputs.clusters}
    resolved = {p.id: p for p in inputs.pairings}
    with store.read() as session:
        pairings = session.scalars(select(Pairing).order_by(Pairing.kind, Pairing.start)).all()
        teacher_names = dict(session.execute(select(Teacher.id, Teacher.name)).all())
        cluster_names = dict(session.execute(select(Cluster.id, Cluster.name)).all())
    names = inputs.school_names
    hosts: set[str] = set()
    for pairing in pairings:
        if pairing.cluster_id:
            hosts |= schools_of_cluster.get(pairing.cluster_id.hex, frozenset())
        rec = resolved.get(pairing.id.hex)
        target = rec.target_school if rec else hex_id(pairing.target_school_id)
        if target:
            hosts.add(target)
    first, last_day = school_year_bounds(school_year, profile.calendar)
    visits = load_visits(store, first, last_day, hosts) if hosts else []
    views = []
    for pairing in pairings:
        rec = resolved.get(pairing.id.hex)
        schools: set[str] = set()
        if pairing.cluster_id:
            schools |= schools_of_cluster.get(pairing.cluster_id.hex, frozenset())
        target_school = rec.target_school if rec else hex_id(pairing.target_school_id)
        if target_school:
            schools.add(target_school)
        supporter_school = hex_id(pairing.supporter_school_id)
        supporter_teacher = hex_id(pairing.supporter_teacher_id)
        supporter_name = pairing.supporter_name or (teacher_names.get(pairing.supporter_teacher_id) if pairing.supporter_teacher_id else None)
        count, last = 0, None
        for visit in visits:
            if visit.host_school not in schools:
                continue
            if pairing.start > visit.date or (pairing.end is not None and visit.date > pairing.end):
                continue
            for p in visit.participants:
                if (supporter_teacher and p.teacher == supporter_teacher) or \
                        (not supporter_teacher and supporter_name and p.name == supporter_name) or \
                        (not supporter_teacher and not pairing.supporter_name and supporter_school and p.home_school == supporter_school):
                    count += 1
                    last = visit.date if last is None or visit.date > last else last
                    break
        supporter = " ".join(x for x in (
            names.get(supporter_school or "", ""),
            teacher_names.get(pairing.supporter_teacher_id, "") if pairing.supporter_teacher_id else "",
            pairing.supporter_name or "") if x)
        target = " ".join(x for x in (
            cluster_names.get(pairing.cluster_id, "") if pairing.cluster_id else "",
            names.get(hex_id(pairing.target_school_id) or "", ""),
            teacher_names.get(pairing.target_teacher_id, "") if pairing.target_teacher_id else "") if x)
        views.append(PairingView(pairing.id, pairing.kind, supporter, target, pairing.start, pairing.end,
                                 count, last, pairing.notes or "", pairing.row_version))
    return views


# ---------------------------------------------------------------------------------------
# Semester summaries (余教〔2020〕155号 六(二))
# ---------------------------------------------------------------------------------------

SUMMARY_FIELDS = {"attainment": "目标达成度", "achievements": "主要成效", "problems": "问题", "next_steps": "下步计划"}


@dataclasses.dataclass(frozen=True, slots=True)
class SummaryView:
    cluster_id: uuid.UUID
    cluster: str
    semester: str
    attainment: str = ""
    achievements: str = ""
    problems: str = ""
    next_steps: str = ""
    recorded: bool = False


def save_summary(store: Store, cluster_id: uuid.UUID, semester: Semester, **fields: str) -> None:
    """Add or edit a cluster's summary for a semester (one per cluster and semester; audited)."""
    unknown = set(fields) - set(SUMMARY_FIELDS)
    if unknown:
        raise VisitError(f"未知的总结栏目：{'、'.join(sorted(unknown))}")
    values = {key: (value or "").strip() for key, value in fields.items()}
    if not any(values.values()):
        raise VisitError("学期总结不能全部为空")
    with store.write(note=f"学期总结 {semester.code}") as session:
        if session.get(Cluster, cluster_id) is None:
            raise VisitError("该集团(学区)不存在")
        summary = session.scalars(select(SemesterSummary).where(
            SemesterSummary.cluster_id == cluster_id, SemesterSummary.semester == semester.code)).first()
        if summary is None:
            summary = SemesterSummary(id=uuid.uuid4(), cluster_id=cluster_id, semester=semester.code)
            session.add(summary)
        for key, value in values.items():
            setattr(summary, key, value)


def list_summaries(store: Store, semester: Semester) -> list[SummaryView]:
    """Every cluster, with its summary for the semester when recorded."""
    with store.read() as session:
        clusters = session.execute(select(Cluster.id, Cluster.name).order_by(Cluster.name)).all()
        found = {s.cluster_id: s for s in session.scalars(
            select(SemesterSummary).where(SemesterSummary.semester == semester.code))}
    result = []
    for cid, name in clusters:
        s = found.get(cid)
        if s is None:
            result.append(SummaryView(cid, name, semester.code))
        else:
            result.append(SummaryView(cid, name, semester.code, s.attainment, s.achievements, s.problems,
                                      s.next_steps, True))
    return result
