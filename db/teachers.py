"""Loading teachers, postings and exemptions as the plain records ``policy`` works on.

Reads with Core selects (no ORM objects). Teacher keys are the database ids *as text*
(``uuid.UUID(key)`` gives the id back): building 150,000 UUID objects would cost more than
the eligibility rules themselves. Schools are named by their codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from db.gc_pause import gc_paused
from db.ids import stored_id_text
from db.models import Exemption, Posting, School, Teacher
from db.spans import holds_on
from db.store import Store
from policy import vocab
from policy.eligibility import EligibilityResult, ExemptionRec, PostingRec, TeacherRec, eligibility
from policy.profile import Profile


class _Days(dict[Any, Any]):
    """DATE values as the driver returns them (SQLite: ISO text; PostgreSQL: dates) → dates.

    A few thousand distinct days recur across 150,000 rows: each is parsed the first time
    it is looked up (``__missing__``), NULL gives None.
    """

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, value: Any) -> Any:
        day = self[value] = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return day


def load_records(
    store: Store, on: dt.date | None = None
) -> tuple[list[TeacherRec], list[PostingRec], list[ExemptionRec]]:
    """Every teacher, posting and exemption of the store as plain records.

    With ``on``, only what eligibility on that day can use: personnel postings (not a
    temporary form) begun by then, and exemptions in force then — at city scale about
    half the rows, fetched in one ``fetchall`` each.
    """
    t, p, e, s = Teacher.__table__, Posting.__table__, Exemption.__table__, School.__table__
    dialect = store.engine.dialect

    def id_text(column: Any) -> Any:
        return stored_id_text(column, dialect.name)

    # Postings name their school by id, mapped to its code here: cheaper than a join per row.
    posting_query = select(id_text(p.c.teacher_id), id_text(p.c.school_id), p.c.start, p.c.end_on,
                           p.c.holds_personnel, p.c.kind)
    exemption_query = select(id_text(e.c.teacher_id), e.c.reason, e.c.start, e.c.end_on, e.c.evidence)
    if on is not None:
        posting_query = posting_query.where(p.c.holds_personnel.is_(True), p.c.start <= on,
                                            p.c.kind.not_in(vocab.TEMPORARY_FORMS))
        exemption_query = exemption_query.where(holds_on(e.c.start, on, last=e.c.end_on))
    with store.read() as session:
        connection = session.connection()
        # The driver's own cursor and tuples: SQLAlchemy's row processing (even its Row
        # objects) would cost more than the rules.
        cursor = connection.connection.cursor()

        def rows(query: Select[Any]) -> Sequence[Any]:
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            cursor.execute(sql)
            return cursor.fetchall()

        try:
            teacher_rows = rows(select(id_text(t.c.id), t.c.id_number, t.c.name, t.c.gender, t.c.birth_date,
                                       t.c.subject, t.c.backbone_level, t.c.position, t.c.position_since)
                                .order_by(t.c.id_number))
            code = dict(rows(select(id_text(s.c.id), s.c.code)))
            posting_rows = rows(posting_query)
            exemption_rows = rows(exemption_query)
        finally:
            cursor.close()
    day = _Days()
    # tuple.__new__ skips the named tuples' Python-level __new__ (150,000 calls at city scale).
    make, teacher, posting = tuple.__new__, TeacherRec, PostingRec
    teachers = [make(teacher, (key, id_number, name, gender, day[born], subject, backbone, position, day[since]))
                for key, id_number, name, gender, born, subject, backbone, position, since in teacher_rows]
    postings = [make(posting, (key, code[school], day[start], day[end], bool(personnel), kind))
                for key, school, start, end, personnel, kind in posting_rows]
    exemptions = [ExemptionRec(key, reason, day[start], day[end], evidence)
                  for key, reason, start, end, evidence in exemption_rows]
    return teachers, postings, exemptions


def store_eligibility(store: Store, profile: Profile, school_year: int) -> EligibilityResult:
    """Eligibility for ``school_year`` over everyone in the store."""
    with gc_paused():
        teachers, postings, exemptions = load_records(store, profile.exchange_reference_date(school_year))
        return eligibility(teachers, postings, exemptions, profile, school_year)
