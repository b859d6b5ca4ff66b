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
import uuid
from collections import defaultdict

from sqlalchemy import select

from db.agreements import bureau_name
from db.clusters import load
from db.models import Exchange, QualityIndicator
from db.store import Store
from db.teachers import store_eligibility
from db.visits import quota_rows
from policy import vocab
from policy.clusters import CheckResult, Violation, counts_as_rural
from policy.evaluation import (
    EvaluationInput,
    EvaluationResult,
    SchoolValueAdded,
    ShareCheck,
    evaluate,
    school_value_added,
    share_check,
)
from policy.profile import Profile
from policy.quotas import QuotaRow


class UnknownCluster(LookupError):
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


def _overlaps(joined: dt.date, left_on: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return joined <= last and (left_on is None or left_on > first)


def annual_data(store: Store, profile: Profile, year: int, cluster: str | None = None,
                today: dt.date | None = None) -> AnnualData:
    """Gather the annual report of school year ``year`` (for one cluster when named).

    Raises:
        UnknownCluster: ``cluster`` names no cluster.
    """
    first = dt.date(year, *profile.calendar.year_start)
    last = dt.date(first.year + 1, first.month, first.day) - dt.timedelta(days=1)
    today = today or dt.date.today()
    checked_on = min(last, today)
    records = load(store)
    schools = {s.id: s for s in records.schools}
    clusters = [c for c in records.clusters if cluster is None or c.name == cluster]
    if cluster is not None and not clusters:
        raise UnknownCluster(f"没有名为“{cluster}”的集团(学区)/教共体")
    check = load(store, checked_on).check(profile, checked_on)

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
        exchanges = session.execute(
            select(Exchange.teacher_id, Exchange.from_school_id, Exchange.to_school_id, Exchange.form)
            .where(Exchange.school_year == year, Exchange.status != "cancelled")
        ).all()
        from db.models import Teacher

        backbone_ids = set(session.scalars(select(Teacher.id).where(Teacher.backbone_level.is_not(None))))
        quality_rows = session.execute(
            select(QualityIndicator.school_id, QualityIndicator.school_year, QualityIndicator.indicator,
                   QualityIndicator.value)
            .where(QualityIndicator.school_year.between(year - 4, year))
        ).all()
    quality: dict[uuid.UUID, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for school_id, school_year, indicator, value in quality_rows:
        quality[school_id][school_year][indicator] = value

    def exchange_figures(from_ids: set[uuid.UUID] | None) -> ExchangeFigures:
        chosen = [e for e in exchanges if from_ids is None or e.from_school_id in from_ids]
        by_form: dict[str, int] = defaultdict(int)
        for e in chosen:
            by_form[e.form] += 1
        eligible = (eligibility.base if from_ids is None
                    else sum(eligible_by_code[code_of[i]] for i in from_ids if i in code_of))
        to_rural = sum(1 for e in chosen if e.to_school_id in schools
                       and counts_as_rural(schools[e.to_school_id], False))
        return ExchangeFigures(eligible, len(chosen), sum(1 for e in chosen if e.teacher_id in backbone_ids),
                               to_rural, dict(by_form))

    def checks(fig: ExchangeFigures) -> tuple[ShareCheck, ShareCheck]:
        denominator = fig.eligible if profile.figures.get("exchange.backbone_denominator") and \
            profile.value("exchange.backbone_denominator") == "eligible" else fig.moved
        return (share_check(profile, "exchange.min_share", "交流人数 / 符合条件人数", fig.moved, fig.eligible),
                share_check(profile, "exchange.backbone_share", "骨干教师 / 交流人数", fig.backbone, denominator))

    all_rows = tuple(quota_rows(store, profile, year))
    rows_by_cluster: dict[str, list[QuotaRow]] = defaultdict(list)
    for row in all_rows:
        for key in row.clusters:
            rows_by_cluster[key].append(row)

    result: list[ClusterYear] = []
    for c in sorted(clusters, key=lambda c: c.name):
        members = sorted(members_of.get(c.id, []), key=lambda m: (not m.is_lead, m.name))
        ids = {m.school_id for m in members}
        fig = exchange_figures(ids)
        exchange_check, backbone_check = checks(fig)
        rural = [m for m in members if m.location == vocab.RURAL or m.stage == vocab.TEACHING_POINT]
        partnered = {v.subject_id for v in check.violations if v.rule == "partner.rural_has_urban"}
        coverage_check = share_check(profile, "partner.rural_has_urban", "有城镇结对的乡村学校",
                                     sum(1 for m in rural if m.school_id not in partnered), len(rural))
        quotas = tuple(rows_by_cluster.get(c.id.hex, []) or rows_by_cluster.get(str(c.id), []))
        assisted_members = [m for m in members if not m.is_lead]
        assisted = tuple(school_value_added(m.name, quality[m.school_id].get(year - 1, {}),
                                            quality[m.school_id].get(year, {})) for m in assisted_members)
        table = {m.name: {ind: (quality[m.school_id].get(year - 1, {}).get(ind),
                                quality[m.school_id].get(year, {}).get(ind))
                          for ind in sorted(set(quality[m.school_id].get(year - 1, {}))
                                            | set(quality[m.school_id].get(year, {})))}
                 for m in assisted_members}
        violations = tuple(v for v in check.violations
                           if v.subject_id == c.id or (v.subject_kind == "school" and v.subject_id in ids))
        evaluation = evaluate(EvaluationInput(c.name, coverage_check, exchange_check, backbone_check,
                                              sum(1 for r in quotas if r.met), len(quotas), assisted), profile)
        result.append(ClusterYear(c.id, c.name, c.kind, c.area, tuple(members), fig, exchange_check,
                                  backbone_check, coverage_check, quotas, assisted, table, violations, evaluation))

    scope_ids = {m.school_id for c in result for m in c.members} if cluster else None
    county_fig = exchange_figures(scope_ids)
    county_exchange_check, county_backbone_check = checks(county_fig)
    assisted_ids = {m.school_id for c in result for m in c.members if not m.is_lead}
    trend: dict[str, dict[int, float]] = defaultdict(dict)
    for y in range(year - 4, year + 1):
        sums: dict[str, list[float]] = defaultdict(list)
        for school_id in assisted_ids:
            for ind, value in quality[school_id].get(y, {}).items():
                sums[ind].append(value)
        for ind, values in sums.items():
            trend[ind][y] = sum(values) / len(values)
    rows = all_rows if cluster is None else tuple(r for c in result for r in c.quotas)
    return AnnualData(year, first, last, checked_on, bureau_name(store), profile, tuple(result), check,
                      county_fig, county_exchange_check, county_backbone_check, rows, dict(trend), cluster)
