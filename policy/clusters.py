"""Cluster rules (POLICY §1 and §4): who is in which cluster on a date, and what breaks a rule.

Works on plain records that ``db.clusters`` loads; knows neither Qt nor SQL. Every figure
comes from the profile and every :class:`Violation` carries the clause it rests on. A rule
whose figure the profile switched off is not checked at all. Waivers mark violations as
waived — they are never dropped, so a report always shows what was knowingly let pass.

Membership dates: a school belongs to a cluster from ``joined`` up to the day *before*
``left_on`` (see ``db.models.Membership``), so "move on D" = leave on D + join on D and
the school is never in two clusters on any day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from policy import vocab
from policy.profile import Profile

Id = uuid.UUID

PRIMARY_STAGES = ("小学", vocab.TEACHING_POINT)
JUNIOR_STAGES = ("初中",)
THROUGH_STAGES = ("九年一贯制", "十二年一贯制")
# Pairings that give a rural school its urban partner (保山2022方案 22; 银川2023方案 二(一)1).
PARTNER_PAIRINGS = ("手拉手", "包片包抓")

# What a clerk reads for each rule id (the id stays stable in JSON and files).
RULE_LABELS = {
    "cluster.max_schools": "集团学校数超限",
    "cluster.max_students": "集团学生数超限",
    "membership.overlap": "同时属于两个集团",
    "coverage.rural": "乡村学校未纳入集团",
    "partner.rural_has_urban": "乡村学校无城镇结对校",
    "fusion.size": "融合型教共体规模不符",
    "school.max_students": "学校规模超限",
    "school.class_size": "班额超限",
}


@dataclasses.dataclass(frozen=True, slots=True)
class SchoolRec:
    id: Id
    code: str
    name: str
    stage: str
    location: str
    run_by: str = "县属"
    students: int = 0
    classes: int = 0
    region_id: Id | None = None
    is_weak: bool = False

    @property
    def is_teaching_point(self) -> bool:
        return self.stage == vocab.TEACHING_POINT


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterRec:
    id: Id
    name: str
    kind: str
    lead_school_id: Id | None = None
    area: str | None = None
    region_id: Id | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class MembershipRec:
    id: Id
    cluster_id: Id
    school_id: Id
    role: str
    joined: dt.date
    left_on: dt.date | None = None

    def active_on(self, on: dt.date) -> bool:
        """In the cluster on ``on``: joined on or before it and not yet left."""
        return self.joined <= on and (self.left_on is None or on < self.left_on)

    @property
    def is_lead(self) -> bool:
        return self.role in vocab.LEAD_ROLES


@dataclasses.dataclass(frozen=True, slots=True)
class PairingRec:
    id: Id
    kind: str
    start: dt.date
    end: dt.date | None = None
    supporter_school_id: Id | None = None
    cluster_id: Id | None = None
    target_school_id: Id | None = None

    def active_on(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclasses.dataclass(frozen=True, slots=True)
class WaiverRec:
    id: Id
    rule: str
    subject_kind: str  # "cluster" or "school"
    subject_id: Id
    reason: str
    approver: str
    start: dt.date
    end_on: dt.date | None = None

    def active_on(self, on: dt.date) -> bool:
        return self.start <= on and (self.end_on is None or on <= self.end_on)


@dataclasses.dataclass(frozen=True, slots=True)
class Violation:
    """One rule broken by one cluster or school on the checked date."""

    rule: str
    subject: str  # cluster name or school code
    detail: str
    clause: str
    subject_kind: str = "cluster"  # "cluster" or "school"
    subject_id: Id | None = None
    waived: bool = False
    waiver_reason: str | None = None
    waiver_approver: str | None = None

    def as_json(self) -> dict[str, object]:
        """The shape ``edubridge check --json`` prints."""
        data: dict[str, object] = {
            "rule": self.rule, "subject": self.subject, "detail": self.detail, "clause": self.clause,
        }
        if self.waived:
            data["waived"] = True
            data["waiver_reason"] = self.waiver_reason
            data["waiver_approver"] = self.waiver_approver
        return data


@dataclasses.dataclass(frozen=True, slots=True)
class Coverage:
    rural_schools: int
    rural_in_cluster: int

    @property
    def ratio(self) -> float:
        return self.rural_in_cluster / self.rural_schools if self.rural_schools else 1.0


@dataclasses.dataclass(frozen=True, slots=True)
class CheckResult:
    on: dt.date
    violations: tuple[Violation, ...]
    coverage: Coverage

    def open_violations(self) -> list[Violation]:
        return [v for v in self.violations if not v.waived]

    def for_subject(self, subject_id: Id) -> list[Violation]:
        return [v for v in self.violations if v.subject_id == subject_id]

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.on.isoformat(),
            "violations": [v.as_json() for v in self.violations],
            "coverage": {
                "rural_schools": self.coverage.rural_schools,
                "rural_in_cluster": self.coverage.rural_in_cluster,
            },
        }


def active_memberships(memberships: Iterable[MembershipRec], on: dt.date) -> list[MembershipRec]:
    return [m for m in memberships if m.active_on(on)]


def members_by_cluster(memberships: Iterable[MembershipRec], on: dt.date) -> dict[Id, list[MembershipRec]]:
    """Cluster id → its memberships active on ``on``."""
    result: dict[Id, list[MembershipRec]] = defaultdict(list)
    for m in memberships:
        if m.active_on(on):
            result[m.cluster_id].append(m)
    return result


def counts_as_rural(school: SchoolRec, include_town: bool) -> bool:
    """Rural for coverage: 乡村, every 教学点, and 镇区 when the profile widens it."""
    return (
        school.location == vocab.RURAL
        or school.is_teaching_point
        or (include_town and school.location == vocab.TOWN)
    )


def _is_urban_partner_for(partner: SchoolRec, school: SchoolRec) -> bool:
    """An urban (城区, or 镇区 for a 乡村 school) full school other than ``school`` itself."""
    if partner.id == school.id or partner.is_teaching_point:
        return False
    if partner.location == vocab.URBAN:
        return True
    return partner.location == vocab.TOWN and school.location == vocab.RURAL


def stage_limits(profile: Profile, stage: str) -> tuple[str | None, str | None]:
    """(school-size figure id, class-size figure id) for a stage.

    教学点 count with primary schools. A 九年一贯制/十二年一贯制 school is held to the junior
    class-size limit: average class size over all its classes cannot tell primary from
    junior classes, and the junior limit is the one that does not raise false alarms.
    """
    if stage in PRIMARY_STAGES:
        return "school.max_students.primary", "class.max_size.primary"
    if stage in JUNIOR_STAGES:
        return "school.max_students.junior", "class.max_size.junior"
    if stage in THROUGH_STAGES:
        return "school.max_students.through", "class.max_size.junior"
    return None, None


def _enabled(profile: Profile, figure_id: str) -> object | None:
    if figure_id not in profile.figures:
        return None
    return profile.value(figure_id)


def check(
    schools: Sequence[SchoolRec],
    clusters: Sequence[ClusterRec],
    memberships: Sequence[MembershipRec],
    pairings: Sequence[PairingRec],
    waivers: Sequence[WaiverRec],
    profile: Profile,
    on: dt.date,
) -> CheckResult:
    """Every cluster and school rule of ``profile`` checked as things stood on ``on``.

    Violations come out in a stable order: cluster rules by cluster name, then school
    rules by school code.
    """
    by_school_id = {s.id: s for s in schools}
    active = members_by_cluster(memberships, on)
    clusters_of_school: dict[Id, list[Id]] = defaultdict(list)
    for cluster_id, members in active.items():
        for m in members:
            clusters_of_school[m.school_id].append(cluster_id)
    cluster_by_id = {c.id: c for c in clusters}
    found: list[Violation] = []

    def add(rule: str, figure_id: str, subject: str, kind: str, subject_id: Id, detail: str) -> None:
        found.append(Violation(rule, subject, detail, profile.clause(figure_id), kind, subject_id))

    max_schools = _enabled(profile, "cluster.max_schools")
    max_students = _enabled(profile, "cluster.max_students")
    fusion_min = _enabled(profile, "fusion.min_members")
    fusion_max = _enabled(profile, "fusion.max_members")
    for cluster in sorted(clusters, key=lambda c: c.name):
        members = active.get(cluster.id, [])
        school_ids = {m.school_id for m in members}
        if max_schools is not None and len(school_ids) > int(max_schools):  # type: ignore[call-overload]
            add("cluster.max_schools", "cluster.max_schools", cluster.name, "cluster", cluster.id,
                f"{cluster.name}有{len(school_ids)}所学校，超过上限{max_schools}所")
        if max_students is not None:
            total = sum(by_school_id[s].students for s in school_ids if s in by_school_id)
            if total > int(max_students):  # type: ignore[call-overload]
                add("cluster.max_students", "cluster.max_students", cluster.name, "cluster", cluster.id,
                    f"{cluster.name}覆盖学生{total}人，超过上限{max_students}人")
        if cluster.kind == vocab.FUSION and (fusion_min is not None or fusion_max is not None):
            leads = sum(1 for m in members if m.is_lead)
            others = sum(1 for m in members if not m.is_lead)
            low = int(fusion_min) if fusion_min is not None else 0  # type: ignore[call-overload]
            high = int(fusion_max) if fusion_max is not None else None  # type: ignore[call-overload]
            if leads != 1 or others < low or (high is not None and others > high):
                span = f"{low}～{high}" if high is not None else f"至少{low}"
                figure = "fusion.max_members" if fusion_max is not None else "fusion.min_members"
                add("fusion.size", figure, cluster.name, "cluster", cluster.id,
                    f"融合型教共体应为1所牵头校加{span}所成员校，现有牵头校{leads}所、成员校{others}所")

    overlap_on = "membership.overlap"
    include_town = bool(_enabled(profile, "coverage.include_town"))
    coverage_target = _enabled(profile, "coverage.rural_in_cluster")
    partner_target = _enabled(profile, "partner.rural_has_urban")
    partner_clusters: set[Id] = set()
    partnered_schools: set[Id] = set()
    for p in pairings:
        if p.kind not in PARTNER_PAIRINGS or not p.active_on(on):
            continue
        supporter = by_school_id.get(p.supporter_school_id) if p.supporter_school_id else None
        if supporter is None or supporter.location != vocab.URBAN:
            continue
        if p.cluster_id is not None:
            partner_clusters.add(p.cluster_id)
        if p.target_school_id is not None:
            partnered_schools.add(p.target_school_id)

    rural = [s for s in schools if counts_as_rural(s, include_town)]
    rural_in = sum(1 for s in rural if clusters_of_school.get(s.id))
    coverage = Coverage(len(rural), rural_in)
    coverage_short = coverage_target is not None and coverage.ratio < float(coverage_target)  # type: ignore[arg-type]

    for school in sorted(schools, key=lambda s: s.code):
        in_clusters = clusters_of_school.get(school.id, [])
        distinct = sorted({cluster_by_id[c].name for c in in_clusters if c in cluster_by_id})
        if len(in_clusters) > 1:
            names = "、".join(distinct) if len(distinct) > 1 else f"{distinct[0] if distinct else ''}（重复登记）"
            found.append(Violation(overlap_on, school.code,
                                   f"{school.name}同时属于{len(in_clusters)}个集团：{names}",
                                   _overlap_clause(profile), "school", school.id))
        is_rural = counts_as_rural(school, include_town)
        if is_rural and coverage_short and not in_clusters:
            add("coverage.rural", "coverage.rural_in_cluster", school.code, "school", school.id,
                f"{school.name}（{school.location}{'，教学点' if school.is_teaching_point else ''}）未纳入任何集团(学区)")
        if is_rural and partner_target is not None and not _has_partner(
            school, in_clusters, active, by_school_id, partner_clusters, partnered_schools
        ):
            add("partner.rural_has_urban", "partner.rural_has_urban", school.code, "school", school.id,
                f"{school.name}没有城镇结对学校（所在集团无城镇学校，也无手拉手或包片包抓结对）")
        size_figure, class_figure = stage_limits(profile, school.stage)
        if size_figure and size_figure in profile.figures:
            limit = profile.value(size_figure)
            if limit is not None and school.students > int(limit):
                add("school.max_students", size_figure, school.code, "school", school.id,
                    f"{school.name}（{school.stage}）在校学生{school.students}人，超过规模上限{limit}人")
        if class_figure and class_figure in profile.figures and school.classes > 0:
            limit = profile.value(class_figure)
            average = school.students / school.classes
            if limit is not None and average > float(limit):
                add("school.class_size", class_figure, school.code, "school", school.id,
                    f"{school.name}平均班额{average:.1f}人（{school.students}人/{school.classes}班），"
                    f"超过上限{limit}人")

    return CheckResult(on, tuple(_apply_waivers(found, waivers, on)), coverage)


def _overlap_clause(profile: Profile) -> str:
    """One school, one cluster at a time (a profile figure, so a county can cite its own paper)."""
    return profile.clause("membership.single")


def _has_partner(
    school: SchoolRec,
    in_clusters: list[Id],
    active: dict[Id, list[MembershipRec]],
    by_school_id: dict[Id, SchoolRec],
    partner_clusters: set[Id],
    partnered_schools: set[Id],
) -> bool:
    if school.id in partnered_schools:
        return True
    for cluster_id in in_clusters:
        if cluster_id in partner_clusters:
            return True
        for m in active.get(cluster_id, []):
            other = by_school_id.get(m.school_id)
            if other is not None and _is_urban_partner_for(other, school):
                return True
    return False


def _apply_waivers(found: list[Violation], waivers: Sequence[WaiverRec], on: dt.date) -> list[Violation]:
    index = {(w.rule, w.subject_id): w for w in waivers if w.active_on(on)}
    if not index:
        return found
    result = []
    for v in found:
        w = index.get((v.rule, v.subject_id))
        if w is not None and w.subject_kind == v.subject_kind:
            v = dataclasses.replace(v, waived=True, waiver_reason=w.reason, waiver_approver=w.approver)
        result.append(v)
    return result


# ---- Totals shown on the page and in the statistics table ------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterSummary:
    """One row of 集团(学区)基本情况统计表 (银川2023方案 三(一)) and of the page's list."""

    cluster: ClusterRec
    lead: SchoolRec | None
    members: tuple[tuple[MembershipRec, SchoolRec], ...]
    schools: int
    rural_schools: int
    students: int
    city_partners: tuple[SchoolRec, ...]

    @property
    def member_names(self) -> str:
        return "、".join(s.name for _, s in self.members)

    @property
    def rural_member_names(self) -> str:
        return "、".join(s.name for _, s in self.members if s.location == vocab.RURAL or s.is_teaching_point)

    @property
    def city_partner_names(self) -> str:
        return "、".join(s.name for s in self.city_partners)


