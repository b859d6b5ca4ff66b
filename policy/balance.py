"""The 优质均衡 schedule (太平区2023方案 三(二)): which school reaches the standards by which year,
and what each still misses.

``balance.schedule`` names the schools per year ("2025:甲小学、乙中学；2026:…"); a school is due
at the end of its year, and every school at ``balance.deadline``. What a school misses is what
the checks already found against it: the school standards (规模, 班额, 生均占地: the open
findings of ``policy.clusters``) and the quality thresholds (``policy.quality``) on its latest
school year of figures; a school with no quality figures misses them all (nothing shows it
meets them). A due school that still misses something is a finding with the schedule's clause;
every scheduled school is a row of its own whether due or not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Sequence

from policy.clusters import RULE_LABELS, SchoolRec, Violation, WaiverRec, apply_waivers
from policy.errors import PolicyError
from policy.profile import Profile
from policy.quality import NOT_MET, judge
from policy.vocab import QUALITY_INDICATORS

STANDARD_RULES = ("school.max_students", "school.class_size", "school.land_per_student")
# The thresholds that concern 初中 pupils only (太平区2023方案 四(一)4: 初中在校生辍学率, 初中三年巩固率):
# a 小学 or 教学点 is not judged on them.
JUNIOR_ONLY = ("巩固率", "辍学率")
PRIMARY_ONLY_STAGES = ("小学", "教学点")
_ENTRY = re.compile(r"^\s*(\d{4})\s*[:：]\s*(.+?)\s*$")


def parse_schedule(text: str) -> list[tuple[int, list[str]]]:
    """"2025:甲、乙；2026:丙" → [(2025, ["甲", "乙"]), (2026, ["丙"])].

    Raises:
        PolicyError: an entry without a year, or a school named in two years.
    """
    entries: list[tuple[int, list[str]]] = []
    seen: dict[str, int] = {}
    for part in re.split(r"[；;\n]", text or ""):
        if not part.strip():
            continue
        match = _ENTRY.match(part)
        if not match:
            raise PolicyError(f"优质均衡推进计划“{part.strip()}”应写作 年份:学校、学校")
        year = int(match.group(1))
        names = [n.strip() for n in re.split(r"[、,，]", match.group(2)) if n.strip()]
        for name in names:
            if name in seen:
                raise PolicyError(f"优质均衡推进计划中“{name}”出现在{seen[name]}年和{year}年")
            seen[name] = year
        entries.append((year, names))
    return entries


@dataclasses.dataclass(frozen=True, slots=True)
class QualityYear:
    """A school's latest school year of quality figures (None: it has none)."""

    school_year: int
    values: dict[str, float]


@dataclasses.dataclass(frozen=True, slots=True)
class BalanceRow:
    name: str
    school: SchoolRec | None  # None: not in the school list
    due: dt.date
    missing: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.school is not None and not self.missing

    def as_json(self, on: dt.date) -> dict[str, object]:
        return {"school": self.school.code if self.school else None, "name": self.name,
                "due": self.due.isoformat(), "overdue": on > self.due, "missing": list(self.missing)}


@dataclasses.dataclass(frozen=True, slots=True)
class BalanceResult:
    on: dt.date
    rows: tuple[BalanceRow, ...]
    violations: tuple[Violation, ...]
    clause: str = ""

    def as_json(self) -> dict[str, object]:
        return {"clause": self.clause, "findings": [v.as_json() for v in self.violations],
                "schools": [row.as_json(self.on) for row in self.rows]}


def standard_findings(violations: Sequence[Violation]) -> dict[uuid.UUID | None, list[str]]:
    """School id → the labels of its open school-standard findings."""
    found: dict[uuid.UUID | None, list[str]] = {}
    for v in violations:
        if v.rule in STANDARD_RULES and not v.waived:
            found.setdefault(v.subject_id, []).append(RULE_LABELS[v.rule])
    return found


def missing_indicators(school: SchoolRec, standards: dict[uuid.UUID | None, list[str]], quality: QualityYear | None,
                       profile: Profile) -> tuple[str, ...]:
    """What keeps ``school`` from the standards: its open school-standard findings (from
    :func:`standard_findings`), then every quality threshold its latest figures miss (all of
    them when it has no figures)."""
    missing = list(standards.get(school.id, ()))
    for indicator in QUALITY_INDICATORS:
        figure_id = f"quality.{indicator}"
        if figure_id not in profile.figures or profile.value(figure_id) is None:
            continue
        if indicator in JUNIOR_ONLY and school.stage in PRIMARY_ONLY_STAGES:
            continue
        value = quality.values.get(indicator) if quality else None
        if value is None:
            missing.append(f"{indicator}（无数据）")
        elif judge(indicator, value, profile).status == NOT_MET:
            missing.append(f"{indicator}{value:g}%（{quality.school_year}学年）")  # type: ignore[union-attr]
    return tuple(dict.fromkeys(missing))


def check(schools: Sequence[SchoolRec], violations: Sequence[Violation], quality: dict[uuid.UUID, QualityYear],
          profile: Profile, on: dt.date, waivers: Sequence[WaiverRec] = ()) -> BalanceResult:
    """The schedule's rows and the findings on schools past their year that still miss something."""
    schedule_text = profile.value("balance.schedule") if "balance.schedule" in profile.figures else None
    deadline_text = profile.value("balance.deadline") if "balance.deadline" in profile.figures else None
    deadline = dt.date.fromisoformat(str(deadline_text)) if deadline_text else None
    by_name: dict[str, list[SchoolRec]] = {}
    for s in schools:
        by_name.setdefault(s.name, []).append(s)
    due: dict[str, dt.date] = {}  # name → the last day of its year
    for year, names in parse_schedule(str(schedule_text or "")):
        for name in names:
            due[name] = dt.date(year, 12, 31)
    standards = standard_findings(violations)
    rows: list[BalanceRow] = []
    found: list[Violation] = []
    for name, day in due.items():
        matches = by_name.get(name, [])
        if not matches:
            rows.append(BalanceRow(name, None, day, ()))
            if on > day:
                found.append(Violation("balance.schedule", name, f"计划{day.year}年达到优质均衡标准的“{name}”不在学校名单中",
                                       profile.clause("balance.schedule"), "school", None))
            continue
        for school in matches:
            rows.append(_row(school, day, standards, quality, profile))
    if deadline is not None:
        for school in sorted(schools, key=lambda s: s.code):
            if school.name not in due:
                rows.append(_row(school, deadline, standards, quality, profile))
    for row in rows:
        if row.school is not None and row.missing and on > row.due:
            figure_id = "balance.schedule" if row.name in due else "balance.deadline"
            found.append(Violation("balance.schedule", row.school.code,
                                   f"{row.school.name}应于{row.due.isoformat()}前达到优质均衡标准，仍未达标："
                                   + "、".join(row.missing), profile.clause(figure_id), "school", row.school.id))
    rows.sort(key=lambda r: (r.due, r.school.code if r.school else r.name))
    clause = profile.clause("balance.schedule") if schedule_text else (
        profile.clause("balance.deadline") if deadline else "")
    return BalanceResult(on, tuple(rows), tuple(apply_waivers(found, waivers, on)), clause)


def _row(school: SchoolRec, day: dt.date, standards: dict[uuid.UUID | None, list[str]],
         quality: dict[uuid.UUID, QualityYear], profile: Profile) -> BalanceRow:
    return BalanceRow(school.name, school, day, missing_indicators(school, standards, quality.get(school.id), profile))
