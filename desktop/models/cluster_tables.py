"""Tables of the 集团与教共体 page: small ``QAbstractTableModel``s over plain records.

Each model holds a list of rows (tuples/records computed by ``policy.clusters`` or
``db.clusters``) and a tuple of columns; ``set_rows`` resets it. Sorting and filtering
happen in Python on the record list before ``set_rows`` — never in a proxy model.
Drag and drop: the unclustered-school table drags school ids (:data:`SCHOOL_MIME`), the
cluster table accepts them on a row and emits :attr:`ClusterTableModel.school_dropped`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from desktop.models.record_table import Col, Index, RecordTableModel
from policy.clusters import RULE_LABELS, ClusterSummary, MembershipRec, SchoolRec, Violation

SCHOOL_MIME = "application/x-edubridge-school-ids"

_PROBLEM = QBrush(QColor("#b3261e"))
_WAIVED = QBrush(QColor("#7a7a7a"))


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterLine:
    """A line of the cluster list: the summary plus how many open and waived problems it has."""

    summary: ClusterSummary
    problems: int
    waived: int


class ClusterTableModel(RecordTableModel):
    COLUMNS = (
        # The figures the rules are about (≤ 6 schools, ≤ 12,000 students) come right after the
        # name, so a narrow window cuts the descriptive columns, never these.
        Col("集团(学区)名称", lambda r: r.summary.cluster.name),
        Col("学校数", lambda r: r.summary.schools, numeric=True),
        Col("学生数", lambda r: r.summary.students, numeric=True),
        Col("乡村学校", lambda r: r.summary.rural_schools, numeric=True),
        Col("问题", lambda r: (f"{r.problems}" + (f"（豁免{r.waived}）" if r.waived else "")) if r.problems or r.waived else "", numeric=True),
        Col("类型", lambda r: r.summary.cluster.kind),
        Col("片区", lambda r: r.summary.cluster.area),
        Col("牵头校", lambda r: r.summary.lead.name if r.summary.lead else "（未定）"),
    )

    #: (school id, cluster id) when schools are dropped on a cluster row.
    school_dropped = Signal(object, object)

    def foreground(self, record: ClusterLine) -> Any:
        return _PROBLEM if record.problems else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else base

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [SCHOOL_MIME]

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                        parent: Index) -> bool:
        return data.hasFormat(SCHOOL_MIME) and parent.isValid()

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                     parent: Index) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        cluster_id = self._rows[parent.row()].summary.cluster.id
        for text in bytes(data.data(SCHOOL_MIME).data()).decode().split():
            self.school_dropped.emit(uuid.UUID(text), cluster_id)
        return True


@dataclasses.dataclass(frozen=True, slots=True)
class MemberLine:
    membership: MembershipRec
    school: SchoolRec


class MemberTableModel(RecordTableModel):
    COLUMNS = (
        Col("学校代码", lambda r: r.school.code),
        Col("学校名称", lambda r: r.school.name),
        Col("角色", lambda r: r.membership.role),
        Col("在校学生数", lambda r: r.school.students, numeric=True),
        Col("学段", lambda r: r.school.stage),
        Col("城乡类别", lambda r: r.school.location),
        Col("加入日期", lambda r: r.membership.joined.isoformat()),
        Col("退出日期", lambda r: r.membership.left_on.isoformat() if r.membership.left_on else ""),
    )


class SchoolListModel(RecordTableModel):
    """Schools in no cluster; rows drag their school ids onto the cluster table."""

    COLUMNS = (
        Col("学校代码", lambda s: s.code),
        Col("学校名称", lambda s: s.name),
        Col("学生数", lambda s: s.students, numeric=True),
        Col("学段", lambda s: s.stage),
        Col("城乡类别", lambda s: s.location),
    )

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [SCHOOL_MIME]

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(SCHOOL_MIME, QByteArray(" ".join(str(self._rows[r].id) for r in rows).encode()))
        return data


class ViolationTableModel(RecordTableModel):
    COLUMNS = (
        Col("规则", lambda v: RULE_LABELS.get(v.rule, v.rule)),
        Col("对象", lambda v: v.subject),
        Col("问题", lambda v: v.detail),
        Col("依据", lambda v: v.clause),
        Col("豁免", lambda v: f"已豁免：{v.waiver_reason}（{v.waiver_approver}）" if v.waived else ""),
    )

    def foreground(self, record: Violation) -> Any:
        return _WAIVED if record.waived else _PROBLEM

    def tooltip(self, record: Violation) -> Any:
        return f"{record.detail}\n依据：{record.clause}"
