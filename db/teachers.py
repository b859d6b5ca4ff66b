"""Loading teachers, postings and exemptions as the plain records ``policy`` works on.

Reads with Core selects (no ORM objects). Teacher keys are the database ids *as text*
(``uuid.UUID(key)`` gives the id back): building 150,000 UUID objects would cost more than
the eligibility rules themselves. Schools are named by their codes.
"""

from __future__ import annotations

from sqlalchemy import String, select, type_coerce

from db.models import Exemption, Posting, School, Teacher
from db.store import Store
from policy.eligibility import EligibilityResult, ExemptionRec, PostingRec, TeacherRec, eligibility
from policy.profile import Profile


def _text(column):  # type: ignore[no-untyped-def]
    return type_coerce(column, String)


def load_records(store: Store) -> tuple[list[TeacherRec], list[PostingRec], list[ExemptionRec]]:
    """Every teacher, posting and exemption of the store as plain records."""
    t, p, e, s = Teacher.__table__, Posting.__table__, Exemption.__table__, School.__table__
    with store.read() as session:
        connection = session.connection()
        teachers = [
            TeacherRec(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])
            for row in connection.execute(select(
                _text(t.c.id), t.c.id_number, t.c.name, t.c.gender, t.c.birth_date, t.c.subject,
                t.c.backbone_level, t.c.position).order_by(t.c.id_number))
        ]
        postings = [
            PostingRec(row[0], row[1], row[2], row[3], row[4], row[5])
            for row in connection.execute(
                select(_text(p.c.teacher_id), s.c.code, p.c.start, p.c.end_on, p.c.holds_personnel, p.c.kind)
                .join(s, s.c.id == p.c.school_id))
        ]
        exemptions = [
            ExemptionRec(row[0], row[1], row[2], row[3], row[4])
            for row in connection.execute(select(_text(e.c.teacher_id), e.c.reason, e.c.start, e.c.end_on, e.c.evidence))
        ]
    return teachers, postings, exemptions


def store_eligibility(store: Store, profile: Profile, school_year: int) -> EligibilityResult:
    """Eligibility for ``school_year`` over everyone in the store."""
    teachers, postings, exemptions = load_records(store)
    return eligibility(teachers, postings, exemptions, profile, school_year)
