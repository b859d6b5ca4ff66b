"""Tables of the 协议 page: clusters with their agreement status, the parties, the scans.

:class:`~desktop.models.record_table.TableModel`s over records from ``db.agreements``;
``set_rows`` resets them. The cluster list is at most a few hundred rows (one per cluster), so it is held
whole. The party table lets the clerk type a signatory's name; it does not write — it
emits :attr:`PartyTableModel.signatory_edited` and the page calls ``db.agreements``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor

from db.agreements import ClusterAgreement, Party, Scan
from desktop.models.record_table import OBJECT_ROLE as OBJECT_ROLE  # the roles, defined once there
from desktop.models.record_table import SORT_ROLE as SORT_ROLE
from desktop.models.record_table import Index, TableModel

_MUTED = QBrush(QColor("#7a7a7a"))
_SIGNED = QBrush(QColor("#1b6e20"))
_EXPIRED = QBrush(QColor("#b34700"))  # term over: needs renewing, never shown as signed green


# ---- clusters and their agreement status ---------------------------------------------

COL_CLUSTER, COL_STATUS, COL_KIND, COL_LEAD, COL_TERM, COL_SCANS = range(6)


class AgreementListModel(TableModel):
    """One line per cluster (:class:`db.agreements.ClusterAgreement`)."""

    HEADERS = ("集团(学区)/教共体", "协议状态", "类型", "牵头校", "协议期限", "扫描件")
    NUMERIC = frozenset({COL_SCANS})

    def native(self, record: ClusterAgreement, column: int) -> Any:
        row = record.agreement
        if column == COL_CLUSTER:
            return record.cluster_name
        if column == COL_KIND:
            return record.cluster_kind
        if column == COL_LEAD:
            return record.lead_name
        if column == COL_STATUS:
            return record.status
        if column == COL_TERM:
            return (row.term_start, row.term_end) if row else None
        if column == COL_SCANS:
            return row.scans if row else 0
        return None

    def display(self, record: ClusterAgreement, column: int) -> str:
        row = record.agreement
        if column == COL_LEAD:
            return record.lead_name or "（未定）"
        if column == COL_TERM:
            return f"{row.term_start.isoformat()} 至 {row.term_end.isoformat()}" if row else ""
        if column == COL_SCANS:
            return str(row.scans) if row and row.scans else ""
        return super().display(record, column)

    def extra(self, record: ClusterAgreement, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.ForegroundRole or column != COL_STATUS:
            return None
        if record.agreement is None:
            return _MUTED
        if record.expired:
            return _EXPIRED
        return _SIGNED if record.agreement.signed_on is not None else None

    def row_of_cluster(self, cluster_id: Any) -> int:
        """Row of the cluster with that id, -1 when not listed."""
        return next((i for i, r in enumerate(self._rows) if r.cluster_id == cluster_id), -1)


# ---- parties --------------------------------------------------------------------------

PCOL_LABEL, PCOL_SCHOOL, PCOL_ROLE, PCOL_SIGNATORY = range(4)


class PartyTableModel(TableModel):
    """The parties of one agreement; the 签字人 column is editable (see module docstring)."""

    HEADERS = ("协议方", "学校", "角色", "签字人")

    #: (party label, new signatory text) after the clerk edited a 签字人 cell.
    signatory_edited = Signal(str, str)

    def native(self, record: Party, column: int) -> Any:
        return (record.label, record.school_name, record.role, record.signatory)[column]

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == PCOL_SIGNATORY:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def extra(self, record: Party, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.EditRole and column == PCOL_SIGNATORY:
            return record.signatory or ""
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != PCOL_SIGNATORY:
            return False
        record = self._rows[index.row()]
        text = str(value or "").strip()
        if text == (record.signatory or ""):
            return False
        self.signatory_edited.emit(record.label, text)
        return True


# ---- scans ------------------------------------------------------------------------------

SCOL_FILE, SCOL_TYPE, SCOL_SIZE, SCOL_ADDED = range(4)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


class ScanTableModel(TableModel):
    """The scanned signed copies kept with one agreement."""

    HEADERS = ("文件名", "类型", "大小", "添加时间")
    NUMERIC = frozenset({SCOL_SIZE})

    def native(self, record: Scan, column: int) -> Any:
        return (record.filename, record.mime_type, record.size, record.added)[column]

    def display(self, record: Scan, column: int) -> str:
        if column == SCOL_SIZE:
            return human_size(record.size)
        if column == SCOL_ADDED:
            return record.added.strftime("%Y-%m-%d %H:%M") if record.added else ""
        return super().display(record, column)
