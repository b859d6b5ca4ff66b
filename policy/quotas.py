"""Assistance-activity quotas (POLICY.md §3): who had to do how much, and who did.

:func:`quota_table` answers for one semester (or a whole school year) with one
:class:`QuotaRow` per rule and subject, each carrying the clause of the rule it checks.
It works on plain records that ``db.visits`` loads; nothing here knows SQL or Qt.

Input: tallies, not visits
    The table is computed from :class:`ActivityTally` records — activities counted per visitor entry
    (name, role, home school, linked teacher), host school, activity type and semester — and,
    for pairing rules, :class:`SchoolTally` records (activities per sending school). The store
    groups 200,000 activities into these in SQL (``db.visits.load_tallies``); :func:`tally_visits`
    builds the same records from per-visit :class:`VisitRec` records (tests, small inputs).
    :func:`tally_spec` says which rows matter so the grouping stays small: only roles some
    person rule counts, and host / type only where the role's rules count that type.

Counting
    * ``measure = "count"``: the number of distinct activities of the rule's types the
      subject took part in (with one of the rule's roles); ``"lessons"``: the sum of 听课节数
      (the visitor's own figure when recorded, else the activity's).
    * ``period = "semester"``: the semester asked for; ``"year"``: the school year containing
      it (semester 1 of school year Y starts Y-09-01, semester 2 (Y+1)-02-01 — profile dates).

Where a visit counts (POLICY.md §7: count what the clause counts)
    A visit counts toward its visitor's quota wherever it took place when no pairing is
    recorded for the visitor, nor for the visitor's home school. When pairings exist (the
    visitor's own 1:1 pairings, and the 包片包抓 / 手拉手 pairings of the home school, active
    during the period), visits at the paired schools count; a researcher on the duty register
    with a 包抓县(市)区 counts only visits in that county. A rule with ``hosts = "rural"`` (the
    clause says 农村学校) counts only 乡村 schools and 教学点 among them. Every other visit is
    added to a separate ``outside`` figure with its reason (``not_counted``: host school,
    amount, why), shown beside the row, never dropped and never counted as done; ``counted``
    lists the host schools that made ``done``.

Who is expected (one row per subject)
    * person rules: everyone who appears in the period's records with one of the rule's roles;
      plus every teacher whose position / backbone level maps to one of the rule's roles
      (:data:`TEACHER_ROLES`) and whose current school supports a cluster under 包片包抓
      during the period — they owe the quota even before their first visit (status 未开展).
    * duty holders (``duties``, the register of 帮扶责任人): each holder active in the period
      has a row for every person rule of their role, 0 / N when nothing was logged.
    * area rules (``scope = "area"``, 片区 seminars): one row per 片区长学校 of the period,
      counting the rule's activities its people took part in, each once per school.
    * pairing rules: every 包片包抓 pairing (city school ↔ cluster) active in the period;
      done counts the rule's activities by anyone from the city school at the cluster's schools.
    * community rules: every cluster existing during the period; done counts its semester
      summaries (one per semester) recorded for the period.

A person is identified by the linked teacher record when there is one, otherwise by name
and home school (an unlinked name at a school that matches exactly one expected teacher is
taken as that teacher). When one person appears with several names, roles or home schools,
the row shows the entry of their earliest activity in the period (ties: by name, role, school).

Duplicates
    One activity counts once per visitor entry. The entry form and the importer refuse the same
    visitor (name and home school) twice in one activity, so entries of one activity are
    distinct; :func:`tally_visits` drops an exact repeat. For pairing rules an activity counts
    once per sending school; its lessons are the largest figure among that school's visitors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from policy import vocab
from policy.calendar import (
    CalendarDates,
    Semester,
    Span,
    school_year_bounds,
    school_year_label,
    semester_bounds,
    semester_of,
)
from policy.profile import Profile, QuotaRule
from policy.vocab import VISITOR_ROLES

MET, BEHIND, NOT_STARTED = "met", "behind", "not_started"
STATUS_LABELS = {MET: "已达标", BEHIND: "未达标", NOT_STARTED: "未开展"}

# Which quota role a teacher record holds by position or backbone level (for "expected").
TEACHER_ROLES: Mapping[str, str] = {
    "校长": "校级干部",
    "副校长": "校级干部",
    "名师": "名师工作室主持人",
    "特级教师": "名师工作室主持人",
    "学科带头人": "学科带头人",
    "市级骨干教师": "骨干教师",
    "县级骨干教师": "骨干教师",
}
CLUSTER_PAIRING = "包片包抓"
ANY_ROLE = "*"
AREA_LEAD = "片区长学校"

# Why an activity did not count toward a row (shown beside it, never dropped).
NOT_PAIRED = "不在包片包抓的集团(学区)或结对学校"
NOT_IN_COUNTY = "不在包抓县(市)区"
NOT_RURAL = "{location}学校不是农村学校（只计乡村学校和教学点）"


class HostSchool(NamedTuple):
    """What the counting needs to know of a host school."""

    location: str  # 城区 / 镇区 / 乡村
    stage: str
    region: str | None = None  # region id (the county, for 包抓县区 duties)

    @property
    def rural(self) -> bool:
        """A 农村学校 in the sense of the visit clauses: a 乡村 school or any 教学点."""
        return self.location == vocab.RURAL or self.stage == vocab.TEACHING_POINT


@dataclasses.dataclass(frozen=True, slots=True)
class DutyRec:
    """A duty holder (帮扶责任人) from the register: owes the quotas of ``role`` from ``start``
    to ``end`` whether or not anything was logged. ``county`` (a region id) limits where a
    researcher's activities count (包抓县(市)区)."""

    id: str
    name: str
    role: str
    start: dt.date
    end: dt.date | None = None
    home_school: str | None = None
    teacher: str | None = None
    county: str | None = None
    source: str = "登记"

    def active(self, first: dt.date, last: dt.date) -> bool:
        return Span(self.start, self.end).overlaps(Span(first, last))


