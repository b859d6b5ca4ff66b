"""Long messages scroll, can be searched, copied and saved; exports offer to open the file."""

from __future__ import annotations

from openpyxl import load_workbook
from PySide6.QtGui import QGuiApplication

from desktop import messages

PROBLEMS = [f"第 {row} 行，“身份证号”列：校验位不对（应为 X）" for row in range(3, 43)]


def test_problem_list_fits_the_screen_and_filters(gui, qtbot):
    dialog = messages.ProblemList(None, "无法导入教师名册", "教师.xlsx：40 处错误，未写入任何数据", PROBLEMS)
    qtbot.addWidget(dialog)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert dialog.height() <= screen.height() and dialog.width() <= screen.width()
    assert dialog.list.count() == 40 and dialog.count.text() == "共 40 条"
    dialog.search.setText("第 12 行")
    visible = [dialog.list.item(r).text() for r in range(dialog.list.count()) if not dialog.list.item(r).isHidden()]
    assert visible == [PROBLEMS[9]] and dialog.count.text() == "共 40 条，显示 1 条"


def test_problem_list_copies_and_saves_every_line(gui, qtbot, tmp_path):
    dialog = messages.ProblemList(None, "无法导入", "40 处错误", PROBLEMS)
    qtbot.addWidget(dialog)
    dialog.search.setText("第 12 行")  # a filter does not shorten what is copied or saved
    dialog.copy_all()
    assert QGuiApplication.clipboard().text().splitlines()[1:] == PROBLEMS
    saved = dialog.save_xlsx(tmp_path / "问题.xlsx")
    sheet = load_workbook(saved)["问题清单"]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == PROBLEMS


def test_a_long_error_opens_the_list_instead_of_a_message_box(gui, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(messages, "headless", False)
    monkeypatch.setattr(messages.ProblemList, "exec", lambda self: shown.append(self) or 0)
    messages.error(None, "无法导入", "\n".join(["40 处错误", *PROBLEMS]))
    assert len(shown) == 1 and shown[0].list.count() == 40
    qtbot.addWidget(shown[0])
