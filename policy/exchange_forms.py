"""The forms of teacher exchange and what an exchange is on a given day.

Forms (银川2023方案 二(三)8; 余教〔2020〕155号 五(二)1; 海门2019计划 三(四)3): 轮岗, 柔性流动,
走教, 支教, 挂职, 跟岗, 驻教. Each form's rules — direction, longest term, whether the
personnel relationship (人事关系) may move, whether it counts toward the yearly 10 % / 20 %
shares — are profile figures with their clauses (``[exchange_forms.*]`` in the profile).

The stored status of an exchange is a decision (planned in a draft, approved, cancelled);
:func:`status_on` derives what it is on a day from that and its dates, so every page,
command and report asked "as of" the same day says the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from policy import vocab
from policy.errors import PolicyError

# Directions a form may run (checked when ``enforced``; otherwise the aim only).
TOWARD_RURAL = "toward_rural"  # 城镇 → 乡村 / 薄弱 (the aim: 000 二(三)8, 003 22)
RURAL_TO_CITY = "rural_to_city"  # 跟岗: a rural teacher learns at a more urban school (000 二(三)8)
ANY = "any"
DIRECTIONS = (TOWARD_RURAL, RURAL_TO_CITY, ANY)
DIRECTION_LABELS = {TOWARD_RURAL: "由城镇学校到乡村、薄弱学校", RURAL_TO_CITY: "由乡村学校到更城镇化的学校",
                    ANY: "不限方向"}
# 乡村 < 镇区 < 城区: how urban a school's location is (a 教学点 counts as 乡村).
URBAN_RANK = {vocab.RURAL: 0, vocab.TOWN: 1, vocab.URBAN: 2}


@dataclass(frozen=True, slots=True)
class FormRule:
    """One form's rules, from the profile."""

    form: str
    direction: str
    enforced: bool  # a row in the wrong direction is refused (else the direction is the aim)
    term_months: int  # the longest term of one exchange of this form
    personnel_may_move: bool  # 是否调动人事关系 may be 是
    counts: bool  # counts toward the 10 % / 20 % shares (exchange.min_share, exchange.backbone_share)
    label: str
    clause: str


def build_rules(data: dict[str, Any]) -> dict[str, FormRule]:
    """The ``[exchange_forms]`` table of a merged profile → rules by form.

    Raises:
        PolicyError: a form outside vocab.EXCHANGE_FORMS, a missing field or a bad direction.
    """
    rules = {}
    for form, fields in data.items():
        if form not in vocab.EXCHANGE_FORMS:
            raise PolicyError(f"政策方案中的交流形式“{form}”不在可选范围内（{'、'.join(vocab.EXCHANGE_FORMS)}）")
        try:
            direction = fields["direction"]
            if direction not in DIRECTIONS:
                raise PolicyError(f"交流形式“{form}”的方向“{direction}”无效（{'/'.join(DIRECTIONS)}）")
            rules[form] = FormRule(form, direction, bool(fields.get("enforced", False)), int(fields["term_months"]),
                                   bool(fields["personnel_may_move"]), bool(fields["counts"]), fields["label"],
                                   fields["clause"])
        except KeyError as exc:
            raise PolicyError(f"政策方案中交流形式“{form}”缺少字段 {exc}") from None
    return rules


def urban_rank(location: str, stage: str) -> int:
    return 0 if stage == vocab.TEACHING_POINT else URBAN_RANK.get(location, 0)


def direction_problem(rule: FormRule, source: tuple[str, str, bool], target: tuple[str, str, bool]) -> str | None:
    """Why ``source`` → ``target`` runs against an enforced direction, or None.

    Schools are (location, stage, is_weak).
    """
    if not rule.enforced or rule.direction == ANY:
        return None
    a, b = urban_rank(source[0], source[1]), urban_rank(target[0], target[1])
    if rule.direction == RURAL_TO_CITY and not b > a:
        return (f"{rule.form}应{DIRECTION_LABELS[RURAL_TO_CITY]}（原单位{source[0]}，交流单位{target[0]}）"
                f"（{rule.clause}）")
    if rule.direction == TOWARD_RURAL and not (b < a or (target[2] and not source[2])):
        return (f"{rule.form}应{DIRECTION_LABELS[TOWARD_RURAL]}（原单位{source[0]}，交流单位{target[0]}）"
                f"（{rule.clause}）")
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# Derived statuses (keys of vocab.EXCHANGE_STATUS_LABELS).
PLANNED, APPROVED, IN_PROGRESS, DONE, ENDED_EARLY, CANCELLED = (
    "planned", "approved", "in_progress", "done", "ended_early", "cancelled")
STATES = (PLANNED, APPROVED, IN_PROGRESS, DONE, ENDED_EARLY, CANCELLED)


def status_on(status: str, start: dt.date | None, end_on: dt.date | None, planned_end: dt.date | None,
              cancelled_on: dt.date | None, moves_personnel: bool, day: dt.date) -> str:
    """What an exchange is on ``day``.

    * planned: in a draft plan, not decided;
    * cancelled: cancelled before it began (never took effect: cancelled on every day), or
      cancelled on or before ``day`` after it began (it ran until the day before);
    * approved: decided, its start not reached;
    * in_progress: from the start to the end in force (a personnel move is in progress
      until its term ends, done from its start when it has no term; the teacher belongs to
      the new school either way);
    * done / ended_early: after the end in force (ended early when that end is before the
      end as approved).
    """
    if status == PLANNED:
        return PLANNED
    if status == CANCELLED and (cancelled_on is None or cancelled_on <= day
                                or (start is not None and cancelled_on <= start)):
        return CANCELLED
    if start is None or day < start:
        return APPROVED
    if end_on is None:  # a personnel move with no term recorded is complete once it starts
        return DONE if moves_personnel else IN_PROGRESS
    if day <= end_on:
        return IN_PROGRESS
    return ENDED_EARLY if planned_end is not None and end_on < planned_end else DONE


def status_label(key: str, end_on: dt.date | None = None, planned_end: dt.date | None = None) -> str:
    label = vocab.EXCHANGE_STATUS_LABELS[key]
    if end_on is not None and planned_end is not None and end_on > planned_end and key != CANCELLED:
        label += "（已延期）"
    return label


def took_effect(status: str, start: dt.date | None, cancelled_on: dt.date | None) -> bool:
    """Whether the exchange happened at all: approved and not cancelled before its first day."""
    if status == PLANNED:
        return False
    if status == CANCELLED:
        return start is not None and cancelled_on is not None and cancelled_on > start
    return True
