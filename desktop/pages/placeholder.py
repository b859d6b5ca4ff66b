"""Shown in place of a page whose module is not written yet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.context import AppContext


class PlaceholderPage(QWidget):
    """Says plainly that this part of EduBridge is not built yet."""

    def __init__(self, context: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.title = title
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = heading.font()
        font.setPointSize(font.pointSize() + 6)
        font.setBold(True)
        heading.setFont(font)
        body = QLabel(f"“{title}”功能尚未完成，其它团队正在开发。\n完成后将在此处显示，届时无需另行安装。")
        body.setObjectName("placeholderText")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(heading)
        layout.addSpacing(12)
        layout.addWidget(body)
        layout.addStretch(2)

    def refresh(self) -> None:
        """Nothing to re-read."""