class Participant(NamedTuple):
    """A visitor of an activity. ``lessons`` None = the activity's figure."""

    name: str
    role: str
    home_school: str | None = None  # school id
    teacher: str | None = None  # teacher id when linked
    lessons: int | None = None


class ActivityTally(NamedTuple):
    """Activities of one visitor entry at one host school, of one type, in one semester.

    ``host_school`` and ``activity_type`` are None for activities no person rule of the role
    counts (they only tell that the person appeared in the semester). ``first`` is the date
    of the earliest of these activities.
    """

    semester: str  # "2025-1"
    name: str
    role: str
    home_school: str | None
    teacher: str | None
    host_school: str | None
    activity_type: str | None
    activities: int
    lessons: int  # sum of 听课节数 (the visitor's own figure when recorded, else the activity's)
    first: dt.date


# An ActivityTally's grouping: semester, name, role, home school, teacher, host school, type.
_PersonKey = tuple[str, str, str, str | None, str | None, str | None, str | None]


class SchoolTally(NamedTuple):
    """Activities counted for one pairing rule, per sending school, host school and semester."""

    rule: str
    semester: str
    home_school: str
    host_school: str
    activities: int
    lessons: int


@dataclasses.dataclass(frozen=True, slots=True)
class TallySpec:
    """What the tallies must cover for a profile (see :func:`tally_spec`)."""

    roles: frozenset[str]  # roles of enabled person rules
    counted: Mapping[str, frozenset[str]]  # role → activity types its person rules count
    school_rules: tuple[tuple[str, frozenset[str] | None, frozenset[str]], ...]  # (rule, roles or None = any, types)


def tally_spec(profile: Profile) -> TallySpec:
    """Roles and (role, activity type) pairs the enabled person rules count, and the filters
    of the enabled pairing rules."""
    counted: dict[str, set[str]] = defaultdict(set)
    school_rules = []
    for rule in profile.quotas:
        if not rule.enabled:
            continue
        if rule.scope == "person":
            for role in (VISITOR_ROLES if ANY_ROLE in rule.roles else rule.roles):
                counted[role] |= set(rule.activity_types)
        elif rule.scope in ("pairing", "area"):
            roles = None if ANY_ROLE in rule.roles else frozenset(rule.roles)
            school_rules.append((rule.id, roles, frozenset(rule.activity_types)))
    return TallySpec(frozenset(counted), {r: frozenset(t) for r, t in counted.items()}, tuple(school_rules))


