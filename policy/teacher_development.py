"""The seeds' teacher-development duties, checked per school with the clause they rest on.

* Training hours (太平区2023方案 四(二)1; 保山2022方案 16): every teacher at least
  ``training.hours_5y`` hours in each five-year cycle; every teacher and principal of a rural
  school also ``training.rural_hours`` hours of the rural 专项培训 (海门2019计划 三(四)2). A
  cycle is judged once it has ended (in its first years nobody has 360 hours yet, which is no
  shortfall); the current cycle's hours are shown as progress.
* 种子教师 / 榜样教师 (海门2019计划 三(五)3): every 乡村 school has 2–3 and 1–2 of them. A
  教学点 is not a school of its own here (its teachers belong to the central school's staff).
* 师徒结对 (银川2023方案 二(三)9): a young teacher of a rural school is followed for
  ``mentoring.years`` years; a pairing that ended sooner, or whose 徒弟 is not at a rural school,
  is reported.

Works on plain records (``db.teacher_development`` loads them); knows neither Qt nor SQL.
Findings are :class:`policy.clusters.Violation` with subject_kind "school" (waivers apply as to
every school rule); they are rows of their own in ``check`` (``"teacher_development"``), apart
from the cluster and school rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from policy import vocab
from policy.calendar import Span
from policy.clusters import SchoolRec, Violation, WaiverRec, apply_waivers, counts_as_rural
from policy.profile import Profile

Id = uuid.UUID
TeacherId = Any  # a teacher's stored id as the loader read it (only matched with each other)
SEED, MODEL = vocab.DESIGNATIONS
#: How many names a school's finding lists before "等N人".
LISTED = 8

class StaffRec(NamedTuple):
    """A teacher and the school holding their personnel relationship on a day (a tuple: a city
    has 50,000 of them, and a frozen dataclass costs ten times as much to make)."""

    id: TeacherId
    name: str
    school_id: Id


@dataclasses.dataclass(frozen=True, slots=True)
class TrainingRec:
    teacher_id: TeacherId
    completed_on: dt.date
    hours: float
    special: bool = False  # 乡村教师专项培训


@dataclasses.dataclass(frozen=True, slots=True)
class DesignationRec:
    teacher_id: TeacherId
    kind: str  # 种子教师 / 榜样教师
    start: dt.date
    end_on: dt.date | None = None

    def active_on(self, on: dt.date) -> bool:
        return Span(self.start, self.end_on).contains(on)


@dataclasses.dataclass(frozen=True, slots=True)
class MentoringRec:
    """A 师徒结对: the mentor as the register names them, the 徒弟 a teacher of the roster."""

    id: Any
    mentor: str
    apprentice_id: TeacherId
    start: dt.date
    end: dt.date | None = None
    # The school holding the 徒弟's personnel relationship on the pairing's last tracked day
    # (its end, or the checked day while it runs); None when they were in post nowhere.
    school_id: Id | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DevelopmentRecords:
    """What the teacher-development rules read. ``staff``: teachers in post on the checked day
    (the loader gives those designated or mentored: no other rule reads them); ``cycle_staff``:
    those in post on the last day of the cycle that ended most recently (the loader gives only
    those the database finds short of a figure of :func:`owed_hours`; the rest could not be
    behind); ``training``: records in that cycle (the loader gives per-teacher sums, which count
    the same)."""

    staff: Sequence[StaffRec] = ()
    cycle_staff: Sequence[StaffRec] = ()
    training: Sequence[TrainingRec] = ()
    designations: Sequence[DesignationRec] = ()
    mentoring: Sequence[MentoringRec] = ()
    names: dict[TeacherId, str] = dataclasses.field(default_factory=dict)  # every teacher's name, for 徒弟 not in post


@dataclasses.dataclass(frozen=True, slots=True)
class Cycle:
    """A five-year training cycle: ``start`` up to the day before ``end``."""

    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}至{self.last_day.isoformat()}"

    def holds(self, day: dt.date) -> bool:
        return self.start <= day < self.end


class TrainingLine(NamedTuple):
    """One teacher's hours in a cycle against what the profile asks (0 required: not asked)."""

    teacher_id: TeacherId
    name: str
    school: str  # code
    hours: float
    required: float
    special_hours: float
    special_required: float

    @property
    def behind(self) -> bool:
        return self.hours + 1e-9 < self.required or self.special_hours + 1e-9 < self.special_required

    def as_json(self) -> dict[str, object]:
        return {"teacher": self.name, "school": self.school, "hours": self.hours, "required": self.required,
                "special_hours": self.special_hours, "special_required": self.special_required}


