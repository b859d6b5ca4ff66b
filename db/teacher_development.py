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

from sqlalchemy import and_, func, select, union

from db.ids import id_text
from db.models import Pairing, Posting, School, Teacher, TeacherDesignation, TrainingRecord
from db.spans import holds_on
from db.store import Store
from policy import vocab
from policy.profile import Profile
from policy.teacher_development import (
    Cycle,
    DesignationRec,
    DevelopmentRecords,
    MentoringRec,
    StaffRec,
    TrainingRec,
    previous_cycle,
)


class _Schools(dict[Any, uuid.UUID]):
    """Stored school id → UUID, converted once per distinct school."""

    def __missing__(self, key: Any) -> uuid.UUID:
        value = self[key] = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
        return value


def _staff(session: Any, day: dt.date, schools: _Schools, only: Any = None) -> list[StaffRec]:
    """Teachers in post on ``day`` with the school holding their personnel relationship, by school
    code and name (the order the findings list them in; the latest posting wins when two
    overlap); ``only``: a subquery of the teacher ids wanted."""
    query = (select(id_text(Posting.teacher_id), Teacher.name, id_text(Posting.school_id))
             .join(Teacher, Teacher.id == Posting.teacher_id)
             .join(School, School.id == Posting.school_id)
             .where(Posting.holds_personnel.is_(True), holds_on(Posting.start, day, last=Posting.end_on))
             .order_by(School.code, Teacher.name, Posting.start))
    if only is not None:
        query = query.where(Posting.teacher_id.in_(only))
    found: dict[Any, StaffRec] = {}
    for teacher, name, school in session.execute(query).all():
        if teacher in found:  # a second personnel posting the same day: the later one holds
            del found[teacher]
        found[teacher] = StaffRec(teacher, name, schools[school])
    return list(found.values())


def load(store: Store, profile: Profile, on: dt.date) -> DevelopmentRecords:
    """Everything the teacher-development rules read for a check on ``on``."""
    judged = previous_cycle(profile, on)
    if all(figure not in profile.figures or profile.value(figure) is None
           for figure in ("training.hours_5y", "training.rural_hours")):
        judged = None  # the training rule is off: no need to read every teacher
    with store.read() as session:
        connection = session.connection()
        schools = _Schools()
        # On the checked day only the designated and the mentored matter (the training rule
        # reads the judged cycle's last day, for everyone).
        wanted: Any = union(select(TeacherDesignation.teacher_id),
                       select(Pairing.target_teacher_id).where(Pairing.kind == vocab.MENTORING,
                                                               Pairing.target_teacher_id.is_not(None)))
        staff = _staff(connection, on, schools, wanted)
        now = {person.id: person.school_id for person in staff}
        cycle_staff = _staff(connection, judged.last_day, schools) if judged else []
        training = _cycle_hours(connection, judged) if judged else []
        designations = [DesignationRec(t, kind, start, end) for t, kind, start, end in connection.execute(
            select(id_text(TeacherDesignation.teacher_id), TeacherDesignation.kind, TeacherDesignation.start,
                   TeacherDesignation.end_on))]
        mentoring = []
        for row in connection.execute(
            select(Pairing.id, Pairing.supporter_name, id_text(Pairing.target_teacher_id).label("apprentice"),
                   Pairing.start, Pairing.end)
            .where(and_(Pairing.kind == vocab.MENTORING, Pairing.target_teacher_id.is_not(None)))
        ):
            last = min(on, row.end) if row.end else on
            school = now.get(row.apprentice) if last == on else _posted_one(connection, row.apprentice, last, schools)
            mentoring.append(MentoringRec(row.id, row.supporter_name or "", row.apprentice, row.start, row.end,
                                          school))
        names: dict[str, str] = dict(connection.execute(select(id_text(Teacher.id), Teacher.name).where(
            Teacher.id.in_([uuid.UUID(pair.apprentice_id) for pair in mentoring]))).all()) if mentoring else {}
    return DevelopmentRecords(staff, cycle_staff, training, designations, mentoring, names)


def _cycle_hours(connection: Any, cycle: Cycle) -> list[TrainingRec]:
    """The cycle's hours per teacher, summed by the database: one record of 专项 hours and one of
    the others, each dated the cycle's first day (all the training rule needs of 50,000 teachers)."""
    rows = connection.execute(
        select(id_text(TrainingRecord.teacher_id), TrainingRecord.special, func.sum(TrainingRecord.hours))
        .where(TrainingRecord.completed_on >= cycle.start, TrainingRecord.completed_on < cycle.end)
        .group_by(TrainingRecord.teacher_id, TrainingRecord.special)).all()
    return [TrainingRec(teacher, cycle.start, float(hours), bool(special)) for teacher, special, hours in rows]


def _posted_one(connection: Any, teacher_id: Any, day: dt.date, schools: _Schools) -> uuid.UUID | None:
    row = connection.execute(
        select(id_text(Posting.school_id)).where(Posting.teacher_id == uuid.UUID(teacher_id),
                                               Posting.holds_personnel.is_(True),
                                               holds_on(Posting.start, day, last=Posting.end_on))
        .order_by(Posting.start.desc()).limit(1)).scalar()
    return schools[row] if row is not None else None
