"""Small widgets shared by several pages."""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QAbstractItemModel, QDate, QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHeaderView,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QToolTip,
    QWidget,
)

from policy.calendar import school_year_label, school_year_of


class DateEdit(QDateEdit):
    """A date typed the way clerks write it, 2025-09-01 (or 2025-9-1, 20250901), in one go.

    Qt's own editor moves to the next section by itself once a section is complete, so the
    "-" a clerk types next jumped one section further (2025-09-01 became 2025-12-09), and Tab
    walked year → month → day instead of leaving the field. Here a separator typed right after
    such an automatic move is swallowed, one typed early moves on, and Tab leaves the field.
    """

    SEPARATORS = frozenset("-/.年月")

    def __init__(self, value: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        if value is not None:
            self.set_value(value)
        self._moved_by_itself = False

    def value(self) -> dt.date:
        """The date shown, as a Python date."""
        shown = self.date()
        return dt.date(shown.year(), shown.month(), shown.day())

    def set_value(self, value: dt.date) -> None:
        self.setDate(QDate(value.year, value.month, value.day))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        text = event.text()
        if text and text in self.SEPARATORS:
            if not self._moved_by_itself and self.currentSectionIndex() < self.sectionCount() - 1:
                self.setCurrentSectionIndex(self.currentSectionIndex() + 1)
                self.setSelectedSection(self.currentSection())
            self._moved_by_itself = False
            event.accept()
            return
        before = self.currentSectionIndex()
        super().keyPressEvent(event)
        self._moved_by_itself = bool(text) and text.isdigit() and self.currentSectionIndex() != before

    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802, FBT001 (Qt override)
        self.interpretText()  # a day still being typed ("1" of 1x) counts as typed
        return QWidget.focusNextPrevChild(self, forward)


class SchoolYearSpinBox(QSpinBox):
    """Picks a school year and shows it the way clerks write it: ``2026—2027学年``."""

    def __init__(self, parent: QWidget | None = None, *, offset: int = 0) -> None:
        super().__init__(parent)
        self.setRange(2000, 2100)
        self.setValue(school_year_of(dt.date.today()) + offset)

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt override)
        return school_year_label(value)

    def valueFromText(self, text: str) -> int:  # noqa: N802
        match = re.search(r"\d{4}", text)
        return int(match.group()) if match else self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return (QValidator.State.Acceptable if re.search(r"\d{4}", text) else QValidator.State.Intermediate,
                text, pos)


# ---- tables: column widths, elided texts, empty states ---------------------------------

#: Widest a text column is made by :func:`fit_columns` (longer texts elide, tooltip shows them).
TEXT_COLUMN_MAX = 320
#: Narrowest any column is made (a header like 性别 still shows whole).
COLUMN_MIN = 48
#: Space for the cell margins and the header's sort indicator.
_PADDING = 22
_HEADER_PADDING = 34


def _is_numeric(model: QAbstractItemModel, column: int, rows: int) -> bool:
    """True when the model right-aligns the column (numbers are never cut, only text is)."""
    for row in range(min(rows, 5)):
        align = model.data(model.index(row, column), Qt.ItemDataRole.TextAlignmentRole)
        if align is not None:
            return bool(int(align) & int(Qt.AlignmentFlag.AlignRight))
    return False


def content_widths(view: QTableView, sample: int = 500) -> list[int]:
    """The width each column needs for its header and the texts of the first ``sample`` rows.

    Measured with font metrics on the display texts only (no delegate size hints), so it is
    cheap enough for a few hundred rows; lazy models fetch just the sampled rows.
    """
    model = view.model()
    cells = view.fontMetrics()
    header = view.horizontalHeader().fontMetrics()
    rows = min(model.rowCount(), sample)
    widths = []
    for column in range(model.columnCount()):
        title = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        width = header.horizontalAdvance(str(title or "")) + _HEADER_PADDING
        for row in range(rows):
            text = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
            if text:
                width = max(width, cells.horizontalAdvance(str(text)) + _PADDING)
        widths.append(max(width, COLUMN_MIN))
    return widths


