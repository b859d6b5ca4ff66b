"""The annual evaluation of a community's assistance work (银川2023方案 三(二)、四(二);
余教〔2020〕155号 六(四); 保山2022方案 13—14), as pure arithmetic on figures counted elsewhere.

Scheme (weights, grade lines and the value-added scale from the profile's ``[evaluation]``):

* **coverage** — share of the community's rural schools (乡村 + 教学点) that have an
  urban partner, against ``partner.rural_has_urban``; score = weight × min(1, share/target).
* **exchange** — the two shares of the exchange rule: moved / eligible against
  ``exchange.min_share`` and backbone / moved against ``exchange.backbone_share``; each is
  worth half the weight, score part = min(1, share/target).
* **visits** — weight × (quota rows met / quota rows).
* **quality_value_added** (增值评价) — per assisted school and indicator, the change on its
  own baseline (last year) in the indicator's unit: 百分点 for a rate (合格率, 巩固率), 分 for
  a score; minus the county's average change of that indicator (every school with both
  years). The community's value-added is the mean over its assisted schools' indicators;
  score = weight × clamp(0.5 + va / (2 × ``value_added_full_points``), 0, 1): as much as the
  county average earns half, ``value_added_full_points`` above it earns all.
* **Nothing to assess, no points**: a part with nothing to assess (no rural school, no
  eligible teacher, no quota, no assisted school with figures in both years) is marked 不评
  and left out; the total is the points earned over the weights assessed, on 100. A
  community with nothing at all to assess is 不参评.
* **bundled** (捆绑考核, ``evaluation.bundled``): the supporting school's quality score *is*
  its assisted schools' value-added score — its own figures do not count.

Grade: the first grade of ``evaluation.grades`` (优秀 / 良好 / 合格, highest line first)
whose line the total reaches, else 不合格.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from policy.profile import Profile

FAILED_GRADE = "不合格"
NOT_RATED = "不参评"
#: Value-added points above the county average that earn the whole quality weight (profile
#: ``evaluation.value_added_full_points`` overrides).
DEFAULT_FULL_POINTS = 5.0
PARTS = ("coverage", "exchange", "visits", "quality_value_added")
PART_LABELS = {
    "coverage": "乡村学校结对覆盖",
    "exchange": "教师交流轮岗",
    "visits": "帮扶活动达标",
    "quality_value_added": "受援校质量增值",
}


@dataclasses.dataclass(frozen=True, slots=True)
class ShareCheck:
    """A share against its minimum: 12 of 100 eligible moved, target 10 % …"""

    label: str
    numerator: int
    denominator: int
    target: float | None  # None: the profile switched the rule off
    clause: str

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.denominator == 0:
            return True
        return (self.share or 0.0) + 1e-9 >= self.target

    @property
    def attainment(self) -> float:
        """min(1, share / target); 1 when nothing was owed or the rule is off."""
        if self.target is None or self.target <= 0 or self.denominator == 0:
            return 1.0
        return min(1.0, (self.share or 0.0) / self.target)


def share_check(profile: Profile, figure_id: str, label: str, numerator: int, denominator: int) -> ShareCheck:
    target = profile.value(figure_id) if figure_id in profile.figures else None
    clause = profile.clause(figure_id) if figure_id in profile.figures else ""
    return ShareCheck(label, numerator, denominator, float(target) if target is not None else None, clause)


def relative_change(before: float | None, after: float | None) -> float | None:
    """(after − before) / before; None when either is missing or before is 0."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before)


def point_change(before: float | None, after: float | None) -> float | None:
    """after − before in the indicator's own unit (百分点 for a rate); None when one is missing."""
    if before is None or after is None:
        return None
    return after - before


def is_rate(indicator: str) -> bool:
    """A rate (合格率, 巩固率 …): its change is in 百分点, never a percentage of a percentage."""
    return indicator.endswith("率")


def change_unit(indicator: str) -> str:
    return "百分点" if is_rate(indicator) else "分"


