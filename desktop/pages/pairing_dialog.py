"""修改结对: correct a registered pairing's type, dates or notes (帮扶活动 → 结对登记).

The write is :func:`db.visits.update_pairing` (one audited write, refused when someone else
changed the pairing since the list was read). A refusal keeps the dialog open with
everything typed, the reason under the form and the field it concerns marked.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from db import visits as dv
from db.engine import StoreError
from db.store import Store
from desktop.form_dialog import ERROR_STYLE, FormDialog
from desktop.widgets import DateEdit
from policy import vocab


class PairingDialog(FormDialog):
    """The fields of one pairing; 保存 writes them, a refusal is shown in the dialog."""

    def __init__(self, store: Store, pairing: dv.PairingView, parent: QWidget | None = None) -> None:
        super().__init__("修改结对", "", parent, ok_text="保存", width=460)
        self.store, self.pairing = store, pairing
        form = self.form
        who = QLabel(f"{pairing.supporter or '—'} → {pairing.target or '—'}")
        who.setWordWrap(True)
        self.kind = QComboBox()
        self.kind.addItems(vocab.PAIRING_KINDS)
        self.kind.setCurrentText(pairing.kind)
        self.start = DateEdit(pairing.start)
        self.ended = QCheckBox("已结束，最后一天：")
        self.ended.setChecked(pairing.end is not None)
        self.end = DateEdit(pairing.end or pairing.start)
        self.end.setEnabled(pairing.end is not None)
        self.ended.toggled.connect(self.end.setEnabled)
        end_row = QHBoxLayout()
        end_row.addWidget(self.ended)
        end_row.addWidget(self.end, 1)
        self.notes = QLineEdit(pairing.notes)
        form.addRow("帮扶方 → 受援方", who)
        form.addRow("结对类型", self.kind)
        form.addRow("开始日期", self.start)
        form.addRow("结束", end_row)
        form.addRow("备注", self.notes)
        self.note("修改记入审计日志（改前、改后、何人何时）；结束的结对保留在列表中，以后的活动不再计入。")

    def save(self) -> bool:
        """Write the fields; True and accepted when saved, else the reason shown and input kept."""
        return self.submit()

    def attempt(self) -> None:
        start, end = self.start.value(), self.end.value() if self.ended.isChecked() else None
        for widget in (self.start, self.end, self.kind):
            widget.setStyleSheet("")
        try:
            dv.update_pairing(self.store, self.pairing.id, kind=self.kind.currentText(), start=start, end=end,
                              notes=self.notes.text(), expected=self.pairing.row_version)
        except StoreError as exc:  # VisitError, StaleRecord, PermissionDenied: nothing written
            if end is not None and end < start:
                self.end.setStyleSheet(ERROR_STYLE)
            elif "包片包抓" in str(exc):
                self.kind.setStyleSheet(ERROR_STYLE)
            raise
