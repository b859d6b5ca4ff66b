"""Loading the records ``policy.teacher_development`` checks: who is in post where, their
training hours, 种子教师 / 榜样教师 designations and 师徒结对 pairings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import and_, or_, select

from db.models import Pairing, Posting, Teacher, TeacherDesignation, TrainingRecord
from db.store import Store
from policy import vocab
from policy.profile import Profile
from policy.teacher_development import (
    DesignationRec,
    DevelopmentRecords,
    MentoringRec,
    StaffRec,
    TrainingRec,
    previous_cycle,
)


def _u(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _posted(session: Any, day: dt.date) -> dict[uuid.UUID, uuid.UUID]:
    """Teacher id → the school holding their personnel relationship on ``day`` (latest start wins)."""
    rows = session.execute(
        select(Posting.teacher_id, Posting.school_id, Posting.start)
        .where(Posting.holds_personnel.is_(True), Posting.start <= day,
               or_(Posting.end_on.is_(None), Posting.end_on >= day))
        .order_by(Posting.start)
    )
    return {_u(teacher): _u(school) for teacher, school, _start in rows}


def _staff(posted: dict[uuid.UUID, uuid.UUID], people: dict[uuid.UUID, tuple[str, str]]) -> list[StaffRec]:
    return [StaffRec(t, people[t][0], people[t][1], s) for t, s in posted.items() if t in people]


def load(store: Store, profile: Profile, on: dt.date) -> DevelopmentRecords:
    """Everything the teacher-development rules read for a check on ``on``."""
    judged = previous_cycle(profile, on)
    with store.read() as session:
        connection = session.connection()
        people = {_u(i): (name, position) for i, name, position in connection.execute(
            select(Teacher.id, Teacher.name, Teacher.position))}
        now = _posted(connection, on)
        then = _posted(connection, judged.last_day) if judged else {}
        training = [TrainingRec(_u(t), day, float(hours), bool(special)) for t, day, hours, special in connection.execute(
            select(TrainingRecord.teacher_id, TrainingRecord.completed_on, TrainingRecord.hours, TrainingRecord.special))]
        designations = [DesignationRec(_u(t), kind, start, end) for t, kind, start, end in connection.execute(
            select(TeacherDesignation.teacher_id, TeacherDesignation.kind, TeacherDesignation.start,
                   TeacherDesignation.end_on))]
        mentoring = []
        for row in connection.execute(
            select(Pairing.id, Pairing.supporter_name, Pairing.target_teacher_id, Pairing.start, Pairing.end)
            .where(and_(Pairing.kind == vocab.MENTORING, Pairing.target_teacher_id.is_not(None)))
        ):
            last = min(on, row.end) if row.end else on
            school = now.get(_u(row.target_teacher_id)) if last == on else _posted_one(
                connection, _u(row.target_teacher_id), last)
            mentoring.append(MentoringRec(_u(row.id), row.supporter_name or "", _u(row.target_teacher_id),
                                          row.start, row.end, school))
    return DevelopmentRecords(_staff(now, people), _staff(then, people), training, designations, mentoring,
                              {t: name for t, (name, _p) in people.items()})


def _posted_one(connection: Any, teacher_id: uuid.UUID, day: dt.date) -> uuid.UUID | None:
    row = connection.execute(
        select(Posting.school_id).where(Posting.teacher_id == teacher_id, Posting.holds_personnel.is_(True),
                                        Posting.start <= day, or_(Posting.end_on.is_(None), Posting.end_on >= day))
        .order_by(Posting.start.desc()).limit(1)).scalar()
    return _u(row) if row is not None else None