def tally_visits(
    visits: Iterable[VisitRec], profile: Profile, spec: TallySpec | None = None,
) -> tuple[list[ActivityTally], list[SchoolTally]]:
    """The tallies of per-visit records (the same grouping ``db.visits`` does in SQL)."""
    spec = spec or tally_spec(profile)
    dates = profile.calendar
    semesters: dict[dt.date, str] = {}
    people: dict[_PersonKey, tuple[int, int, dt.date]] = {}
    schools: dict[tuple[str, str, str, str], list[int]] = {}
    for visit in visits:
        code = semesters.get(visit.date)
        if code is None:
            code = semesters[visit.date] = semester_of(visit.date, dates).code
        seen: set[tuple[str, str | None, str | None]] = set()
        for p in visit.participants:
            if p.role not in spec.roles or (p.name, p.home_school, p.teacher) in seen:
                continue
            seen.add((p.name, p.home_school, p.teacher))
            counted = visit.activity_type in spec.counted[p.role]
            key = (code, p.name, p.role, p.home_school, p.teacher,
                   visit.host_school if counted else None, visit.activity_type if counted else None)
            amount = visit.lessons if p.lessons is None else p.lessons
            entry = people.get(key)
            if entry is None:
                people[key] = (1, amount, visit.date)
            else:
                people[key] = (entry[0] + 1, entry[1] + amount, min(entry[2], visit.date))
        for rule_id, roles, types in spec.school_rules:
            if visit.activity_type not in types:
                continue
            best: dict[str, int] = {}
            for p in visit.participants:
                if p.home_school and (roles is None or p.role in roles):
                    amount = visit.lessons if p.lessons is None else p.lessons
                    best[p.home_school] = max(best.get(p.home_school, amount), amount)
            for home, amount in best.items():
                found = schools.setdefault((rule_id, code, home, visit.host_school), [0, 0])
                found[0] += 1
                found[1] += amount
    tallies = [ActivityTally(*key, *values) for key, values in people.items()]
    school_tallies = [SchoolTally(*key, *values) for key, values in schools.items()]
    return tallies, school_tallies


class VisitRec(NamedTuple):
    """One activity (帮扶活动) with its visitors."""

    id: str
    date: dt.date
    host_school: str
    activity_type: str
    lessons: int
    participants: tuple[Participant, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class PairingRec:
    """A pairing: a supporter (school, teacher or named person) and the schools it covers.

    ``cluster`` is set for 包片包抓; ``target_school`` for 1:1 pairings. The db layer resolves
    ``target_school`` of a pairing with a rural teacher to that teacher's school.
    """

    id: str
    kind: str
    start: dt.date
    end: dt.date | None = None
    supporter_school: str | None = None
    supporter_teacher: str | None = None
    supporter_name: str | None = None
    cluster: str | None = None
    target_school: str | None = None

    def active(self, first: dt.date, last: dt.date) -> bool:
        return Span(self.start, self.end).overlaps(Span(first, last))


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterRec:
    """A cluster and its member schools (any time in the period).

    ``terms`` — (school, joined, first day out or None) — say when each member belonged, so
    a school that changed cluster on 1 February counts for its old cluster in the first
    semester only and for its new one in the second (:meth:`schools_between`). Without
    terms every school in ``schools`` counts for the whole period.
    """

    id: str
    name: str
    schools: frozenset[str]
    founded: dt.date | None = None
    dissolved: dt.date | None = None
    terms: tuple[tuple[str, dt.date, dt.date | None], ...] = ()

    def active(self, first: dt.date, last: dt.date) -> bool:
        return (self.founded is None or self.founded <= last) and (self.dissolved is None or self.dissolved >= first)

    def schools_between(self, first: dt.date, last: dt.date) -> frozenset[str]:
        """The members during [first, last]; a school with no term (the lead school) always."""
        if not self.terms:
            return self.schools
        dated = {school for school, _joined, _left in self.terms}
        inside = {school for school, joined, left in self.terms if joined <= last and (left is None or left > first)}
        return frozenset(inside | (self.schools - dated))


@dataclasses.dataclass(frozen=True, slots=True)
class TeacherRec:
    """A teacher who may owe a quota: position, backbone level and current school."""

    id: str
    name: str
    position: str = "教师"
    backbone_level: str | None = None
    school: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class QuotaRow:
    """One subject's standing against one rule."""

    rule: str
    label: str
    clause: str
    scope: str
    measure: str
    period: str  # "2025-1" or "2025" (school year)
    period_label: str
    who: str
    who_key: str
    role: str
    required: int
    done: int
    outside: int  # activity outside the subject's paired schools (not counted in done)
    clusters: tuple[str, ...]  # cluster ids the row belongs to on the dashboard
    where: tuple[str, ...]  # school ids where the remaining activity should happen; () = anywhere
    home_school: str | None = None
    counted: tuple[tuple[str, int], ...] = ()  # (host school id, amount) that made ``done``
    not_counted: tuple[tuple[str, int, str], ...] = ()  # (host school id, amount, why) that make ``outside``
    source: str = ""  # why the subject owes: 活动记录 / 花名册 / 登记 (person rows)

    @property
    def met(self) -> bool:
        return self.done >= self.required

    @property
    def remaining(self) -> int:
        return max(0, self.required - self.done)

    @property
    def status(self) -> str:
        if self.met:
            return MET
        return BEHIND if self.done > 0 else NOT_STARTED

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule, "who": self.who, "required": self.required, "done": self.done,
            "met": self.met, "status": self.status, "outside": self.outside, "role": self.role,
            "scope": self.scope, "measure": self.measure, "period": self.period, "label": self.label,
            "clause": self.clause, "who_key": self.who_key, "source": self.source,
            "counted": [{"school": school, "amount": amount} for school, amount in self.counted],
            "not_counted": [{"school": school, "amount": amount, "reason": reason}
                            for school, amount, reason in self.not_counted],
        }


