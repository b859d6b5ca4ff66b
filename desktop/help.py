"""The user guide (F1): a first-day walkthrough shipped with the program, read offline."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from resources import resource_path

GUIDE = resource_path("help", "guide.html")


class GuideDialog(QDialog):
    """The guide in a window of its own, beside the main window, not blocking it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("EduBridge 使用指南")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(GUIDE.read_text(encoding="utf-8"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(820, int(screen.width() * 0.7)), min(700, int(screen.height() * 0.85)))
