"""Plan scenarios: a clerk's settings applied to the profile, a plan's figures, and the
comparison of several scenarios of one year (issue 18).

A scenario is the same planner run with some profile figures changed ("only 10 %", "no
move over 40 km") and some teachers pinned. Nothing here plans or reads the database:
:func:`apply_settings` makes the profile a scenario plans with, :func:`result_of` turns a
plan into the plain record a scenario keeps, and :func:`compare` / :func:`differences`
read those records side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from policy import vocab
from policy.errors import PolicyError
from policy.plan_outcomes import unplaced as unplaced_of
from policy.planner import Move, Plan, PlanSchool, distance_km
from policy.profile import Profile, Value

#: A setting's value that switches the figure's rule off (``--set exchange.max_distance_km=off``).
OFF = "off"
_TRUE, _FALSE = ("true", "yes", "是", "1"), ("false", "no", "否", "0")


def parse_setting(text: str) -> tuple[str, Value]:
    """``KEY=VALUE`` as typed after ``--set``: numbers become numbers, 是/否 booleans,
    ``off`` switches the rule off; the profile decides the final type (:func:`apply_settings`).

    Raises:
        PolicyError: no ``=`` or no key.
    """
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise PolicyError(f"设置应写作 指标=值，如 exchange.min_share=0.15：{text}")
    if raw.lower() == OFF:
        return key, OFF
    for kind in (int, float):
        try:
            return key, kind(raw)
        except ValueError:
            pass
    return key, raw


def apply_pins(texts: Sequence[str], saved: Mapping[str, str | None]) -> dict[str, str | None]:
    """``身份证号=学校代码`` (goes there), ``身份证号=stay`` (stays) or ``身份证号=`` (no longer
    pinned), applied over a scenario's saved pins.

    Raises:
        PolicyError: an item without ``=`` or without an ID number.
    """
    pins = dict(saved)
    for text in texts:
        number, sep, code = (part.strip() for part in text.partition("="))
        if not sep or not number:
            raise PolicyError(f"指定应写作 身份证号=学校代码（或 身份证号=stay 指定留任）：{text}")
        if code == "":
            pins.pop(number, None)
        else:
            pins[number] = None if code.lower() == "stay" else code
    return pins


def apply_settings(profile: Profile, settings: Mapping[str, Value]) -> Profile:
    """The profile a scenario plans with: each figure set to the scenario's value and
    switched on (a rule the county keeps off, such as the distance limit, applies once a
    scenario gives it a value), or switched off by ``off``.

    Raises:
        PolicyError: an unknown figure or a value of the wrong type, naming the figure.
    """
    figures = dict(profile.figures)
    for key, value in settings.items():
        if key not in figures:
            raise PolicyError(f"政策方案中没有指标“{key}”（可用 edubridge check --json 查看指标名）")
        figure = figures[key]
        if value == OFF:
            figures[key] = dataclasses.replace(figure, enabled=False)
            continue
        if isinstance(figure.value, bool) and isinstance(value, str | int):
            word = str(value).lower()
            if word not in _TRUE + _FALSE:
                raise PolicyError(f"指标“{figure.label}”（{key}）应为 是/否：{value}")
            value = word in _TRUE
        changed = profile.with_overrides({key: value}).figures[key]
        figures[key] = dataclasses.replace(changed, enabled=True)
    return dataclasses.replace(profile, figures=figures)


def is_rural(school: PlanSchool | None) -> bool:
    """A 乡村 school or a 教学点 (银川2023方案 一(二) counts both as rural)."""
    return school is not None and (school.location == vocab.RURAL or school.stage == vocab.TEACHING_POINT)


def result_of(plan: Plan, schools: Mapping[str, PlanSchool]) -> dict[str, Any]:
    """What a scenario keeps of its plan: the figures the comparison shows, every move and
    every unplaced mandatory teacher (ID number, name, schools), and how it was solved.

    Teachers in neither list stay; that is their outcome in this scenario.
    """
    exact = [_distance(m, schools) for m in plan.moves]
    moves = [{"id_number": m.entry.teacher.id_number, "name": m.entry.teacher.name, "from": m.from_school,
              "to": m.to_school, "backbone": m.backbone, "km": None if km is None else round(km, 1),
              "direction": m.direction, "form": m.form, "pinned": m.pinned} for m, km in zip(plan.moves, exact)]
    unplaced = [{"id_number": o.id_number, "name": o.entry.teacher.name, "from": o.entry.school,
                 "reason": o.reason} for o in unplaced_of(plan)]
    known = [km for km in exact if km is not None]
    rural = sum(1 for m in plan.moves if is_rural(schools.get(m.to_school)))
    figures = {
        "moves": len(plan.moves), "required_moves": plan.required_moves,
        "backbone": plan.backbone_moves, "required_backbone": plan.required_backbone,
        "rural": rural, "rural_share": round(rural / len(plan.moves), 4) if plan.moves else 0.0,
        "mean_km": round(sum(known) / len(known), 1) if known else None,
        "max_km": round(max(known), 1) if known else None,
        "travel_km": round(sum(known), 1), "unknown_km": len(plan.moves) - len(known),
        "unplaced": len(unplaced), "base": plan.base,
    }
    return {"figures": figures, "moves": moves, "unplaced": unplaced, "unmet": list(plan.unmet),
            "optimal": plan.optimal, "solver": plan.solver, "seconds": round(plan.seconds, 3),
            "moved": len(plan.moves)}


def _distance(move: Move, schools: Mapping[str, PlanSchool]) -> float | None:
    """A move's distance from the two schools' coordinates, unrounded: the planner leaves a
    pinned move's distance out, and summing its figures rounded to 0.1 km drifted the travel
    total by kilometres on a county (every move of one school pair rounds the same way)."""
    a, b = schools.get(move.from_school), schools.get(move.to_school)
    if a is None or b is None:
        return None if move.distance_km is None else float(move.distance_km)
    return distance_km(a, b)


#: The comparison's rows: figure key, label, unit. Travel is one way, school to school.
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("moves", "交流人数", "人"),
    ("required_moves", "应交流不少于", "人"),
    ("backbone", "其中骨干教师", "人"),
    ("required_backbone", "骨干应不少于", "人"),
    ("rural", "到乡村学校(含教学点)", "人"),
    ("rural_share", "到乡村学校比例", "%"),
    ("mean_km", "平均距离", "公里"),
    ("max_km", "最远距离", "公里"),
    ("travel_km", "交通成本（单程距离合计）", "公里"),
    ("unknown_km", "距离未知（学校无坐标）", "人"),
    ("unplaced", "须交流未安排", "人"),
)


def figure_text(key: str, value: float | str | None) -> str:
    """A figure as the comparison prints it ("—" for none)."""
    if value is None:
        return "—"
    if key == "rural_share":
        return f"{float(value):.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclasses.dataclass(frozen=True, slots=True)
class Difference:
    """A teacher whose outcome differs between scenario A and scenario B."""

    id_number: str
    name: str
    school: str
    a: str  # outcome text in A: "→ school code", "须交流未安排" or "留任"
    b: str
    a_to: str | None
    b_to: str | None

    def to_json(self) -> dict[str, object]:
        return {"id_number": self.id_number, "name": self.name, "school": self.school, "a": self.a, "b": self.b,
                "a_to": self.a_to, "b_to": self.b_to}


STAYS_TEXT, UNPLACED_TEXT = "留任", "须交流未安排"


Outcomes = dict[str, tuple[str, str | None, str, str]]


def outcomes_of(result: Mapping[str, Any]) -> Outcomes:
    """ID number → (outcome text, destination, name, home school); stays are implicit."""
    found: dict[str, tuple[str, str | None, str, str]] = {}
    for move in result.get("moves", ()):
        found[move["id_number"]] = (f"交流至 {move['to']}", move["to"], move["name"], move["from"])
    for row in result.get("unplaced", ()):
        found[row["id_number"]] = (UNPLACED_TEXT, None, row["name"], row["from"])
    return found


def differences(a: Mapping[str, Any], b: Mapping[str, Any],
                names: Mapping[str, str] | None = None) -> list[Difference]:
    """Teachers whose outcome differs between two scenario results (moved in one and not
    the other, moved to another school, unplaced in one), by home school and ID number.
    ``names`` (school code → name) spells the destinations out."""
    return differences_between(outcomes_of(a), outcomes_of(b), names)


def differences_between(in_a: Outcomes, in_b: Outcomes, names: Mapping[str, str] | None = None) -> list[Difference]:
    """:func:`differences` over indexes made once per scenario (a comparison of n scenarios
    reads each result once, not n − 1 times). The teachers to list are found by set
    operations on (ID number, outcome) pairs, so only they are looked at one by one (two
    city scenarios share most of their 10,000 moves)."""
    names = names or {}
    texts_a = {(number, found[0]) for number, found in in_a.items()}
    texts_b = {(number, found[0]) for number, found in in_b.items()}
    rows = []
    for number in {number for number, _text in texts_a ^ texts_b}:
        one = in_a.get(number)
        two = in_b.get(number)
        a_to, b_to = (one[1] if one else None), (two[1] if two else None)
        a_text, b_text = (one[0] if one else STAYS_TEXT), (two[0] if two else STAYS_TEXT)
        name, school = (one or two)[2:4]  # type: ignore[index]  # one of them is set
        rows.append(Difference(number, name, names.get(school, school),
                               f"交流至 {names.get(a_to, a_to)}" if a_to else a_text,
                               f"交流至 {names.get(b_to, b_to)}" if b_to else b_text, a_to, b_to))
    rows.sort(key=lambda d: (d.school, d.id_number))
    return rows


def settings_text(profile: Profile, settings: Mapping[str, Value]) -> list[str]:
    """The settings as a clerk reads them: "label：value unit" (or "label：不适用")
    for each figure, the key itself when the profile has no such figure."""
    lines = []
    for key, value in settings.items():
        figure = profile.figures.get(key)
        if figure is None:
            lines.append(f"{key}：{value}")
        elif value == OFF:
            lines.append(f"{figure.label}：不适用")
        elif isinstance(figure.value, bool):  # stored as typed ("true", 是, 1): read as 是/否
            lines.append(f"{figure.label}：{'是' if str(value).lower() in _TRUE else '否'}")
        else:
            unit = "" if figure.unit in ("比例", "是否") else figure.unit
            lines.append(f"{figure.label}：{value}{unit}")
    return lines


def compare(results: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One row per figure of :data:`FIGURES`, one value per scenario, in the order given."""
    rows = []
    for key, label, unit in FIGURES:
        values = [(result.get("figures") or {}).get(key) for _name, result in results]
        rows.append({"key": key, "label": label, "unit": unit, "values": values,
                     "texts": [figure_text(key, v) for v in values]})
    return rows

