"""协议 page: each cluster's agreement — edit the clauses, preview, print, sign, keep the scan.

Layout: the clusters with their agreement status on the left; on the right, for the chosen
cluster, an action bar (按模板新建 / 保存为新版本 / 撤销修改 / 预览 / 打印 / 保存 PDF) over
four tabs: 条款 (title, preamble, sections), 协议方与期限, 预览 (the shared
:class:`desktop.pdf_preview.PdfPreview`), 签订与扫描件.

Rules of the page (the rules themselves live in ``db.agreements``):

* The editor holds a working copy; 保存为新版本 writes clauses and term as ONE audited
  version, 撤销修改 re-reads the stored one. Leaving a changed agreement asks to save.
* The PDF is built off the GUI thread from the *stored* agreement; the page remembers the
  version it laid out, and printing or saving the PDF records exactly that version
  (``record_printing(expected_version=…)`` refuses if someone saved a newer one since).
* Signing and scans go straight to ``db.agreements``; its refusals (e.g. signing before
  printing) come back as one warning through ``desktop.messages``.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import uuid
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db import agreements as ag
from db.engine import StoreError
from db.versions import StaleRecord
from desktop import messages
from desktop.context import AppContext
from desktop.models.agreement_tables import AgreementListModel, PartyTableModel, ScanTableModel
from desktop.pages.base import Page
from desktop.pdf_preview import PdfPreview
from desktop.widgets import DateEdit, EmptyStack, fit_columns, setup_table
from desktop.worker import Job, run_in_background
from policy.progress import Progress

TAB_CLAUSES, TAB_PARTIES, TAB_PREVIEW, TAB_SIGNING = range(4)
SCAN_FILTERS = "扫描件 (*.pdf *.png *.jpg *.jpeg *.tif *.tiff);;所有文件 (*)"


class ClauseEditor(QWidget):
    """Title, preamble and the numbered sections of one agreement, edited in memory.

    The section list shows headings; the fields below edit the chosen section. Add, remove
    and move sections with the buttons. Nothing is written here: :meth:`content` gives the
    text, :meth:`is_dirty` says whether it differs from what :meth:`set_content` loaded.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sections: list[list[str]] = []
        self._loaded: tuple[str, str, tuple[tuple[str, str], ...]] = ("", "", ())
        self._current = -1
        self._loading = False

        self.title = QLineEdit()
        self.preamble = QPlainTextEdit()
        self.preamble.setTabChangesFocus(True)
        self.preamble.setMaximumHeight(90)
        self.section_list = QListWidget()
        self.section_list.setMinimumWidth(190)
        self.add_button = QPushButton("添加条款")
        self.remove_button = QPushButton("删除")
        self.up_button = QPushButton("上移")
        self.down_button = QPushButton("下移")
        self.heading = QLineEdit()
        self.heading.setPlaceholderText("条款标题，如“第三条　师资同盘”")
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("条款正文；每行一段")

        head = QFormLayout()
        head.addRow("标题", self.title)
        head.addRow("序言", self.preamble)
        moves = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            moves.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(QLabel("条款"))
        left.addWidget(self.section_list, 1)
        left.addLayout(moves)
        right = QFormLayout()
        right.addRow("条款标题", self.heading)
        right.addRow("条款正文", self.text)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(body, 1)

        self.section_list.currentRowChanged.connect(self._on_row)
        self.heading.textChanged.connect(self._on_heading)
        self.text.textChanged.connect(self._on_text)
        self.title.textChanged.connect(self._on_any)
        self.preamble.textChanged.connect(self._on_any)
        self.add_button.clicked.connect(self.add_section)
        self.remove_button.clicked.connect(self.remove_section)
        self.up_button.clicked.connect(lambda: self.move_section(-1))
        self.down_button.clicked.connect(lambda: self.move_section(1))
        self._update_buttons()

    # -- content -------------------------------------------------------------------------

    def set_content(self, title: str, preamble: str, sections: list[ag.Section] | tuple[ag.Section, ...]) -> None:
        self._loading = True
        try:
            self._sections = [[s.heading, s.text] for s in sections]
            self._current = -1
            self.title.setText(title)
            self.preamble.setPlainText(preamble)
            self.section_list.clear()
            for heading, text in self._sections:
                self.section_list.addItem(self._label(heading, text))
            self.heading.clear()
            self.text.clear()
            if self._sections:
                self.section_list.setCurrentRow(0)
        finally:
            self._loading = False
        self._loaded = self._snapshot()
        self._update_buttons()

    def content(self) -> tuple[str, str, list[ag.Section]]:
        return (self.title.text().strip(), self.preamble.toPlainText().strip(),
                [ag.Section(h.strip(), t.strip()) for h, t in self._sections])

    def is_dirty(self) -> bool:
        return self._snapshot() != self._loaded

    def _snapshot(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        title, preamble, sections = self.content()
        return title, preamble, tuple((s.heading, s.text) for s in sections)

    @staticmethod
    def _label(heading: str, text: str) -> str:
        return heading.strip() or (text.strip()[:16] + "…" if text.strip() else "（空条款）")

    # -- editing ---------------------------------------------------------------------------

    def _on_row(self, row: int) -> None:
        self._current = row
        self._loading = True
        try:
            if 0 <= row < len(self._sections):
                self.heading.setText(self._sections[row][0])
                self.text.setPlainText(self._sections[row][1])
            else:
                self.heading.clear()
                self.text.clear()
        finally:
            self._loading = False
        self._update_buttons()

    def _on_heading(self, value: str) -> None:
        if self._loading or not 0 <= self._current < len(self._sections):
            return
        self._sections[self._current][0] = value
        item = self.section_list.item(self._current)
        if item is not None:
            item.setText(self._label(value, self._sections[self._current][1]))
        self.changed.emit()

    def _on_text(self) -> None:
        if self._loading or not 0 <= self._current < len(self._sections):
            return
        self._sections[self._current][1] = self.text.toPlainText()
        self.changed.emit()

    def _on_any(self) -> None:
        if not self._loading:
            self.changed.emit()

    def add_section(self) -> None:
        """A new empty section after the chosen one (at the end when none is chosen)."""
        at = self._current + 1 if self._current >= 0 else len(self._sections)
        self._sections.insert(at, ["", ""])
        self.section_list.insertItem(at, self._label("", ""))
        self.section_list.setCurrentRow(at)
        self.heading.setFocus()
        self.changed.emit()

    def remove_section(self) -> None:
        row = self._current
        if not 0 <= row < len(self._sections):
            return
        del self._sections[row]
        self._current = -1
        self.section_list.takeItem(row)
        self.section_list.setCurrentRow(min(row, len(self._sections) - 1))
        self.changed.emit()

    def move_section(self, step: int) -> None:
        row, to = self._current, self._current + step
        if not (0 <= row < len(self._sections) and 0 <= to < len(self._sections)):
            return
        self._sections[row], self._sections[to] = self._sections[to], self._sections[row]
        for index in (row, to):
            item = self.section_list.item(index)
            if item is not None:
                item.setText(self._label(*self._sections[index]))
        self._current = -1
        self.section_list.setCurrentRow(to)
        self.changed.emit()

    def _update_buttons(self) -> None:
        row, count = self._current, len(self._sections)
        self.remove_button.setEnabled(0 <= row < count)
        self.up_button.setEnabled(0 < row < count)
        self.down_button.setEnabled(0 <= row < count - 1)
        self.heading.setEnabled(0 <= row < count)
        self.text.setEnabled(0 <= row < count)


class AgreementsPage(Page):
    """The 协议 page (see the module docstring)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.doc: ag.AgreementDoc | None = None
        self.cluster_id: uuid.UUID | None = None
        self.job: Job | None = None
        self.built_version: int | None = None  # version laid out in the preview
        self._loaded_term: tuple[dt.date, dt.date] | None = None
        self._switching = False

        # -- the list
        self.model = AgreementListModel(self)
        self.table = QTableView()
        self.table.setObjectName("agreementTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        setup_table(self.table)
        self._list_sized = False
        self.table_stack = EmptyStack(
            self.table, "尚无集团(学区)/教共体。请先在“集团与教共体”页新建或导入，再在这里按模板生成协议。")
        self.summary = QLabel()

        # -- actions
        self.heading_label = QLabel("请在左侧选择集团(学区)/教共体。")
        self.heading_label.setWordWrap(True)
        font = self.heading_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.heading_label.setFont(font)
        self.create_button = QPushButton("按模板新建协议")
        self.save_button = QPushButton("保存为新版本")
        self.revert_button = QPushButton("撤销修改")
        self.preview_button = QPushButton("预览")
        self.print_button = QPushButton("打印…")
        self.save_pdf_button = QPushButton("保存 PDF…")
        actions = QHBoxLayout()
        for button in (self.create_button, self.save_button, self.revert_button, self.preview_button,
                       self.print_button, self.save_pdf_button):
            actions.addWidget(button)
        actions.addStretch(1)

        # -- tab 条款
        self.editor = ClauseEditor()

        # -- tab 协议方与期限
        self.term_start = DateEdit()
        self.term_end = DateEdit()
        term = QHBoxLayout()
        term.addWidget(self.term_start)
        term.addWidget(QLabel("至"))
        term.addWidget(self.term_end)
        term.addStretch(1)
        self.parties_model = PartyTableModel(self)
        self.parties = QTableView()
        self.parties.setModel(self.parties_model)
        self.parties.verticalHeader().setVisible(False)
        self.parties.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.parties.horizontalHeader().setStretchLastSection(True)
        self.parties.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                     | QAbstractItemView.EditTrigger.EditKeyPressed
                                     | QAbstractItemView.EditTrigger.AnyKeyPressed)
        parties_tab = QWidget()
        parties_form = QFormLayout(parties_tab)
        parties_form.addRow("协议期限", term)
        parties_form.addRow(QLabel("期限随“保存为新版本”一起保存；条款中引用的起止日期会随之更新。"))
        parties_form.addRow(QLabel("协议方（按签订之日的成员；双击“签字人”填写法定代表人或授权代表）"))
        parties_form.addRow(self.parties)

        # -- tab 预览
        self.preview = PdfPreview()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        preview_tab = QWidget()
        preview_layout = QVBoxLayout(preview_tab)
        preview_layout.addWidget(self.progress)
        preview_layout.addWidget(self.preview, 1)

        # -- tab 签订与扫描件
        self.signed_edit = DateEdit()
        self.signed_edit.set_value(dt.date.today())
        self.sign_button = QPushButton("登记签订日期")
        self.unsign_button = QPushButton("清除")
        self.signed_label = QLabel()
        sign_row = QHBoxLayout()
        for widget in (self.signed_edit, self.sign_button, self.unsign_button):
            sign_row.addWidget(widget)
        sign_row.addStretch(1)
        # 品牌费 (银川2023方案 四(一)): what the agreement charges, recorded so the check can name it.
        self.fee_edit = QDoubleSpinBox()
        self.fee_edit.setRange(0, 10_000_000)
        self.fee_edit.setDecimals(2)
        self.fee_edit.setSuffix(" 元")
        self.fee_edit.setToolTip(self.context.profile.figure("brand_fee.allowed").label + "（"
                                 + self.context.profile.clause("brand_fee.allowed") + "）")
        self.fee_button = QPushButton("登记品牌费")
        self.fee_label = QLabel()
        fee_row = QHBoxLayout()
        for part in (self.fee_edit, self.fee_button, self.fee_label):
            fee_row.addWidget(part)
        fee_row.addStretch(1)
        self.printed_label = QLabel()
        self.printed_label.setWordWrap(True)
        self.scans_model = ScanTableModel(self)
        self.scans = QTableView()
        self.scans.setModel(self.scans_model)
        self.scans.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.scans.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.scans.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.scans.verticalHeader().setVisible(False)
        self.scans.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.scans.horizontalHeader().setStretchLastSection(True)
        self.add_scan_button = QPushButton("添加扫描件…")
        self.open_scan_button = QPushButton("打开")
        self.export_scan_button = QPushButton("导出…")
        scan_buttons = QHBoxLayout()
        for button in (self.add_scan_button, self.open_scan_button, self.export_scan_button):
            scan_buttons.addWidget(button)
        scan_buttons.addStretch(1)
        signing_tab = QWidget()
        signing = QFormLayout(signing_tab)
        signing.addRow("打印记录", self.printed_label)
        signing.addRow("签订日期", sign_row)
        signing.addRow("", self.signed_label)
        signing.addRow("向受援校收取品牌费", fee_row)
        signing.addRow(QLabel("签字盖章后的扫描件（保存在数据库中）"))
        signing.addRow(self.scans)
        signing.addRow(scan_buttons)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor, "条款")
        self.tabs.addTab(parties_tab, "协议方与期限")
        self.tabs.addTab(preview_tab, "预览")
        self.tabs.addTab(signing_tab, "签订与扫描件")
        self.status = QLabel()
        self.status.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table_stack, 1)
        left_layout.addWidget(self.summary)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading_label)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.tabs, 1)
        right_layout.addWidget(self.status)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([560, 840])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.scans.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        self.editor.changed.connect(self._update_actions)
        self.term_start.dateChanged.connect(self._update_actions)
        self.term_end.dateChanged.connect(self._update_actions)
        self.parties_model.signatory_edited.connect(self.set_signatory)
        self.create_button.clicked.connect(self.create_agreement)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.preview_button.clicked.connect(lambda: self.build_preview())
        self.print_button.clicked.connect(self.print_agreement)
        self.save_pdf_button.clicked.connect(self.save_pdf)
        self.sign_button.clicked.connect(self.record_signed)
        self.unsign_button.clicked.connect(self.clear_signed)
        self.fee_button.clicked.connect(self.record_brand_fee)
        self.add_scan_button.clicked.connect(self.add_scan)
        self.open_scan_button.clicked.connect(self.open_scan)
        self.export_scan_button.clicked.connect(self.export_scan)
        self.scans.doubleClicked.connect(lambda _index: self.open_scan())
        self._show_doc()

    # ---- list ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the list; re-read the chosen agreement unless the clerk is editing it."""
        rows = ag.cluster_agreements(self.context.store)
        keep = self.cluster_id
        self._switching = True
        try:
            self.model.set_rows(rows)
            row = self.model.row_of_cluster(keep) if keep is not None else (0 if rows else -1)
            if row >= 0:
                self.table.selectRow(row)
        finally:
            self._switching = False
        self.table_stack.set_empty(not rows)
        if rows and not self._list_sized:  # once: ResizeToContents would measure every row per reset
            self._list_sized = True
            fit_columns(self.table, limits={0: 280, 3: 200})
        signed = sum(1 for r in rows if r.agreement and r.agreement.signed_on and not r.expired)
        expired = sum(1 for r in rows if r.expired)
        missing = sum(1 for r in rows if r.agreement is None)
        self.summary.setText(f"共 {len(rows)} 个集团(学区)/教共体：已签订 {signed} 个，已到期 {expired} 个，"
                             f"无协议 {missing} 个")
        current = self.model.row_at(row).cluster_id if row >= 0 else None
        if current != self.cluster_id or not self.is_dirty():
            self._load(current)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._switching or not current.isValid():
            return
        cluster_id = self.model.row_at(current.row()).cluster_id
        if cluster_id == self.cluster_id:
            return
        if self.is_dirty() and messages.ask(self, "协议", "当前协议有未保存的修改。保存为新版本吗？\n选择“否”将放弃这些修改。"):
            self.save()
        self._load(cluster_id)

    def select_cluster(self, name: str) -> None:
        """Choose the cluster called ``name`` in the list (for tests and links from other pages)."""
        for row, record in enumerate(self.model.rows()):
            if record.cluster_name == name:
                self.table.selectRow(row)
                return
        raise KeyError(name)

    def _reload_list(self) -> None:
        self._switching = True
        try:
            self.model.set_rows(ag.cluster_agreements(self.context.store))
            row = self.model.row_of_cluster(self.cluster_id)
            if row >= 0:
                self.table.selectRow(row)
        finally:
            self._switching = False

    # ---- the chosen agreement -----------------------------------------------------------

    def _load(self, cluster_id: uuid.UUID | None) -> None:
        if cluster_id != self.cluster_id:
            self.preview.clear()
            self.built_version = None
        self.cluster_id = cluster_id
        agreement_id = ag.latest_for_cluster(self.context.store, cluster_id) if cluster_id else None
        self.doc = ag.load_agreement(self.context.store, agreement_id) if agreement_id else None
        if self.doc is not None and self.built_version not in (None, self.doc.version):
            self.preview.clear()
            self.built_version = None
        self._show_doc()

    def _show_doc(self) -> None:
        doc = self.doc
        line = next((r for r in self.model.rows() if r.cluster_id == self.cluster_id), None)
        if line is None:
            self.heading_label.setText("请在左侧选择集团(学区)/教共体。")
        else:
            self.heading_label.setText(f"{line.cluster_name}（{line.cluster_kind}）　{line.status}")
        if doc is None:
            self.editor.set_content("", "", [])
            self.parties_model.set_rows([])
            self.scans_model.set_rows([])
            self._loaded_term = None
            self.printed_label.setText("")
            self.signed_label.setText("")
            if line is not None:
                self.status.setText("该集团还没有协议。点击“按模板新建协议”，按其类型和现行政策方案生成条款。")
        else:
            self.editor.set_content(doc.title, doc.preamble, doc.sections)
            self.parties_model.set_rows(doc.parties)
            self.scans_model.set_rows(doc.scans)
            self._loaded_term = (doc.term_start, doc.term_end)
            self.term_start.set_value(doc.term_start)
            self.term_end.set_value(doc.term_end)
            if doc.printed_version is None:
                self.printed_label.setText("尚未打印。签订日期须在打印之后登记。")
            elif doc.printed_is_current:
                self.printed_label.setText(f"已打印第 {doc.printed_version} 版（即当前版本）。")
            else:
                self.printed_label.setText(f"已打印第 {doc.printed_version} 版；当前为第 {doc.version} 版，"
                                           "修改后的版本尚未打印。")
            self.fee_edit.setValue(doc.brand_fee or 0)
            self.fee_label.setText(self._fee_text(doc.brand_fee))
            if doc.signed_on is not None:
                self.signed_edit.set_value(doc.signed_on)
                self.signed_label.setText(f"已于 {doc.signed_on.isoformat()} 签订。")
            else:
                self.signed_label.setText("尚未登记签订日期。")
            self.status.setText(f"第 {doc.version} 版，共 {len(doc.sections)} 条条款，{len(doc.parties)} 个协议方。")
        self._update_actions()

    def is_dirty(self) -> bool:
        """True when the editor or the term differ from the stored agreement."""
        if self.doc is None:
            return False
        term = (self.term_start.value(), self.term_end.value())
        return self.editor.is_dirty() or term != self._loaded_term

    def unsaved_input(self) -> str:
        """What leaving this database would drop (the main window asks first)."""
        return "协议的修改尚未保存" if self.is_dirty() else ""

    def _update_actions(self) -> None:
        has_cluster = self.cluster_id is not None
        has = self.doc is not None
        dirty = self.is_dirty()
        busy = self.job is not None and not self.job.is_done
        self.create_button.setEnabled(has_cluster and not has)
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        self.preview_button.setEnabled(has and not busy)
        ready = has and not dirty and not busy
        self.print_button.setToolTip(
            "" if ready else "请先选择集团(学区)的协议" if not has else "请先保存修改" if dirty else "正在排版，请稍候")
        self.print_button.setEnabled(ready)
        self.save_pdf_button.setEnabled(ready)
        self.tabs.setEnabled(has)
        selected = self.scans.currentIndex().isValid() or self.scans_model.rowCount() == 1
        self.open_scan_button.setEnabled(has and selected)
        self.export_scan_button.setEnabled(has and selected)
        self.unsign_button.setEnabled(has and self.doc is not None and self.doc.signed_on is not None)

    def _failed(self, title: str, exc: StoreError) -> None:
        messages.warn(self, title, str(exc))

    # ---- writes (each one audited by db.agreements) -------------------------------------

    def create_agreement(self) -> None:  # not "create": that is QWidget.create()
        if self.cluster_id is None or self.doc is not None:
            return
        try:
            ag.create_agreement(self.context.store, self.cluster_id, self.context.profile)
        except StoreError as exc:
            self._failed("新建协议", exc)
            return
        self._after_write("已按模板生成第 1 版协议。")

    def save(self) -> bool:
        """Save the editor and term as one new version; False when refused or nothing changed."""
        if self.doc is None or not self.is_dirty():
            return False
        if self.doc.signed_on is not None and not messages.ask(
                self, "保存协议", "该协议已签订。保存修改将生成新版本，需重新打印并签订。继续吗？"):
            return False
        title, preamble, sections = self.editor.content()
        term = (self.term_start.value(), self.term_end.value())
        try:
            version = ag.edit_clauses(self.context.store, self.doc.id, sections, preamble=preamble,
                                      title=title or self.doc.title, term=term, expected=self.doc.row_version)
        except StaleRecord as exc:  # someone else saved first: nothing written; offer their version
            if messages.ask(self, "保存协议", f"{exc}。\n\n现在重新载入吗？（本页未保存的修改将被放弃）"):
                self.revert()
            return False
        except StoreError as exc:
            self._failed("保存协议", exc)
            return False
        self._after_write(f"已保存为第 {version} 版。")
        return True

    def revert(self) -> None:
        """Drop the editor's changes: show the stored version again."""
        self._load(self.cluster_id)

    def set_signatory(self, label: str, signatory: str) -> None:
        if self.doc is None:
            return
        try:
            ag.set_signatory(self.context.store, self.doc.id, label, signatory or None)
        except StoreError as exc:
            self._failed("签字人", exc)
            return
        self._keep_editing_reload(f"{label}签字人已保存。")

    def record_signed(self) -> None:
        if self.doc is None:
            return
        day = self.signed_edit.value()
        try:
            ag.record_signed(self.context.store, self.doc.id, day)
        except StoreError as exc:
            self._failed("登记签订日期", exc)
            return
        self._keep_editing_reload(f"已登记签订日期 {day.isoformat()}。")

    def _fee_text(self, fee: float | None) -> str:
        if fee is None:
            return "未登记"
        if fee and self.context.profile.value("brand_fee.allowed") is False:
            return f"不符合规定：帮扶不得收取品牌费（{self.context.profile.clause('brand_fee.allowed')}）"
        return "未收取" if not fee else ""

    def record_brand_fee(self) -> None:
        if self.doc is None:
            return
        amount = self.fee_edit.value()
        try:
            ag.record_brand_fee(self.context.store, self.doc.id, amount)
        except StoreError as exc:
            self._failed("登记品牌费", exc)
            return
        self.fee_label.setText(self._fee_text(amount))
        self._keep_editing_reload(f"已登记品牌费 {amount:,.2f} 元。")

    def clear_signed(self) -> None:
        if self.doc is None or self.doc.signed_on is None:
            return
        if not messages.ask(self, "签订日期", "清除已登记的签订日期吗？"):
            return
        ag.record_signed(self.context.store, self.doc.id, None)
        self._keep_editing_reload("已清除签订日期。")

    def _after_write(self, status: str) -> None:
        self._reload_list()
        self._load(self.cluster_id)
        self.status.setText(status)

    def _keep_editing_reload(self, status: str) -> None:
        """Re-read after a write that does not touch the clauses, keeping unsaved edits."""
        if self.is_dirty():
            assert self.doc is not None
            self.doc = ag.load_agreement(self.context.store, self.doc.id)
            self._reload_list()
            self.parties_model.set_rows(self.doc.parties)
            self.scans_model.set_rows(self.doc.scans)
            self.signed_label.setText(f"已于 {self.doc.signed_on.isoformat()} 签订。" if self.doc.signed_on
                                      else "尚未登记签订日期。")
            self._update_actions()
            self.status.setText(status)
        else:
            self._after_write(status)

    # ---- PDF: preview, print, save ----------------------------------------------------

    def build_preview(self, then: Any = None) -> Job | None:
        """Lay the stored agreement out off the GUI thread and show it; ``then()`` afterwards.

        Unsaved edits are saved first when the clerk agrees (the PDF shows stored text only).
        """
        if self.doc is None:
            return None
        if self.is_dirty():
            if not messages.ask(self, "预览协议", "条款有未保存的修改。先保存为新版本再预览吗？\n"
                                "选择“否”将预览已保存的版本。"):
                self.status.setText("预览的是已保存的版本，不含未保存的修改。")
            elif not self.save():
                return None
        store, agreement_id = self.context.store, self.doc.id

        def work(progress: Progress) -> tuple[bytes, int, str]:
            from reports import documents

            buffer = io.BytesIO()
            built = documents.agreement_by_id(store, agreement_id, buffer, record=False, progress=progress)
            return buffer.getvalue(), int(built.extra["version"]), built.warning

        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText("正在排版…")
        self.job = run_in_background(work)
        self.job.progress.connect(lambda text, fraction: self.progress.setValue(int(fraction * 100)))
        self.job.finished.connect(lambda result: self._on_built(agreement_id, result, then))
        self.job.failed.connect(self._on_build_failed)
        self.job.cancelled.connect(self._on_build_failed)
        self._update_actions()
        return self.job

    def _on_built(self, agreement_id: uuid.UUID, result: object, then: Any) -> None:
        self.progress.setVisible(False)
        data, version, warning = cast(tuple[bytes, int, str], result)  # what _build's job returns
        if self.doc is None or self.doc.id != agreement_id:
            self._update_actions()
            return  # the clerk moved on to another cluster meanwhile
        pages = self.preview.load(data)
        self.built_version = version
        self.tabs.setCurrentIndex(TAB_PREVIEW)
        self.status.setText(f"预览：第 {version} 版，{pages} 页。")
        self._update_actions()
        if warning:  # a name the fonts cannot print: said before the print or save goes ahead
            messages.warn(self, "协议书中有无法打印的字", warning)
        if then is not None:
            then()

    def _on_build_failed(self, message: str = "") -> None:
        self.progress.setVisible(False)
        self.status.setText("排版失败" if message else "已取消")
        self._update_actions()
        if message:
            messages.error(self, "生成协议书", message)

    def _preview_is_current(self) -> bool:
        return (self.doc is not None and not self.is_dirty() and self.preview.page_count > 0
                and self.built_version == self.doc.version)

    def print_agreement(self) -> None:
        """Print through the system's print dialog; a print records the printed version."""
        if not self._preview_is_current():
            self.build_preview(then=self.print_agreement)
            return
        if self.preview.print_with_dialog(self):
            self._record_printing("已打印")

    def print_to(self, printer: QPrinter) -> None:
        """Print the current preview onto ``printer`` without a dialog and record the print."""
        if not self._preview_is_current():
            raise RuntimeError("no current preview to print")
        self.preview.render_to(printer)
        self._record_printing("已打印")

    def save_pdf(self) -> None:
        """Save the PDF through a file dialog; a saved PDF counts as printed (it is what is signed)."""
        if not self._preview_is_current():
            self.build_preview(then=self.save_pdf)
            return
        assert self.doc is not None
        path = messages.save_file(self, "保存协议 PDF", "PDF 文件 (*.pdf)",
                                  f"{self.doc.title}（第{self.built_version}版）.pdf")
        if path is None:
            return
        try:
            path.write_bytes(self.preview.pdf_bytes)
        except OSError as exc:
            messages.error(self, "保存协议 PDF", f"无法写入 {path}：{exc.strerror}")
            return
        self._record_printing(f"已保存到 {path}")

    def _record_printing(self, done: str) -> None:
        assert self.doc is not None and self.built_version is not None
        try:
            version = ag.record_printing(self.context.store, self.doc.id, expected_version=self.built_version)
        except StoreError as exc:
            self._failed("记录打印版本", exc)
            self.preview.clear()
            self.built_version = None
            self._load(self.cluster_id)
            return
        self._after_write(f"{done}；已记录打印版本：第 {version} 版。")

    # ---- scans ------------------------------------------------------------------------

    def add_scan(self) -> None:
        if self.doc is None:
            return
        path = messages.open_file(self, "选择签字盖章后的扫描件", SCAN_FILTERS)
        if path is None:
            return
        try:
            data = path.read_bytes()
        except OSError as exc:
            messages.error(self, "添加扫描件", f"无法读取 {path}：{exc.strerror}")
            return
        try:
            ag.attach_scan(self.context.store, self.doc.id, path.name, data)
        except StoreError as exc:
            self._failed("添加扫描件", exc)
            return
        self._keep_editing_reload(f"已添加扫描件“{path.name}”。")
        self.scans.selectRow(self.scans_model.rowCount() - 1)
        self._update_actions()

    def _chosen_scan(self) -> ag.Scan | None:
        index = self.scans.currentIndex()
        if index.isValid():
            return self.scans_model.row_at(index.row())
        rows = self.scans_model.rows()
        return rows[0] if len(rows) == 1 else None

    def open_scan(self) -> Path | None:
        """Write the chosen scan to a temporary file and open it with the system viewer."""
        scan = self._chosen_scan()
        if scan is None:
            return None
        filename, data = ag.scan_bytes(self.context.store, scan.id)
        target = Path(tempfile.mkdtemp(prefix="edubridge-scan-")) / Path(filename).name
        target.write_bytes(data)
        if not messages.headless:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
        return target

    def export_scan(self) -> Path | None:
        """Save the chosen scan where the clerk says; returns the path written."""
        scan = self._chosen_scan()
        if scan is None:
            return None
        filename, data = ag.scan_bytes(self.context.store, scan.id)
        path = messages.save_file(self, "导出扫描件", "", filename)
        if path is None:
            return None
        try:
            path.write_bytes(data)
        except OSError as exc:
            messages.error(self, "导出扫描件", f"无法写入 {path}：{exc.strerror}")
            return None
        self.status.setText(f"扫描件已导出到 {path}")
        return path

