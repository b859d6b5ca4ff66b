"""The small form dialog: fields, an error line, Chinese 确定/取消; 确定 runs ``attempt`` and keeps
the dialog open, everything typed kept, with the Chinese reason when it is refused.

The account screens, the new-database dialog and the pairing editor derive from
:class:`FormDialog`; :func:`error_label` and :func:`ok_cancel` are its two parts, for a dialog
that lays itself out differently (desktop.pages.clusters).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import StoreError

#: The style of a field whose value was refused (the reason is in the error line).
ERROR_STYLE = "border: 1px solid #b00020;"


def error_label() -> QLabel:
    """The red, hidden-until-needed line under a form that says why it was refused."""
    label = QLabel()
    label.setObjectName("formError")
    label.setStyleSheet("color: #b00020;")
    label.setWordWrap(True)
    label.hide()
    return label


def ok_cancel(ok_text: str = "确定") -> QDialogButtonBox:
    """确定 (or ``ok_text``) and 取消, in Chinese whatever Qt's translation says."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    return buttons


class FormDialog(QDialog):
    """A small form with an error line and 确定/取消; subclasses fill ``form`` and ``attempt``.

    ``note`` adds a grey line between the form and the error line.
    """

    def __init__(self, title: str, intro: str, parent: QWidget | None = None, *, ok_text: str = "确定",
                 width: int = 380) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(width)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.note_lines = QVBoxLayout()
        layout.addLayout(self.note_lines)
        self.error = error_label()
        layout.addWidget(self.error)
        self.buttons = ok_cancel(ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def line(self, label: str, name: str, secret: bool = False) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow(label, edit)
        return edit

    def note(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet("color: #666666;")
        self.note_lines.addWidget(label)
        return label

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def attempt(self) -> None:
        """Do what 确定 means; raise StoreError with the Chinese reason to keep the dialog open."""
        raise NotImplementedError

    def submit(self) -> bool:
        """确定: True and accepted when ``attempt`` went through, else the reason shown."""
        try:
            self.attempt()
        except StoreError as exc:
            self.show_error(str(exc))
            return False
        self.accept()
        return True
