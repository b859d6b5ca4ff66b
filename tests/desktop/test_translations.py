"""Qt's own dialogs, buttons and calendar speak Simplified Chinese (issue 16, item 1)."""

from __future__ import annotations

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QCalendarWidget, QDialogButtonBox, QFileDialog, QMessageBox


def test_standard_buttons_are_chinese(gui, qtbot):
    box = QMessageBox(QMessageBox.Icon.Question, "批准", "确定批准？",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    texts = {box.button(b).text() for b in (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No)}
    assert texts == {"是(&Y)", "否(&N)"}
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"


def test_file_dialog_speaks_chinese(gui, qtbot):
    dialog = QFileDialog(None, "导出", "", "Excel 文件 (*.xlsx)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    qtbot.addWidget(dialog)
    assert dialog.labelText(QFileDialog.DialogLabel.FileName) == "文件名称(&N)："
    assert dialog.labelText(QFileDialog.DialogLabel.Accept) == "保存(&S)"


def test_calendar_and_numbers_follow_the_chinese_locale(gui, qtbot):
    calendar = QCalendarWidget()
    qtbot.addWidget(calendar)
    calendar.setSelectedDate(QDate(2026, 12, 4))
    assert calendar.locale().monthName(12) == "十二月"
    assert calendar.locale().dayName(1, QLocale.FormatType.ShortFormat) == "周一"
    assert QLocale().toString(12452) == "12,452"
