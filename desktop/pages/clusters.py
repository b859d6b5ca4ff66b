"""集团与教共体: the cluster registry, membership editing with live rule checks, undo/redo.

Layout: a toolbar (date to view, new/rename/type/lead, import, undo/redo); the cluster
list on the left; the chosen cluster's banner of problems, members, city partner in the
middle; schools in no cluster on the right (drag one onto a cluster); the county's
violations at the bottom.

Every edit goes through :class:`StoreEditCommand` on a ``QUndoStack``: the first redo
is the ``db.clusters`` edit itself (made before the push so a refused edit never enters
the stack), undo records the reversal with ``db.clusters.undo`` and redo records the
reversal of that — history stays honest and audited. After each edit the page re-reads
clusters and memberships only and re-checks the rules in memory (tens of ms at city scale).
The teacher-development findings and quality figures (~0.3 s at city scale, and no cluster
edit changes them) are read off the GUI thread when the page is refreshed, a waiver is given
or another day is viewed; the county list adds them when they arrive, and a read overtaken by
a newer one is cancelled and its result dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from db import clusters as cl
from db.engine import StoreError
from db.importers import IMPORTERS
from db.versions import StaleRecord
from desktop import messages
from desktop.context import AppContext
from desktop.form_dialog import error_label, ok_cancel
from desktop.models.cluster_tables import (
    ClusterLine,
    ClusterTableModel,
    MemberLine,
    MemberTableModel,
    SchoolListModel,
    ViolationTableModel,
)
from desktop.progress_dialog import run_with_progress
from desktop.widgets import DateEdit, EmptyStack, fit_columns, setup_table
from desktop.worker import Job, run_in_background
from policy import vocab
from policy.balance import QualityYear
from policy.clusters import (
    RULE_LABELS,
    CheckResult,
    ClusterSummary,
    SchoolRec,
    Violation,
    summarize,
    unclustered,
)
from policy.progress import Progress
from policy.teacher_development import DevelopmentResult

#: The spreadsheets this page imports with its own preview (labels from db.importers).
IMPORT_KINDS = ("schools", "clusters")
#: Said after the county list's counts while the teacher-development and 优质均衡 findings are read.
PARTS_PENDING = "；教师培养与优质均衡的问题正在读取…"


class _PartsRead(NamedTuple):
    """What the background read of the county list's further parts returns (``ClustersPage._read_parts``)."""

    generation: int  # which request it answers: only the latest one's is shown
    on: dt.date
    development: DevelopmentResult
    quality: dict[uuid.UUID, QualityYear]


class StoreEditCommand(QUndoCommand):
    """One cluster edit on the undo stack. ``edit`` was already made when pushed."""

    def __init__(self, page: ClustersPage, edit: cl.Edit) -> None:
        super().__init__(edit.note)
        self._page = page
        self._edit = edit
        self._reverse: cl.Edit | None = None
        self._done_once = False

    def redo(self) -> None:
        if not self._done_once:  # the edit itself ran before the push
            self._done_once = True
            return
        assert self._reverse is not None
        self._edit = cl.undo(self._page.context.store, self._reverse)
        self._page.after_edit()

    def undo(self) -> None:
        self._reverse = cl.undo(self._page.context.store, self._edit)
        self._page.after_edit()


# ---- Dialogs (layout here, behaviour in the page) --------------------------------------


