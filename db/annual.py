"""Everything the annual evaluation report shows, gathered from the store for school year Y.

Rule answers come from ``policy``: cluster rules and waivers (``policy.clusters.check``),
eligibility (``policy.eligibility``), visit quotas (``policy.quotas`` through
``db.visits.quota_rows``) and the evaluation scheme (``policy.evaluation``). This module
only counts rows (exchanges of the year, quality figures) and groups answers by community.

Membership "during the year" = a membership in force on at least one day between
1 September Y and 31 August Y+1. Rule checks are made on the last day of the year, or
today when the year is not over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import uuid
import weakref
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from db.agreements import bureau_name, cluster_agreements
from db.clusters import check_store, load
from db.engine import StoreError
from db.models import AuditEntry, Cluster, Exchange, QualityIndicator, Region, Teacher
from db.store import Store
from db.teachers import store_eligibility
from db.visits import quota_rows
from policy import vocab
from policy.calendar import Span
from policy.clusters import CheckResult, Violation, counts_as_rural
from policy.evaluation import (
    EvaluationInput,
    EvaluationResult,
    SchoolValueAdded,
    ShareCheck,
    county_changes,
    evaluate,
    school_value_added,
    share_check,
)
from policy.exchange_forms import took_effect
from policy.profile import Profile
from policy.quotas import QuotaRow
from policy.vocab import scope_word


class UnknownCluster(StoreError):
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class MemberYear:
    school_id: uuid.UUID
    name: str
    role: str
    location: str
    stage: str
    students: int
    joined: dt.date
    left_on: dt.date | None

    @property
    def is_lead(self) -> bool:
        return self.role in vocab.LEAD_ROLES


@dataclasses.dataclass(frozen=True, slots=True)
class ExchangeFigures:
    eligible: int
    moved: int
    backbone: int
    to_rural: int
    by_form: dict[str, int]


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterYear:
    id: uuid.UUID
    name: str
    kind: str
    area: str | None
    members: tuple[MemberYear, ...]
    exchange: ExchangeFigures
    exchange_check: ShareCheck
    backbone_check: ShareCheck
    coverage_check: ShareCheck
    quotas: tuple[QuotaRow, ...]
    assisted: tuple[SchoolValueAdded, ...]
    quality: dict[str, dict[str, tuple[float | None, float | None]]]  # school → indicator → (Y-1, Y)
    violations: tuple[Violation, ...]
    evaluation: EvaluationResult


@dataclasses.dataclass(frozen=True, slots=True)
class AnnualData:
    year: int
    first: dt.date
    last: dt.date
    checked_on: dt.date
    bureau: str
    profile: Profile
    clusters: tuple[ClusterYear, ...]
    check: CheckResult
    county_exchange: ExchangeFigures
    county_exchange_check: ShareCheck
    county_backbone_check: ShareCheck
    quota_rows: tuple[QuotaRow, ...]
    indicator_trend: dict[str, dict[int, float]]  # indicator → year → mean over assisted schools
    scope_cluster: str | None
    #: School id → name, for subjects of rule answers (a violation names a school by its code).
    school_names: dict[uuid.UUID, str] = dataclasses.field(default_factory=dict)
    #: Indicator → the county's average change on last year (百分点 / 分), the 增值 reference.
    county_changes: dict[str, float] = dataclasses.field(default_factory=dict)
    #: 全县 / 全市 / 全区: the area the data covers.
    scope: str = "全县"
    #: Each community's latest agreement as it stood at the end of the year (协议 section).
    agreements: tuple[Any, ...] = ()
    #: (from, to) school codes of the exchanges the figures count: the map draws these, so its
    #: arrows add up to the report's 交流轮岗教师 (not 挂职/跟岗 or exchanges cancelled before
    #: their first day, which the figures leave out).
    exchange_pairs: tuple[tuple[str, str], ...] = ()


def _overlaps(joined: dt.date, left_on: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return Span.left(joined, left_on).overlaps(Span(first, last))


@dataclasses.dataclass(frozen=True, slots=True)
class _CountyYear:
    """Every community's figures for one school year — computed once, sliced per report."""

    first: dt.date
    last: dt.date
    checked_on: dt.date
    bureau: str
    profile: Profile
    check: CheckResult
    clusters: tuple[ClusterYear, ...]  # all of them, sorted by name
    county_exchange: ExchangeFigures
    county_exchange_check: ShareCheck
    county_backbone_check: ShareCheck
    quota_rows: tuple[QuotaRow, ...]
    quality: dict[uuid.UUID, dict[int, dict[str, float]]]  # school → year → indicator → value
    school_names: dict[uuid.UUID, str]
    county_changes: dict[str, float]
    scope: str
    agreements: tuple[Any, ...]
    exchange_pairs: tuple[tuple[str, str], ...]