@dataclasses.dataclass(frozen=True, slots=True)
class _Period:
    code: str
    label: str
    first: dt.date
    last: dt.date
    semesters: tuple[str, ...]


def _periods(rule: QuotaRule, when: Semester | int, dates: CalendarDates) -> list[_Period]:
    year = when if isinstance(when, int) else when.year
    if rule.period == "year":
        first, last = school_year_bounds(year, dates)
        return [_Period(str(year), school_year_label(year), first, last, (f"{year}-1", f"{year}-2"))]
    semesters = [Semester(year, 1), Semester(year, 2)] if isinstance(when, int) else [when]
    result = []
    for semester in semesters:
        first, last = semester_bounds(semester, dates)
        result.append(_Period(semester.code, semester.label, first, last, (semester.code,)))
    return result


def days_left(semester: Semester, today: dt.date, dates: CalendarDates) -> int:
    """Days from ``today`` to the semester's last day, counting both; 0 once it is over."""
    first, last = semester_bounds(semester, dates)
    if today > last:
        return 0
    return (last - max(today, first)).days + 1


class _Subjects:
    """Person identity and pairing lookups for one period."""

    def __init__(
        self,
        pairings: Sequence[PairingRec],
        clusters: Mapping[str, ClusterRec],
        teachers: Sequence[TeacherRec],
        first: dt.date,
        last: dt.date,
        duties: Sequence[DutyRec] = (),
    ) -> None:
        self.clusters = clusters
        self.by_school: dict[str, list[PairingRec]] = defaultdict(list)
        self.by_teacher: dict[str, list[PairingRec]] = defaultdict(list)
        self.by_name: dict[str, list[PairingRec]] = defaultdict(list)
        self.cluster_pairings: list[PairingRec] = []
        for pairing in pairings:
            if not pairing.active(first, last):
                continue
            if pairing.supporter_teacher:
                self.by_teacher[pairing.supporter_teacher].append(pairing)
            elif pairing.supporter_name:
                self.by_name[pairing.supporter_name].append(pairing)
            elif pairing.supporter_school:
                self.by_school[pairing.supporter_school].append(pairing)
            if pairing.kind == CLUSTER_PAIRING and pairing.supporter_school and pairing.cluster:
                self.cluster_pairings.append(pairing)
        self.school_cluster: dict[str, list[str]] = defaultdict(list)
        for cluster in clusters.values():
            for school in cluster.schools:
                self.school_cluster[school].append(cluster.id)
        self.teacher_by_name_school: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for teacher in teachers:
            self.teacher_by_name_school[(teacher.name, teacher.school)].append(teacher.id)
        for duty in duties:  # a registered person linked to a teacher is that teacher
            linked = self.teacher_by_name_school[(duty.name, duty.home_school)]
            if duty.teacher and duty.teacher not in linked:
                linked.append(duty.teacher)
        self._scope: dict[tuple[str | None, str | None, str | None], tuple[frozenset[str] | None, tuple[str, ...]]] = {}

    def key(self, name: str, home_school: str | None, teacher: str | None) -> str:
        if teacher:
            return "t:" + teacher
        match = self.teacher_by_name_school.get((name, home_school))
        if match and len(match) == 1:
            return "t:" + match[0]
        return f"n:{name}|{home_school or ''}"

    def schools_of(self, pairing: PairingRec, during: tuple[dt.date, dt.date] | None = None) -> set[str]:
        """The schools a pairing covers: its cluster's members (``during`` a part of the
        period, or any time in it) and its target school."""
        schools: set[str] = set()
        if pairing.cluster and pairing.cluster in self.clusters:
            cluster = self.clusters[pairing.cluster]
            schools |= cluster.schools_between(*during) if during else cluster.schools
        if pairing.target_school:
            schools.add(pairing.target_school)
        return schools

    def scope(self, teacher: str | None, name: str | None, school: str | None) -> tuple[frozenset[str] | None, tuple[str, ...]]:
        """(paired schools or None when no pairing is recorded, dashboard clusters)."""
        cache_key = (teacher, None if teacher else name, school)
        cached = self._scope.get(cache_key)
        if cached is not None:
            return cached
        found: list[PairingRec] = []
        if teacher:
            found += self.by_teacher.get(teacher, [])
        elif name:
            found += self.by_name.get(name, [])
        if school:
            found += self.by_school.get(school, [])
        schools: set[str] = set()
        clusters: list[str] = []
        for pairing in found:
            schools |= self.schools_of(pairing)
            if pairing.cluster:
                clusters.append(pairing.cluster)
            elif pairing.target_school:
                clusters += self.school_cluster.get(pairing.target_school, [])
        if not clusters and school:
            clusters = list(self.school_cluster.get(school, []))
        result = (frozenset(schools) if found else None, tuple(dict.fromkeys(clusters)))
        self._scope[cache_key] = result
        return result


