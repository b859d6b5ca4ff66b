"""审计日志: who changed what, when, from what to what — filter, check the chain, export.

Filters (person, table, record, dates) run in SQL; the newest 5,000 matching entries are
shown and the count of all matches is named. 核对完整性 re-hashes the whole chain off the
GUI thread and names the first entry that was changed outside EduBridge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db import audit
from desktop import messages
from desktop.context import AppContext
from desktop.models.record_table import Col, RecordTableModel
from desktop.pages.base import Page
from desktop.widgets import DateEdit, fit_columns, setup_table

ALL = "（全部）"
LIMIT = 5000


def _who(actor: str) -> str:
    """The 人员 shown (imported late: openpyxl is behind reports.audit_log)."""
    from reports.audit_log import actor_text

    return actor_text(actor)


class AuditModel(RecordTableModel):
    """Entries (a batch's records one by one); changes named in Chinese (``reports.audit_log``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Names of the schools, teachers … the shown changes refer to, by id.
        self.names: dict[str, str] = {}
        self.set_columns((
            Col("序号", lambda e: e.id, numeric=True),
            Col("时间（UTC）", lambda e: e.at, text=lambda at: at.strftime("%Y-%m-%d %H:%M:%S")),
            Col("人员", lambda e: _who(e.actor)),
            Col("操作", lambda e: e.action_label),
            Col("数据表", lambda e: e.entity_label),
            Col("记录", lambda e: e.entity_id or ""),
            Col("修改前", lambda e: self.changes(e, e.before)),
            Col("修改后", lambda e: self.changes(e, e.after)),
            Col("说明", lambda e: e.note or ""),
        ))

    def tooltip(self, record: audit.Shown) -> str:
        before, after = self.changes(record, record.before), self.changes(record, record.after)
        return "\n".join(part for part in (f"修改前：{before}" if before else "", f"修改后：{after}" if after else "")
                         if part)

    def changes(self, entry: audit.Shown, values: Any) -> str:
        from reports.audit_log import values_text

        return values_text(values, entry.entity, self.names)


class AuditPage(Page):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.store = context.store
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.actor = QComboBox()
        self.actor.setObjectName("auditActor")
        self.entity = QComboBox()
        self.entity.setObjectName("auditEntity")
        self.record = QLineEdit()
        self.record.setObjectName("auditRecord")
        self.record.setPlaceholderText("记录编号")
        self.use_dates = QCheckBox("日期")
        self.until = DateEdit(dt.date.today())
        self.since = DateEdit()
        self.since.setDate(self.until.date().addMonths(-1))
        search = QPushButton("查询")
        search.setObjectName("auditSearch")
        search.clicked.connect(self.refresh_rows)
        for label, widget in (("人员", self.actor), ("数据表", self.entity), ("记录", self.record)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.since)
        filters.addWidget(QLabel("至"))
        filters.addWidget(self.until)
        filters.addWidget(search)
        filters.addStretch(1)
        layout.addLayout(filters)
        actions = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("auditSummary")
        self.verify_button = QPushButton("核对完整性")
        self.verify_button.setObjectName("auditVerify")
        self.verify_button.clicked.connect(self.verify)
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.setObjectName("auditExport")
        self.export_button.clicked.connect(self.export)
        actions.addWidget(self.summary, 1)
        actions.addWidget(self.verify_button)
        actions.addWidget(self.export_button)
        layout.addLayout(actions)
        self.model = AuditModel(self)
        self.view = setup_table(QTableView())
        self.view.setObjectName("auditTable")
        self.view.setModel(self.model)
        layout.addWidget(self.view, 1)
        self.entries: list[audit.Shown] = []

    def refresh(self) -> None:
        actors, entities = audit.facets(self.store.engine)
        for combo, values in ((self.actor, actors), (self.entity, entities)):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ALL, None)
            for value in values:
                combo.addItem(audit.TABLE_LABELS.get(value, value) if combo is self.entity else _who(value), value)
            found = combo.findData(current) if current is not None else -1
            combo.setCurrentIndex(max(found, 0))
            combo.blockSignals(False)
        self.refresh_rows()

    def criteria(self) -> dict[str, Any]:
        pick = {
            "actor": self.actor.currentData(),
            "entity": self.entity.currentData(),
            "entity_id": self.record.text().strip() or None,
        }
        if self.use_dates.isChecked():
            pick["since"] = self.since.value()
            pick["until"] = self.until.value()
        return pick

    def describe(self) -> str:
        labels = {"actor": "人员", "entity": "数据表", "entity_id": "记录", "since": "自", "until": "至"}
        parts = [f"{labels[k]} {audit.TABLE_LABELS.get(v, v) if k == 'entity' else v}"
                 for k, v in self.criteria().items() if v]
        return "，".join(parts) or "全部"

    def refresh_rows(self) -> None:
        self.entries, total = audit.search(self.store.engine, limit=LIMIT, **self.criteria())
        self.model.names = audit.referenced_names(self.store.engine, self.entries)
        self.model.set_rows(self.entries)
        fit_columns(self.view, stretch=7)
        shown = f"显示最新的 {len(self.entries)} 条" if total > len(self.entries) else f"共 {total} 条"
        months = self.context.profile.value("audit.retention_months")
        clause = self.context.profile.clause("audit.retention_months")
        self.summary.setText(f"符合条件的审计记录 {total} 条（{shown}）；审计记录至少保存 {months} 个月，"
                             "软件不提供删除")
        self.summary.setToolTip(clause)

    def verify(self) -> None:
        from desktop.worker import run_in_background

        self.verify_button.setEnabled(False)
        job = run_in_background(lambda _report: audit.verify(self.store.engine))

        def done(verdict: audit.Verdict) -> None:
            self.verify_button.setEnabled(True)
            if verdict.ok:
                messages.info(self, "审计日志完整", verdict.message())
            else:
                messages.warn(self, "审计日志被改动", verdict.message())

        def failed(message: str) -> None:
            self.verify_button.setEnabled(True)
            messages.error(self, "无法核对审计日志", message)

        job.finished.connect(done)
        job.failed.connect(failed)
        self._job = job

    def export(self) -> None:
        from reports.audit_log import write_audit

        path = messages.save_file(self, "导出审计日志", "Excel 工作簿 (*.xlsx)", "审计日志.xlsx")
        if path is None:
            return
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        try:
            write_audit(path, self.entries, self.describe(), self.model.names)
        except OSError as exc:
            messages.error(self, "无法导出", f"无法写入 {path}：{exc.strerror or exc}")
            return
        messages.info(self, "已导出", f"已导出 {len(self.entries)} 条审计记录：{path}")