@dataclasses.dataclass(frozen=True, slots=True)
class DevelopmentResult:
    violations: tuple[Violation, ...]
    judged_cycle: Cycle | None  # the cycle the training findings are about (None: rule off)
    current_cycle: Cycle | None
    behind: tuple[TrainingLine, ...]  # who fell short in the judged cycle
    training_clause: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "findings": [v.as_json() for v in self.violations],
            "clause": self.training_clause,
            "judged_cycle": _cycle_json(self.judged_cycle),
            "current_cycle": _cycle_json(self.current_cycle),
            "behind": [line.as_json() for line in self.behind],
        }


def _cycle_json(cycle: Cycle | None) -> dict[str, str] | None:
    return {"start": cycle.start.isoformat(), "end": cycle.last_day.isoformat()} if cycle else None


def _value(profile: Profile, figure_id: str) -> Any:
    return profile.value(figure_id) if figure_id in profile.figures else None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def cycle_on(profile: Profile, day: dt.date) -> Cycle | None:
    """The training cycle holding ``day`` (``training.cycle_start`` + k × ``training.cycle_years``)."""
    start_text, years = _value(profile, "training.cycle_start"), _value(profile, "training.cycle_years")
    if not start_text or not years:
        return None
    start, years = dt.date.fromisoformat(str(start_text)), int(years)
    while day < start:
        start = _add_years(start, -years)
    while _add_years(start, years) <= day:
        start = _add_years(start, years)
    return Cycle(start, _add_years(start, years))


def previous_cycle(profile: Profile, day: dt.date) -> Cycle | None:
    """The last cycle that ended on or before ``day``: the one whose hours are due."""
    current = cycle_on(profile, day)
    return cycle_on(profile, current.start - dt.timedelta(days=1)) if current else None


def owed_hours(school: SchoolRec | None, profile: Profile) -> tuple[float, float]:
    """(hours, rural 专项 hours) a teacher of ``school`` owes in a cycle; 0: not asked. The
    专项 hours are asked at rural schools and 教学点 only (``None``: the first figure alone)."""
    hours_5y, rural = _value(profile, "training.hours_5y"), _value(profile, "training.rural_hours")
    special = float(rural) if rural is not None and school is not None and counts_as_rural(school, False) else 0.0
    return float(hours_5y or 0), special


def training_lines(staff: Sequence[StaffRec], training: Sequence[TrainingRec], cycle: Cycle,
                   schools: dict[Id, SchoolRec], profile: Profile, behind_only: bool = False) -> list[TrainingLine]:
    """Each teacher's hours in ``cycle`` (up to its end), with what they owe, by school code and
    name; ``behind_only``: only those short of either figure (a city has 50,000 teachers)."""
    required = owed_hours(None, profile)[0]
    total: dict[TeacherId, float] = defaultdict(float)
    special: dict[TeacherId, float] = defaultdict(float)
    for record in training:
        if cycle.holds(record.completed_on):
            total[record.teacher_id] += record.hours
            if record.special:
                special[record.teacher_id] += record.hours
    owed = {sid: (s.code, owed_hours(s, profile)[1]) for sid, s in schools.items()}
    lines = []
    for person in staff:
        place = owed.get(person.school_id)
        if place is None:
            continue
        hours = total.get(person.id, 0.0) if total else 0.0
        special_hours = special.get(person.id, 0.0) if special else 0.0
        if behind_only and hours + 1e-9 >= required and special_hours + 1e-9 >= place[1]:
            continue
        lines.append(TrainingLine(person.id, person.name, place[0], hours, required, special_hours, place[1]))
    if any((a[2], a[1]) > (b[2], b[1]) for a, b in zip(lines, lines[1:])):  # the loader gives them in order
        lines.sort(key=itemgetter(2, 1))  # school code, name
    return lines


def _names(lines: Sequence[TrainingLine], special: bool) -> str:
    """The first :data:`LISTED` names with their hours, then 等N人."""
    shown = "、".join(f"{line.name}{line.special_hours if special else line.hours:g}学时" for line in lines[:LISTED])
    return shown + (f"等{len(lines)}人" if len(lines) > LISTED else "")


def check(schools: Sequence[SchoolRec], records: DevelopmentRecords, profile: Profile, on: dt.date,
          waivers: Sequence[WaiverRec] = ()) -> DevelopmentResult:
    """Every teacher-development rule of ``profile`` as things stood on ``on``, by school code."""
    by_id = {s.id: s for s in schools}
    found: list[Violation] = []

    def add(rule: str, figure_id: str, school: SchoolRec, detail: str) -> None:
        found.append(Violation(rule, school.code, detail, profile.clause(figure_id), "school", school.id))

    judged, current = previous_cycle(profile, on), cycle_on(profile, on)
    behind: list[TrainingLine] = []
    if judged is not None:
        behind = training_lines(records.cycle_staff, records.training, judged, by_id, profile, behind_only=True)
        _training_findings(behind, judged, by_id, add)
    _designation_findings(schools, records, profile, on, add)
    _mentoring_findings(records, by_id, profile, on, add)
    found.sort(key=lambda v: (v.subject, v.rule))
    clause = profile.clause("training.hours_5y") if "training.hours_5y" in profile.figures else ""
    return DevelopmentResult(tuple(apply_waivers(found, waivers, on)), judged, current, tuple(behind), clause)