def county_changes(figures: Mapping[object, tuple[Mapping[str, float], Mapping[str, float]]]) -> dict[str, float]:
    """Indicator → mean change over every school with the indicator in both years (县均变化)."""
    sums: dict[str, list[float]] = {}
    for before, after in figures.values():
        for indicator in set(before) & set(after):
            sums.setdefault(indicator, []).append(after[indicator] - before[indicator])
    return {indicator: sum(values) / len(values) for indicator, values in sums.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class SchoolValueAdded:
    school: str
    #: indicator → change on the school's own baseline (last year), in the indicator's unit
    changes: Mapping[str, float | None]
    #: indicator → the county's average change (None: no county figure)
    county: Mapping[str, float | None] = dataclasses.field(default_factory=dict)

    def relative(self, indicator: str) -> float | None:
        """Own change − county average change (增值 against the county)."""
        own, county = self.changes.get(indicator), self.county.get(indicator)
        if own is None:
            return None
        return own - (county or 0.0)

    @property
    def value_added(self) -> float | None:
        present = [r for r in (self.relative(i) for i in self.changes) if r is not None]
        return sum(present) / len(present) if present else None


def school_value_added(
    school: str, before: Mapping[str, float], after: Mapping[str, float],
    county: Mapping[str, float] | None = None,
) -> SchoolValueAdded:
    """The change of every indicator the school has in both years, against the county's."""
    indicators = sorted(set(before) | set(after))
    county = county or {}
    return SchoolValueAdded(school, {i: point_change(before.get(i), after.get(i)) for i in indicators},
                            {i: county.get(i) for i in indicators})


def community_value_added(schools: Sequence[SchoolValueAdded]) -> float | None:
    present = [s.value_added for s in schools if s.value_added is not None]
    return sum(present) / len(present) if present else None


def value_added_attainment(value_added: float | None, full_points: float = DEFAULT_FULL_POINTS) -> float | None:
    """Share of the quality weight earned: half at the county average, all ``full_points`` above
    it, none ``full_points`` below; None when there is nothing to assess."""
    if value_added is None:
        return None
    return max(0.0, min(1.0, 0.5 + value_added / (2 * full_points)))


@dataclasses.dataclass(frozen=True, slots=True)
class EvaluationInput:
    """What one community achieved in a school year, counted by ``db``/``policy`` elsewhere."""

    community: str
    coverage: ShareCheck
    exchange: ShareCheck
    backbone: ShareCheck
    quotas_met: int
    quotas_total: int
    assisted: Sequence[SchoolValueAdded]


@dataclasses.dataclass(frozen=True, slots=True)
class EvaluationResult:
    community: str
    scores: dict[str, float | None]  # part → points; None = 不评 (nothing to assess)
    weights: dict[str, float]
    value_added: float | None
    total: float | None  # on 100 over the parts assessed; None = 不参评
    grade: str
    bundled: bool
    clause: str

    @property
    def assessed_weight(self) -> float:
        return sum(self.weights[p] for p, score in self.scores.items() if score is not None)

    def supporting_school_quality_score(self) -> float:
        """Under 捆绑考核 the supporting school's quality points are its assisted schools'."""
        return self.scores.get("quality_value_added") or 0.0


def weights(profile: Profile) -> dict[str, float]:
    raw = profile.evaluation.get("weights", {})
    return {part: float(raw.get(part, 0)) for part in PARTS}


def grade_lines(profile: Profile) -> list[tuple[str, float]]:
    """(grade, line) highest first, from the profile (优秀 90, 良好 75, 合格 60 by default)."""
    grades = profile.evaluation.get("grades", {})
    return sorted(((str(k), float(v)) for k, v in grades.items()), key=lambda kv: -kv[1])


def grade_of(total: float | None, profile: Profile) -> str:
    if total is None:
        return NOT_RATED
    for name, threshold in grade_lines(profile):
        if total + 1e-9 >= threshold:
            return name
    return FAILED_GRADE


def full_points(profile: Profile) -> float:
    return float(profile.evaluation.get("value_added_full_points", DEFAULT_FULL_POINTS))


def evaluate(data: EvaluationInput, profile: Profile) -> EvaluationResult:
    """Scores, total and grade of one community (see the module docstring for the scheme)."""
    w = weights(profile)
    value_added = community_value_added(data.assisted)
    exchange_parts = [c.attainment for c in (data.exchange, data.backbone)
                      if c.target is not None and c.denominator > 0]
    shares: dict[str, float | None] = {
        "coverage": data.coverage.attainment if data.coverage.denominator > 0 else None,
        # Each half of the exchange weight counts only when something was owed.
        "exchange": (sum(exchange_parts) / len(exchange_parts)) if exchange_parts else None,
        "visits": data.quotas_met / data.quotas_total if data.quotas_total else None,
        "quality_value_added": value_added_attainment(value_added, full_points(profile)),
    }
    scores = {k: (round(w[k] * v, 1) if v is not None else None) for k, v in shares.items()}
    assessed = sum(w[k] for k, v in scores.items() if v is not None)
    earned = sum(v for v in scores.values() if v is not None)
    total = round(100 * earned / assessed, 1) if assessed > 0 else None
    return EvaluationResult(
        data.community, scores, w, value_added, total, grade_of(total, profile),
        bool(profile.evaluation.get("bundled", False)), str(profile.evaluation.get("clause", "")),
    )