def summarize(
    schools: Sequence[SchoolRec],
    clusters: Sequence[ClusterRec],
    memberships: Sequence[MembershipRec],
    pairings: Sequence[PairingRec],
    on: dt.date,
) -> list[ClusterSummary]:
    """Per cluster (by name): lead, members on ``on`` (leads first), totals, 包片包抓 city school."""
    by_id = {s.id: s for s in schools}
    active = members_by_cluster(memberships, on)
    partners: dict[Id, list[SchoolRec]] = defaultdict(list)
    for p in pairings:
        if p.kind == "包片包抓" and p.cluster_id and p.active_on(on) and p.supporter_school_id in by_id:
            partners[p.cluster_id].append(by_id[p.supporter_school_id])  # type: ignore[index]
    result = []
    for cluster in sorted(clusters, key=lambda c: c.name):
        rows = [(m, by_id[m.school_id]) for m in active.get(cluster.id, []) if m.school_id in by_id]
        rows.sort(key=lambda pair: (not pair[0].is_lead, pair[1].code))
        distinct = {s.id: s for _, s in rows}
        lead = by_id.get(cluster.lead_school_id) if cluster.lead_school_id else None
        result.append(ClusterSummary(
            cluster=cluster,
            lead=lead,
            members=tuple(rows),
            schools=len(distinct),
            rural_schools=sum(1 for s in distinct.values() if counts_as_rural(s, False)),
            students=sum(s.students for s in distinct.values()),
            city_partners=tuple(sorted(partners.get(cluster.id, []), key=lambda s: s.code)),
        ))
    return result


def summary_totals(summaries: Sequence[ClusterSummary]) -> tuple[int, int, int]:
    """Schools, rural schools and students over all clusters, each school counted once.

    A school in two clusters at once (reported as membership.overlap) would otherwise be
    counted twice in the county's 合计 row.
    """
    distinct = {school.id: school for s in summaries for _, school in s.members}
    rural = sum(1 for school in distinct.values() if counts_as_rural(school, False))
    return len(distinct), rural, sum(school.students for school in distinct.values())


def unclustered(schools: Sequence[SchoolRec], memberships: Sequence[MembershipRec], on: dt.date) -> list[SchoolRec]:
    """Schools in no cluster on ``on``, by code."""
    inside = {m.school_id for m in memberships if m.active_on(on)}
    return sorted((s for s in schools if s.id not in inside), key=lambda s: s.code)