def _training_findings(behind: Sequence[TrainingLine], cycle: Cycle, by_id: dict[Id, SchoolRec],
                       add: Callable[[str, str, SchoolRec, str], None]) -> None:
    by_school: dict[str, list[TrainingLine]] = defaultdict(list)
    for line in behind:
        by_school[line.school].append(line)
    schools = {s.code: s for s in by_id.values()}
    for code, lines in sorted(by_school.items()):
        school = schools[code]
        short = [line for line in lines if line.hours + 1e-9 < line.required]
        if short:
            add("training.hours", "training.hours_5y", school,
                f"{school.name}有{len(short)}名教师在{cycle.label}培训周期内不足{short[0].required:g}学时："
                + _names(short, False))
        rural = [line for line in lines if line.special_hours + 1e-9 < line.special_required]
        if rural:
            add("training.rural_hours", "training.rural_hours", school,
                f"{school.name}有{len(rural)}名教师、校长在{cycle.label}内乡村教师专项培训不足"
                f"{rural[0].special_required:g}学时：" + _names(rural, True))


def _designation_findings(schools: Sequence[SchoolRec], records: DevelopmentRecords, profile: Profile,
                          on: dt.date, add: Callable[[str, str, SchoolRec, str], None]) -> None:
    school_of = {person.id: person.school_id for person in records.staff}
    counts: dict[tuple[Id, str], int] = defaultdict(int)
    for d in records.designations:
        if d.active_on(on) and d.teacher_id in school_of:
            counts[(school_of[d.teacher_id], d.kind)] += 1
    for kind, rule, low_id, high_id in ((SEED, "teachers.seed", "teachers.seed_min", "teachers.seed_max"),
                                        (MODEL, "teachers.model", "teachers.model_min", "teachers.model_max")):
        low, high = _value(profile, low_id), _value(profile, high_id)
        if low is None and high is None:
            continue
        for school in sorted(schools, key=lambda s: s.code):
            if school.location != vocab.RURAL or school.is_teaching_point:
                continue
            n = counts[(school.id, kind)]
            if (low is not None and n < int(low)) or (high is not None and n > int(high)):
                span = f"{low}～{high}" if low is not None and high is not None else (
                    f"至少{low}" if low is not None else f"至多{high}")
                add(rule, low_id if low is not None and n < int(low) else high_id, school,
                    f"{school.name}现有{kind}{n}名，每所乡村学校应为{span}名")


def _mentoring_findings(records: DevelopmentRecords, by_id: dict[Id, SchoolRec], profile: Profile,
                        on: dt.date, add: Any) -> None:
    years = _value(profile, "mentoring.years")
    if years is None:
        return
    for pair in sorted(records.mentoring, key=lambda p: (p.start, p.mentor)):
        school = by_id.get(pair.school_id) if pair.school_id else None
        if pair.start > on or school is None:
            continue
        name = records.names.get(pair.apprentice_id, "")
        last_due = mentoring_due(pair.start, int(years))
        if pair.end is not None and pair.end < last_due and pair.end <= on:
            add("mentoring.years", "mentoring.years", school,
                f"{pair.mentor}与{name}的师徒结对{pair.start.isoformat()}起，{pair.end.isoformat()}结束，"
                f"未满{int(years)}年跟踪培养（应至{last_due.isoformat()}）")
        elif (pair.end is None or pair.end >= on) and not counts_as_rural(school, False):
            add("mentoring.years", "mentoring.years", school,
                f"{pair.mentor}与{name}的师徒结对：徒弟所在的{school.name}（{school.location}）不是农村学校，"
                f"跟踪培养的对象应是农村学校的青年教师")


class _Started(Protocol):
    @property
    def start(self) -> dt.date: ...


def mentoring_due(start: dt.date, years: int) -> dt.date:
    """The last day a pairing from ``start`` must run to give its ``years`` years of 跟踪培养
    (``mentoring.years``): one that ended before it was cut short."""
    return _add_years(start, years) - dt.timedelta(days=1)


def mentoring_year(pair: _Started, on: dt.date) -> int:
    """Which year of the pairing ``on`` falls in: 1, 2, 3 … (0 before it starts)."""
    if on < pair.start:
        return 0
    year = 1
    while _add_years(pair.start, year) <= on:
        year += 1
    return year
