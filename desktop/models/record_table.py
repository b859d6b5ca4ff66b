"""The one table-model base of the GUI, and the record table most pages use.

:class:`TableModel` defines the roles once: display text, a sort role returning native
values (:data:`SORT_ROLE`), an object role returning the record itself (:data:`OBJECT_ROLE`),
right alignment for numeric columns, vertical headers numbering the rows. A subclass says
what its records are (:meth:`TableModel.record`, by default a list set with ``set_rows``),
what a cell holds (:meth:`~TableModel.native`) and how it reads (:meth:`~TableModel.display`),
and adds other roles through :meth:`~TableModel.extra`.

:class:`RecordTableModel` is the common case: columns listed as :class:`Col` (header, value
getter, optional display formatter). Sorting and filtering happen before ``set_rows`` (SQL,
or Python on the record list), never in a proxy model, so tests and views read either role
without parsing display text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

#: Native value of a cell (int, float, str, date, bool — or None), for sorting and tests.
SORT_ROLE = Qt.ItemDataRole.UserRole
#: The whole record of the line.
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_DISPLAY = Qt.ItemDataRole.DisplayRole


class TableModel(QAbstractTableModel):
    """Read-only rows of records under :attr:`HEADERS`; see the module docstring.

    The default records are a list replaced by :meth:`set_rows` (one model reset); a model
    that fetches lazily overrides :meth:`rowCount` and :meth:`record` instead.
    """

    HEADERS: tuple[str, ...] = ()
    #: Columns shown right-aligned (figures).
    NUMERIC: frozenset[int] = frozenset()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    # ---- the records
    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace every row (one model reset; views keep their header state)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def record(self, row: int) -> Any:
        """The record shown on ``row`` (None: not available, the row shows nothing)."""
        return self._rows[row]

    def headers(self) -> Sequence[str]:
        return self.HEADERS

    # ---- what a subclass says about a cell
    def native(self, record: Any, column: int) -> Any:
        """The cell's value as Python holds it (the sort role)."""
        raise NotImplementedError

    def display(self, record: Any, column: int) -> str:
        value = self.native(record, column)
        return "" if value is None else str(value)

    def extra(self, record: Any, column: int, role: int) -> Any:
        """Any other role (colours, tooltips, fonts, edit text); None by default."""
        return None

    # ---- Qt's interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers())

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount() \
                or not 0 <= index.column() < self.columnCount():
            return None
        record, column = self.record(index.row()), index.column()
        if record is None:
            return None
        if role == _DISPLAY:
            return self.display(record, column)
        if role == SORT_ROLE:
            return self.native(record, column)
        if role == OBJECT_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.NUMERIC:
            return _RIGHT
        return self.extra(record, column, role)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = _DISPLAY) -> Any:
        if role != _DISPLAY:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers()):
            return self.headers()[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < self.rowCount():
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


@dataclasses.dataclass(frozen=True, slots=True)
class Col:
    """A column: its Chinese header, how to get the value, and how to show it."""

    header: str
    value: Callable[[Any], Any]
    text: Callable[[Any], str] | None = dataclasses.field(default=None, kw_only=True)
    numeric: bool = dataclasses.field(default=False, kw_only=True)


def _derived(columns: tuple[Col, ...]) -> tuple[tuple[str, ...], frozenset[int]]:
    """The headers and the right-aligned (numeric) columns of ``columns``."""
    return tuple(c.header for c in columns), frozenset(i for i, c in enumerate(columns) if c.numeric)


class RecordTableModel(TableModel):
    """One row per record, columns from :attr:`COLUMNS`.

    Override :meth:`foreground`, :meth:`background` or :meth:`tooltip` to colour or
    explain a whole row.
    """

    COLUMNS: tuple[Col, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.HEADERS, cls.NUMERIC = _derived(cls.COLUMNS)

    def set_columns(self, columns: tuple[Col, ...]) -> None:
        """Columns made per model (their values need the model, e.g. its name lookup)."""
        self.COLUMNS = columns
        self.HEADERS, self.NUMERIC = _derived(columns)

    def native(self, record: Any, column: int) -> Any:
        return self.COLUMNS[column].value(record)

    def display(self, record: Any, column: int) -> str:
        col = self.COLUMNS[column]
        value = col.value(record)
        if col.text is not None:
            return col.text(value)
        return "" if value is None else str(value)

    def extra(self, record: Any, column: int, role: int) -> Any:
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
