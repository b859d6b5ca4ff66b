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

KINDS = (
    ("annual", "年度评价报告"),
    ("agreement", "教共体建设协议书"),
    ("notice", "交流轮岗人员名单公示"),
    ("letters", "教师交流轮岗通知书"),
    ("approval", "教师交流轮岗审批表"),
    ("register", "教师交流个人登记表"),
    ("pairings", "结对帮扶及包片包抓名单"),
    ("statistics", "集团(学区)基本情况统计表"),
)
ALL_CLUSTERS = "（全部集团(学区)）"  # no 全县: a city database covers several counties


class ReportsPage(Page):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.job: Job | None = None
        #: (agreement id, version) of the agreement in the preview; None for other documents
        #: and for a template draft (not stored: printing it records nothing).
        self.built_agreement: tuple[Any, int] | None = None
        self.built_warning = ""
        self.kind = QComboBox()
        for key, label in KINDS:
            self.kind.addItem(label, key)
        self.year = SchoolYearSpinBox()
        self.cluster = QComboBox()
        self.build_button = QPushButton("生成")
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
        form.addRow("集团(学区)", self.cluster)
        buttons = QHBoxLayout()
        for button in (self.build_button, self.print_button, self.save_button, self.viewer_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(buttons)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 1)
        layout.addWidget(self.preview, 3)

        self.kind.currentIndexChanged.connect(self._update_fields)
        self.build_button.clicked.connect(self.build)
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

    def _update_fields(self) -> None:
        key = self.kind.currentData()
        self.year.setEnabled(key in ("annual", "notice", "letters", "approval", "register"))
        self.cluster.setEnabled(key in ("annual", "agreement"))
        has = bool(self.pdf_bytes)
        self.print_button.setToolTip("" if has else "请先点“生成”，生成文档后才能打印")
        self.print_button.setEnabled(has)
        self.save_button.setEnabled(has)
        self.viewer_button.setEnabled(has)

    def parameters(self) -> dict[str, Any]:
        cluster = self.cluster.currentText()
        return {"kind": self.kind.currentData(), "year": self.year.value(),
                "cluster": None if cluster in ("", ALL_CLUSTERS) else cluster}

    def build(self) -> None:
        params = self.parameters()
        if params["kind"] == "agreement" and not params["cluster"]:
            messages.warn(self, "生成协议书", "请先选择一个集团(学区)/教共体。")
            return
        store = self.context.store

        def work(progress: Any) -> tuple[bytes, Any]:
            from reports import documents

            def report(percent: int, text: str) -> None:
                progress(text, percent / 100)

            buffer = io.BytesIO()
            kind = params["kind"]
            if kind == "annual":
                built = documents.annual_report(store, params["year"], buffer, cluster=params["cluster"],
                                                progress=report)
            elif kind == "agreement":
                # A preview: never stores an agreement (a cluster without one gets a template draft).
                built = documents.agreement(store, params["cluster"], buffer, record=False, progress=report,
                                            warn=None)
            elif kind == "notice":
                built = documents.exchange_notice(store, params["year"], buffer, progress=report)
            elif kind == "letters":
                built = documents.exchange_letters(store, params["year"], buffer, progress=report)
            elif kind in ("approval", "register"):
                from reports.exchange_forms import build_forms

                built = build_forms(store, params["year"], buffer, kind=kind, progress=report)
            elif kind == "pairings":
                import datetime as dt

                from reports.quota_report import build_pairings_pdf

                built = build_pairings_pdf(store, dt.date.today(), buffer)
            else:
                built = documents.statistics(store, buffer, progress=report)
            return buffer.getvalue(), built

        self.build_button.setEnabled(False)
        self.built_agreement = None
        self.built_warning = ""
        self.progress.setValue(0)
        self.status.setText("正在生成…")
        self.job = run_in_background(work)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_built)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(lambda: self.build_button.setEnabled(True))

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
        self.build_button.setEnabled(True)
        self._update_fields()

    def _on_failed(self, message: str) -> None:
        self.build_button.setEnabled(True)
        self.status.setText("生成失败")
        messages.error(self, "生成文档", message)

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
