"""Workbooks of exchange plans and of exchanges in the national six-field record.

The national teacher information system (全国教师管理信息系统) records each exchange with
six fields: 交流轮岗类型, 是否调动人事关系, 开始年月, 结束年月, 原单位名称, 交流轮岗单位名称.
:func:`write_national` writes exactly those, one row per exchange, so clerks paste them
instead of typing them twice.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from db.engine import StoreError
from db.exchange_plans import exchange_rows, plan_rows
from db.models import ExchangePlan
from db.settings import active_profile
from db.store import Store
from policy import vocab
from policy.calendar import school_year_label
from policy.directions import clauses_of, describe
from reports.xlsx import Column, Sheet, write_table

NATIONAL_HEADERS = ("交流轮岗类型", "是否调动人事关系", "开始年月", "结束年月", "原单位名称", "交流轮岗单位名称")
STATUS = vocab.EXCHANGE_STATUS_LABELS


def _month(day: object) -> str:
    return f"{day:%Y-%m}" if day else ""


def write_plan(store: Store, plan_id: uuid.UUID, path: Path) -> int:
    """The plan as a workbook: its moves and a 说明 sheet with the quota figures and unmet rules."""
    with store.read() as session:
        plan = session.get(ExchangePlan, plan_id)
        if plan is None:
            raise StoreError("找不到该交流计划")
        year, status, summary = plan.school_year, plan.status, dict(plan.summary or {})
        approved = f"{plan.approved_at:%Y-%m-%d} 由 {plan.approved_by} 批准" if plan.approved_at else "草案，未批准"
    rows = plan_rows(store, plan_id)
    columns = [Column("序号", width=6), Column("身份证号", width=22), Column("姓名"), Column("任教学科"),
               Column("骨干等级", width=14), Column("原学校代码", width=14), Column("原学校", width=24),
               Column("交流学校代码", width=14), Column("交流学校", width=24), Column("交流形式"),
               Column("是否调动人事关系", width=18), Column("开始年月"), Column("结束年月"), Column("状态"),
               Column("指定", width=6)]
    body = [[i, r["id_number"], r["name"], r["subject"], r["backbone_level"] or "", r["from_code"], r["from_name"],
             r["to_code"], r["to_name"], r["form"], "是" if r["moves_personnel"] else "否", _month(r["start"]),
             _month(r["end_on"]), STATUS.get(r["status"], r["status"]), "是" if r["pinned"] else ""]
            for i, r in enumerate(rows, start=1)]
    notes = [f"{school_year_label(year)}教师交流轮岗计划（{approved}）", _figures_line(summary, len(rows))]
    if summary.get("solver"):
        notes.append(f"求解：{summary['solver']}，{'最优解' if summary.get('optimal') else '未证明最优'}。")
    notes += describe(summary.get("directions") or {}, clauses_of(active_profile(store)))
    notes += [f"未满足：{line}" for line in summary.get("unmet", [])]
    caption = f"{school_year_label(year)}教师交流轮岗计划" + ("" if status == "approved" else "（草案）")
    sheets = [Sheet("交流计划", columns, body, caption=caption)]
    left = _mandatory_left(store, year, {r["id_number"] for r in rows})
    if left:
        notes.append(f"“须交流未安排”表列出按导出时的名册须交流、但计划中没有的 {len(left)} 名教师，"
                     "便于增加学科需求或逐人说明。")
        sheets.append(Sheet("须交流未安排", [Column("序号", width=6), Column("身份证号", width=22), Column("姓名"),
                                         Column("任教学科"), Column("骨干等级", width=14),
                                         Column("学校代码", width=14), Column("学校", width=24),
                                         Column("本校任教年限", width=14), Column("依据", width=48)], left,
                            caption=f"{school_year_label(year)}须交流但未安排的教师"))
    write_table(path, sheets, notes)
    return len(rows)


def _figures_line(summary: dict[str, object], moves: int) -> str:
    """The plan's figures as one sentence, leaving out what the plan did not record (a plan
    entered by hand or approved before the figures were kept has no 符合条件 count) — never
    a blank before 人."""
    def known(key: str) -> object | None:
        value = summary.get(key)
        return None if value in (None, "") else value

    parts = []
    if known("base") is not None:
        parts.append(f"符合交流条件（未免交流）{known('base')}人")
    moved = f"交流{known('moves') if known('moves') is not None else moves}人"
    if known("required_moves") is not None:
        moved += f"，应不少于{known('required_moves')}人"
    parts.append(moved)
    if known("backbone") is not None:
        parts.append(f"骨干教师{known('backbone')}人" + (f"，应不少于{known('required_backbone')}人"
                                                     if known("required_backbone") is not None else ""))
    missing = [label for key, label in (("base", "符合条件人数"), ("required_moves", "应交流人数"))
               if known(key) is None]
    tail = f"（方案中未记录{'、'.join(missing)}）" if missing else ""
    return "；".join(parts) + tail + "。"


def _mandatory_left(store: Store, year: int, planned: set[str]) -> list[list[object]]:
    """Mandatory teachers (not exempt) of the year whom the plan does not move."""
    from db.school_queries import names_by_code
    from db.settings import active_profile
    from db.teachers import store_eligibility
    from policy.eligibility import MANDATORY

    names = names_by_code(store)
    left = sorted((e for e in store_eligibility(store, active_profile(store), year).candidates()
                   if e.status == MANDATORY and e.teacher.id_number not in planned),
                  key=lambda e: (e.school, e.teacher.id_number))
    return [[i, e.teacher.id_number, e.teacher.name, e.teacher.subject or "", e.teacher.backbone_level or "",
             e.school, names.get(e.school, e.school), e.years, e.clause] for i, e in enumerate(left, start=1)]


def write_national(store: Store, path: Path, school_year: int | None = None) -> int:
    """Exchanges (not cancelled) in the national system's six-field layout."""
    rows = exchange_rows(store, school_year)
    columns = [Column("交流轮岗类型", vocab.EXCHANGE_FORMS, 14), Column("是否调动人事关系", ("是", "否"), 18),
               Column("开始年月", width=12), Column("结束年月", width=12), Column("原单位名称", width=28),
               Column("交流轮岗单位名称", width=28)]
    body = [[r["form"], "是" if r["moves_personnel"] else "否", _month(r["start"]), _month(r["end_on"]),
             r["from_name"], r["to_name"]] for r in rows]
    identity = [Column("身份证号", width=22), Column("姓名"), Column("学年", width=14), Column("状态")]
    lookup = [[r["id_number"], r["name"], school_year_label(r["school_year"]), STATUS.get(r["status"], r["status"])]
              for r in rows]
    notes = ["“交流轮岗记录”工作表的六列与全国教师管理信息系统的交流轮岗信息一致，可直接复制粘贴；",
             "“对应教师”工作表按同一顺序列出每一行的教师，便于核对。已取消的交流不导出。"]
    write_table(path, [Sheet("交流轮岗记录", columns, body), Sheet("对应教师", identity, lookup)], notes)
    return len(rows)