# One computed year per store, reused while nothing was written (see _data_version).
_cache: weakref.WeakKeyDictionary[Store, tuple[tuple[object, ...], _CountyYear]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _data_version(store: Store) -> int:
    """The newest audit entry's id: every write (``Store.write``, ``Store.bulk``) adds one,
    so an unchanged value means unchanged data, also when another process writes."""
    with store.read() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def annual_data(store: Store, profile: Profile, year: int, cluster: str | None = None,
                today: dt.date | None = None) -> AnnualData:
    """Gather the annual report of school year ``year`` (for one cluster when named).

    The figures of every community are computed together (eligibility and quotas are
    county-wide computations anyway) and kept per store until the next write, so the
    reports of many communities share one computation. The result is shared: read only.

    Raises:
        UnknownCluster: ``cluster`` names no cluster.
    """
    first = dt.date(year, *profile.calendar.year_start)
    last = dt.date(first.year + 1, first.month, first.day) - dt.timedelta(days=1)
    checked_on = min(last, today or dt.date.today())
    key = (year, checked_on, _data_version(store))
    with _cache_lock:
        cached = _cache.get(store)
        if cached is not None and cached[0] == key and cached[1].profile == profile:
            county = cached[1]
        else:
            county = _county_year(store, profile, year, first, last, checked_on)
            _cache[store] = (key, county)
    if cluster is None:
        return AnnualData(year, first, last, checked_on, county.bureau, profile, county.clusters, county.check,
                          county.county_exchange, county.county_exchange_check, county.county_backbone_check,
                          county.quota_rows, _trend(county, county.clusters, year), None, county.school_names,
                          county.county_changes, county.scope, county.agreements, county.exchange_pairs)
    chosen = tuple(c for c in county.clusters if c.name == cluster)
    if not chosen:
        raise UnknownCluster(f"没有名为“{cluster}”的集团(学区)/教共体")
    # The scope's exchange figures are those of its member schools, i.e. the cluster's own.
    fig, exchange_check, backbone_check = (chosen[0].exchange, chosen[0].exchange_check, chosen[0].backbone_check) \
        if len(chosen) == 1 else _scope_figures(county, chosen, profile)
    ids = {c.id for c in chosen}
    return AnnualData(year, first, last, checked_on, county.bureau, profile, chosen, county.check, fig,
                      exchange_check, backbone_check, tuple(r for c in chosen for r in c.quotas),
                      _trend(county, chosen, year), cluster, county.school_names, county.county_changes,
                      county.scope, tuple(a for a in county.agreements if a.cluster_id in ids),
                      county.exchange_pairs)


def _trend(county: _CountyYear, clusters: tuple[ClusterYear, ...], year: int) -> dict[str, dict[int, float]]:
    """Indicator → school year → mean over the assisted schools of ``clusters``."""
    assisted_ids = {m.school_id for c in clusters for m in c.members if not m.is_lead}
    trend: dict[str, dict[int, float]] = defaultdict(dict)
    for y in range(year - 4, year + 1):
        sums: dict[str, list[float]] = defaultdict(list)
        for school_id in assisted_ids:
            for ind, value in county.quality.get(school_id, {}).get(y, {}).items():
                sums[ind].append(value)
        for ind, values in sums.items():
            trend[ind][y] = sum(values) / len(values)
    return dict(trend)


def _scope_figures(county: _CountyYear, clusters: tuple[ClusterYear, ...],
                   profile: Profile) -> tuple[ExchangeFigures, ShareCheck, ShareCheck]:
    """Exchange figures of several same-named clusters together (names are unique in practice)."""
    moved = sum(c.exchange.moved for c in clusters)
    by_form: dict[str, int] = defaultdict(int)
    for c in clusters:
        for form, n in c.exchange.by_form.items():
            by_form[form] += n
    fig = ExchangeFigures(sum(c.exchange.eligible for c in clusters), moved,
                          sum(c.exchange.backbone for c in clusters), sum(c.exchange.to_rural for c in clusters),
                          _in_form_order(by_form))
    return (fig, *_checks(profile, fig))


def _in_form_order(by_form: dict[str, int]) -> dict[str, int]:
    """Counts per exchange form in the vocabulary's order (unknown forms last, by name)."""
    order = {form: i for i, form in enumerate(vocab.EXCHANGE_FORMS)}
    return dict(sorted(by_form.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def _checks(profile: Profile, fig: ExchangeFigures) -> tuple[ShareCheck, ShareCheck]:
    denominator = fig.eligible if profile.figures.get("exchange.backbone_denominator") and \
        profile.value("exchange.backbone_denominator") == "eligible" else fig.moved
    return (share_check(profile, "exchange.min_share", "交流人数 / 符合条件人数", fig.moved, fig.eligible),
            share_check(profile, "exchange.backbone_share", "骨干教师 / 交流人数", fig.backbone, denominator))


def _county_year(store: Store, profile: Profile, year: int, first: dt.date, last: dt.date,
                 checked_on: dt.date) -> _CountyYear:
    records = load(store)
    schools = {s.id: s for s in records.schools}
    check = check_store(store, profile, checked_on)  # with the teacher-development and 优质均衡 parts
    with store.read() as session:
        lifetimes = {row.id: (row.founded, row.dissolved)
                     for row in session.execute(select(Cluster.id, Cluster.founded, Cluster.dissolved))}
        regions = session.execute(select(Region.name, Region.level)).all()

    def existed(cluster_id: uuid.UUID) -> bool:
        """Founded by the year's last day and not dissolved before its first (a community
        founded after the year is not evaluated for it)."""
        founded, dissolved = lifetimes.get(cluster_id, (None, None))
        return (founded is None or founded <= last) and (dissolved is None or dissolved > first)

    members_of: dict[uuid.UUID, list[MemberYear]] = defaultdict(list)
    for m in records.memberships:
        if _overlaps(m.joined, m.left_on, first, last) and m.school_id in schools:
            s = schools[m.school_id]
            members_of[m.cluster_id].append(MemberYear(s.id, s.name, m.role, s.location, s.stage, s.students,
                                                       m.joined, m.left_on))

    eligibility = store_eligibility(store, profile, year)
    eligible_by_code: dict[str, int] = defaultdict(int)
    for entry in eligibility.candidates():
        eligible_by_code[entry.school] += 1
    code_of = {s.id: s.code for s in records.schools}

    with store.read() as session:
        # Actual exchanges: approved, not cancelled before their first day, of a form that counts
        # toward the shares (profile [exchange_forms]; 挂职 / 跟岗 do not by default).
        # A teacher counts once however many schools he goes to (走教 at two schools is one teacher).
        counted = profile.counted_forms() or frozenset(vocab.EXCHANGE_FORMS)
        once: dict[Any, Any] = {}
        for e in session.execute(
            select(Exchange.teacher_id, Exchange.from_school_id, Exchange.to_school_id, Exchange.form,
                   Exchange.status, Exchange.start, Exchange.cancelled_on)
            .where(Exchange.school_year == year, Exchange.status != "planned", Exchange.form.in_(counted))
            .order_by(Exchange.start)
        ).all():
            if took_effect(e.status, e.start, e.cancelled_on):
                once.setdefault(e.teacher_id, e)
        exchanges = list(once.values())
        backbone_ids = set(session.scalars(select(Teacher.id).where(Teacher.backbone_level.is_not(None))))
        quality_rows = session.execute(
            select(QualityIndicator.school_id, QualityIndicator.school_year, QualityIndicator.indicator,
                   QualityIndicator.value)
            .where(QualityIndicator.school_year.between(year - 4, year))
        ).all()
    quality: dict[uuid.UUID, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for school_id, school_year, indicator, value in quality_rows:
        quality[school_id][school_year][indicator] = value
    exchanges_from: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for e in exchanges:
        exchanges_from[e.from_school_id].append(e)

    def exchange_figures(from_ids: set[uuid.UUID] | None) -> ExchangeFigures:
        chosen = exchanges if from_ids is None else [e for i in from_ids for e in exchanges_from.get(i, ())]
        by_form: dict[str, int] = defaultdict(int)
        for e in chosen:
            by_form[e.form] += 1
        eligible = (eligibility.base if from_ids is None
                    else sum(eligible_by_code[code_of[i]] for i in from_ids if i in code_of))
        to_rural = sum(1 for e in chosen if e.to_school_id in schools
                       and counts_as_rural(schools[e.to_school_id], False))
        return ExchangeFigures(eligible, len(chosen), sum(1 for e in chosen if e.teacher_id in backbone_ids),
                               to_rural, _in_form_order(by_form))

    all_rows = tuple(quota_rows(store, profile, year))
    rows_by_cluster: dict[str, list[QuotaRow]] = defaultdict(list)
    for row in all_rows:
        for key in row.clusters:
            rows_by_cluster[key].append(row)
    partnered = {v.subject_id for v in check.violations if v.rule == "partner.rural_has_urban"}
    # Violations by subject, keeping their order in the check.
    violations_of: dict[Any, list[tuple[int, Violation]]] = defaultdict(list)
    for index, v in enumerate(check.violations):
        violations_of[v.subject_id].append((index, v))

    averages = county_changes({sid: (years.get(year - 1, {}), years.get(year, {})) for sid, years in quality.items()})
    result: list[ClusterYear] = []
    for c in sorted(records.clusters, key=lambda c: c.name):
        members = sorted(members_of.get(c.id, []), key=lambda m: (not m.is_lead, m.name))
        if not existed(c.id) or not members:
            continue
        ids = {m.school_id for m in members}
        fig = exchange_figures(ids)
        exchange_check, backbone_check = _checks(profile, fig)
        rural = [m for m in members if m.location == vocab.RURAL or m.stage == vocab.TEACHING_POINT]
        coverage_check = share_check(profile, "partner.rural_has_urban", "有城镇结对的乡村学校",
                                     sum(1 for m in rural if m.school_id not in partnered), len(rural))
        quotas = tuple(rows_by_cluster.get(c.id.hex, []) or rows_by_cluster.get(str(c.id), []))
        assisted_members = [m for m in members if not m.is_lead]
        no_figures: dict[int, dict[str, float]] = {}
        assisted = tuple(school_value_added(m.name, quality.get(m.school_id, no_figures).get(year - 1, {}),
                                            quality.get(m.school_id, no_figures).get(year, {}), averages)
                         for m in assisted_members)
        table = {}
        for member in assisted_members:
            before = quality.get(member.school_id, no_figures).get(year - 1, {})
            after = quality.get(member.school_id, no_figures).get(year, {})
            table[member.name] = {ind: (before.get(ind), after.get(ind)) for ind in sorted(set(before) | set(after))}
        own = list(violations_of.get(c.id, ()))
        for school_id in ids:
            own += [(i, v) for i, v in violations_of.get(school_id, ()) if v.subject_kind == "school"]
        violations = tuple(v for _i, v in sorted(own, key=lambda iv: iv[0]))
        evaluation = evaluate(EvaluationInput(c.name, coverage_check, exchange_check, backbone_check,
                                              sum(1 for r in quotas if r.met), len(quotas), assisted), profile)
        result.append(ClusterYear(c.id, c.name, c.kind, c.area, tuple(members), fig, exchange_check,
                                  backbone_check, coverage_check, quotas, assisted, table, violations, evaluation))

    county_fig = exchange_figures(None)
    county_exchange_check, county_backbone_check = _checks(profile, county_fig)
    in_year = {c.id for c in result}
    agreements = tuple(a for a in cluster_agreements(store, checked_on) if a.cluster_id in in_year)
    return _CountyYear(first, last, checked_on, bureau_name(store), profile, check, tuple(result), county_fig,
                       county_exchange_check, county_backbone_check, all_rows,
                       {k: dict(v) for k, v in quality.items()}, {s.id: s.name for s in records.schools},
                       averages, scope_word([r.level for r in regions], [r.name for r in regions]), agreements,
                       tuple((code_of[e.from_school_id], code_of[e.to_school_id]) for e in exchanges))
