"""Each teacher's outcome in a plan, with the reason: moved (where and why there), stays
(which rule let him stay) or unplaced (why).

Publishing the reasons is what makes a plan accepted. Computed from the plan itself
(moves, stays, pins) and what the planner knew (``Plan.best_rank``: the lowest direction
rank each candidate could reach; ``Plan.needs``), so a plan edited in the review, or a
saved draft annotated by ``planner.destination_ranks``, explains itself the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from policy.directions import LABELS
from policy.eligibility import MANDATORY, EligibilityEntry

if TYPE_CHECKING:
    from policy.planner import Move, Plan

MOVED, STAYS, UNPLACED = "moved", "stays", "unplaced"
OUTCOME_LABELS = {MOVED: "交流", STAYS: "留任", UNPLACED: "须交流未安排"}
# Rules behind a stay / an unplaced teacher.
EXEMPT, PINNED, SHARE_MET, NO_NEED, CROWDED = "exempt", "pinned", "share_met", "no_need", "crowded"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One teacher's outcome. ``rule``: the direction class of a move, or why he stays."""

    entry: EligibilityEntry
    outcome: str
    rule: str
    reason: str
    to_school: str | None = None

    @property
    def id_number(self) -> str:
        return self.entry.teacher.id_number

    def to_json(self) -> dict[str, object]:
        t = self.entry.teacher
        return {"id_number": t.id_number, "name": t.name, "school": self.entry.school, "subject": t.subject or "",
                "years": self.entry.years, "due": self.entry.due, "backbone": t.backbone, "outcome": self.outcome,
                "rule": self.rule, "to_school": self.to_school, "reason": self.reason}

    def unplaced_json(self) -> dict[str, object]:
        t = self.entry.teacher
        return {"id_number": t.id_number, "name": t.name, "school": self.entry.school, "subject": t.subject or "",
                "years": self.entry.years, "reason": self.reason}


def explain(plan: Plan) -> list[Outcome]:
    """Every eligible, mandatory or exempt teacher of the plan's year, by school and ID number."""
    outcomes = [moved(plan, move) for move in plan.moves]
    backbone = plan.backbone_moves
    outcomes += [stayed(plan, entry, backbone) for entry in plan.stays]
    outcomes += [Outcome(e, STAYS, EXEMPT, f"免交流：{e.reason or '登记的免交流情形'}（{e.clause}）") for e in plan.exempt]
    outcomes.sort(key=lambda o: (o.entry.school, o.entry.teacher.id_number))
    return outcomes


def unplaced(plan: Plan) -> list[Outcome]:
    """The mandatory teachers the plan leaves unplaced, in :func:`explain`'s order, without
    explaining every move and stay (a city plan's scenario keeps only these)."""
    backbone = plan.backbone_moves
    found = [o for o in (stayed(plan, e, backbone) for e in plan.stays if e.due == MANDATORY)
             if o.outcome == UNPLACED]
    found.sort(key=lambda o: (o.entry.school, o.entry.teacher.id_number))
    return found


def by_key(plan: Plan) -> dict[object, Outcome]:
    """Outcomes by teacher key (for a review table)."""
    return {o.entry.teacher.key: o for o in explain(plan)}


def _name(plan: Plan, code: str) -> str:
    return plan.school_names.get(code, code)


def _subject(entry: EligibilityEntry) -> str:
    return entry.teacher.subject or "该学科"


def _why_moves(plan: Plan, entry: EligibilityEntry) -> str:
    if entry.due == MANDATORY:
        limit = plan.clauses.get("max_years") or ""
        if limit.isdigit() and entry.years >= int(limit):
            return f"任教 {entry.years} 年，满 {limit} 年须交流"
        return f"须交流（{entry.clause}）"  # a principal's terms, not years of teaching
    return "骨干教师，计入交流与骨干比例" if entry.backbone else "符合交流条件，计入交流比例"


def moved(plan: Plan, move: Move) -> Outcome:
    """Where, and why there: the direction and its clause, the need filled, the distance."""
    entry, rules = move.entry, plan.rules
    subject = _subject(entry)
    parts = [f"{_why_moves(plan, entry)}；调往{_name(plan, move.to_school)}"]
    label = LABELS.get(move.direction)
    if label:
        clause = rules.clauses.get(move.direction, "") if rules else ""
        parts.append(f"方向：{label}" + (f"（{clause}）" if clause else ""))
    if move.pinned:
        parts.append("按审核时的指定安排")
    else:
        need = plan.needs.get((move.to_school, entry.teacher.subject or ""))
        if need:
            parts.append(f"该校{subject}接收空缺 {need} 个")
        if rules is not None and move.direction in rules.ranks:
            rank, best = rules.ranks[move.direction], plan.best_rank.get(entry.teacher.key)
            if best is not None and best < rank:
                parts.append(f"首选方向的{subject}空缺已安排给其他教师")
            elif rank > 0:
                parts.append(f"没有乡村、薄弱学校需要{subject}教师，按就近原则安排")
        km = "距离未知（学校缺少坐标）" if move.distance_km is None else f"距离 {move.distance_km:.1f} 公里"
        parts.append(km + ("，同一集团(学区)" if move.same_cluster else ""))
    return Outcome(entry, MOVED, move.direction or "pinned", "；".join(parts), move.to_school)


def stayed(plan: Plan, entry: EligibilityEntry, backbone: int) -> Outcome:
    """Which rule let the teacher stay, or why a mandatory teacher found no place.
    ``backbone``: the plan's backbone moves (counted once by the caller)."""
    key, subject = entry.teacher.key, _subject(entry)
    clause_max = plan.clauses.get("exchange.max_years", "")
    if key in plan.pins and plan.pins[key] is None:
        if entry.due == MANDATORY:
            return Outcome(entry, STAYS, PINNED, f"审核时指定留任，违反须交流的规定（{entry.clause}）")
        return Outcome(entry, STAYS, PINNED, "审核时指定留任")
    known = key in plan.best_rank
    best = plan.best_rank.get(key)
    if entry.due == MANDATORY:
        if not known:
            return Outcome(entry, UNPLACED, CROWDED, f"{_why_moves(plan, entry)}，未能安排（{clause_max}）")
        if best is None:
            return Outcome(entry, UNPLACED, NO_NEED,
                           f"{_why_moves(plan, entry)}，但县域内开设相同学段的学校都没有{subject}接收空缺"
                           f"（请在需求表中增加空缺；{clause_max}）")
        return Outcome(entry, UNPLACED, CROWDED,
                       f"{_why_moves(plan, entry)}，但可去学校的{subject}接收空缺已全部安排给其他须交流教师"
                       f"（请在需求表中增加空缺；{clause_max}）")
    if known and best is None:
        return Outcome(entry, STAYS, NO_NEED, f"没有学校按交流方向需要{subject}教师（向乡村、薄弱学校等），本年度不安排")
    moves = len(plan.moves)
    share_met = moves >= plan.required_moves and (not entry.backbone or backbone >= plan.required_backbone)
    if share_met:
        clause = plan.clauses.get("exchange.min_share", "")
        return Outcome(entry, STAYS, SHARE_MET,
                       f"本年度交流 {moves} 人（应不少于 {plan.required_moves} 人）、骨干 {backbone} 人（应不少于 "
                       f"{plan.required_backbone} 人），比例已达到（{clause}），按少调动的原则留任")
    return Outcome(entry, STAYS, CROWDED, f"可去学校的{subject}接收空缺已安排给其他教师，交流比例仍未达到")
