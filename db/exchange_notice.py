"""The approved exchange plan of a school year as plain rows, for the public notice
(交流轮岗公示名单) and each teacher's exchange notice (交流通知书).

Only an *approved* :class:`~db.models.ExchangePlan` is published; its exchanges are listed
unless cancelled. Nothing is decided here — the plan was made (and checked) elsewhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import aliased

from db.engine import StoreError
from db.models import Exchange, ExchangePlan, School, Teacher
from db.store import Store


class NoApprovedPlan(StoreError):
    """The school year has no approved exchange plan."""


@dataclasses.dataclass(frozen=True, slots=True)
class NoticeRow:
    exchange_id: uuid.UUID
    name: str
    gender: str
    subject: str
    title: str
    backbone: str
    position: str
    from_school: str
    to_school: str
    to_location: str
    form: str
    start: dt.date | None
    end: dt.date | None
    moves_personnel: bool
    status: str


@dataclasses.dataclass(frozen=True, slots=True)
class ApprovedPlan:
    school_year: int
    approved_at: dt.datetime | None
    approved_by: str | None
    profile_id: str
    summary: dict[str, object]
    rows: tuple[NoticeRow, ...]


def approved_plan(store: Store, school_year: int) -> ApprovedPlan:
    """The approved plan of ``school_year`` with its exchanges by sending school, then name.

    Raises:
        NoApprovedPlan: no plan of that year has been approved.
    """
    source, target = aliased(School), aliased(School)
    with store.read() as session:
        plan = session.execute(
            select(ExchangePlan).where(ExchangePlan.school_year == school_year, ExchangePlan.status == "approved")
            .order_by(ExchangePlan.approved_at.desc())
        ).scalars().first()
        if plan is None:
            raise NoApprovedPlan(f"{school_year}—{school_year + 1}学年没有已批准的交流轮岗方案")
        rows = session.execute(
            select(Exchange.id, Teacher.name, Teacher.gender, Teacher.subject, Teacher.title, Teacher.backbone_level,
                   Teacher.position, source.name, target.name, target.location, Exchange.form, Exchange.start,
                   Exchange.end_on, Exchange.moves_personnel, Exchange.status)
            .join(Teacher, Teacher.id == Exchange.teacher_id)
            .join(source, source.id == Exchange.from_school_id)
            .join(target, target.id == Exchange.to_school_id)
            .where(Exchange.plan_id == plan.id, Exchange.status != "cancelled")
            .order_by(source.name, Teacher.name)
        ).all()
        result = ApprovedPlan(
            plan.school_year, plan.approved_at, plan.approved_by, plan.profile_id, dict(plan.summary or {}),
            tuple(NoticeRow(r[0], r[1], r[2], r[3] or "", r[4] or "", r[5] or "", r[6] or "教师", r[7], r[8], r[9],
                            r[10], r[11], r[12], bool(r[13]), r[14]) for r in rows),
        )
    return result