class _FormDialog(QDialog):
    """A form with 确定 / 取消. ``submit``, when set, runs on 确定: a refusal (StoreError) is
    shown inside the dialog, which stays open with everything typed, instead of closing it."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.submit: Callable[[], None] | None = None
        self.error = error_label()
        self.form = QFormLayout()
        self.buttons = ok_cancel()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        if self.submit is not None:
            try:
                self.submit()
            except StoreError as exc:
                self.error.setText(str(exc))
                self.error.show()
                return
        super().accept()


def preview_and_apply(page: Any, plan: Any, apply: Callable[[Progress], Any], title: str = "导入") -> Job | None:
    """On ``page`` (a widget with ``exec_dialog`` and ``refresh``), show an import plan (schools, memberships); on 确定 ``apply(progress)`` writes it off the
    GUI thread behind a cancellable progress dialog, then the page says what was done and refreshes.
    Returns the job, or None when there was nothing to write or the clerk declined."""
    if plan.empty:
        messages.info(page, "导入", f"{plan.summary()}：没有需要写入的改动")
        return None
    if not page.exec_dialog(ImportPreviewDialog(plan, page)):
        return None
    job = run_with_progress(page, title, "正在写入…", apply)

    def finished(done: Any) -> None:
        messages.info(page, "导入完成", done.summary())
        page.refresh()

    job.finished.connect(finished)
    job.failed.connect(lambda message: messages.error(page, "导入失败", message))
    job.cancelled.connect(lambda: messages.info(page, "导入", "已取消，未写入任何数据"))
    return job


def school_combo(schools: list[SchoolRec], current: uuid.UUID | None = None, blank: str | None = None) -> QComboBox:
    """An editable combo of schools ("代码 名称") with type-to-search."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    if blank is not None:
        combo.addItem(blank, None)
    for s in schools:
        combo.addItem(f"{s.code} {s.name}", s.id)
    if current is not None:  # findData compares Python objects by identity: an equal UUID is not found
        combo.setCurrentIndex(next((i for i in range(combo.count()) if combo.itemData(i) == current), 0))
    completer = combo.completer()
    if completer is not None:  # an editable combo box always has one
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return combo


class ClusterDialog(_FormDialog):
    """新建集团: name, type, area, lead school, founding date."""

    def __init__(self, schools: list[SchoolRec], on: dt.date, parent: QWidget | None = None) -> None:
        super().__init__("新建集团(学区)", parent)
        self.name = QLineEdit()
        self.kind = QComboBox()
        self.kind.addItems(vocab.CLUSTER_KINDS)
        self.area = QLineEdit()
        self.lead = school_combo(schools, blank="（暂不指定）")
        self.date = DateEdit(on)
        self.form.addRow("名称", self.name)
        self.form.addRow("类型", self.kind)
        self.form.addRow("片区", self.area)
        self.form.addRow("牵头校", self.lead)
        self.form.addRow("成立日期", self.date)


class MemberDialog(_FormDialog):
    """添加成员: search the schools in no cluster, pick role and join date."""

    def __init__(self, schools: list[SchoolRec], on: dt.date, parent: QWidget | None = None) -> None:
        super().__init__("添加成员学校", parent)
        self._all = schools
        self.search = QLineEdit()
        self.search.setPlaceholderText("输入学校名称或代码查找")
        self.model = SchoolListModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumSize(520, 260)
        self.role = QComboBox()
        self.role.addItems(vocab.MEMBER_ROLES + vocab.LEAD_ROLES)
        self.date = DateEdit(on)
        self.form.addRow("查找", self.search)
        self.form.addRow(self.table)
        self.form.addRow("角色", self.role)
        self.form.addRow("加入日期", self.date)
        self.search.textChanged.connect(self.filter)
        self.filter("")

    def filter(self, text: str) -> None:
        text = text.strip()
        self.model.set_rows([s for s in self._all if not text or text in s.name or text in s.code])
        if self.model.rowCount():
            self.table.selectRow(0)

    def chosen(self) -> SchoolRec | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None


