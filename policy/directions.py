"""Which way an exchange goes, and how much the planner prefers it (a cost, not a wall).

The aim is toward rural and weak schools (银川2023方案 二(三)8; 教师〔2014〕4号), but the
12-year limit is a limit (太平区2023方案 四(二)3: 最多不超过12年): a mandatory teacher whose
subject no rural or weak school needs still moves — to another school of the same kind
(同为城区 / 同为镇区: ``lateral``), else to any school of the county teaching his section
(``any``). Over-staffed rural schools may send teachers to urban or understaffed schools
(海门2019计划 三(四)3: ``staffing``).

Every class has a rank, a profile figure with its clause (``exchange.direction.*``); the
planner sends each teacher to the lowest rank it can (see ``policy.planner``). Teachers
who are not yet mandatory move only at ranks ≤ ``exchange.direction.eligible_max``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from policy import vocab
from policy.profile import Profile

if TYPE_CHECKING:
    from policy.planner import PlanSchool

def tier(school: PlanSchool) -> int:
    """How advantaged a school is: 2 城区 (not weak), 1 镇区 (not weak), 0 乡村 or 薄弱.

    城区 and 镇区 schools that are not weak are the 城镇/优质 sending schools of
    教师〔2014〕4号; rural and weak schools are the ones the flow goes toward.
    """
    if school.is_weak or school.location == vocab.RURAL:
        return 0
    return 1 if school.location == vocab.TOWN else 2


# Classes in order of precedence: a move is the first class it fits.
RURAL, WEAK, TOWN, STAFFING, LATERAL, ANY = "rural", "weak", "town", "staffing", "lateral", "any"
DIRECTIONS: tuple[str, ...] = (RURAL, WEAK, TOWN, STAFFING, LATERAL, ANY)
LABELS = {
    RURAL: "向乡村学校", WEAK: "向薄弱学校", TOWN: "城区向镇区学校", STAFFING: "超编乡村学校向城区或缺编学校",
    LATERAL: "同类学校之间", ANY: "其他开设该学段的学校",
}
LOCATION_RANK = {vocab.RURAL: 0, vocab.TOWN: 1, vocab.URBAN: 2}


def required_teachers(school: PlanSchool, profile: Profile) -> int | None:
    """Teachers the staffing ratio gives the school (ceil(students / ratio)); None: unknown."""
    primary: float | None = profile.value("staffing.ratio.primary")
    junior: float | None = profile.value("staffing.ratio.junior")
    if school.stage == "初中":
        ratio = junior
    elif school.stage in ("九年一贯制", "十二年一贯制"):
        ratio = (primary + junior) / 2 if primary and junior else primary or junior
    else:
        ratio = primary
    if not ratio or school.students <= 0:
        return None
    return math.ceil(school.students / ratio - 1e-9)


@dataclass(frozen=True, slots=True)
class DirectionRules:
    """The ranks of the direction classes and the schools' staffing, for one plan."""

    ranks: Mapping[str, int]
    clauses: Mapping[str, str]
    eligible_max: int
    over: frozenset[str]  # over-staffed rural schools (海门2019计划 三(四)3)
    under: frozenset[str]  # understaffed schools

    @classmethod
    def from_profile(cls, profile: Profile, schools: Mapping[str, PlanSchool]) -> DirectionRules:
        ranks, clauses = {}, {}
        for name in DIRECTIONS:
            figure_id = f"exchange.direction.{name}"
            value = profile.value(figure_id) if figure_id in profile.figures else None
            ranks[name] = int(value) if value is not None else (0 if name in (RURAL, WEAK, TOWN) else 1)
            clauses[name] = profile.clause(figure_id) if figure_id in profile.figures else ""
        figure = "exchange.direction.eligible_max"
        eligible_max = profile.value(figure) if figure in profile.figures else None
        margin = profile.value("staffing.over_margin") if "staffing.over_margin" in profile.figures else None
        over, under = set(), set()
        for code, school in schools.items():
            need = required_teachers(school, profile)
            if need is None:
                continue
            if school.location == vocab.RURAL and school.teachers > need * (1 + (margin or 0.0)) + 1e-9:
                over.add(code)
            elif school.teachers < need:
                under.add(code)
        return cls(ranks, clauses, 0 if eligible_max is None else int(eligible_max), frozenset(over),
                   frozenset(under))

    def kind(self, source: PlanSchool, target: PlanSchool) -> str:
        """The direction class of a move from ``source`` to ``target``."""
        return DIRECTIONS[int(self.kinds([source], [target])[0, 0])]

    def rank(self, source: PlanSchool, target: PlanSchool) -> int:
        return self.ranks[self.kind(source, target)]

    def kinds(self, sources: list[PlanSchool], targets: list[PlanSchool]) -> np.ndarray:
        """Class indices (into :data:`DIRECTIONS`) of every move sources × targets."""
        def column(schools: list[PlanSchool], f: Callable[[PlanSchool], object]) -> np.ndarray:
            return np.array([f(x) for x in schools])

        loc_s = column(sources, lambda x: LOCATION_RANK.get(x.location, 2))[:, None]
        loc_t = column(targets, lambda x: LOCATION_RANK.get(x.location, 2))[None, :]
        tier_s = column(sources, tier)[:, None]
        tier_t = column(targets, tier)[None, :]
        weak_t = column(targets, lambda x: bool(x.is_weak))[None, :]
        over_s = column(sources, lambda x: x.code in self.over)[:, None]
        under_t = column(targets, lambda x: x.code in self.under)[None, :]
        kinds = np.full((len(sources), len(targets)), DIRECTIONS.index(ANY), dtype=np.int8)
        # Lowest precedence first; each later class overrides.
        kinds[np.broadcast_to(loc_s == loc_t, kinds.shape)] = DIRECTIONS.index(LATERAL)
        kinds[np.broadcast_to(over_s & ((loc_t == 2) | under_t), kinds.shape)] = DIRECTIONS.index(STAFFING)
        kinds[np.broadcast_to((tier_s == 2) & (tier_t == 1), kinds.shape)] = DIRECTIONS.index(TOWN)
        kinds[np.broadcast_to(weak_t, kinds.shape)] = DIRECTIONS.index(WEAK)
        kinds[np.broadcast_to(loc_t == 0, kinds.shape)] = DIRECTIONS.index(RURAL)
        return kinds

    def destinations(self, source: PlanSchool, schools: Iterable[PlanSchool]) -> list[tuple[PlanSchool, str]]:
        """Where a mandatory teacher of ``source`` may be sent, with the direction class, best
        first: any other school of the county teaching a section of ``source``'s (the direction
        ranks the choices, it does not forbid any)."""
        def sections(school: PlanSchool) -> int:
            return vocab.STAGE_SECTIONS.get(school.stage, 3)

        options = [(self.ranks[kind], school.name, school.code, kind, school) for school in schools
                   if school.code != source.code and school.region == source.region
                   and sections(source) & sections(school)
                   for kind in (self.kind(source, school),)]
        options.sort(key=lambda option: option[:3])
        return [(school, kind) for _rank, _name, _code, kind, school in options]

    def rank_table(self) -> np.ndarray:
        """Rank by class index."""
        return np.array([self.ranks[name] for name in DIRECTIONS], dtype=np.int64)


