"""The annual evaluation of a community's assistance work (银川2023方案 三(二)、四(二);
余教〔2020〕155号 六(四); 保山2022方案 13—14), as pure arithmetic on figures counted elsewhere.

Scheme (weights and grade thresholds from the profile's ``[evaluation]`` section):

* **coverage** — share of the community's rural schools (乡村 + 教学点) that have an
  urban partner, against ``partner.rural_has_urban``; score = weight × min(1, share/target).
* **exchange** — the two shares of the exchange rule: moved / eligible against
  ``exchange.min_share`` and backbone / moved against ``exchange.backbone_share``; each is
  worth half the weight, score part = min(1, share/target). No eligible teacher → full marks
  for that half (nothing was owed).
* **visits** — weight × (quota rows met / quota rows); no rows → full marks.
* **quality_value_added** — per assisted school, the mean relative change of its quality
  indicators on the year before (增值评价); the community's value-added is the mean over
  its assisted schools; score = weight × clamp(0.5 + 5 × value-added, 0, 1), i.e. no change
  earns half, +10 % or better earns all. No comparable figures → half marks.
* **bundled** (捆绑考核, ``evaluation.bundled``): the supporting school's quality score *is*
  its assisted schools' value-added score — its own figures do not count.

Grade: the first grade of ``evaluation.grades`` (highest threshold first) whose threshold
the total reaches, else 不合格.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from policy.profile import Profile

FAILED_GRADE = "不合格"
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


@dataclasses.dataclass(frozen=True, slots=True)
class SchoolValueAdded:
    school: str
    changes: Mapping[str, float | None]  # indicator → relative change

    @property
    def value_added(self) -> float | None:
        present = [c for c in self.changes.values() if c is not None]
        return sum(present) / len(present) if present else None


def school_value_added(
    school: str, before: Mapping[str, float], after: Mapping[str, float]
) -> SchoolValueAdded:
    """The change of every indicator the school has in both years."""
    indicators = sorted(set(before) | set(after))
    return SchoolValueAdded(school, {i: relative_change(before.get(i), after.get(i)) for i in indicators})


def community_value_added(schools: Sequence[SchoolValueAdded]) -> float | None:
    present = [s.value_added for s in schools if s.value_added is not None]
    return sum(present) / len(present) if present else None


def value_added_attainment(value_added: float | None) -> float:
    if value_added is None:
        return 0.5
    return max(0.0, min(1.0, 0.5 + 5.0 * value_added))


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
    scores: dict[str, float]  # part → points
    weights: dict[str, float]
    value_added: float | None
    total: float
    grade: str
    bundled: bool
    clause: str

    def supporting_school_quality_score(self) -> float:
        """Under 捆绑考核 the supporting school's quality points are its assisted schools'."""
        return self.scores.get("quality_value_added", 0.0)


def weights(profile: Profile) -> dict[str, float]:
    raw = profile.evaluation.get("weights", {})
    return {part: float(raw.get(part, 0)) for part in PARTS}


def grade_of(total: float, profile: Profile) -> str:
    grades = profile.evaluation.get("grades", {})
    for name, threshold in sorted(grades.items(), key=lambda kv: -float(kv[1])):
        if total + 1e-9 >= float(threshold):
            return str(name)
    return FAILED_GRADE


def evaluate(data: EvaluationInput, profile: Profile) -> EvaluationResult:
    """Scores, total and grade of one community (see the module docstring for the scheme)."""
    w = weights(profile)
    value_added = community_value_added(data.assisted)
    visits = data.quotas_met / data.quotas_total if data.quotas_total else 1.0
    scores = {
        "coverage": w["coverage"] * data.coverage.attainment,
        "exchange": w["exchange"] * (data.exchange.attainment + data.backbone.attainment) / 2,
        "visits": w["visits"] * visits,
        "quality_value_added": w["quality_value_added"] * value_added_attainment(value_added),
    }
    scores = {k: round(v, 1) for k, v in scores.items()}
    total = round(sum(scores.values()), 1)
    return EvaluationResult(
        data.community, scores, w, value_added, total, grade_of(total, profile),
        bool(profile.evaluation.get("bundled", False)), str(profile.evaluation.get("clause", "")),
    )
