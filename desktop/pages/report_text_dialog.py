"""The clerk writes a report's text sections (结论, 成效, 问题, 计划) before printing.

Each section opens with what is stored, else with the draft made from the figures. Saving
stores only the sections that differ from the draft (an untouched draft keeps following
the data) through :func:`db.report_texts.save_text`; a failed save says why and keeps the
dialog open with every word typed, and closing with unsaved changes asks first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import StoreError
from db.report_texts import paragraphs
from desktop import messages

#: Stores the sections and returns nothing; raises StoreError with a Chinese message.
Saver = Callable[[dict[str, list[str]]], None]


class ReportTextDialog(QDialog):
    def __init__(self, title: str, sections: Sequence[str], draft: Mapping[str, Sequence[str]],
                 stored: Mapping[str, Sequence[str]] | None, save: Saver, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 620)
        self.draft = {key: list(draft.get(key, [])) for key in sections}
        self._save = save
        self.saved = False
        self.edits: dict[str, QPlainTextEdit] = {}
        layout = QVBoxLayout(self)
        hint = QLabel("每行一段；留空或与草稿相同的部分按数据生成。保存后，生成的报告使用这里的文字。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        form = QFormLayout()
        for key in sections:
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setPlainText("\n".join((stored or {}).get(key) or self.draft[key]))
            self.edits[key] = edit
            form.addRow(key, edit)
        layout.addLayout(form, 1)
        self._loaded = self.texts()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.redraft_button = QPushButton("全部恢复为草稿")
        self.buttons.addButton(self.redraft_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.redraft_button.clicked.connect(self.redraft)
        layout.addWidget(self.buttons)

    def texts(self) -> dict[str, list[str]]:
        return {key: paragraphs(edit.toPlainText()) for key, edit in self.edits.items()}

    def changed(self) -> bool:
        return self.texts() != self._loaded

    def redraft(self) -> None:
        for key, edit in self.edits.items():
            edit.setPlainText("\n".join(self.draft[key]))

    def to_store(self) -> dict[str, list[str]]:
        """The sections that differ from the draft (the rest keep following the figures)."""
        return {key: text for key, text in self.texts().items() if text and text != self.draft[key]}

    def save(self) -> None:
        try:
            self._save(self.to_store())
        except StoreError as exc:
            messages.error(self, "保存失败", f"{exc}\n\n输入的文字仍在窗口中，未丢失。")
            return
        self.saved = True
        self._loaded = self.texts()
        self.accept()

    def reject(self) -> None:
        """Cancel, Esc and the window's close button (QDialog.closeEvent calls this) all ask first."""
        if self.changed() and not messages.ask(self, "放弃修改", "文字已修改但尚未保存，确定放弃这些修改吗？"):
            return
        super().reject()
