"""Loading the records ``policy.teacher_development`` checks: who is in post where, their
training hours, 种子教师 / 榜样教师 designations and 师徒结对 pairings.

Teacher ids stay as the driver returns them read as text (they are only matched with each
other); school ids become UUIDs (matched with ``policy.clusters.SchoolRec``), through a small
cache: converting 50,000 ids one by one is most of the cost of a check.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import String, and_, or_, select, type_coerce

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


def _text(column: Any) -> Any:
    return type_coerce(column, String)


class _Schools(dict[Any, uuid.UUID]):
    """Stored school id → UUID, converted once per distinct school."""

    def __missing__(self, key: Any) -> uuid.UUID:
        value = self[key] = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
        return value


def _staff(session: Any, day: dt.date, schools: _Schools) -> list[StaffRec]:
    """Teachers in post on ``day`` with the school holding their personnel relationship (the
    latest posting wins when two overlap)."""
    rows = session.execute(
        select(_text(Posting.teacher_id), Teacher.name, Teacher.position, _text(Posting.school_id))
        .join(Teacher, Teacher.id == Posting.teacher_id)
        .where(Posting.holds_personnel.is_(True), Posting.start <= day,
               or_(Posting.end_on.is_(None), Posting.end_on >= day))
        .order_by(Posting.start)
    )
    return list({teacher: StaffRec(teacher, name, position, schools[school])
                 for teacher, name, position, school in rows}.values())


def load(store: Store, profile: Profile, on: dt.date) -> DevelopmentRecords:
    """Everything the teacher-development rules read for a check on ``on``."""
    judged = previous_cycle(profile, on)
    with store.read() as session:
        connection = session.connection()
        schools = _Schools()
        staff = _staff(connection, on, schools)
        now = {person.id: person.school_id for person in staff}
        cycle_staff = _staff(connection, judged.last_day, schools) if judged else []
        training = [TrainingRec(t, day, float(hours), bool(special)) for t, day, hours, special in connection.execute(
            select(_text(TrainingRecord.teacher_id), TrainingRecord.completed_on, TrainingRecord.hours,
                   TrainingRecord.special))]
        designations = [DesignationRec(t, kind, start, end) for t, kind, start, end in connection.execute(
            select(_text(TeacherDesignation.teacher_id), TeacherDesignation.kind, TeacherDesignation.start,
                   TeacherDesignation.end_on))]
        mentoring = []
        for row in connection.execute(
            select(Pairing.id, Pairing.supporter_name, _text(Pairing.target_teacher_id).label("apprentice"),
                   Pairing.start, Pairing.end)
            .where(and_(Pairing.kind == vocab.MENTORING, Pairing.target_teacher_id.is_not(None)))
        ):
            last = min(on, row.end) if row.end else on
            school = now.get(row.apprentice) if last == on else _posted_one(connection, row.apprentice, last, schools)
            mentoring.append(MentoringRec(row.id, row.supporter_name or "", row.apprentice, row.start, row.end,
                                          school))
        names = dict(connection.execute(select(_text(Teacher.id), Teacher.name).where(
            _text(Teacher.id).in_([pair.apprentice_id for pair in mentoring]))).all()) if mentoring else {}
    return DevelopmentRecords(staff, cycle_staff, training, designations, mentoring, names)


def _posted_one(connection: Any, teacher_id: Any, day: dt.date, schools: _Schools) -> uuid.UUID | None:
    row = connection.execute(
        select(_text(Posting.school_id)).where(_text(Posting.teacher_id) == teacher_id,
                                               Posting.holds_personnel.is_(True), Posting.start <= day,
                                               or_(Posting.end_on.is_(None), Posting.end_on >= day))
        .order_by(Posting.start.desc()).limit(1)).scalar()
    return schools[row] if row is not None else None
