"""报告 page: pick a document and its parameters, build it off the GUI thread, preview, print, save.

The PDF is built into memory by ``reports.documents`` in a worker (``desktop.worker``),
shown and printed by the shared :class:`desktop.pdf_preview.PdfPreview`, and saved through
``desktop.messages.save_file``. No business rule here.
"""

from __future__ import annotations

import io
from typing import Any

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import messages
from desktop.context import AppContext
from desktop.pages.base import Page
from desktop.pdf_preview import PdfPreview
from desktop.widgets import SchoolYearSpinBox
from desktop.worker import Job, run_in_background
from policy.calendar import Semester
from policy.progress import Progress
from reports.document_kinds import (
    CLUSTER,
    DOCUMENT_KINDS,
    SEMESTER,
    SOME_CLUSTER,
    YEAR,
    DocumentKind,
    DocumentRequest,
)

ALL_CLUSTERS = "（全部集团(学区)）"  # no 全县: a city database covers several counties


class ReportsPage(Page):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.job: Job | None = None
        self.text_dialog: Any = None
        #: (agreement id, version) of the agreement in the preview; None for other documents
        #: and for a template draft (not stored: printing it records nothing).
        self.built_agreement: tuple[Any, int] | None = None
        self.built_warning = ""
        self.kind = QComboBox()
        for document in DOCUMENT_KINDS.values():
            self.kind.addItem(document.label, document.key)
        self.year = SchoolYearSpinBox()
        self.semester = QComboBox()
        self.semester.addItem("第一学期", 1)
        self.semester.addItem("第二学期", 2)
        self.cluster = QComboBox()
        self.build_button = QPushButton("生成")
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setToolTip("停止生成（不会留下半成品）")
        self.cancel_button.setEnabled(False)
        self.text_button = QPushButton("编辑报告文字…")
        self.text_button.setToolTip("撰写或修改主要成效、存在问题、整改建议（工作计划）等文字，按学年（及集团）保存")
        self.print_button = QPushButton("打印…")
        self.save_button = QPushButton("保存…")
        self.viewer_button = QPushButton("用系统阅读器打开")
        self.viewer_button.setToolTip("交给系统的 PDF 阅读器查看和打印（矢量打印，适合页数很多的文件）")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel("选择文档后点击“生成”。")
        self.status.setWordWrap(True)
        self.preview = PdfPreview(self)
        self.document = self.preview.document

        form = QFormLayout()
        form.addRow("文档", self.kind)
        form.addRow("学年", self.year)
        form.addRow("学期", self.semester)
        form.addRow("集团(学区)", self.cluster)
        making, output = QHBoxLayout(), QHBoxLayout()
        for row, group in ((making, (self.build_button, self.cancel_button)),
                           (output, (self.print_button, self.save_button, self.viewer_button))):
            for button in group:
                row.addWidget(button)
            row.addStretch(1)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(making)
        text_row = QHBoxLayout()
        text_row.addWidget(self.text_button)
        text_row.addStretch(1)
        side.addLayout(text_row)
        side.addWidget(self.progress)
        side.addLayout(output)
        side.addWidget(self.status)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 1)
        layout.addWidget(self.preview, 3)

        self.kind.currentIndexChanged.connect(self._update_fields)
        self.build_button.clicked.connect(self.build)
        self.cancel_button.clicked.connect(self.cancel)
        self.text_button.clicked.connect(self.edit_text)
        self.print_button.clicked.connect(self.print_document)
        self.save_button.clicked.connect(self.save)
        self.viewer_button.clicked.connect(lambda: self.preview.open_in_viewer(self.kind.currentText()))
        self._update_fields()

    def refresh(self) -> None:
        from db.clusters import load

        current = self.cluster.currentText()
        self.cluster.clear()
        self.cluster.addItem(ALL_CLUSTERS)
        for name in sorted(c.name for c in load(self.context.store).clusters):
            self.cluster.addItem(name)
        index = self.cluster.findText(current)
        self.cluster.setCurrentIndex(max(0, index))
        self._update_fields()

    @property
    def pdf_bytes(self) -> bytes:
        return self.preview.pdf_bytes

    @property
    def chosen(self) -> DocumentKind:
        """The chosen kind of document."""
        return DOCUMENT_KINDS[self.kind.currentData()]

    def _update_fields(self) -> None:
        reads = self.chosen.reads
        self.year.setEnabled(bool(reads & {YEAR, SEMESTER}))
        self.semester.setEnabled(SEMESTER in reads)
        self.cluster.setEnabled(bool(reads & {CLUSTER, SOME_CLUSTER}))
        self.text_button.setEnabled(self.chosen.text_document is not None and not self._busy())
        has = bool(self.pdf_bytes)
        self.print_button.setToolTip("" if has else "请先点“生成”，生成文档后才能打印")
        self.print_button.setEnabled(has)
        self.save_button.setEnabled(has)
        self.viewer_button.setEnabled(has)

    def parameters(self) -> dict[str, Any]:
        cluster = self.cluster.currentText()
        return {"kind": self.kind.currentData(), "year": self.year.value(),
                "semester": Semester(self.year.value(), self.semester.currentData()),
                "cluster": None if cluster in ("", ALL_CLUSTERS) else cluster}

    def build(self) -> None:
        params = self.parameters()
        document = self.chosen
        if CLUSTER in document.reads and not params["cluster"]:
            messages.warn(self, f"生成{document.label}", "请先选择一个集团(学区)/教共体。")
            return
        store = self.context.store
        # A preview: never stores an agreement (a cluster without one gets a template draft).
        request = DocumentRequest(year=params["year"], cluster=params["cluster"], semester=params["semester"],
                                  preview=True)

        def work(progress: Progress) -> tuple[bytes, Any]:
            buffer = io.BytesIO()
            built = document.run(store, request, buffer, progress)
            return buffer.getvalue(), built

        self.built_agreement = None
        self.built_warning = ""
        self.progress.setValue(0)
        self.status.setText("正在生成…")
        self.job = run_in_background(work)
        self._set_busy(True)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_built)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)

    def _busy(self) -> bool:
        return self.job is not None and not self.job.is_done

    def _set_busy(self, busy: bool) -> None:
        self.build_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.text_button.setEnabled(not busy and self.chosen.text_document is not None)

    def cancel(self) -> None:
        """Stop the document being built at its next progress step; nothing is shown or recorded."""
        if self.job is not None and not self.job.is_done:
            self.job.cancel()

    def _on_cancelled(self) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.setText("已取消生成。")

    def _on_progress(self, message: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self.status.setText(message)

    def _on_built(self, result: object) -> None:
        assert isinstance(result, tuple)
        data, built = result
        assert isinstance(data, bytes)
        self.preview.load(data)
        self.progress.setValue(100)
        extra = built.extra
        self.built_agreement = ((extra["agreement_id"], extra["version"])
                                if extra.get("agreement_id") and not extra.get("draft") else None)
        self.built_warning = built.warning
        text = f"已生成：{self.document.pageCount()} 页，{len(data) / 1024:.0f} KB"
        self.status.setText(f"{text}\n{built.warning}" if built.warning else text)
        self._set_busy(False)
        self._update_fields()
        if extra.get("unprintable"):  # the preview is shown; nothing is printed or saved yet
            messages.warn(self, "文档中有无法打印的字", built.warning)

    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self.status.setText("生成失败")
        messages.error(self, "生成文档", message)

    # ------------------------------------------------------------------ report text
    def edit_text(self) -> None:
        """Open the text editor of the chosen report; the draft is computed off the GUI thread."""
        params = self.parameters()
        kind, year, cluster = params["kind"], params["year"], params["cluster"]
        if CLUSTER in self.chosen.reads and not cluster:
            messages.warn(self, "编辑报告文字", "请先选择一个集团(学区)/教共体。")
            return
        store = self.context.store

        def work(progress: Progress) -> tuple[Any, ...]:
            from db.annual import UnknownCluster, annual_data
            from db.report_texts import load_text
            from db.settings import active_profile
            from reports.output import ReportError

            progress("统计数据，生成草稿…", 0.1)
            if kind == "annual":
                from reports.annual_conclusions import draft_conclusions

                try:
                    data = annual_data(store, active_profile(store), year, cluster)
                except UnknownCluster as exc:
                    raise ReportError(str(exc)) from None
                draft = draft_conclusions(data)
            else:
                from reports.work_report import work_report_parts

                data, _activities, draft = work_report_parts(store, cluster, year)
            progress("读取已保存的文字", 0.9)
            cluster_id = data.clusters[0].id if cluster and data.clusters else None
            return cluster_id, draft, load_text(store, DOCUMENT_KINDS[kind].text_document or "", year,
                                                cluster_id)

        self.progress.setValue(0)
        self.status.setText("正在准备报告文字…")
        self.job = run_in_background(work)
        self._set_busy(True)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(lambda result: self._open_text_editor(kind, year, cluster, result))
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)

    def _open_text_editor(self, kind: str, year: int, cluster: str | None, result: object) -> None:
        from db.report_texts import DOCUMENT_LABELS, DOCUMENTS, save_text
        from desktop.pages.report_text_dialog import ReportTextDialog
        from policy.calendar import school_year_label

        self._set_busy(False)
        self.progress.setValue(100)
        assert isinstance(result, tuple)
        cluster_id, draft, stored = result
        document = DOCUMENT_KINDS[kind].text_document or ""
        version = [stored.version if stored is not None else None]

        def save(sections: dict[str, list[str]]) -> None:
            version[0] = save_text(self.context.store, document, year, cluster_id, sections,
                                   expected_version=version[0])

        title = f"{school_year_label(year)}{DOCUMENT_LABELS[document]}文字——{cluster or '全部集团(学区)'}"
        self.text_dialog = ReportTextDialog(title, DOCUMENTS[document], draft,
                                            stored.sections if stored is not None else None, save, self)
        self.text_dialog.finished.connect(self._text_dialog_closed)
        self.status.setText("请在弹出的窗口中编辑报告文字。")
        self.text_dialog.open()

    def _text_dialog_closed(self, _result: int) -> None:
        dialog = self.text_dialog
        self.status.setText("报告文字已保存；重新生成后打印的报告使用新文字。" if dialog.saved else "未修改报告文字。")

    def save(self) -> None:
        if not self.pdf_bytes:
            return
        label = self.kind.currentText()
        path = messages.save_file(self, "保存 PDF", "PDF 文件 (*.pdf)", f"{label}.pdf")
        if path is None:
            return
        try:
            path.write_bytes(self.pdf_bytes)
        except OSError as exc:
            messages.error(self, "保存 PDF", f"无法写入 {path}：{exc.strerror}")
            return
        if self.parameters()["kind"] == "agreement":
            self._record_agreement_print()
        self.status.setText(f"已保存到 {path}")

    def print_document(self) -> None:
        if not self.preview.print_with_dialog(self):
            return
        if self.parameters()["kind"] == "agreement":
            self._record_agreement_print()

    def render_to(self, printer: QPrinter) -> None:
        """Paint every page onto ``printer`` at its resolution."""
        self.preview.render_to(printer)

    def _record_agreement_print(self) -> None:
        """Record the version in the preview as printed; a template draft records nothing."""
        import uuid

        from db import agreements

        if self.built_agreement is None:
            if self.built_warning:
                self.status.setText(f"未登记打印：{self.built_warning}")
            return
        agreement_id, version = self.built_agreement
        try:
            agreements.record_printing(self.context.store, uuid.UUID(str(agreement_id)), expected_version=version)
        except agreements.AgreementError as exc:
            messages.warn(self, "登记打印", str(exc))