def clauses_of(profile: Profile) -> dict[str, str]:
    """Each direction class's clause in ``profile`` (empty when the profile has none)."""
    return {name: profile.clause(f"exchange.direction.{name}") for name in DIRECTIONS
            if f"exchange.direction.{name}" in profile.figures}


def describe(counts: Mapping[str, int], clauses: Mapping[str, str] | None = None) -> list[str]:
    """Sentences saying where a plan sends teachers, for the 公示 and the plan workbook.

    ``counts``: moves by class (``Plan.directions()``, kept in a saved plan's summary).
    """
    if not any(counts.values()):
        return []
    lines = ["交流方向：" + "、".join(f"{LABELS.get(k, k)} {v} 人" for k, v in counts.items() if v) + "。"]
    away = counts.get(LATERAL, 0) + counts.get(ANY, 0)
    if away:
        clause = (clauses or {}).get(LATERAL) or "太平区2023方案 四(二)3"
        lines.append(f"其中 {away} 名任教满最长年限的教师，因没有乡村、薄弱学校需要其任教学科，"
                     f"在同类学校之间或其他开设相同学段的学校交流（{clause}：最多不超过12年）。")
    if counts.get(STAFFING, 0):
        clause = (clauses or {}).get(STAFFING) or "海门2019计划 三(四)3"
        lines.append(f"{counts[STAFFING]} 名教师由超编乡村学校交流到城区或缺编学校（{clause}）。")
    return lines