def quota_table(
    visits: Iterable[VisitRec] = (),
    pairings: Sequence[PairingRec] = (),
    profile: Profile | None = None,
    when: Semester | int | None = None,
    people: Sequence[TeacherRec] = (),
    clusters: Sequence[ClusterRec] = (),
    summaries: Iterable[tuple[str, str]] = (),
    school_names: Mapping[str, str] | None = None,
    cluster_names: Mapping[str, str] | None = None,
    tallies: Iterable[ActivityTally] | None = None,
    school_tallies: Iterable[SchoolTally] | None = None,
    hosts: Mapping[str, HostSchool] | None = None,
    duties: Sequence[DutyRec] = (),
    area_leads: Sequence[tuple[str, str, dt.date, dt.date | None]] = (),
) -> list[QuotaRow]:
    """Every enabled quota rule of ``profile`` evaluated for ``when``.

    Args:
        visits: activities (any dates; those outside each rule's period are ignored); used
            only when ``tallies`` is None, through :func:`tally_visits`.
        pairings: all pairings; those not active in the period are ignored.
        when: a semester, or a school year (semester rules then give a row per semester).
        people: teachers who may owe a quota without having visited yet (see module doc).
        clusters: clusters with member schools (pairing and community scopes, dashboard grouping).
        summaries: (cluster id, semester code) of recorded semester summaries.
        school_names / cluster_names: for the ``who`` text; ids are shown when missing.
        tallies / school_tallies: the activities already grouped (see :func:`tally_spec`);
            semesters outside the periods asked are ignored.
        hosts: location, stage and county of each school; without it every host counts as
            rural (rules with ``hosts = "rural"`` then cannot tell).
        duties: the duty register (帮扶责任人); each active holder has a row for every rule of
            their role, 0 / N when nothing was logged.
        area_leads: (school, cluster, joined, first day out or None) of every 片区长学校 membership;
            ``area`` rules have a row per such school in the period.

    Returns:
        Rows ordered by rule (profile order), then period, then who.
    """
    if profile is None or when is None:
        raise TypeError("quota_table needs a profile and a semester or school year")
    if tallies is None:
        tallies, school_tallies = tally_visits(visits, profile)
    tally_list = tallies if isinstance(tallies, list) else list(tallies)
    school_list = list(school_tallies or ())
    names = school_names or {}
    cnames = dict(cluster_names or {})
    cluster_map = {c.id: c for c in clusters}
    for cluster in clusters:
        cnames.setdefault(cluster.id, cluster.name)
    summary_set = set(summaries)
    host_facts = hosts or {}
    dates = profile.calendar
    rows: list[QuotaRow] = []
    rules = [r for r in profile.quotas if r.enabled]
    # Group rules by period so each period's tallies are scanned once.
    by_period: dict[_Period, list[QuotaRule]] = defaultdict(list)
    for rule in rules:
        for period in _periods(rule, when, dates):
            by_period[period].append(rule)
    for period, period_rules in by_period.items():
        in_period = [t for t in tally_list if t.semester in period.semesters]
        subjects = _Subjects(pairings, cluster_map, people, period.first, period.last, duties)
        person_rules = [r for r in period_rules if r.scope == "person"]
        if person_rules:
            rows += _person_rows(person_rules, period, in_period, subjects, people, names, host_facts, duties)
        for rule in period_rules:
            if rule.scope == "pairing":
                counted = [t for t in school_list if t.rule == rule.id and t.semester in period.semesters]
                rows += _pairing_rows(rule, period, counted, subjects, names, cnames, dates)
            elif rule.scope == "area":
                counted = [t for t in school_list if t.rule == rule.id and t.semester in period.semesters]
                rows += _area_rows(rule, period, counted, area_leads, names, cnames)
            elif rule.scope == "community":
                rows += _community_rows(rule, period, cluster_map, summary_set, cnames)
    order = {r.id: i for i, r in enumerate(rules)}
    rows.sort(key=lambda r: (order[r.rule], r.period, r.who))
    return rows


