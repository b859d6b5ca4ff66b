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
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from policy import vocab
from policy.calendar import Span
from policy.errors import PolicyError
from policy.profile import Profile

Id = uuid.UUID

PRIMARY_STAGES = ("小学", vocab.TEACHING_POINT)
JUNIOR_STAGES = ("初中",)
THROUGH_STAGES = ("九年一贯制", "十二年一贯制")
# Pairings that give a rural school its urban partner (保山2022方案 22; 银川2023方案 二(一)1).
PARTNER_PAIRINGS = ("手拉手", "包片包抓")
CLUSTER_PAIRING = "包片包抓"
CITY_RUN = "市属"

# What a clerk reads for each rule id (the id stays stable in JSON and files).
RULE_LABELS = {
    "cluster.max_schools": "集团学校数超限",
    "cluster.max_students": "集团学生数超限",
    "membership.overlap": "同时属于两个集团",
    "coverage.rural": "乡村学校未纳入集团",
    "partner.rural_has_urban": "乡村学校无城区结对校",
    "fusion.size": "融合型教共体规模不符",
    "school.max_students": "学校规模超限",
    "school.class_size": "班额超限",
    "pairing.supporter_city": "包片包抓学校不是市属或城区学校",
    "pairing.cluster_has_supporter": "含乡村学校的集团无包片包抓学校",
    "coverage.community": "学校未纳入教共体",
    "school.land_per_student": "生均占地面积不足",
    "agreement.required": "未签订帮扶(建设)协议",
    "agreement.brand_fee": "向受援校收取品牌费",
    # policy.teacher_development
    "training.hours": "教师五年周期培训学时不足",
    "training.rural_hours": "乡村教师校长专项培训学时不足",
    "teachers.seed": "乡村学校种子教师人数不符",
    "teachers.model": "乡村学校榜样教师人数不符",
    "mentoring.years": "师徒结对跟踪培养不符",
    # policy.balance
    "balance.schedule": "未按计划达到优质均衡标准",
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
    land_area: float | None = None  # 占地面积, m²
    # Per-stage figures of a 一贯制 school, when the school list has them.
    primary_students: int | None = None
    primary_classes: int | None = None
    junior_students: int | None = None
    junior_classes: int | None = None

    @property
    def is_teaching_point(self) -> bool:
        return self.stage == vocab.TEACHING_POINT

    @property
    def has_stage_figures(self) -> bool:
        return self.primary_students is not None and self.junior_students is not None


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
        return Span.left(self.joined, self.left_on).contains(on)

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
        return Span(self.start, self.end).contains(on)


@dataclasses.dataclass(frozen=True, slots=True)
class AgreementRec:
    """A signed (or drafted) agreement of a community: its term and when it was signed."""

    cluster_id: Id
    term_start: dt.date
    term_end: dt.date
    signed_on: dt.date | None = None
    brand_fee: float | None = None  # 品牌费 charged under it, 元

    def in_force_on(self, on: dt.date) -> bool:
        return self.signed_on is not None and self.signed_on <= on and Span(self.term_start, self.term_end).contains(on)


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
        return Span(self.start, self.end_on).contains(on)


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
    deadline: dt.date | None = None  # coverage.deadline: shortfalls are violations from the day after

    @property
    def ratio(self) -> float:
        return self.rural_in_cluster / self.rural_schools if self.rural_schools else 1.0


@dataclasses.dataclass(frozen=True, slots=True)
class FundingLine:
    """A rural school's public funds are set as if it had ``funded_as`` students (海门2019计划 三(三))."""

    school: str  # code
    name: str
    students: int
    funded_as: int


def funding_lines(schools: Sequence[SchoolRec], profile: Profile) -> tuple[tuple[FundingLine, ...], str]:
    """One line per rural school (乡村 or 教学点) with its students and the number it is funded
    as (at least ``funding.floor_students``), and the clause; () when the profile has no floor."""
    floor = _number(profile, "funding.floor_students")
    if floor is None:
        return (), ""
    lines = tuple(FundingLine(s.code, s.name, s.students, max(s.students, int(floor)))
                  for s in sorted(schools, key=lambda s: s.code) if counts_as_rural(s, False))
    return lines, profile.clause("funding.floor_students")


class CheckPart(Protocol):
    """A further part of the check with rows of its own (teacher development, the 优质均衡
    schedule): its findings, and its JSON in ``check --json``."""

    @property
    def violations(self) -> tuple[Violation, ...]: ...

    def as_json(self) -> dict[str, object]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class CheckResult:
    on: dt.date
    violations: tuple[Violation, ...]
    coverage: Coverage
    funding: tuple[FundingLine, ...] = ()
    funding_clause: str = ""
    # Further parts with rows of their own (JSON key → part), e.g. the teacher-development duties.
    parts: dict[str, CheckPart] = dataclasses.field(default_factory=dict)

    def with_part(self, key: str, part: CheckPart) -> CheckResult:
        return dataclasses.replace(self, parts={**self.parts, key: part})

    def open_violations(self) -> list[Violation]:
        return [v for v in self.violations if not v.waived]

    def part_violations(self) -> tuple[Violation, ...]:
        """The findings of the further parts, in the order the parts were added."""
        return tuple(v for part in self.parts.values() for v in part.violations)

    def for_subject(self, subject_id: Id) -> list[Violation]:
        return [v for v in self.violations if v.subject_id == subject_id]

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.on.isoformat(),
            "violations": [v.as_json() for v in self.violations],
            "coverage": {
                "rural_schools": self.coverage.rural_schools,
                "rural_in_cluster": self.coverage.rural_in_cluster,
                "deadline": self.coverage.deadline.isoformat() if self.coverage.deadline else None,
            },
            "funding": {
                "clause": self.funding_clause,
                "schools": [{"school": f.school, "students": f.students, "funded_as": f.funded_as}
                            for f in self.funding],
            },
            **{key: part.as_json() for key, part in self.parts.items()},
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


def _partner_locations(profile: Profile) -> frozenset[str]:
    """Where an urban partner may be (保山2022方案 22 says 城区学校; a profile may widen it)."""
    value = _enabled(profile, "partner.locations")
    text = str(value) if value else vocab.URBAN
    return frozenset(part.strip() for part in text.replace("，", ",").replace("、", ",").split(",") if part.strip())


def _is_urban_partner_for(partner: SchoolRec, school: SchoolRec, locations: frozenset[str]) -> bool:
    """A full school in one of ``locations`` (城区 by default) other than ``school`` itself."""
    if partner.id == school.id or partner.is_teaching_point:
        return False
    return partner.location in locations


def stage_limits(profile: Profile, stage: str) -> tuple[str | None, str | None]:
    """(school-size figure id, class-size figure id) for a stage.

    教学点 count with primary schools. A 九年一贯制/十二年一贯制 school is judged per stage
    (:func:`_stage_checks`) when the school list gives its per-stage students and classes;
    without them only its average over all classes is known, held to the junior limit (the
    one that raises no false alarm), and the detail says so.
    """
    if stage in PRIMARY_STAGES:
        return "school.max_students.primary", "class.max_size.primary"
    if stage in JUNIOR_STAGES:
        return "school.max_students.junior", "class.max_size.junior"
    if stage in THROUGH_STAGES:
        return "school.max_students.through", "class.max_size.junior"
    return None, None


# Records one finding: rule, figure id, subject's name, subject kind, subject id, detail.
_Add = Callable[[str, str, str, str, Id, str], None]


class _Values:
    """A profile's figure values as a check reads them, each looked up once (None: off or absent)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.cache: dict[str, object | None] = {}

    def __call__(self, figure_id: str) -> Any:
        try:
            return self.cache[figure_id]
        except KeyError:
            found = self.cache[figure_id] = _enabled(self.profile, figure_id)
            return found


def _enabled(profile: Profile, figure_id: str) -> object | None:
    if figure_id not in profile.figures:
        return None
    found: object = profile.value(figure_id)
    return found


def _number(profile: Profile, figure_id: str) -> float | None:
    """A numeric figure as it is stored (an int stays an int, for the messages), None when off."""
    found = _enabled(profile, figure_id)
    if found is None or (isinstance(found, int | float) and not isinstance(found, bool)):
        return found
    raise PolicyError(f"政策方案“{profile.name}”（{profile.id}）中指标“{figure_id}”应为数字：{found!r}")


def check(
    schools: Sequence[SchoolRec],
    clusters: Sequence[ClusterRec],
    memberships: Sequence[MembershipRec],
    pairings: Sequence[PairingRec],
    waivers: Sequence[WaiverRec],
    profile: Profile,
    on: dt.date,
    agreements: Sequence[AgreementRec] | None = None,
) -> CheckResult:
    """Every cluster and school rule of ``profile`` checked as things stood on ``on``.

    ``agreements``: every community's agreements; None = not loaded (the agreement rule is
    then not checked). Violations come out in a stable order: cluster rules by cluster name,
    then school rules by school code.
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

    value = _Values(profile)
    include_town = bool(value("coverage.include_town"))
    locations = _partner_locations(profile)
    supported: dict[Id, list[SchoolRec]] = defaultdict(list)  # cluster → its 包片包抓 supporters
    partner_clusters: set[Id] = set()
    partnered_schools: set[Id] = set()
    for p in pairings:
        if p.kind not in PARTNER_PAIRINGS or not p.active_on(on):
            continue
        supporter = by_school_id.get(p.supporter_school_id) if p.supporter_school_id else None
        if supporter is None:
            continue
        if p.kind == CLUSTER_PAIRING and p.cluster_id is not None:
            supported[p.cluster_id].append(supporter)
        if supporter.location not in locations:
            continue
        if p.cluster_id is not None:
            partner_clusters.add(p.cluster_id)
        if p.target_school_id is not None:
            partnered_schools.add(p.target_school_id)

    max_schools = _number(profile, "cluster.max_schools")
    max_students = _number(profile, "cluster.max_students")
    fusion_min = _number(profile, "fusion.min_members")
    fusion_max = _number(profile, "fusion.max_members")
    supporter_city = _enabled(profile, "pairing.supporter_city")
    needs_supporter = _enabled(profile, "pairing.cluster_has_supporter")
    agreement_required = _enabled(profile, "agreement.required") if agreements is not None else None
    signed = {a.cluster_id for a in agreements or () if a.in_force_on(on)}
    # 品牌费 (银川2023方案 四(一)): brand_fee.allowed is False while the rule is on, None when off.
    fee_forbidden = agreements is not None and _enabled(profile, "brand_fee.allowed") is False
    fees: dict[Id, float] = defaultdict(float)
    for a in agreements or ():
        if fee_forbidden and a.brand_fee and a.term_start <= on <= a.term_end:
            fees[a.cluster_id] += a.brand_fee
    for cluster in sorted(clusters, key=lambda c: c.name):
        members = active.get(cluster.id, [])
        school_ids = {m.school_id for m in members}
        if max_schools is not None and len(school_ids) > int(max_schools):
            add("cluster.max_schools", "cluster.max_schools", cluster.name, "cluster", cluster.id,
                f"{cluster.name}有{len(school_ids)}所学校，超过上限{max_schools}所")
        if max_students is not None:
            total = sum(by_school_id[s].students for s in school_ids if s in by_school_id)
            if total > int(max_students):
                add("cluster.max_students", "cluster.max_students", cluster.name, "cluster", cluster.id,
                    f"{cluster.name}覆盖学生{total}人，超过上限{max_students}人")
        if cluster.kind == vocab.FUSION and (fusion_min is not None or fusion_max is not None):
            leads = sum(1 for m in members if m.is_lead)
            others = sum(1 for m in members if not m.is_lead)
            low = int(fusion_min) if fusion_min is not None else 0
            high = int(fusion_max) if fusion_max is not None else None
            if leads != 1 or others < low or (high is not None and others > high):
                span = f"{low}～{high}" if high is not None else f"至少{low}"
                figure = "fusion.max_members" if fusion_max is not None else "fusion.min_members"
                add("fusion.size", figure, cluster.name, "cluster", cluster.id,
                    f"融合型教共体应为1所牵头校加{span}所成员校，现有牵头校{leads}所、成员校{others}所")
        if supporter_city:
            for supporter in supported.get(cluster.id, []):
                if supporter.run_by != CITY_RUN and supporter.location != vocab.URBAN:
                    add("pairing.supporter_city", "pairing.supporter_city", cluster.name, "cluster", cluster.id,
                        f"{cluster.name}的包片包抓学校{supporter.name}是{supporter.run_by}{supporter.location}学校，"
                        f"应为市属或城区学校")
        rural_members = [by_school_id[s] for s in school_ids if s in by_school_id and counts_as_rural(by_school_id[s], False)]
        if needs_supporter and rural_members and not supported.get(cluster.id):
            add("pairing.cluster_has_supporter", "pairing.cluster_has_supporter", cluster.name, "cluster", cluster.id,
                f"{cluster.name}含乡村学校{len(rural_members)}所，没有市属学校包片包抓")
        if fees.get(cluster.id):
            add("agreement.brand_fee", "brand_fee.allowed", cluster.name, "cluster", cluster.id,
                f"{cluster.name}的协议向受援校收取品牌费{fees[cluster.id]:,.2f}元，帮扶不得收取品牌费")
        if agreement_required and members and cluster.id not in signed:
            add("agreement.required", "agreement.required", cluster.name, "cluster", cluster.id,
                f"{cluster.name}在{on.isoformat()}没有已签订且在有效期内的帮扶(建设)协议")

    overlap_on = "membership.overlap"
    coverage_target = _number(profile, "coverage.rural_in_cluster")
    partner_target = _enabled(profile, "partner.rural_has_urban")
    community_target = _number(profile, "coverage.all_in_community")
    deadline_text = _enabled(profile, "coverage.deadline")
    deadline = dt.date.fromisoformat(str(deadline_text)) if deadline_text else None

    rural = [s for s in schools if counts_as_rural(s, include_town)]
    rural_in = sum(1 for s in rural if clusters_of_school.get(s.id))
    coverage = Coverage(len(rural), rural_in, deadline)
    coverage_short = (coverage_target is not None and coverage.ratio < float(coverage_target)
                      and (deadline is None or on > deadline))
    inside_any = sum(1 for s in schools if clusters_of_school.get(s.id))
    community_short = (community_target is not None and schools
                       and inside_any / len(schools) < float(community_target))

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
            late = f"，已过{deadline.isoformat()}的期限" if deadline else ""
            add("coverage.rural", "coverage.rural_in_cluster", school.code, "school", school.id,
                f"{school.name}（{school.location}{'，教学点' if school.is_teaching_point else ''}）未纳入任何集团(学区){late}")
        if community_short and not in_clusters and not (is_rural and coverage_short):
            add("coverage.community", "coverage.all_in_community", school.code, "school", school.id,
                f"{school.name}未纳入任何教共体")
        if counts_as_rural(school, False) and partner_target is not None and not _has_partner(
            school, in_clusters, active, by_school_id, partner_clusters, partnered_schools, locations
        ):
            add("partner.rural_has_urban", "partner.rural_has_urban", school.code, "school", school.id,
                f"{school.name}没有{'或'.join(sorted(locations))}结对学校（所在集团无{'或'.join(sorted(locations))}学校，"
                f"也无{'或'.join(sorted(locations))}学校手拉手或包片包抓；镇区学校不算）")
        _stage_checks(school, value, add)

    funding, funding_clause = funding_lines(schools, profile)
    return CheckResult(on, tuple(apply_waivers(found, waivers, on)), coverage, funding, funding_clause)


