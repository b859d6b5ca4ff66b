"""The one read-only table model over a list of plain records, shared by the pages.

A subclass lists its columns as :class:`Col` (header, value getter, optional display
formatter); ``set_rows`` resets the model. Sorting and filtering happen before
``set_rows`` (SQL, or Python on the record list), never in a proxy model. The sort role
returns native values and the object role the record itself, so tests and views can
read either without parsing display text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

SORT_ROLE = Qt.ItemDataRole.UserRole
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclasses.dataclass(frozen=True, slots=True)
class Col:
    """A column: its Chinese header, how to get the value, and how to show it."""

    header: str
    value: Callable[[Any], Any]
    text: Callable[[Any], str] | None = dataclasses.field(default=None, kw_only=True)
    numeric: bool = dataclasses.field(default=False, kw_only=True)


class RecordTableModel(QAbstractTableModel):
    """Read-only table; one row per record, columns from :attr:`COLUMNS`.

    Override :meth:`foreground`, :meth:`background` or :meth:`tooltip` to colour or
    explain a whole row.
    """

    COLUMNS: tuple[Col, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.COLUMNS):
            return None
        record, column = self._rows[index.row()], self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.value(record)
            if column.text is not None:
                return column.text(value)
            return "" if value is None else str(value)
        if role == SORT_ROLE:
            return column.value(record)
        if role == OBJECT_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(record)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.background(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record)
        return None

    def foreground(self, record: Any) -> Any:
        return None

    def background(self, record: Any) -> Any:
        return None

    def tooltip(self, record: Any) -> Any:
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section].header
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