def _who(name: str, school: str | None, role: str, names: Mapping[str, str]) -> str:
    if school:
        return f"{name}（{names.get(school, school)}）"
    return f"{name}（{role}）"


def _person_rows(
    rules: list[QuotaRule],
    period: _Period,
    tallies: list[ActivityTally],
    subjects: _Subjects,
    people: Sequence[TeacherRec],
    names: Mapping[str, str],
    hosts: Mapping[str, HostSchool],
    duties: Sequence[DutyRec],
) -> list[QuotaRow]:
    """Rows of every person rule of one period, from a single pass over its tallies.

    A subject has a row for a rule when they appear with one of its roles in the period's
    records, hold the role by the roster at a 包片包抓 school, or are on the duty register
    for the period. Each activity of a counted type goes to ``done`` when it took place
    where the rule counts it, else to ``outside`` with the reason (see module doc).
    """
    # role → [(rule index, counted types, lessons measure, rural hosts only)]
    by_role: dict[str, list[tuple[int, frozenset[str], bool, bool]]] = defaultdict(list)
    for index, rule in enumerate(rules):
        entry = (index, frozenset(rule.activity_types), rule.measure == "lessons", rule.hosts == "rural")
        for role in (VISITOR_ROLES if ANY_ROLE in rule.roles else rule.roles):
            by_role[role].append(entry)
    done: list[dict[str, int]] = [defaultdict(int) for _ in rules]
    outside: list[dict[str, int]] = [defaultdict(int) for _ in rules]
    # (rule index, subject key, host school[, reason]) → amount: flat dicts, grouped per row at the end
    counted_at: dict[tuple[int, str, str], int] = {}
    missed_at: dict[tuple[int, str, str, str], int] = {}
    # key → ((first date, name, role, school) to pick the shown entry, (name, role, school, teacher), source)
    info: list[dict[str, tuple[tuple[dt.date, str, str, str], tuple[str, str, str | None, str | None], str]]] = [
        {} for _ in rules]
    active_duties = [d for d in duties if d.active(period.first, period.last)]
    county_of: dict[str, str] = {}
    for duty in active_duties:
        if duty.county:
            county_of[subjects.key(duty.name, duty.home_school, duty.teacher)] = duty.county
    # host → why it is no 农村学校 (None: it is one); unknown hosts only matter when hosts are known
    not_rural = {h: None if f.rural else NOT_RURAL.format(location=f.location) for h, f in hosts.items()}
    unknown_host = NOT_RURAL.format(location="未登记") if hosts else None
    scope_of: dict[str, frozenset[str] | None] = {}
    keys: dict[tuple[str, str | None, str | None], str] = {}
    for t in tallies:
        entries = by_role.get(t.role)
        if not entries:
            continue
        identity = (t.name, t.home_school, t.teacher)
        key = keys.get(identity)
        if key is None:
            key = keys[identity] = subjects.key(t.name, t.home_school, t.teacher)
        paired = scope_of.get(key, ())
        if paired == ():
            teacher = key[2:] if key.startswith("t:") else None
            paired = scope_of[key] = subjects.scope(teacher, t.name, t.home_school)[0]
        host = t.host_school or ""
        reason = rural_reason = None
        if t.activity_type is not None:  # None: a type no rule of the role counts (nothing to place)
            if paired is not None and host not in paired:
                reason = NOT_PAIRED
            elif key in county_of:
                facts = hosts.get(host)
                if facts is None or facts.region != county_of[key]:
                    reason = NOT_IN_COUNTY
            rural_reason = not_rural.get(host, unknown_host)
        rank = (t.first, t.name, t.role, t.home_school or "")
        for index, types, lessons, rural_only in entries:
            known = info[index]
            shown = known.get(key)
            if shown is None or rank < shown[0]:
                known[key] = (rank, (t.name, t.role, t.home_school, key[2:] if key.startswith("t:") else None), "活动记录")
            if t.activity_type not in types:
                continue
            amount = t.lessons if lessons else t.activities
            why = reason
            if why is None and rural_only:
                why = rural_reason
            if why is None:
                done[index][key] += amount
                spot = (index, key, host)
                counted_at[spot] = counted_at.get(spot, 0) + amount
            else:
                outside[index][key] += amount
                miss = (index, key, host, why)
                missed_at[miss] = missed_at.get(miss, 0) + amount
    unvisited = (dt.date.max, "", "", "")
    paired_schools = {p.supporter_school for p in subjects.cluster_pairings}
    for person in people:
        if not person.school or person.school not in paired_schools:
            continue
        roles = [TEACHER_ROLES[v] for v in (person.position, person.backbone_level or "") if v in TEACHER_ROLES]
        for index, rule in enumerate(rules):
            matching = [r for r in roles if r in rule.roles]
            key = "t:" + person.id
            if matching and key not in info[index]:
                info[index][key] = (unvisited, (person.name, matching[0], person.school, person.id), "花名册")
    for duty in active_duties:
        key = subjects.key(duty.name, duty.home_school, duty.teacher)
        for index, rule in enumerate(rules):
            if (duty.role in rule.roles or ANY_ROLE in rule.roles) and key not in info[index]:
                info[index][key] = (unvisited, (duty.name, duty.role, duty.home_school, duty.teacher), duty.source)
    counted_by: dict[tuple[int, str], list[tuple[str, int]]] = defaultdict(list)
    for (index, key, host), amount in counted_at.items():
        counted_by[(index, key)].append((host, amount))
    missed_by: dict[tuple[int, str], list[tuple[str, int, str]]] = defaultdict(list)
    for (index, key, host, why), amount in missed_at.items():
        missed_by[(index, key)].append((host, amount, why))
    rows = []
    for index, rule in enumerate(rules):
        for key, (_rank, (name, role, school, teacher_id), source) in info[index].items():
            paired, clusters = subjects.scope(teacher_id, name, school)
            rows.append(QuotaRow(
                rule=rule.id, label=rule.label, clause=rule.clause, scope=rule.scope, measure=rule.measure,
                period=period.code, period_label=period.label, who=_who(name, school, role, names), who_key=key,
                role=role, required=rule.minimum, done=done[index].get(key, 0),
                outside=outside[index].get(key, 0), clusters=clusters,
                where=_where(paired, hosts, rule.hosts == "rural"), home_school=school,
                counted=tuple(sorted(counted_by.get((index, key), ()))),
                not_counted=tuple(sorted(missed_by.get((index, key), ()))),
                source=source,
            ))
    return rows