class DateDialog(_FormDialog):
    """A date, optionally a cluster to move to (退出 / 调动)."""

    def __init__(self, title: str, label: str, on: dt.date, clusters: list[Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.target = None
        if clusters is not None:
            self.target = QComboBox()
            for c in clusters:
                self.target.addItem(c.name, c.id)
            self.form.addRow("调入集团", self.target)
        self.date = DateEdit(on)
        self.form.addRow(label, self.date)


class WaiverDialog(_FormDialog):
    def __init__(self, violation: Violation, on: dt.date, parent: QWidget | None = None) -> None:
        super().__init__("豁免此项规定", parent)
        self.form.addRow("规则", QLabel(f"{RULE_LABELS.get(violation.rule, violation.rule)}（{violation.rule}）"))
        self.form.addRow("对象", QLabel(violation.subject))
        self.form.addRow("依据", QLabel(violation.clause))
        self.reason = QPlainTextEdit()
        self.reason.setMaximumHeight(70)
        self.approver = QLineEdit()
        self.start = DateEdit(on)
        self.form.addRow("理由", self.reason)
        self.form.addRow("批准人", self.approver)
        self.form.addRow("自", self.start)


class ImportPreviewDialog(_FormDialog):
    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__("导入预览", parent)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定导入")
        self.summary = QLabel(plan.summary())
        self.changes = QPlainTextEdit("\n".join(plan.changes[:2000]) or "（没有任何改动）")
        self.changes.setReadOnly(True)
        self.changes.setMinimumSize(560, 280)
        self.form.addRow(self.summary)
        self.form.addRow(self.changes)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not plan.empty)


# ---- The page --------------------------------------------------------------------------


class ClustersPage(QWidget):
    """The 集团与教共体 page (contract: ``desktop/pages/base.py``)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.records: cl.Records | None = None
        self.result: CheckResult | None = None
        # The teacher-development and quality reads of one day: cluster edits change neither.
        self._parts: tuple[dt.date, DevelopmentResult, dict[uuid.UUID, QualityYear]] | None = None
        #: The background read of those parts (``_read_parts``); its number and the day it reads:
        #: a result whose number is not the latest is obsolete (a refresh, a waiver or another day
        #: asked for a newer one) and is dropped.
        self.parts_job: Job | None = None
        self._parts_asked: tuple[int, dt.date] | None = None
        self._parts_generation = 0
        self.summaries: list[ClusterSummary] = []
        self.undo_stack = QUndoStack(self)
        self._sized = False
        self._sized_tables: set[QTableView] = set()
        #: Dialogs are shown through this hook (tests replace it to fill them in).
        self.exec_dialog: Callable[[QDialog], bool] = lambda d: d.exec() == QDialog.DialogCode.Accepted
        self._build()
        self._connect()

    # -- layout
    def _build(self) -> None:
        self.view_date = DateEdit(dt.date.today())
        self.today_button = QPushButton("今天")
        self.new_button = QPushButton("新建集团…")
        self.rename_button = QPushButton("重命名…")
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(vocab.CLUSTER_KINDS)
        self.kind_combo.setToolTip("更改所选集团的类型")
        self.lead_button = QPushButton("更换牵头校…")
        self.propose_button = QPushButton("组建建议…")
        self.propose_button.setToolTip("按政策方案的集团规则求解建议的分组，可全部或逐校采纳")
        self.import_button = QToolButton()
        self.import_button.setText("导入 Excel…")
        self.import_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for kind in IMPORT_KINDS:
            action = QAction(f"导入{IMPORTERS[kind].label}…", self)
            action.triggered.connect(lambda _=False, k=kind: self.import_file(k))
            self.import_button.addAction(action)
        self.undo_action = self.undo_stack.createUndoAction(self, "撤销")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.undo_stack.createRedoAction(self, "重做")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.undo_button, self.redo_button = QPushButton("撤销"), QPushButton("重做")
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_button.setEnabled(False)
        self.redo_button.setEnabled(False)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda t: self.undo_button.setToolTip(f"撤销：{t}（Ctrl+Z）"))
        self.undo_stack.redoTextChanged.connect(lambda t: self.redo_button.setToolTip(f"重做：{t}（Ctrl+Y）"))

        bar = QHBoxLayout()
        bar.addWidget(QLabel("查看日期"))
        bar.addWidget(self.view_date)
        bar.addWidget(self.today_button)
        bar.addSpacing(16)
        for w in (self.new_button, self.rename_button, QLabel("类型"), self.kind_combo, self.lead_button,
                  self.import_button, self.propose_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.undo_button)
        bar.addWidget(self.redo_button)

        self.cluster_model = ClusterTableModel(self)
        self.cluster_table = self._table(self.cluster_model, stretch=None)
        self.cluster_table.setAcceptDrops(True)
        self.cluster_table.setDropIndicatorShown(True)
        self.cluster_table.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.cluster_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.partner = QLabel()
        self.partner.setWordWrap(True)
        self.member_model = MemberTableModel(self)
        self.member_table = self._table(self.member_model, stretch=None)
        self.add_button = QPushButton("添加成员…")
        self.remove_button = QPushButton("退出集团…")
        self.move_button = QPushButton("调往其他集团…")
        member_buttons = QHBoxLayout()
        for w in (self.add_button, self.remove_button, self.move_button):
            member_buttons.addWidget(w)
        member_buttons.addStretch(1)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.banner, self.partner):
            middle_layout.addWidget(w)
        members = QWidget()
        members_layout = QVBoxLayout(members)
        members_layout.setContentsMargins(0, 4, 0, 0)
        members_layout.addWidget(self.member_table, 1)
        members_layout.addLayout(member_buttons)
        # On a narrow screen the schools in no cluster are a second tab beside the members
        # (see _arrange); on a wide one they are a third pane on the right.
        self.member_tabs = QTabWidget()
        self.member_tabs.addTab(members, "成员学校")
        middle_layout.addWidget(self.member_tabs, 1)

        self.loose_search = QLineEdit()
        self.loose_search.setPlaceholderText("查找学校")
        self.loose_label = QLabel()
        self.loose_model = SchoolListModel(self)
        self.loose_table = self._table(self.loose_model, stretch=None)
        self.loose_table.setDragEnabled(True)
        self.loose_table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.loose_label)
        right_layout.addWidget(self.loose_search)
        right_layout.addWidget(self.loose_table, 1)
        right_layout.addWidget(QLabel("把学校拖到左侧集团列表上即可加入"))

        self.cluster_stack = EmptyStack(
            self.cluster_table,
            "尚无集团(学区)/教共体。点击“新建集团…”，或用“导入 Excel…”导入学校名单和集团成员"
            "（命令行：edubridge import schools / edubridge import clusters）。")
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.cluster_stack)
        top.addWidget(middle)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 1)
        self.top_split = top
        self.loose_pane = right
        self.wide: bool | None = None
        self._arrange(wide=False)

        self.coverage_label = QLabel()
        self.show_waived = QComboBox()
        self.show_waived.addItems(["全部问题", "仅未豁免", "仅已豁免"])
        self.waive_button = QPushButton("豁免所选…")
        self.violation_model = ViolationTableModel(self)
        self.violation_table = self._table(self.violation_model, stretch=2)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>全县问题清单</b>"))
        head.addWidget(self.coverage_label, 1)
        head.addWidget(self.show_waived)
        head.addWidget(self.waive_button)
        bottom_layout.addLayout(head)
        bottom_layout.addWidget(self.violation_table, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([480, 240])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

    #: From this page width on, the schools in no cluster get their own pane instead of a tab.
    WIDE = 1560

    def _arrange(self, wide: bool) -> None:
        """Put the schools in no cluster in a third pane (wide) or in a tab beside the members."""
        if wide == self.wide:
            return
        self.wide = wide
        if wide:
            index = self.member_tabs.indexOf(self.loose_pane)
            if index >= 0:
                self.member_tabs.removeTab(index)
            self.top_split.addWidget(self.loose_pane)
            total = max(self.width(), self.WIDE)
            self.top_split.setSizes([int(total * 0.38), int(total * 0.36), int(total * 0.26)])
            self.loose_pane.show()
        else:
            self.member_tabs.addTab(self.loose_pane, "未加入集团的学校")
            total = max(self.width(), 800)
            self.top_split.setSizes([total * 9 // 20, total - total * 9 // 20])
        self.show_unclustered()  # the tab's title counts them

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._arrange(self.width() >= self.WIDE)

    def _table(self, model: Any, stretch: int | None) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        # Interactive widths sized once (see _size_columns): ResizeToContents would measure
        # every row on every reset and cost more than the whole re-check.
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        if stretch is not None:
            table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setStretchLastSection(False)
        return setup_table(table)

    def _size_columns(self) -> None:
        """Fit each table's columns to its contents once, when it first has rows (never per refresh:
        measuring every row on each re-check cost more than the check itself)."""
        tables = ((self.cluster_table, {"limits": {0: 220, 7: 200}}),
                  (self.member_table, {"limits": {1: 220}}),
                  (self.loose_table, {"limits": {1: 200}}),
                  (self.violation_table, {"stretch": 2, "limits": {1: 240, 3: 280, 4: 240}}))
        for table, options in tables:
            if table not in self._sized_tables and table.model().rowCount():
                fit_columns(table, **options)
                self._sized_tables.add(table)
        self._sized = len(self._sized_tables) == len(tables)

    def _connect(self) -> None:
        self.view_date.dateChanged.connect(lambda _d: self.reload())
        self.today_button.clicked.connect(lambda: self.view_date.set_value(dt.date.today()))
        self.cluster_table.selectionModel().selectionChanged.connect(lambda *_: self.show_cluster())
        self.cluster_model.school_dropped.connect(self.join_school)
        self.loose_search.textChanged.connect(lambda _t: self.show_unclustered())
        self.show_waived.currentIndexChanged.connect(lambda _i: self.show_violations())
        self.new_button.clicked.connect(self.new_cluster)
        self.rename_button.clicked.connect(self.rename_cluster)
        self.kind_combo.activated.connect(lambda _i: self.change_kind(self.kind_combo.currentText()))
        self.lead_button.clicked.connect(self.change_lead)
        self.add_button.clicked.connect(self.add_member)
        self.remove_button.clicked.connect(self.remove_member)
        self.move_button.clicked.connect(self.move_member)
        self.waive_button.clicked.connect(self.waive)
        self.propose_button.clicked.connect(self.open_proposal)

    def proposal_dialog(self) -> Any:
        from desktop.pages.cluster_proposal import ProposalDialog

        return ProposalDialog(self.context, self.on, self)

    def open_proposal(self) -> None:
        """The optimiser's proposal; accepted changes are dated edits outside the undo stack
        (each is audited; the page re-reads them)."""
        dialog = self.proposal_dialog()
        self.exec_dialog(dialog)
        if dialog.applied_edits:
            self.undo_stack.clear()  # the stack's edits were made before the accepted ones
            self.reload()

    # -- reading
    @property
    def on(self) -> dt.date:
        return self.view_date.value()

    def refresh(self) -> None:
        """Page contract: re-read everything (called each time the page is shown)."""
        self.records = None
        self._forget_parts()
        self.reload()

    def _forget_parts(self) -> None:
        """The teacher-development and quality reads are stale (the database may have changed):
        a read under way is cancelled and its result, should it still arrive, dropped."""
        self._parts = None
        self._parts_asked = None
        self._parts_generation += 1
        if self.parts_job is not None:
            self.parts_job.cancel()
            self.parts_job = None

    def _ask_parts(self, on: dt.date) -> bool:
        """Mark the teacher-development findings and quality figures of ``on`` as being read
        (the county list says so); True when a read must start (none is under way for ``on``)."""
        if self._parts_asked is not None and self._parts_asked[1] == on:
            return False
        if self.parts_job is not None:  # another day's read: no longer wanted
            self.parts_job.cancel()
            self.parts_job = None
        self._parts_generation += 1
        self._parts_asked = (self._parts_generation, on)
        return True

    def _read_parts(self, records: cl.Records) -> None:
        """Read what :meth:`_ask_parts` asked for in the background (~0.3 s on a city: the GUI
        thread stays free); the county list gets it when it arrives."""
        assert self._parts_asked is not None
        generation, on = self._parts_asked
        store, profile = self.context.store, self.context.profile

        def work(progress: Progress) -> _PartsRead:
            progress("读取教师培养情况", 0.0)
            found = cl.development(store, records, profile, on)
            progress("读取优质均衡指标", 0.8)  # a cancel since the read began stops here
            return _PartsRead(generation, on, found, cl.quality_years(store, profile, on))

        job = run_in_background(work)
        # Bound methods: Qt drops the connections when the page is deleted (a page closed meanwhile gets nothing).
        job.finished.connect(self._parts_read)
        job.failed.connect(self._parts_failed)
        self.destroyed.connect(job.cancel)
        self.parts_job = job

    def _parts_read(self, read: _PartsRead) -> None:
        if read.generation != self._parts_generation:
            return  # obsolete: a refresh, a waiver or another day asked for a newer read since
        self.parts_job, self._parts_asked = None, None
        self._parts = (read.on, read.development, read.quality)
        if self.records is not None and self.on == read.on:
            self.recheck()

    def _parts_failed(self, message: str) -> None:
        if self.parts_job is None or not self.parts_job.is_done:
            return  # an obsolete read's failure (the current one is still running, or none is wanted)
        self.parts_job, self._parts_asked = None, None
        self.coverage_label.setText(self.coverage_label.text().replace(PARTS_PENDING, ""))
        messages.error(self, "读取教师培养情况", message)

    def reload(self) -> None:
        """Re-read clusters and memberships (schools too on the first call) and re-check."""
        store = self.context.store
        self.records = cl.load(store, self.on, reuse=self.records)
        self.recheck()

    def after_edit(self) -> None:
        self.reload()

    def recheck(self) -> None:
        assert self.records is not None
        r, on, store, profile = self.records, self.on, self.context.store, self.context.profile
        start = False
        if self._parts is not None and self._parts[0] == on:
            self.result = cl.full_check(store, r, profile, on, self._parts[1], self._parts[2])
        else:  # the cluster and school rules now; the further parts when their read is in
            start = self._ask_parts(on)
            self.result = r.check(profile, on)
        self.summaries = summarize(r.schools, r.clusters, r.memberships, r.pairings, on)
        by_cluster: dict[uuid.UUID, list[Violation]] = {}
        for v in self.result.violations:
            if v.subject_kind == "cluster" and v.subject_id is not None:
                by_cluster.setdefault(v.subject_id, []).append(v)
        selected = self.selected_cluster_id()
        self.cluster_model.set_rows([
            ClusterLine(s, sum(1 for v in by_cluster.get(s.cluster.id, []) if not v.waived),
                        sum(1 for v in by_cluster.get(s.cluster.id, []) if v.waived))
            for s in self.summaries
        ])
        self.cluster_stack.set_empty(not self.summaries)
        self.select_cluster(selected)  # selectionChanged → show_cluster
        if not self.cluster_model.rowCount():
            self.show_cluster()
        self.show_unclustered()
        self.show_violations()
        self._size_columns()
        if start:  # after the fill: the read does not compete with it for the interpreter
            self._read_parts(r)

    def findings(self) -> list[Violation]:
        """The cluster and school rules' findings, then the teacher-development and 优质均衡 ones."""
        if self.result is None:
            return []
        return [*self.result.violations, *self.result.part_violations()]

    @staticmethod
    def _named(violation: Violation, names: dict[uuid.UUID, str]) -> Violation:
        """A school's problem names the school (a clerk does not know schools by code)."""
        if violation.subject_kind != "school":
            return violation
        name = names.get(violation.subject_id) if violation.subject_id is not None else None
        return dataclasses.replace(violation, subject=f"{name}（{violation.subject}）") if name else violation

    def selected_cluster_id(self) -> uuid.UUID | None:
        summary = self.selected_summary()
        return summary.cluster.id if summary else None

    def selected_summary(self) -> ClusterSummary | None:
        rows = self.cluster_table.selectionModel().selectedRows()
        return self.cluster_model.row_at(rows[0].row()).summary if rows else None

    def select_cluster(self, cluster_id: uuid.UUID | None) -> None:
        for row, line in enumerate(self.cluster_model.rows()):
            if line.summary.cluster.id == cluster_id:
                self.cluster_table.selectRow(row)
                return
        if self.cluster_model.rowCount():
            self.cluster_table.selectRow(0)

    def show_cluster(self) -> None:
        summary = self.selected_summary()
        for w in (self.rename_button, self.kind_combo, self.lead_button, self.add_button, self.remove_button,
                  self.move_button):
            w.setEnabled(summary is not None)
        if summary is None or self.result is None or self.records is None:
            self.title.setText("（尚无集团，请新建或导入）")
            self.banner.setText("")
            self.partner.setText("")
            self.member_model.set_rows([])
            return
        c = summary.cluster
        self.kind_combo.setCurrentText(c.kind)
        self.title.setText(f"{c.name}　{c.kind}" + (f"　片区：{c.area}" if c.area else "")
                           + f"　（{self.on.isoformat()}）")
        member_ids = {s.id for _, s in summary.members}
        problems = [v for v in self.result.violations  # the county list below adds the other parts
                    if v.subject_id == c.id or (v.subject_kind == "school" and v.subject_id in member_ids)]
        open_ = [v for v in problems if not v.waived]
        waived = [v for v in problems if v.waived]
        if open_:
            lines = "<br>".join(f"• {v.detail}（{v.clause}）" for v in open_[:6])
            more = f"<br>……另有 {len(open_) - 6} 项" if len(open_) > 6 else ""
            self.banner.setStyleSheet("background:#fdecea; color:#8c1d18; padding:6px; border-radius:4px;")
            self.banner.setText(f"<b>{len(open_)} 项不符合规定</b>" + (f"（另有 {len(waived)} 项已豁免）" if waived else "")
                                + f"<br>{lines}{more}")
        else:
            self.banner.setStyleSheet("background:#e6f4ea; color:#1e4620; padding:6px; border-radius:4px;")
            self.banner.setText("符合各项规定" + (f"（{len(waived)} 项已豁免）" if waived else ""))
        lead = summary.lead.name if summary.lead else "未定"
        partners = summary.city_partner_names or "无"
        self.partner.setText(f"牵头校：{lead}　　包片包抓市属学校：{partners}\n"
                             f"学校 {summary.schools} 所（乡村 {summary.rural_schools} 所），学生 {summary.students:,} 人")
        self.member_model.set_rows([MemberLine(m, s) for m, s in summary.members])

    def show_unclustered(self) -> None:
        if self.records is None:
            return
        loose = unclustered(self.records.schools, self.records.memberships, self.on)
        text = self.loose_search.text().strip()
        shown = [s for s in loose if not text or text in s.name or text in s.code]
        self.loose_label.setText(f"<b>未加入集团的学校</b>（{len(loose)} 所）")
        index = self.member_tabs.indexOf(self.loose_pane)
        if index >= 0:
            self.member_tabs.setTabText(index, f"未加入集团的学校（{len(loose)}）")
        self.loose_model.set_rows(shown)

    def show_violations(self) -> None:
        if self.result is None:
            return
        mode = self.show_waived.currentIndex()
        findings = self.findings()
        rows = [v for v in findings if mode == 0 or (mode == 1) != v.waived]
        names = {s.id: s.name for s in self.records.schools} if self.records is not None else {}
        self.violation_model.set_rows([self._named(v, names) for v in rows])
        c = self.result.coverage
        open_count = sum(1 for v in findings if not v.waived)
        self.coverage_label.setText(
            f"共 {open_count} 项问题，{len(findings) - open_count} 项已豁免；"
            f"乡村学校(含教学点)纳入集团 {c.rural_in_cluster}/{c.rural_schools} 所（{c.ratio:.0%}）"
            + (PARTS_PENDING if self._parts_asked is not None else ""))

    # -- editing
    def apply(self, action: Callable[[], cl.Edit]) -> cl.Edit | None:
        """Make one edit; on success push it on the undo stack and re-check. None when refused."""
        try:
            edit = action()
        except StaleRecord as exc:  # another user changed it since this page read it
            if messages.ask(self, "无法修改", f"{exc}。\n\n现在重新载入集团数据吗？"):
                self.refresh()
            return None
        except StoreError as exc:
            messages.warn(self, "无法修改", str(exc))
            return None
        self.record(edit)
        return edit

    def record(self, edit: cl.Edit) -> None:
        """An edit already made: on the undo stack, then re-check."""
        self.undo_stack.push(StoreEditCommand(self, edit))
        self.after_edit()

    def join_school(self, school_id: uuid.UUID, cluster_id: uuid.UUID) -> cl.Edit | None:
        on = self.on
        return self.apply(lambda: cl.join(self.context.store, cluster_id, school_id, on))

    def new_cluster(self) -> None:
        assert self.records is not None
        dialog = ClusterDialog(sorted(self.records.schools, key=lambda s: s.code), self.on, self)
        created: list[cl.Edit] = []

        def create() -> None:
            created.append(cl.create_cluster(
                self.context.store, dialog.name.text(), dialog.kind.currentText(),
                area=dialog.area.text().strip() or None, lead_school_id=dialog.lead.currentData(),
                on=dialog.date.value()))

        dialog.submit = create
        if not self.exec_dialog(dialog) or not created:
            return
        self.record(created[0])
        self.select_cluster(created[0].cluster_id)

    def rename_cluster(self) -> None:
        summary = self.selected_summary()
        if summary is None:
            return
        dialog = _FormDialog("重命名集团", self)
        name = QLineEdit(summary.cluster.name)
        area = QLineEdit(summary.cluster.area or "")
        dialog.form.addRow("名称", name)
        dialog.form.addRow("片区", area)
        dialog.name, dialog.area = name, area  # type: ignore[attr-defined]  # the fields, for the tests to fill
        if not self.exec_dialog(dialog):
            return
        cluster_id, shown, shown_area = summary.cluster.id, summary.cluster.name, summary.cluster.area or ""
        if name.text().strip() != summary.cluster.name:
            self.apply(lambda: cl.rename_cluster(self.context.store, cluster_id, name.text(), shown))
        if (area.text().strip() or None) != summary.cluster.area:
            self.apply(lambda: cl.change_area(self.context.store, cluster_id, area.text(), shown_area))

    def change_kind(self, kind: str) -> None:
        summary = self.selected_summary()
        if summary is None or kind == summary.cluster.kind:
            return
        cluster_id, shown_kind = summary.cluster.id, summary.cluster.kind
        self.apply(lambda: cl.change_kind(self.context.store, cluster_id, kind, shown_kind))

    def change_lead(self) -> None:
        summary = self.selected_summary()
        if summary is None:
            return
        members = [s for _, s in summary.members]
        dialog = _FormDialog("更换牵头校", self)
        combo = school_combo(members, summary.lead.id if summary.lead else None)
        role = QComboBox()
        role.addItems(vocab.LEAD_ROLES)
        when = DateEdit(self.on)
        dialog.form.addRow("新牵头校", combo)
        dialog.form.addRow("角色", role)
        dialog.form.addRow("自", when)
        dialog.school, dialog.role, dialog.date = combo, role, when  # type: ignore[attr-defined]  # (as above)
        if not self.exec_dialog(dialog) or combo.currentData() is None:
            return
        cluster_id, school_id, on, lead_role = summary.cluster.id, combo.currentData(), when.value(), role.currentText()
        self.apply(lambda: cl.change_lead(self.context.store, cluster_id, school_id, on, lead_role))

    def add_member(self) -> None:
        summary = self.selected_summary()
        if summary is None or self.records is None:
            return
        dialog = MemberDialog(unclustered(self.records.schools, self.records.memberships, self.on), self.on, self)
        if not self.exec_dialog(dialog):
            return
        school = dialog.chosen()
        if school is None:
            return
        cluster_id, role, on = summary.cluster.id, dialog.role.currentText(), dialog.date.value()
        self.apply(lambda: cl.join(self.context.store, cluster_id, school.id, on, role))

    def selected_member(self) -> MemberLine | None:
        rows = self.member_table.selectionModel().selectedRows()
        return self.member_model.row_at(rows[0].row()) if rows else None

    def remove_member(self) -> None:
        summary, line = self.selected_summary(), self.selected_member()
        if summary is None or line is None:
            messages.info(self, "退出集团", "请先在成员表中选择一所学校")
            return
        dialog = DateDialog(f"{line.school.name}退出{summary.cluster.name}", "退出日期", self.on, parent=self)
        if not self.exec_dialog(dialog):
            return
        cluster_id, school_id, on = summary.cluster.id, line.school.id, dialog.date.value()
        self.apply(lambda: cl.leave(self.context.store, cluster_id, school_id, on))

    def move_member(self) -> None:
        summary, line = self.selected_summary(), self.selected_member()
        if summary is None or line is None or self.records is None:
            messages.info(self, "调往其他集团", "请先在成员表中选择一所学校")
            return
        others = [c for c in sorted(self.records.clusters, key=lambda c: c.name) if c.id != summary.cluster.id]
        dialog = DateDialog(f"{line.school.name}调往其他集团", "调动日期", self.on, others, self)
        if not self.exec_dialog(dialog) or dialog.target is None or dialog.target.currentData() is None:
            return
        target, school_id, on = dialog.target.currentData(), line.school.id, dialog.date.value()
        self.apply(lambda: cl.move(self.context.store, school_id, target, on))

    def selected_violation(self) -> Violation | None:
        rows = self.violation_table.selectionModel().selectedRows()
        return self.violation_model.row_at(rows[0].row()) if rows else None

    def waive(self) -> None:
        violation = self.selected_violation()
        if violation is None or violation.subject_id is None:
            messages.info(self, "豁免", "请先在问题清单中选择一项")
            return
        if violation.waived:
            messages.info(self, "豁免", f"此项已豁免：{violation.waiver_reason}（批准人 {violation.waiver_approver}）")
            return
        dialog = WaiverDialog(violation, self.on, self)
        if not self.exec_dialog(dialog):
            return
        try:
            cl.add_waiver(self.context.store, violation.rule, violation.subject_kind, violation.subject_id,
                          dialog.reason.toPlainText(), dialog.approver.text(), dialog.start.value())
        except StoreError as exc:
            messages.warn(self, "无法豁免", str(exc))
            return
        self._forget_parts()  # the teacher-development findings apply the waivers when they are read
        self.reload()

    # -- import
    def import_file(self, kind: str) -> None:
        importer = IMPORTERS[kind]
        module, label = importer.load(), importer.label
        path = messages.open_file(self, f"导入{label}", importer.pattern)
        if path is None:
            return
        store = self.context.store
        job = run_with_progress(self, f"导入{label}", "正在检查…",
                                lambda progress: module.plan_import(store, path, progress))
        job.finished.connect(lambda plan: self._preview(module, plan))
        job.failed.connect(lambda message: messages.error(self, f"无法导入{label}", message))
        self._job = job

    def _preview(self, module: Any, plan: Any) -> None:
        store = self.context.store
        self._job = preview_and_apply(self, plan, lambda progress: module.apply_import(store, plan, progress)) \
            or self._job
