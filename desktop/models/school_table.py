"""The 学校 table: a plain ``QAbstractTableModel`` over :class:`db.school_queries.SchoolRow`.

Filtering and sorting are not done here: the page re-queries SQL
(:func:`db.school_queries.school_rows`) and hands the result to :meth:`SchoolTableModel.set_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from db.school_queries import SchoolRow

COL_CODE, COL_NAME, COL_STAGE, COL_LOCATION, COL_RUN_BY, COL_STUDENTS, COL_CLASSES, \
    COL_AVG_CLASS, COL_WEAK, COL_CLUSTER = range(10)

HEADERS = ("学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "平均班额", "薄弱学校", "所属集团")

#: The db.school_queries sort key behind each column.
SORT_KEYS = ("code", "name", "stage", "location", "run_by", "students", "classes",
             "avg_class_size", "is_weak", "cluster")

#: Native value for sorting / tests (int, float, str, bool — or None).
SORT_ROLE = Qt.ItemDataRole.UserRole
#: The whole SchoolRow of the line.
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1

_NUMERIC = (COL_STUDENTS, COL_CLASSES, COL_AVG_CLASS)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Index = QModelIndex | QPersistentModelIndex


def _native(row: SchoolRow, column: int) -> Any:
    return (
        row.code, row.name, row.stage, row.location, row.run_by, row.students, row.classes,
        row.avg_class_size, row.is_weak, row.cluster,
    )[column]


def _display(row: SchoolRow, column: int) -> str:
    if column == COL_AVG_CLASS:
        return f"{row.avg_class_size:.1f}" if row.avg_class_size is not None else "—"
    if column == COL_WEAK:
        return "是" if row.is_weak else ""
    if column == COL_CLUSTER:
        return row.cluster or "（未加入）"
    value = _native(row, column)
    return str(value)


class SchoolTableModel(QAbstractTableModel):
    """Read-only table of schools; one row per :class:`SchoolRow`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[SchoolRow] = []

    def set_rows(self, rows: Sequence[SchoolRow]) -> None:
        """Replace every row (one model reset; views keep their header state)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> SchoolRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == SORT_ROLE:
            return _native(row, column)
        if role == OBJECT_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return _ALIGN_RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_NAME:
            return f"{row.name}（{row.code}）"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(HEADERS):
            return HEADERS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
