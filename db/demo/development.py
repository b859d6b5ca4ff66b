"""Teacher development: training hours, 种子教师 / 榜样教师 and 师徒结对 (issue 11), so the
checks have records to judge on first start instead of flagging every teacher and school.

Most teachers did their hours in the 2021–2025 cycle (the one judged on :data:`TODAY`), every
乡村 school has its seed and model teachers, and most mentoring pairs run their three years; a
few schools in each county fall short of each, so each rule fires on a few schools, not all.
Drawn last, from the builder's Random, so every row drawn before stays as it was.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from db.demo.base import BuilderBase
from db.demo.names import TODAY
from db.demo.records import _School, _Teacher

CYCLE = range(2021, 2026)  # the judged cycle: 2021-01-01 to 2025-12-31 (training.cycle_start)
CYCLE_END = dt.date(2025, 12, 31)
COURSES = ("暑期全员培训", "新课程标准专题培训", "信息技术应用能力提升工程2.0", "师德师风专题培训",
           "学科教学能力研修", "班主任专业能力培训")
SPECIAL_COURSE = "国培计划乡村教师专项培训"
DESIGNATION_STARTS = (dt.date(2022, 9, 1), dt.date(2023, 9, 1), dt.date(2024, 9, 1))
BEHIND_SCHOOLS = 0.04  # share of schools with a teacher or two short of 360 hours
SPECIAL_BEHIND = 0.05  # share of 乡村 schools with a teacher short of the 专项 hours
OFF_COUNT = 0.07  # share of 乡村 schools whose seed or model teachers are too few or too many
MENTORED = 0.5  # share of 乡村 schools with a young teacher under a mentor
CUT_SHORT = 0.08  # share of those pairings ended before their three years


class DevelopmentPart(BuilderBase):
    """Training records, designations and mentoring pairs of every county."""

    def make_development(self) -> None:
        staff: dict[uuid.UUID, list[_Teacher]] = defaultdict(list)
        for teacher in self.teachers:
            if teacher.home_start <= TODAY:
                staff[teacher.home.id].append(teacher)
        for county in self.counties:
            self.make_training(county.schools)
            rural = [s for s in county.schools if s.location == "乡村" and s.stage != "教学点"]
            self.make_designations(rural, staff)
            mentors = [t for s in county.schools if s.location != "乡村" for t in staff[s.id] if t.backbone]
            self.make_mentoring(rural, staff, mentors)

    def school_on(self, teacher: _Teacher, day: dt.date) -> _School | None:
        """The school holding ``teacher``'s personnel relationship on ``day``."""
        if teacher.home_start <= day:
            return teacher.home
        return next((school for school, start, end in self._earlier.get(teacher.id, ())
                     if start <= day and (end is None or day <= end)), None)

    def make_training(self, schools: list[_School]) -> None:
        """Three courses per teacher in the judged cycle (360 hours or more; a 乡村 teacher's
        include the 180-hour 专项 course), a few short; a 2026 course for some (progress)."""
        rng = self.rng
        short = {s.id for s in rng.sample(schools, max(1, round(len(schools) * BEHIND_SCHOOLS)))}
        rural = [s for s in schools if s.location == "乡村"]
        special_short = {s.id for s in rng.sample(rural, max(1, round(len(rural) * SPECIAL_BEHIND)))}
        ids = {s.id for s in schools}
        lagging: dict[uuid.UUID, int] = {}  # school id → how many of its teachers fall short
        for teacher in self.teachers:
            school = self.school_on(teacher, CYCLE_END)
            if school is None or school.id not in ids:
                continue
            years = [y for y in CYCLE if y >= teacher.started.year]
            if not years:
                continue
            hours = [rng.choice((120, 126, 132, 144)) for _ in range(3)]
            special = 180 if school.location == "乡村" else 0
            if school.id in short and lagging.get(school.id, 0) < 2 and rng.random() < 0.3:
                lagging[school.id] = lagging.get(school.id, 0) + 1
                hours = [rng.choice((48, 60, 72)), rng.choice((90, 96, 108))]  # short of 360
                special = min(special, 108)
            elif special and school.id in special_short and lagging.get(school.id, 0) < 2 and rng.random() < 0.3:
                lagging[school.id] = lagging.get(school.id, 0) + 1
                special, hours = rng.choice((72, 90, 120)), [144, 144, 144]  # 360 in all, the 专项 short
            if special:
                hours = [special] + hours[1:]
            courses = rng.sample(COURSES, len(hours))
            for index, (course, amount) in enumerate(zip(courses, hours, strict=True)):
                year = years[min(len(years) - 1, index * len(years) // len(hours))]
                is_special = bool(special) and index == 0
                self.add("training_record", teacher_id=teacher.id,
                         completed_on=self.weekday(dt.date(year, 7, 6), dt.date(year, 8, 21)),
                         course=SPECIAL_COURSE if is_special else course, hours=float(amount), special=is_special)
            if rng.random() < 0.4:
                self.add("training_record", teacher_id=teacher.id,
                         completed_on=self.weekday(dt.date(2026, 7, 6), dt.date(2026, 8, 21)),
                         course="2026年" + rng.choice(COURSES), hours=float(rng.choice((24, 30, 36))), special=False)

    def make_designations(self, rural: list[_School], staff: dict[uuid.UUID, list[_Teacher]]) -> None:
        """2–3 种子教师 and 1–2 榜样教师 at most 乡村 schools; a few with too few or too many."""
        rng = self.rng
        off = {s.id: i for i, s in enumerate(rng.sample(rural, max(1, round(len(rural) * OFF_COUNT))))}
        for school in rural:
            people = sorted(staff[school.id], key=lambda t: (t.backbone is None, t.started))
            seeds, models = rng.choice((2, 2, 3)), rng.choice((1, 1, 2))
            if school.id in off:  # one seed teacher, no model teacher, four seed teachers, in turn
                seeds, models = ((1, models), (seeds, 0), (4, models))[off[school.id] % 3]
            chosen = rng.sample(people[:max(seeds + models, len(people) // 2)], min(len(people), seeds + models))
            for index, teacher in enumerate(chosen):
                start = rng.choice(DESIGNATION_STARTS)
                if start < teacher.home_start:  # named some weeks after joining the school
                    start = teacher.home_start + dt.timedelta(days=30)
                self.add("teacher_designation", teacher_id=teacher.id,
                         kind="种子教师" if index < seeds else "榜样教师", start=start, end_on=None)

    def make_mentoring(self, rural: list[_School], staff: dict[uuid.UUID, list[_Teacher]],
                       mentors: list[_Teacher]) -> None:
        """A backbone teacher of a town or city school follows a young 乡村 teacher for three
        years; a few pairings ended after one (the check reports them)."""
        rng = self.rng
        if not mentors:
            return
        made = 0
        for school in rural:
            young = [t for t in staff[school.id] if t.started.year >= 2022 and t.home_start <= dt.date(2024, 9, 1)]
            if not young or rng.random() >= MENTORED:
                continue
            made += 1
            apprentice = rng.choice(young)
            mentor = rng.choice([t for t in mentors if t.subject == apprentice.subject] or mentors)
            start = dt.date(max(apprentice.started.year, apprentice.home_start.year, 2022), 9, 1)
            end = None
            if rng.random() < CUT_SHORT or made == 2:  # the county's second pairing ended early: one at least
                end = dt.date(start.year + 1, 8, 31)
            elif start.year == 2022:
                end = dt.date(2025, 8, 31)  # three full years
            self.add("pairing", kind="师徒结对", supporter_teacher_id=mentor.id, supporter_name=mentor.name,
                     supporter_school_id=mentor.home.id, target_teacher_id=apprentice.id,
                     start=start, end=end)