def _where(paired: frozenset[str] | None, hosts: Mapping[str, HostSchool], rural_only: bool) -> tuple[str, ...]:
    """Where the remaining activity should happen: the paired schools, only the rural ones
    when the rule counts only 农村学校; () = anywhere."""
    if not paired:
        return ()
    if rural_only and hosts:
        return tuple(sorted(s for s in paired if s in hosts and hosts[s].rural))
    return tuple(sorted(paired))


def _pairing_rows(
    rule: QuotaRule,
    period: _Period,
    tallies: list[SchoolTally],
    subjects: _Subjects,
    names: Mapping[str, str],
    cnames: Mapping[str, str],
    dates: CalendarDates,
) -> list[QuotaRow]:
    lessons = rule.measure == "lessons"
    pairings = subjects.cluster_pairings
    by_supporter: dict[str, list[PairingRec]] = defaultdict(list)
    for pairing in pairings:
        by_supporter[pairing.supporter_school or ""].append(pairing)
    done: dict[str, int] = defaultdict(int)
    outside: dict[str, int] = defaultdict(int)
    schools = {p.id: subjects.schools_of(p) for p in pairings}
    # A visit counts where the host school belonged to the cluster in the visit's semester.
    bounds = {code: semester_bounds(Semester.parse(code), dates) for code in period.semesters}
    covered = {(p.id, code): subjects.schools_of(p, bounds[code]) for p in pairings for code in period.semesters}
    counted_at: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    missed_at: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t in tallies:
        amount = t.lessons if lessons else t.activities
        for pairing in by_supporter.get(t.home_school, ()):
            if t.host_school in covered[(pairing.id, t.semester)]:
                done[pairing.id] += amount
                counted_at[pairing.id][t.host_school] += amount
            else:
                outside[pairing.id] += amount
                missed_at[pairing.id][t.host_school] += amount
    rows = []
    for pairing in pairings:
        supporter = pairing.supporter_school or ""
        cluster = pairing.cluster or ""
        rows.append(QuotaRow(
            rule=rule.id, label=rule.label, clause=rule.clause, scope=rule.scope, measure=rule.measure,
            period=period.code, period_label=period.label,
            who=f"{names.get(supporter, supporter)} ↔ {cnames.get(cluster, cluster)}", who_key="p:" + pairing.id,
            role=CLUSTER_PAIRING, required=rule.minimum, done=done.get(pairing.id, 0),
            outside=outside.get(pairing.id, 0), clusters=(cluster,), where=tuple(sorted(schools[pairing.id])),
            home_school=supporter, counted=tuple(sorted(counted_at[pairing.id].items())),
            not_counted=tuple(sorted((h, n, NOT_PAIRED) for h, n in missed_at[pairing.id].items())),
        ))
    return rows