def _stage_checks(school: SchoolRec, value: _Values, add: _Add) -> None:
    """School size, class size and land per student (太平区2023方案 四(一)4; 保山2022方案 2).

    A 一贯制 school with per-stage figures: primary classes against the primary limit, junior
    classes against the junior one, the size limit on the 义务教育 part (primary + junior
    students; a 十二年一贯制 school's senior students do not count) and land against each
    stage's students. Without them: totals, and the detail says what was assumed.
    """
    size_figure, class_figure = stage_limits(value.profile, school.stage)
    through = school.stage in THROUGH_STAGES
    split = through and school.has_stage_figures
    if size_figure:
        limit = value(size_figure)
        counted = (school.primary_students or 0) + (school.junior_students or 0) if split else school.students
        part = "义务教育阶段" if split else ("全校（未填分学段人数）" if through else "")
        if limit is not None and counted > int(limit):
            add("school.max_students", size_figure, school.code, "school", school.id,
                f"{school.name}（{school.stage}）{part}在校学生{counted}人，超过规模上限{limit}人")
    if split:
        for label, students, classes, figure in (
            ("小学部", school.primary_students, school.primary_classes, "class.max_size.primary"),
            ("初中部", school.junior_students, school.junior_classes, "class.max_size.junior"),
        ):
            limit = value(figure)
            if limit is not None and classes and students and students / classes > float(limit):
                add("school.class_size", figure, school.code, "school", school.id,
                    f"{school.name}{label}平均班额{students / classes:.1f}人（{students}人/{classes}班），超过上限{limit}人")
    elif class_figure and school.classes > 0:
        limit = value(class_figure)
        average = school.students / school.classes
        if limit is not None and average > float(limit):
            note = "（未填分学段班级数，按初中班额上限）" if through else ""
            add("school.class_size", class_figure, school.code, "school", school.id,
                f"{school.name}平均班额{average:.1f}人（{school.students}人/{school.classes}班），超过上限{limit}人{note}")
    _land_check(school, value, add, split)


