"""Loading the records ``policy.teacher_development`` checks: who is in post where, their
training hours, 种子教师 / 榜样教师 designations and 师徒结对 pairings.

Teacher ids stay as the driver returns them read as text (they are only matched with each
other); school ids become UUIDs (matched with ``policy.clusters.SchoolRec``), through a small
cache: converting 50,000 ids one by one is most of the cost of a check.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, union
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from db.ids import id_text
from db.models import Pairing, Posting, School, Teacher, TeacherDesignation, TrainingRecord
from db.spans import holds_on
from db.store import Store
from policy import vocab
from policy.clusters import SchoolRec
from policy.profile import Profile
from policy.teacher_development import (
    Cycle,
    DesignationRec,
    DevelopmentRecords,
    MentoringRec,
    StaffRec,
    TrainingRec,
    owed_hours,
    previous_cycle,
)


class _Schools(dict[Any, uuid.UUID]):
    """Stored school id → UUID, converted once per distinct school."""

    def __missing__(self, key: object) -> uuid.UUID:
        value = self[key] = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
        return value


def _staff(connection: Connection, day: dt.date, schools: _Schools, only: Any = None) -> list[StaffRec]:
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
    for teacher, name, school in connection.execute(query).all():
        if teacher in found:  # a second personnel posting the same day: the later one holds
            del found[teacher]
        found[teacher] = StaffRec(teacher, name, schools[school])
    return list(found.values())


def load(store: Store, profile: Profile, on: dt.date, schools_known: Sequence[SchoolRec] = ()) -> DevelopmentRecords:
    """Everything the teacher-development rules read for a check on ``on``. ``schools_known``:
    the schools the check covers (the rural 专项 hours are asked of their teachers only)."""
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
        cycle_staff, training = _maybe_behind(connection, judged, profile, schools_known, schools) if judged else ([], [])
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


def _maybe_behind(connection: Connection, cycle: Cycle, profile: Profile, known: Sequence[SchoolRec],
                  schools: _Schools) -> tuple[list[StaffRec], list[TrainingRec]]:
    """Who was in post on the cycle's last day short of either figure, with their hours: one
    query in which the database sums each teacher's hours and keeps only those below what
    :func:`policy.teacher_development.owed_hours` asks of their school (a city has 50,000
    teachers, and most have done their hours). The policy still judges each line; the hours
    come as one record of 专项 hours and one of the others, dated the cycle's first day.

    Two personnel postings on one day (a data error the import refuses): the one that started
    later holds."""
    required = owed_hours(None, profile)[0]
    owing: dict[float, list[uuid.UUID]] = defaultdict(list)
    for school in known:
        owing[owed_hours(school, profile)[1]].append(school.id)
    in_cycle = (TrainingRecord.teacher_id == Posting.teacher_id, TrainingRecord.completed_on >= cycle.start,
                TrainingRecord.completed_on < cycle.end)
    # Sums per posting through the (teacher, day, course) key: one index range per teacher,
    # cheaper than grouping every record of the cycle and joining the groups.
    day = cycle.last_day
    posted = select(
        Posting.id.label("posting_id"), Posting.teacher_id.label("teacher_id"), Posting.school_id.label("school_id"),
        Posting.start.label("start"),
        select(func.coalesce(func.sum(TrainingRecord.hours), 0)).where(*in_cycle).scalar_subquery().label("total"),
        select(func.coalesce(func.sum(TrainingRecord.hours), 0)).where(*in_cycle, TrainingRecord.special.is_(True))
        .scalar_subquery().label("special"),
    ).where(_personnel_on(Posting, day)).subquery()
    later = aliased(Posting)
    short = [posted.c.total < required] + [and_(posted.c.school_id.in_(ids), posted.c.special < owed)
                                           for owed, ids in sorted(owing.items()) if owed > 0]
    query = (select(id_text(posted.c.teacher_id), Teacher.name, id_text(posted.c.school_id), posted.c.total,
                    posted.c.special)
             .join(Teacher, Teacher.id == posted.c.teacher_id)
             .join(School, School.id == posted.c.school_id)
             .where(or_(*short),
                    ~exists().where(later.teacher_id == posted.c.teacher_id, _personnel_on(later, day),
                                    or_(later.start > posted.c.start,
                                        and_(later.start == posted.c.start, later.id > posted.c.posting_id))))
             .order_by(School.code, Teacher.name))
    staff, training = [], []
    for teacher, name, school, all_hours, special_hours in connection.execute(query):
        staff.append(StaffRec(teacher, name, schools[school]))
        if all_hours - special_hours:
            training.append(TrainingRec(teacher, cycle.start, float(all_hours - special_hours), False))
        if special_hours:
            training.append(TrainingRec(teacher, cycle.start, float(special_hours), True))
    return staff, training


def _personnel_on(posting: type[Posting] | AliasedClass[Posting], day: dt.date) -> ColumnElement[bool]:
    return and_(posting.holds_personnel.is_(True), holds_on(posting.start, day, last=posting.end_on))


def _posted_one(connection: Connection, teacher_id: str, day: dt.date, schools: _Schools) -> uuid.UUID | None:
    row = connection.execute(
        select(id_text(Posting.school_id)).where(Posting.teacher_id == uuid.UUID(teacher_id),
                                               Posting.holds_personnel.is_(True),
                                               holds_on(Posting.start, day, last=Posting.end_on))
        .order_by(Posting.start.desc()).limit(1)).scalar()
    return schools[row] if row is not None else None