def _area_rows(
    rule: QuotaRule,
    period: _Period,
    tallies: list[SchoolTally],
    area_leads: Sequence[tuple[str, str, dt.date, dt.date | None]],
    names: Mapping[str, str],
    cnames: Mapping[str, str],
) -> list[QuotaRow]:
    """One row per 片区长学校 of the period (余教〔2020〕155号 五(一)3 counts per school, not per
    person): a school holding that role in a membership during the period, or whose people
    logged activities in the role; done = the rule's activities its people took part in (with
    the rule's roles), each activity once per school."""
    leads: dict[str, list[str]] = defaultdict(list)
    for school, cluster, joined, left in area_leads:
        if joined <= period.last and (left is None or left > period.first):
            leads[school].append(cluster)
    for t in tallies:
        leads.setdefault(t.home_school, [])
    lessons = rule.measure == "lessons"
    counted_at: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t in tallies:
        if t.home_school in leads:
            counted_at[t.home_school][t.host_school] += t.lessons if lessons else t.activities
    rows = []
    for school, clusters in leads.items():
        found = counted_at.get(school, {})
        rows.append(QuotaRow(
            rule=rule.id, label=rule.label, clause=rule.clause, scope=rule.scope, measure=rule.measure,
            period=period.code, period_label=period.label, who=names.get(school, school), who_key="s:" + school,
            role=AREA_LEAD, required=rule.minimum, done=sum(found.values()), outside=0,
            clusters=tuple(dict.fromkeys(clusters)), where=(), home_school=school,
            counted=tuple(sorted(found.items())),
        ))
    return rows


def _community_rows(
    rule: QuotaRule,
    period: _Period,
    clusters: Mapping[str, ClusterRec],
    summaries: set[tuple[str, str]],
    cnames: Mapping[str, str],
) -> list[QuotaRow]:
    rows = []
    for cluster in clusters.values():
        if not cluster.active(period.first, period.last):
            continue
        done = sum(1 for code in period.semesters if (cluster.id, code) in summaries)
        rows.append(QuotaRow(
            rule=rule.id, label=rule.label, clause=rule.clause, scope=rule.scope, measure=rule.measure,
            period=period.code, period_label=period.label, who=cnames.get(cluster.id, cluster.name),
            who_key="c:" + cluster.id, role="教共体", required=rule.minimum, done=done, outside=0,
            clusters=(cluster.id,), where=(),
        ))
    return rows


@dataclasses.dataclass(frozen=True, slots=True)
class Todo:
    """Someone who still has to visit before the period ends."""

    who: str
    rule_label: str
    remaining: int
    measure: str
    where: tuple[str, ...]  # school ids; () = anywhere
    clause: str
    period: str


def todo_list(rows: Iterable[QuotaRow]) -> list[Todo]:
    """Who needs to visit where before the period ends (rows not met, visits only)."""
    result = [
        Todo(r.who, r.label, r.remaining, r.measure, r.where, r.clause, r.period)
        for r in rows
        if not r.met and r.scope in ("person", "pairing", "area")
    ]
    result.sort(key=lambda t: (-t.remaining, t.who))
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class Tally:
    met: int = 0
    behind: int = 0
    not_started: int = 0

    @property
    def total(self) -> int:
        return self.met + self.behind + self.not_started


def tally(rows: Iterable[QuotaRow]) -> Tally:
    counts = {MET: 0, BEHIND: 0, NOT_STARTED: 0}
    for row in rows:
        counts[row.status] += 1
    return Tally(counts[MET], counts[BEHIND], counts[NOT_STARTED])


def by_cluster(rows: Iterable[QuotaRow]) -> dict[str, Tally]:
    """Dashboard per cluster: met / behind / not started among the rows that belong to it."""
    grouped: dict[str, list[QuotaRow]] = defaultdict(list)
    for row in rows:
        for cluster in row.clusters or ("",):
            grouped[cluster].append(row)
    return {cluster: tally(group) for cluster, group in grouped.items()}