def _land_check(school: SchoolRec, value: _Values, add: _Add, split: bool) -> None:
    if not school.land_area or school.students <= 0:
        return
    primary = value("land.per_student.primary")
    junior = value("land.per_student.junior")
    if school.stage in PRIMARY_STAGES and primary is not None:
        parts = [(school.students, float(primary), "land.per_student.primary")]
    elif school.stage in JUNIOR_STAGES and junior is not None:
        parts = [(school.students, float(junior), "land.per_student.junior")]
    elif school.stage in THROUGH_STAGES and split and primary is not None and junior is not None:
        parts = [(school.primary_students or 0, float(primary), "land.per_student.primary"),
                 (school.junior_students or 0, float(junior), "land.per_student.junior")]
    elif school.stage in THROUGH_STAGES and primary is not None:
        parts = [(school.students, float(primary), "land.per_student.primary")]
    else:
        return
    needed = sum(students * per for students, per, _f in parts)
    if school.land_area + 1e-9 < needed:
        per_student = school.land_area / school.students
        add("school.land_per_student", parts[-1][2], school.code, "school", school.id,
            f"{school.name}占地{school.land_area:,.0f}平方米，生均{per_student:.2f}平方米，"
            f"按{'、'.join(f'{per:g}' for _s, per, _f in parts)}平方米/生应不少于{needed:,.0f}平方米")


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
    locations: frozenset[str],
) -> bool:
    if school.id in partnered_schools:
        return True
    for cluster_id in in_clusters:
        if cluster_id in partner_clusters:
            return True
        for m in active.get(cluster_id, []):
            other = by_school_id.get(m.school_id)
            if other is not None and _is_urban_partner_for(other, school, locations):
                return True
    return False


def apply_waivers(found: list[Violation], waivers: Sequence[WaiverRec], on: dt.date) -> list[Violation]:
    index: dict[tuple[str, Id | None], WaiverRec] = {
        (w.rule, w.subject_id): w for w in waivers if w.active_on(on)}
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
            partners[p.cluster_id].append(by_id[p.supporter_school_id])
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
