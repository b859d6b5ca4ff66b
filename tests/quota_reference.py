"""The per-visit quota calculation as it was before the aggregated path (commit 0f2f984).

Kept only as the reference the aggregated path is checked against (tests/db/test_visit_tallies.py);
imported by tests as ``import quota_reference``. Its record types are the ones of ``policy.quotas``.

Original docstring follows.

Assistance-activity quotas (POLICY.md §3): who had to do how much, and who did.

:func:`quota_table` answers for one semester (or a whole school year) with one
:class:`QuotaRow` per rule and subject, each carrying the clause of the rule it checks.
It works on plain records that ``db.visits`` loads; nothing here knows SQL or Qt.

Counting
    * ``measure = "count"``: the number of distinct activities of the rule's types the
      subject took part in (with one of the rule's roles); ``"lessons"``: the sum of 听课节数
      (the visitor's own figure when recorded, else the activity's).
    * ``period = "semester"``: the semester asked for; ``"year"``: the school year containing
      it (semester 1 of school year Y starts Y-09-01, semester 2 (Y+1)-02-01 — profile dates).

Where a visit counts
    A visit counts toward its visitor's quota wherever it took place when no pairing is
    recorded for the visitor, nor for the visitor's home school. When pairings exist (the
    visitor's own 1:1 pairings, and the 包片包抓 / 手拉手 pairings of the home school, active
    during the period), visits at the paired schools count; visits elsewhere are added to a
    separate ``outside`` figure, shown beside the row, never dropped and never counted as done.

Who is expected (one row per subject)
    * person rules: everyone who appears in the period's records with one of the rule's roles;
      plus every teacher whose position / backbone level maps to one of the rule's roles
      (:data:`TEACHER_ROLES`) and whose current school supports a cluster under 包片包抓
      during the period — they owe the quota even before their first visit (status 未开展).
    * pairing rules: every 包片包抓 pairing (city school ↔ cluster) active in the period;
      done counts the rule's activities by anyone from the city school at the cluster's schools.
    * community rules: every cluster existing during the period; done counts its semester
      summaries (one per semester) recorded for the period.

A person is identified by the linked teacher record when there is one, otherwise by name
and home school (an unlinked name at a school that matches exactly one expected teacher is
taken as that teacher).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from policy.calendar import (
    CalendarDates,
    Semester,
    school_year_bounds,
    school_year_label,
    semester_bounds,
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


class Participant(NamedTuple):
    """A visitor of an activity. ``lessons`` None = the activity's figure."""

    name: str
    role: str
    home_school: str | None = None  # school id
    teacher: str | None = None  # teacher id when linked
    lessons: int | None = None


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
        return self.start <= last and (self.end is None or self.end >= first)


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterRec:
    """A cluster and its member schools (as of the period)."""

    id: str
    name: str
    schools: frozenset[str]
    founded: dt.date | None = None
    dissolved: dt.date | None = None

    def active(self, first: dt.date, last: dt.date) -> bool:
        return (self.founded is None or self.founded <= last) and (self.dissolved is None or self.dissolved >= first)


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
            "clause": self.clause, "who_key": self.who_key,
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
        self._scope: dict[tuple[str | None, str | None, str | None], tuple[frozenset[str] | None, tuple[str, ...]]] = {}

    def key(self, p: Participant) -> str:
        if p.teacher:
            return "t:" + p.teacher
        match = self.teacher_by_name_school.get((p.name, p.home_school))
        if match and len(match) == 1:
            return "t:" + match[0]
        return f"n:{p.name}|{p.home_school or ''}"

    def schools_of(self, pairing: PairingRec) -> set[str]:
        schools: set[str] = set()
        if pairing.cluster and pairing.cluster in self.clusters:
            schools |= self.clusters[pairing.cluster].schools
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


def _matches(rule: QuotaRule, role: str) -> bool:
    return ANY_ROLE in rule.roles or role in rule.roles