def fit_columns(view: QTableView, *, stretch: int | tuple[int, ...] | None = None, maximum: int = TEXT_COLUMN_MAX,
                sample: int = 500, limits: dict[int, int] | None = None) -> list[int]:
    """Size every column of ``view`` to its contents once (call after the first load, not per refresh).

    Numeric (right-aligned) columns get their full width; text columns at most ``maximum``
    (or ``limits[column]``) and elide beyond it, the tooltip showing the whole text. Every
    column stays interactive; ``stretch`` (a text column, or several), else the last, takes
    the space left over. Several stretched columns share the view's width, growing and
    shrinking with the window (down to the minimum section size, eliding), so the other
    columns — dates, figures — stay whole without a horizontal scroll bar.
    Returns the widths set.
    """
    model = view.model()
    header = view.horizontalHeader()
    header.setMinimumSectionSize(COLUMN_MIN)
    header.setStretchLastSection(stretch is None)  # the space left over goes somewhere, never a blank band
    widths = content_widths(view, sample)
    rows = min(model.rowCount(), sample)
    limits = limits or {}
    for column, width in enumerate(widths):
        if not _is_numeric(model, column, rows):
            width = min(width, limits.get(column, maximum))
            widths[column] = width
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        view.setColumnWidth(column, width)
    for column in (stretch,) if isinstance(stretch, int) else stretch or ():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    return widths


def elided_tooltip(view: QAbstractItemView, index: QModelIndex) -> str | None:
    """The whole text of a cell that does not fit its column (None when it fits or has its own tooltip)."""
    if not index.isValid():
        return None
    if index.data(Qt.ItemDataRole.ToolTipRole):
        return None
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not text:
        return None
    text = str(text)
    available = view.visualRect(index).width() - 8
    return text if view.fontMetrics().horizontalAdvance(text) > available else None


class _ElidedTooltips(QObject):
    """Shows the whole text of an elided cell as its tooltip (installed on a view's viewport)."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self._view.indexAt(event.pos())
            text = elided_tooltip(self._view, index)
            if text is not None:
                QToolTip.showText(event.globalPos(), text, self._view.viewport(), self._view.visualRect(index))
                return True
        return False


def setup_table(view: QTableView) -> QTableView:
    """One line per row, long texts elided at the right with the whole text as tooltip; the
    last column takes the width left over, so a table never ends in a blank band."""
    view.setWordWrap(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.horizontalHeader().setMinimumSectionSize(COLUMN_MIN)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
    view.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
    view.viewport().installEventFilter(_ElidedTooltips(view))
    return view


class EmptyHint(QLabel):
    """A grey centred sentence shown instead of (or over) an empty table: what to do next."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("emptyHint")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet("color: #666666; padding: 24px;")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class EmptyStack(QStackedWidget):
    """A table, or in its place a sentence saying why it is empty and what to do.

    ``set_empty(True)`` shows the hint, ``set_empty(False)`` the table; pages call it after
    each load (``set_empty(model.rowCount() == 0)``).
    """

    def __init__(self, view: QWidget, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.hint = EmptyHint(hint)
        self.addWidget(view)
        self.addWidget(self.hint)

    def set_empty(self, empty: bool, hint: str | None = None) -> None:
        if hint is not None:
            self.hint.setText(hint)
        self.setCurrentWidget(self.hint if empty else self.view)

    def showing_hint(self) -> bool:
        return self.currentWidget() is self.hint


class HeaderSort(QObject):
    """Sortable headers over a record table (``rows()`` / ``set_rows()`` and ``COLUMNS``).

    A click on a header orders the records by that column's native value (numbers as
    numbers, dates as dates; empty cells last), a second click reverses; the order is kept
    when the page loads new rows. Sorting is of the record list, as the record models want.
    """

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.view = view
        self.column = -1
        self.order = Qt.SortOrder.AscendingOrder
        self._busy = False
        header = view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sectionClicked.connect(self.clicked)
        view.model().modelReset.connect(self.apply)

    def clicked(self, column: int) -> None:
        if column == self.column and self.order == Qt.SortOrder.AscendingOrder:
            self.order = Qt.SortOrder.DescendingOrder
        else:
            self.order = Qt.SortOrder.AscendingOrder
        self.column = column
        self.apply()

    def apply(self) -> None:
        model = self.view.model()
        if self._busy or self.column < 0 or self.column >= len(getattr(model, "COLUMNS", ())):
            return
        value = model.COLUMNS[self.column].value  # type: ignore[attr-defined]
        rows = model.rows()  # type: ignore[attr-defined]
        present = [r for r in rows if value(r) not in (None, "")]
        empty = [r for r in rows if value(r) in (None, "")]
        try:
            present.sort(key=value, reverse=self.order == Qt.SortOrder.DescendingOrder)
        except TypeError:  # mixed kinds in one column: compare as text
            present.sort(key=lambda r: str(value(r)), reverse=self.order == Qt.SortOrder.DescendingOrder)
        self._busy = True
        try:
            model.set_rows(present + empty)  # type: ignore[attr-defined]
        finally:
            self._busy = False
        self.view.horizontalHeader().setSortIndicator(self.column, self.order)
