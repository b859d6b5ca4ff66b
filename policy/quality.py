"""Quality figures of a school against the profile's thresholds (达标 / 未达标).

A threshold is the profile figure ``quality.<指标>`` whose unit ends in 下限 (the value must be
at least it) or 上限 (at most it); an indicator without a figure (学业质量监测均分) is shown
without a verdict. Every verdict carries the figure's clause.
"""

from __future__ import annotations

import dataclasses

from policy.profile import Profile

MET, NOT_MET = "达标", "未达标"


@dataclasses.dataclass(frozen=True, slots=True)
class QualityVerdict:
    indicator: str
    value: float
    limit: float | None  # None: no threshold in the profile
    floor: bool  # the value must be at least the limit (else at most)
    status: str  # 达标 / 未达标 / "" without a threshold
    clause: str


def judge(indicator: str, value: float, profile: Profile) -> QualityVerdict:
    """The verdict on one figure (a threshold switched off in the profile gives no verdict)."""
    figure_id = f"quality.{indicator}"
    if figure_id not in profile.figures or profile.value(figure_id) is None:
        return QualityVerdict(indicator, value, None, True, "", "")
    figure = profile.figure(figure_id)
    limit = float(figure.value)
    floor = not figure.unit.endswith("上限")
    ok = value >= limit if floor else value <= limit
    return QualityVerdict(indicator, value, limit, floor, MET if ok else NOT_MET, figure.clause)
