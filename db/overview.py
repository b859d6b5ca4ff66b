"""The county's key figures for the 概览 page: a handful of SQL aggregates.

Every figure is one aggregate query (no rows are loaded into Python), so the page stays
fast at city scale (1,000 schools, 50,000 teachers).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session

from db import models
from db.spans import holds_on
from db.store import Store
from policy import vocab
from policy.calendar import Semester, school_year_of, semester_bounds, semester_of
from policy.errors import PolicyError
from policy.profile import Profile


@dataclasses.dataclass(frozen=True, slots=True)
class Overview:
    """Key figures on ``today`` under the active profile."""

    today: dt.date
    schools_by_location: dict[str, int]  # 城区/镇区/乡村 → schools, teaching points excluded
    teaching_points: int
    students: int
    teachers: int  # teachers with a posting open today
    backbone_teachers: int  # of those, with a backbone level
    clusters: int  # not dissolved today
    coverage_locations: tuple[str, ...]  # which 城乡类别 count as rural for coverage
    rural_schools: int  # schools of those locations, teaching points included
    rural_covered: int  # of those, with an open membership today
    coverage_target: float | None  # profile figure coverage.rural_in_cluster (None: rule off)
    coverage_clause: str
    semester: Semester
    visits_this_semester: int
    school_year: int
    exchanges_this_year: int  # not cancelled

    @property
    def schools(self) -> int:
        return sum(self.schools_by_location.values()) + self.teaching_points

    @property
    def backbone_share(self) -> float | None:
        return self.backbone_teachers / self.teachers if self.teachers else None

    @property
    def coverage(self) -> float | None:
        return self.rural_covered / self.rural_schools if self.rural_schools else None


def open_membership_on(today: dt.date) -> ColumnElement[bool]:
    """SQL condition: the school row of the outer query has an open membership on ``today``."""
    m = models.Membership
    return exists().where(m.school_id == models.School.id, holds_on(m.joined, today, left=m.left_on))


def county_overview(store: Store, profile: Profile, today: dt.date | None = None) -> Overview:
    """The 概览 figures for ``today`` (default: the real today)."""
    today = today or dt.date.today()
    s = models.School
    include_town = bool(profile.value("coverage.include_town"))
    locations = (vocab.RURAL, vocab.TOWN) if include_town else (vocab.RURAL,)
    semester = semester_of(today, profile.calendar)
    sem_start, sem_end = semester_bounds(semester, profile.calendar)
    year = school_year_of(today, profile.calendar)
    with store.read() as session:
        by_location = {loc: 0 for loc in vocab.LOCATIONS}
        teaching_points = 0
        # Group by the plain columns: PostgreSQL rejects a GROUP BY expression whose bound
        # parameter differs from the SELECT's.
        for stage, location, count in session.execute(
            select(s.stage, s.location, func.count()).group_by(s.stage, s.location)
        ):
            if stage == vocab.TEACHING_POINT:
                teaching_points += count
            else:
                by_location[location] = by_location.get(location, 0) + count
        students = session.scalar(select(func.coalesce(func.sum(s.students), 0))) or 0
        teachers, backbone = _teachers(session, today)
        c = models.Cluster
        clusters = session.scalar(
            select(func.count()).select_from(c).where(
                or_(c.founded.is_(None), c.founded <= today), or_(c.dissolved.is_(None), c.dissolved > today)
            )
        ) or 0
        rural = or_(s.location.in_(locations), s.stage == vocab.TEACHING_POINT)
        covered = case((open_membership_on(today), 1), else_=0)
        rural_total, rural_covered = session.execute(
            select(func.count(), func.coalesce(func.sum(covered), 0)).where(rural)
        ).one()
        v = models.Visit
        visits = session.scalar(
            select(func.count()).select_from(v).where(v.date >= sem_start, v.date <= sem_end)
        ) or 0
        e = models.Exchange
        exchanges = session.scalar(
            select(func.count()).select_from(e).where(e.school_year == year, e.status.not_in(("cancelled", "planned")))
        ) or 0
    try:
        target = profile.value("coverage.rural_in_cluster")
        clause = profile.clause("coverage.rural_in_cluster")
    except PolicyError:  # a profile without the figure: no target shown
        target, clause = None, ""
    return Overview(
        today=today,
        schools_by_location=by_location,
        teaching_points=teaching_points,
        students=int(students),
        teachers=teachers,
        backbone_teachers=backbone,
        clusters=clusters,
        coverage_locations=locations,
        rural_schools=int(rural_total or 0),
        rural_covered=int(rural_covered or 0),
        coverage_target=float(target) if target is not None else None,
        coverage_clause=clause,
        semester=semester,
        visits_this_semester=visits,
        school_year=year,
        exchanges_this_year=exchanges,
    )


def _teachers(session: Session, today: dt.date) -> tuple[int, int]:
    """Teachers with a posting open today, and how many of them are backbone teachers."""
    t, p = models.Teacher, models.Posting
    active = exists().where(p.teacher_id == t.id, holds_on(p.start, today, last=p.end_on))
    total, backbone = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((t.backbone_level.is_not(None), 1), else_=0)), 0),
        ).where(active)
    ).one()
    return int(total or 0), int(backbone or 0)


__all__ = ["Overview", "county_overview", "open_membership_on"]
