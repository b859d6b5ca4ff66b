"""学校: every school in a plain table model; search and sort are SQL queries."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db import school_import
from db.importers import IMPORTERS
from db.school_queries import school_rows
from desktop import messages
from desktop.context import AppContext
from desktop.models.school_table import COL_CLUSTER, COL_CODE, COL_NAME, SORT_KEYS, SchoolTableModel
from desktop.pages.base import Page
from desktop.progress_dialog import run_with_progress
from desktop.spreadsheets import ExcelMenu
from desktop.widgets import EmptyStack, fit_columns, setup_table
from policy.calendar import school_year_of

#: Typing pauses this long before the query runs (one query per pause, not per key).
SEARCH_DELAY_MS = 150
EMPTY_TEXT = ("尚无学校数据。点击右上角“Excel ▼”：先“保存空白模板：学校名单…”，填好后“导入学校名单…”"
              "（命令行：edubridge template schools 学校.xlsx，edubridge import schools 学校.xlsx）。")
NOT_FOUND_TEXT = "没有名称或代码包含“{}”的学校。"


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
        setup_table(self.view)
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
        self.excel = ExcelMenu(self, lambda: self.context.store, ["schools", "quality"],
                               year=lambda: school_year_of(dt.date.today()), done=self.refresh,
                               importers={"schools": self.import_schools})
        self.excel.setToolTip("从 Excel 导入或更新学校名单、质量数据（先预览改动，确认后写入），导出，保存空白模板")
        #: Dialogs are shown through this hook (tests replace it).
        self.exec_dialog: Callable[[QDialog], bool] = lambda d: d.exec() == QDialog.DialogCode.Accepted
        self.stack = EmptyStack(self.view, EMPTY_TEXT)
        self.quality_button = QPushButton("质量数据…")
        self.quality_button.setToolTip("录入或修改所选学校某一学年的巩固率、辍学率等质量数据（按政策方案显示达标情况）")
        self.quality_button.clicked.connect(self.edit_quality)

        top = QHBoxLayout()
        top.addWidget(QLabel("搜索："))
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.quality_button)
        top.addWidget(self.excel)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

    def refresh(self) -> None:
        self._requery()

    def show_record(self, code: str) -> None:
        """Show the school ``code``: searched for and selected (opened from another page)."""
        self.search.blockSignals(True)
        self.search.setText(code)
        self.search.blockSignals(False)
        self._requery()
        for row, record in enumerate(self.model.rows()):
            if record.code == code:
                self.view.selectRow(row)
                self.view.scrollTo(self.model.index(row, 0))
                break

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        """A search typed just before the page was left (or the window closed, or another
        database opened) is not run then: showing the page again re-reads with the text."""
        self._timer.stop()
        super().hideEvent(event)

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
        self.stack.set_empty(not rows, NOT_FOUND_TEXT.format(text) if text else EMPTY_TEXT)
        if not self._sized and rows:
            self._sized = True
            self._size_columns()

    def _size_columns(self) -> None:
        """Fit columns to header and the first rows once (resizeColumnsToContents scans every row)."""
        fit_columns(self.view, stretch=COL_CLUSTER, sample=300, limits={COL_NAME: 320})

    # -- quality figures
    def edit_quality(self) -> None:
        """The 质量数据 form for the selected school (or the first one); audited on 确定."""
        from db.clusters import load
        from desktop.pages.quality_dialog import QualityDialog

        schools = sorted(load(self.context.store).schools, key=lambda s: s.code)
        if not schools:
            messages.info(self, "质量数据", "尚无学校数据，请先导入学校名单。")
            return
        index = self.view.currentIndex()
        code = self.model.row_at(index.row()).code if index.isValid() else None
        current = next((s.id for s in schools if s.code == code), None)
        dialog = QualityDialog(self.context.store, self.context.profile, schools, current, self)
        if self.exec_dialog(dialog) and dialog.changes:
            messages.info(self, "质量数据", "已保存：" + "、".join(dialog.changes))

    # -- import
    def import_schools(self) -> None:
        """Pick an Excel file, preview what changes, write it after the clerk confirms."""
        path = messages.open_file(self, "导入学校名单", IMPORTERS["schools"].pattern)
        if path is None:
            return
        store = self.context.store
        job = run_with_progress(self, "导入学校名单", "正在检查…",
                                lambda progress: school_import.plan_import(store, path, progress))
        job.finished.connect(self._preview)
        job.failed.connect(lambda message: messages.error(self, "无法导入学校名单", message))
        self._job = job

    def _preview(self, plan: Any) -> None:
        from desktop.pages.clusters import preview_and_apply

        store = self.context.store
        self._job = preview_and_apply(self, plan, lambda progress: school_import.apply_import(store, plan, progress),
                                      "导入学校名单") or self._job
