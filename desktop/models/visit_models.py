"""Table models of the 帮扶活动 page: plain ``QAbstractTableModel``s over lists of records.

Each model is a :class:`~desktop.models.record_table.RecordTableModel` with a tuple of :class:`Col` (header, value getter,
display formatter). Sorting and filtering happen before ``set_rows`` (SQL or Python on the
records); the sort role returns native values, the object role the record itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QBrush, QColor

from db.visits import PairingView, SummaryView, VisitListRow
from desktop.models.record_table import Col, RecordTableModel
from policy.quotas import BEHIND, MET, NOT_STARTED, QuotaRow, Todo

STATUS_COLOURS = {MET: QColor("#d9f2d9"), BEHIND: QColor("#fff2cc"), NOT_STARTED: QColor("#f8d7da")}


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


class RecentVisitsModel(RecordTableModel):
    COLUMNS = (
        Col("日期", lambda r: r.date, text=_date), Col("承办学校", lambda r: r.host), Col("活动类型", lambda r: r.activity_type),
        Col("听课节数", lambda r: r.lessons, numeric=True),
        Col("附件", lambda r: r.attachments, text=lambda n: str(n) if n else "", numeric=True),
        Col("来访人员", lambda r: r.visitors), Col("内容摘要", lambda r: r.summary),
    )

    def prepend(self, row: VisitListRow) -> None:
        """Show a just-saved activity at the top without re-reading the list."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, row)
        self.endInsertRows()


def _amount(row: QuotaRow, value: int) -> str:
    return f"{value} 节" if row.measure == "lessons" else f"{value} 次"


def _reasons(row: QuotaRow) -> str:
    """Why the activities beside ``done`` did not count (one line per reason)."""
    totals: dict[str, int] = {}
    for _school, amount, why in row.not_counted:
        totals[why] = totals.get(why, 0) + amount
    return "；".join(f"{why} {_amount(row, n)}" for why, n in totals.items())


class QuotaModel(RecordTableModel):
    COLUMNS = (
        Col("状态", lambda r: r.status_label), Col("对象", lambda r: r.who), Col("角色", lambda r: r.role),
        Col("指标", lambda r: r.label), Col("期间", lambda r: r.period_label),
        Col("要求", lambda r: r.required, numeric=True), Col("完成", lambda r: r.done, numeric=True),
        Col("不计入", lambda r: r.outside, text=lambda n: str(n) if n else "", numeric=True),
        Col("不计入原因", _reasons),
        Col("依据", lambda r: r.clause),
    )

    def background(self, record: QuotaRow) -> QBrush:
        return QBrush(STATUS_COLOURS[record.status])


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterTally:
    cluster: str
    met: int
    behind: int
    not_started: int


class ClusterDashboardModel(RecordTableModel):
    COLUMNS = (
        Col("集团(学区)", lambda r: r.cluster), Col("已达标", lambda r: r.met, numeric=True),
        Col("未达标", lambda r: r.behind, numeric=True), Col("未开展", lambda r: r.not_started, numeric=True),
    )


class TodoModel(RecordTableModel):
    COLUMNS = (
        Col("对象", lambda r: r[0].who), Col("指标", lambda r: r[0].rule_label),
        Col("还差", lambda r: r[0].remaining, numeric=True),
        Col("应去", lambda r: r[1]), Col("依据", lambda r: r[0].clause),
    )


class PairingModel(RecordTableModel):
    COLUMNS = (
        Col("结对类型", lambda r: r.kind), Col("帮扶方", lambda r: r.supporter), Col("受援方", lambda r: r.target),
        Col("开始", lambda r: r.start, text=_date), Col("结束", lambda r: r.end, text=_date),
        Col("本学年活动", lambda r: r.activities, numeric=True), Col("最近活动", lambda r: r.last_activity, text=_date),
        Col("备注", lambda r: r.notes),
    )


class DutyModel(RecordTableModel):
    COLUMNS = (
        Col("姓名", lambda r: r.name), Col("角色", lambda r: r.role), Col("所在学校", lambda r: r.school),
        Col("包抓县区", lambda r: r.county), Col("开始", lambda r: r.start, text=_date),
        Col("结束", lambda r: r.end, text=_date), Col("来源", lambda r: r.source), Col("备注", lambda r: r.notes),
    )


class SummaryModel(RecordTableModel):
    COLUMNS = (
        Col("集团(学区)", lambda r: r.cluster), Col("已提交", lambda r: r.recorded, text=lambda v: "是" if v else "否"),
        Col("目标达成度", lambda r: r.attainment), Col("主要成效", lambda r: r.achievements),
        Col("问题", lambda r: r.problems), Col("下步计划", lambda r: r.next_steps),
    )

    def background(self, record: SummaryView) -> QBrush:
        return QBrush(STATUS_COLOURS[MET if record.recorded else NOT_STARTED])


__all__ = ["ClusterDashboardModel", "ClusterTally", "DutyModel", "PairingModel", "QuotaModel", "RecentVisitsModel",
           "SummaryModel", "TodoModel", "Todo", "PairingView"]