def quota_table(
    visits: Iterable[VisitRec],
    pairings: Sequence[PairingRec],
    profile: Profile,
    when: Semester | int,
    people: Sequence[TeacherRec] = (),
    clusters: Sequence[ClusterRec] = (),
    summaries: Iterable[tuple[str, str]] = (),
    school_names: Mapping[str, str] | None = None,
    cluster_names: Mapping[str, str] | None = None,
) -> list[QuotaRow]:
    """Every enabled quota rule of ``profile`` evaluated for ``when``.

    Args:
        visits: activities (any dates; those outside each rule's period are ignored).
        pairings: all pairings; those not active in the period are ignored.
        when: a semester, or a school year (semester rules then give a row per semester).
        people: teachers who may owe a quota without having visited yet (see module doc).
        clusters: clusters with member schools (pairing and community scopes, dashboard grouping).
        summaries: (cluster id, semester code) of recorded semester summaries.
        school_names / cluster_names: for the ``who`` text; ids are shown when missing.

    Returns:
        Rows ordered by rule (profile order), then period, then who.
    """
    names = school_names or {}
    cnames = dict(cluster_names or {})
    cluster_map = {c.id: c for c in clusters}
    for cluster in clusters:
        cnames.setdefault(cluster.id, cluster.name)
    visit_list = visits if isinstance(visits, list) else list(visits)
    summary_set = set(summaries)
    dates = profile.calendar
    rows: list[QuotaRow] = []
    rules = [r for r in profile.quotas if r.enabled]
    # Group rules by period so each period's visits are scanned once.
    by_period: dict[_Period, list[QuotaRule]] = defaultdict(list)
    for rule in rules:
        for period in _periods(rule, when, dates):
            by_period[period].append(rule)
    for period, period_rules in by_period.items():
        in_period = [v for v in visit_list if period.first <= v.date <= period.last]
        subjects = _Subjects(pairings, cluster_map, people, period.first, period.last)
        person_rules = [r for r in period_rules if r.scope == "person"]
        if person_rules:
            rows += _person_rows(person_rules, period, in_period, subjects, people, names)
        for rule in period_rules:
            if rule.scope == "pairing":
                rows += _pairing_rows(rule, period, in_period, subjects, names, cnames)
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
    visits: list[VisitRec],
    subjects: _Subjects,
    people: Sequence[TeacherRec],
    names: Mapping[str, str],
) -> list[QuotaRow]:
    """Rows of every person rule of one period, from a single pass over its visits."""
    # role → [(rule index, counted types, lessons measure)]
    by_role: dict[str, list[tuple[int, frozenset[str], bool]]] = defaultdict(list)
    for index, rule in enumerate(rules):
        entry = (index, frozenset(rule.activity_types), rule.measure == "lessons")
        for role in (VISITOR_ROLES if ANY_ROLE in rule.roles else rule.roles):
            by_role[role].append(entry)
    done: list[dict[str, int]] = [defaultdict(int) for _ in rules]
    outside: list[dict[str, int]] = [defaultdict(int) for _ in rules]
    info: list[dict[str, tuple[str, str, str | None, str | None]]] = [{} for _ in rules]
    scope_of: dict[str, frozenset[str] | None] = {}
    keys: dict[Participant, str] = {}
    for visit in visits:
        kind = visit.activity_type
        host = visit.host_school
        seen: set[str] = set()  # one activity counts once per person
        for p in visit.participants:
            entries = by_role.get(p.role)
            if not entries:
                continue
            key = keys.get(p)
            if key is None:
                key = keys[p] = subjects.key(p)
            if key in seen:
                continue
            seen.add(key)
            paired = scope_of.get(key, ())
            if paired == ():
                teacher = key[2:] if key.startswith("t:") else None
                paired = scope_of[key] = subjects.scope(teacher, p.name, p.home_school)[0]
            inside = paired is None or host in paired
            for index, types, lessons in entries:
                known = info[index]
                if key not in known:
                    known[key] = (p.name, p.role, p.home_school, key[2:] if key.startswith("t:") else None)
                if kind not in types:
                    continue
                amount = (visit.lessons if p.lessons is None else p.lessons) if lessons else 1
                if inside:
                    done[index][key] += amount
                else:
                    outside[index][key] += amount
    paired_schools = {p.supporter_school for p in subjects.cluster_pairings}
    for teacher in people:
        if not teacher.school or teacher.school not in paired_schools:
            continue
        roles = [TEACHER_ROLES[v] for v in (teacher.position, teacher.backbone_level or "") if v in TEACHER_ROLES]
        for index, rule in enumerate(rules):
            matching = [r for r in roles if r in rule.roles]
            key = "t:" + teacher.id
            if matching and key not in info[index]:
                info[index][key] = (teacher.name, matching[0], teacher.school, teacher.id)
    rows = []
    for index, rule in enumerate(rules):
        for key, (name, role, school, teacher_id) in info[index].items():
            paired, clusters = subjects.scope(teacher_id, name, school)
            rows.append(QuotaRow(
                rule=rule.id, label=rule.label, clause=rule.clause, scope=rule.scope, measure=rule.measure,
                period=period.code, period_label=period.label, who=_who(name, school, role, names), who_key=key,
                role=role, required=rule.minimum, done=done[index].get(key, 0),
                outside=outside[index].get(key, 0), clusters=clusters,
                where=tuple(sorted(paired)) if paired else (), home_school=school,
            ))
    return rows


def _pairing_rows(
    rule: QuotaRule,
    period: _Period,
    visits: list[VisitRec],
    subjects: _Subjects,
    names: Mapping[str, str],
    cnames: Mapping[str, str],
) -> list[QuotaRow]:
    types = frozenset(rule.activity_types)
    lessons = rule.measure == "lessons"
    pairings = subjects.cluster_pairings
    by_supporter: dict[str, list[PairingRec]] = defaultdict(list)
    for pairing in pairings:
        by_supporter[pairing.supporter_school or ""].append(pairing)
    done: dict[str, int] = defaultdict(int)
    outside: dict[str, int] = defaultdict(int)
    schools = {p.id: subjects.schools_of(p) for p in pairings}
    for visit in visits:
        if visit.activity_type not in types:
            continue
        counted: set[str] = set()
        for p in visit.participants:
            if not p.home_school or not _matches(rule, p.role):
                continue
            for pairing in by_supporter.get(p.home_school, ()):
                if pairing.id in counted:
                    continue
                counted.add(pairing.id)
                amount = (visit.lessons if p.lessons is None else p.lessons) if lessons else 1
                if visit.host_school in schools[pairing.id]:
                    done[pairing.id] += amount
                else:
                    outside[pairing.id] += amount
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
            home_school=supporter,
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
        if not r.met and r.scope in ("person", "pairing")
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
