"""Who is due to exchange in a school year (太平区2023方案 四(二)3; 教师〔2014〕4号).

Tenure is counted in completed years, on the profile's reference date of the school
year (1 September by default), at the school that holds the teacher's personnel
relationship (人事关系). Only postings that hold the personnel relationship count:

* a temporary stint — 走教 / 支教 / 挂职 / 跟岗 / 柔性流动, or any posting that does not
  hold the personnel relationship — neither ends nor restarts tenure at the home school;
* a move of the personnel relationship to another school starts tenure afresh;
* consecutive personnel postings at the same school are joined (a re-appointment or a
  data-entry split does not reset the count).

Statuses: ``eligible`` (≥ exchange.eligible_years), ``mandatory`` (≥ exchange.max_years)
and ``exempt`` (an exemption in force on the reference date, or fewer than
exchange.retirement_exempt_years to retirement). Principals and vice-principals rotate
after principal.max_terms terms of principal.term_years. Teachers below the thresholds
are not listed. Every entry carries the clause it rests on.

Works on plain records (no SQL): ``db`` loads them. 50,000 teachers take well under a
second (see ``benchmarks/bench_teachers.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from policy import vocab
from policy.calendar import Span, add_years, completed_years
from policy.profile import Profile

ELIGIBLE = "eligible"
MANDATORY = "mandatory"
EXEMPT = "exempt"
STATUS_LABELS = {ELIGIBLE: "符合交流条件", MANDATORY: "须交流", EXEMPT: "免交流"}
PRINCIPAL_POSITIONS = ("校长", "副校长")
RETIREMENT_REASON = "距退休不足规定年限"
AGE_REASON = "超过交流年龄上限"


class TeacherRec(NamedTuple):
    """A teacher as the rules see one. ``key`` is any id the caller uses (the db's UUID).

    Records are named tuples, not dataclasses: a city loads 50,000 teachers and 100,000
    postings, and a tuple is built three times faster than a frozen dataclass.
    """

    key: Hashable
    id_number: str
    name: str
    gender: str
    birth_date: dt.date
    subject: str | None = None
    backbone_level: str | None = None
    position: str = "教师"
    position_since: dt.date | None = None  # 任现职时间: a principal's terms count from it

    @property
    def backbone(self) -> bool:
        return bool(self.backbone_level)


class PostingRec(NamedTuple):
    """Where a teacher worked; ``school`` is the school's code."""

    teacher: Hashable
    school: str
    start: dt.date
    end: dt.date | None = None
    holds_personnel: bool = True
    kind: str = "任职"


@dataclass(frozen=True, slots=True)
class ExemptionRec:
    """A registered exemption (孕期, 患病, …) with its date range (open when ``end`` is None)."""

    teacher: Hashable
    reason: str
    start: dt.date
    end: dt.date | None = None
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class EligibilityEntry:
    """One listed teacher: years at the personnel school and the status with its clause.

    ``due`` is what the teacher would be without the exemption (eligible or mandatory);
    ``reason`` names the exemption when ``status`` is exempt.
    """

    teacher: TeacherRec
    school: str
    tenure_start: dt.date
    years: int
    status: str
    due: str
    clause: str
    reason: str | None = None

    @property
    def backbone(self) -> bool:
        return self.teacher.backbone


@dataclass(slots=True)
class EligibilityResult:
    school_year: int
    reference_date: dt.date
    entries: list[EligibilityEntry] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {ELIGIBLE: 0, MANDATORY: 0, EXEMPT: 0}
        for entry in self.entries:
            counts[entry.status] += 1
        return counts

    @property
    def base(self) -> int:
        """Teachers who meet the conditions and are not exempt: the 10 % rule's denominator."""
        summary = self.summary
        return summary[ELIGIBLE] + summary[MANDATORY]

    def candidates(self) -> list[EligibilityEntry]:
        return [e for e in self.entries if e.status != EXEMPT]

    def to_json(self) -> dict[str, object]:
        """The shape ``edubridge eligibility --json`` prints (issue 4)."""
        return {
            "school_year": self.school_year,
            "reference_date": self.reference_date.isoformat(),
            "teachers": [
                {
                    "id_number": e.teacher.id_number,
                    "name": e.teacher.name,
                    "school_code": e.school,
                    "years_at_school": e.years,
                    "status": e.status,
                    "backbone": e.backbone,
                    "clause": e.clause,
                }
                for e in self.entries
            ],
            "summary": self.summary,
        }


def tenure(postings: Sequence[PostingRec], reference: dt.date) -> tuple[str, dt.date] | None:
    """The personnel school on ``reference`` and the day tenure there began, or None.

    ``postings`` are one teacher's, in any order. Earlier personnel postings at the same
    school count only while they run on without a gap (end dates are inclusive): a teacher
    who left in 2010 and came back in 2015 starts again in 2015.
    """
    if len(postings) == 1:  # most teachers: one posting, nothing to chain
        only = postings[0]
        if not only.holds_personnel or only.kind in vocab.TEMPORARY_FORMS or only.start > reference:
            return None
        if only.end is not None and only.end < reference:
            return None
        return only.school, only.start
    temporary = vocab.TEMPORARY_FORMS
    if len(postings) == 2:  # after one personnel move: the old stint and the new one
        a, b = postings
        if (a.holds_personnel and b.holds_personnel and a.kind not in temporary and b.kind not in temporary
                and a.start <= reference and b.start <= reference):
            if b.start < a.start:  # the order sorted() by start gives (stable on ties)
                a, b = b, a
            if b.end is not None and b.end < reference:
                return None
            if a.school == b.school and (a.end is None or a.end >= b.start - dt.timedelta(days=1)):
                return b.school, a.start
            return b.school, b.start
    personnel = sorted(
        (p for p in postings
         if p.holds_personnel and p.kind not in vocab.TEMPORARY_FORMS and p.start <= reference),
        key=lambda p: p.start,
    )
    if not personnel:
        return None
    current = personnel[-1]
    if current.end is not None and current.end < reference:
        return None  # left the system (retired, moved out of the county)
    start = current.start
    for previous in reversed(personnel[:-1]):
        contiguous = previous.end is None or previous.end >= start - dt.timedelta(days=1)
        if previous.school != current.school or not contiguous:
            break
        start = previous.start
    return current.school, start


def _in_force(exemption: ExemptionRec, day: dt.date) -> bool:
    return Span(exemption.start, exemption.end).contains(day)


def eligibility(
    teachers: Iterable[TeacherRec],
    postings: Iterable[PostingRec],
    exemptions: Iterable[ExemptionRec],
    profile: Profile,
    school_year: int,
) -> EligibilityResult:
    """Every teacher due (or exempted from) exchange in ``school_year``, with clauses.

    A figure switched off in the profile switches its rule off (e.g. no retirement
    exemption when exchange.retirement_exempt_years is disabled).
    """
    reference = profile.exchange_reference_date(school_year)
    eligible_years = profile.value("exchange.eligible_years")
    max_years = profile.value("exchange.max_years")
    retire_years = profile.value("exchange.retirement_exempt_years")
    retire_age = {vocab.GENDERS[0]: profile.value("retirement.age_male"),
                  vocab.GENDERS[1]: profile.value("retirement.age_female")}
    term = profile.value("principal.term_years")
    terms = profile.value("principal.max_terms")
    principal_years = term * terms if term and terms else None

    eligible_clause = f"任教满{eligible_years}年，符合交流条件（{profile.clause('exchange.eligible_years')}）"
    mandatory_clause = f"任教满{max_years}年，须交流（{profile.clause('exchange.max_years')}）"
    principal_clause = (
        f"校长任期{term}年，在同一学校任满{terms}届须轮岗（{profile.clause('principal.max_terms')}）"
        if principal_years else ""
    )
    retire_clause = (
        f"距退休不足{retire_years}年，免于交流（{profile.clause('exchange.retirement_exempt_years')}）"
        if retire_years else ""
    )
    # Age limits some provinces set (off in the default profile), by (judged as a principal?,
    # gender); a principal without a limit of his own, or not under the principal rule, has the teachers'.
    age_limits = {
        (principal, gender): (limit, figure)
        for principal, prefix in ((False, "exchange"), (True, "principal"))
        for gender, suffix in ((vocab.GENDERS[0], "male"), (vocab.GENDERS[1], "female"))
        if (limit := profile.value(figure := f"{prefix}.age_limit_{suffix}")) is not None
    }

    by_teacher: defaultdict[Hashable, list[PostingRec]] = defaultdict(list)
    for posting in postings:
        by_teacher[posting.teacher].append(posting)
    exempt_by_teacher: dict[Hashable, ExemptionRec] = {}
    for exemption in exemptions if profile.value("exchange.exemption_register") else ():
        if _in_force(exemption, reference):
            exempt_by_teacher.setdefault(exemption.teacher, exemption)

    result = EligibilityResult(school_year, reference)
    entries = result.entries
    years_since: dict[dt.date, int] = {}  # tenure starts repeat (1 September of each year): count once
    for teacher in teachers:
        own = by_teacher.get(teacher.key)
        if not own:
            continue
        where = tenure(own, reference)
        if where is None:
            continue
        school, start = where
        years = years_since.get(start)
        if years is None:
            years = years_since[start] = completed_years(start, reference)
        principal = teacher.position in PRINCIPAL_POSITIONS
        if principal_years and principal:
            if teacher.position_since is not None and teacher.position_since > start:
                start = teacher.position_since  # terms count from taking office at this school
                years = completed_years(start, reference)
            if years < principal_years:
                continue
            due, clause = MANDATORY, principal_clause
        elif max_years is not None and years >= max_years:
            due, clause = MANDATORY, mandatory_clause
        elif eligible_years is not None and years >= eligible_years:
            due, clause = ELIGIBLE, eligible_clause
        else:
            continue
        status, reason = due, None
        registered = exempt_by_teacher.get(teacher.key)
        if registered is not None:
            status, reason = EXEMPT, registered.reason
            until = registered.end.isoformat() if registered.end else "今"
            clause = (f"免交流登记：{registered.reason}（{registered.start.isoformat()}至{until}）；"
                      f"{profile.clause('exchange.exemption_register')}")
        elif age_limits and (limit := age_limits.get((principal and bool(principal_years), teacher.gender))
                                  or age_limits.get((False, teacher.gender))) and \
                completed_years(teacher.birth_date, reference) > limit[0]:  # “50周岁以下” includes 50
            status, reason = EXEMPT, AGE_REASON
            clause = f"超过{limit[0]}周岁，不再列入交流（{profile.clause(limit[1])}）"
        elif retire_years and retire_age.get(teacher.gender) and \
                add_years(teacher.birth_date, retire_age[teacher.gender] - retire_years) < reference:
            # Fewer than N years to retirement ⇔ retirement day < reference + N years.
            status, reason, clause = EXEMPT, RETIREMENT_REASON, retire_clause
        entries.append(EligibilityEntry(teacher, school, start, years, status, due, clause, reason))
    return result
