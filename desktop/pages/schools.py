"""学校: every school in a plain table model; search and sort are SQL queries."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from db.school_queries import school_rows
from desktop.context import AppContext
from desktop.models.school_table import COL_CODE, COL_NAME, SORT_KEYS, SchoolTableModel
from desktop.pages.base import Page

#: Typing pauses this long before the query runs (one query per pause, not per key).
SEARCH_DELAY_MS = 150


class SchoolsPage(Page):
    """Search box over a sortable school table."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.search = QLineEdit()
        self.search.setObjectName("schoolSearch")
        self.search.setPlaceholderText("输入学校名称或代码搜索…")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel("")
        self.model = SchoolTableModel(self)
        self.view = QTableView()
        self.view.setObjectName("schoolTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL_CODE, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        header.sortIndicatorChanged.connect(self._requery)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._requery)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.search.returnPressed.connect(self._requery)
        self.last_query_seconds = 0.0
        self._sized = False

        top = QHBoxLayout()
        top.addWidget(QLabel("搜索："))
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def refresh(self) -> None:
        self._requery()

    def _requery(self, *_args: object) -> None:
        """Run the SQL for the current search text and sort column, then reset the model."""
        self._timer.stop()
        header = self.view.horizontalHeader()
        column = header.sortIndicatorSection()
        key = SORT_KEYS[column] if 0 <= column < len(SORT_KEYS) else "code"
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        started = time.perf_counter()
        rows = school_rows(self.context.store, self.search.text(), sort=key, descending=descending)
        self.model.set_rows(rows)
        self.last_query_seconds = time.perf_counter() - started
        text = self.search.text().strip()
        self.count_label.setText(f"找到 {len(rows):,} 所" if text else f"共 {len(rows):,} 所")
        if not self._sized and rows:
            self._sized = True
            self._size_columns()

    def _size_columns(self) -> None:
        """Fit columns to header and the first rows once (resizeColumnsToContents scans every row)."""
        metrics = self.view.fontMetrics()
        for column in range(self.model.columnCount()):
            texts = [str(self.model.headerData(column, Qt.Orientation.Horizontal))]
            for row in range(min(50, self.model.rowCount())):
                texts.append(str(self.model.index(row, column).data()))
            width = max(metrics.horizontalAdvance(t) for t in texts) + 28
            self.view.setColumnWidth(column, min(width, 320 if column == COL_NAME else 220))
