"""The main window: sidebar, lazy pages and placeholders, shortcuts, status bar, geometry, About."""

from __future__ import annotations

import importlib.util

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel

from desktop import messages
from desktop.context import AppContext
from desktop.main_window import WINDOW_TITLE, MainWindow
from desktop.pages import PAGES, PageSpec
from desktop.pages.placeholder import PlaceholderPage
from policy.version import __version__

TITLES = ["概览", "学校", "集团与教共体", "教师与交流", "县域地图", "帮扶活动", "协议", "报告", "审计日志", "设置"]


@pytest.fixture
def window(gui, qtbot, small_store, window_settings):
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.start()
    return win


def test_window_opens_on_the_overview_with_the_chinese_title(window):
    assert window.windowTitle() == WINDOW_TITLE == "EduBridge 城乡教共体管理"
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == TITLES
    assert window.current_key() == "overview"
    assert window.stack.currentWidget() is window.pages["overview"]


def test_pages_are_built_only_when_first_shown(window):
    assert set(window.pages) == {"overview"}
    window.show_page("settings")
    assert set(window.pages) == {"overview", "settings"}


def test_registry_names_every_page_module():
    assert [spec.title for spec in PAGES] == TITLES
    assert {spec.target for spec in PAGES} >= {
        "desktop.pages.clusters:ClustersPage", "desktop.pages.teachers:TeachersPage",
        "desktop.pages.visits:VisitsPage", "desktop.pages.reports:ReportsPage",
        "desktop.pages.agreements:AgreementsPage",
    }


@pytest.mark.parametrize("spec", PAGES, ids=[spec.key for spec in PAGES])
def test_every_page_shows(window, spec):
    page = window.show_page(spec.key)
    QApplication.processEvents()
    assert window.stack.currentWidget() is page
    assert page.isVisible()
    assert spec.key not in window.page_errors
    assert not [m for m in messages.log if m.kind == "error"]
    if importlib.util.find_spec(spec.module) is None:
        assert isinstance(page, PlaceholderPage)
        text = page.findChild(QLabel, "placeholderText").text()
        assert "尚未完成" in text and "其它团队正在开发" in text
    else:
        assert not isinstance(page, PlaceholderPage)


def test_clicking_the_sidebar_switches_pages(window, qtbot):
    item = window.sidebar.item(1)
    rect = window.sidebar.visualItemRect(item)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_key() == "schools"
    assert window.stack.currentWidget() is window.pages["schools"]
    assert window.pages["schools"].model.rowCount() == 7  # refreshed when shown


@pytest.mark.parametrize("number", range(1, 9))
def test_ctrl_number_switches_to_that_page(window, qtbot, number):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == PAGES[number - 1].key
    assert window.sidebar.currentRow() == number - 1


def test_refresh_runs_every_time_a_page_is_shown(window, small_store):
    page = window.show_page("schools")
    assert page.model.rowCount() == 7
    with small_store.write("test") as session:
        from db import models

        session.add(models.School(code="9999999999", name="新建学校", stage="小学", location="城区",
                                  region_id=_region_id(session)))
    window.show_page("overview")
    window.show_page("schools")
    assert page.model.rowCount() == 8


def _region_id(session):
    from sqlalchemy import select

    from db import models

    return session.scalar(select(models.Region.id))


def test_status_bar_shows_the_data_file_and_the_profile(window, small_store):
    assert window.location_label.text() == f"数据文件：{small_store.location}"
    assert small_store.location.endswith("test.db")
    assert window.profile_label.text() == f"政策方案：{window.context.profile.name}"
    assert "默认方案" in window.profile_label.text()


def test_about_dialog_names_the_version(window):
    window.about_action.trigger()
    about = [m for m in messages.log if m.kind == "about"]
    assert len(about) == 1
    assert about[0].title == "关于 EduBridge"
    assert f"版本 {__version__}" in about[0].text


def test_menus_are_chinese(window):
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["文件(&F)", "视图(&V)", "账户(&A)", "帮助(&H)"]


def test_geometry_and_page_are_remembered(gui, qtbot, small_store, window_settings):
    context = AppContext.for_store(small_store)
    first = MainWindow(context, settings=window_settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.start()
    first.resize(QSize(700, 500))
    first.move(QPoint(40, 30))
    first.show_page("settings")
    QApplication.processEvents()
    first.close()

    second = MainWindow(context, settings=window_settings)
    qtbot.addWidget(second)
    assert second.size() == QSize(700, 500)
    second.show()
    second.start()
    assert second.current_key() == "settings"


def test_first_window_without_saved_settings_is_a_sensible_size(gui, qtbot, small_store, window_settings):
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    available = QApplication.primaryScreen().availableGeometry().size()
    assert win.size() == QSize(min(1280, int(available.width() * 0.9)), min(800, int(available.height() * 0.9)))
    assert win.initial_key == "overview"


def test_a_page_that_raises_becomes_an_error_placeholder(gui, qtbot, small_store, window_settings, monkeypatch,
                                                         tmp_path):
    module = tmp_path / "broken_page_for_test.py"
    module.write_text("class BrokenPage:\n    def __init__(self, context, parent=None):\n"
                      "        raise RuntimeError('数据库查询失败')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    pages = (*PAGES[:1], PageSpec("broken", "坏页面", "broken_page_for_test:BrokenPage"))
    monkeypatch.setattr("desktop.main_window.PAGES", pages)
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    page = win.show_page("broken")
    assert isinstance(page, PlaceholderPage)
    assert "数据库查询失败" in page.findChild(QLabel, "placeholderText").text()
    assert "数据库查询失败" in win.page_errors["broken"]
    assert [m.title for m in messages.log if m.kind == "error"] == ["页面无法打开"]


def test_a_module_with_a_missing_import_is_an_error_not_a_placeholder(gui, qtbot, small_store, window_settings,
                                                                      monkeypatch, tmp_path):
    (tmp_path / "half_built_page.py").write_text("import no_such_dependency_xyz\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    pages = (PageSpec("half", "半成品", "half_built_page:HalfPage"),)
    monkeypatch.setattr("desktop.main_window.PAGES", pages)
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    win.show_page("half")
    assert "no_such_dependency_xyz" in win.page_errors["half"]


def test_school_year_box_shows_the_year_as_clerks_write_it(qtbot):
    from desktop.widgets import SchoolYearSpinBox

    box = SchoolYearSpinBox()
    qtbot.addWidget(box)
    box.setValue(2025)
    assert box.text() == "2025—2026学年"
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "2027")
    assert box.value() == 2027


def test_an_overview_tile_opens_the_page_behind_its_figure(window, qtbot):
    from PySide6.QtCore import Qt

    overview = window.show_page("overview")
    qtbot.mouseClick(overview.tiles["coverage"], Qt.MouseButton.LeftButton)
    assert window.current_key() == "clusters"
    window.show_page("overview")
    qtbot.mouseClick(overview.tiles["visits"], Qt.MouseButton.LeftButton)
    assert window.current_key() == "visits"


def test_f1_opens_the_chinese_guide(window, qtbot):
    window.guide_action.trigger()
    guide = window._guide
    qtbot.waitExposed(guide)
    text = guide.browser.toPlainText()
    assert "从一个空白的县到打印出第一份协议" in text and "Ctrl+F" in text
    assert window.guide_action.shortcut().toString() == "F1"


def test_ctrl_f_goes_to_the_search_field_of_the_page(window, qtbot):
    schools = window.show_page("schools")
    schools.search.setText("东村")
    window.activateWindow()
    qtbot.waitActive(window)
    window.find_action.trigger()
    assert window.focusWidget() is schools.search and schools.search.selectedText() == "东村"
    window.show_page("overview")
    window.find_action.trigger()
    assert window.statusBar().currentMessage() == "这一页没有查找框"


def test_schools_page_exports_and_saves_the_blank_template(window, qtbot, tmp_path):
    from openpyxl import load_workbook

    schools = window.show_page("schools")
    names = set(schools.excel.actions_by_name)
    assert {"导入学校名单", "导出学校名单", "保存空白模板：学校名单"} <= names
    schools.excel.export_kind("schools", tmp_path / "学校.xlsx")
    qtbot.waitUntil(lambda: any(m.kind == "exported" for m in messages.log), timeout=20000)
    sheet = load_workbook(tmp_path / "学校.xlsx").worksheets[0]
    assert sheet.max_row - 1 >= schools.model.rowCount() > 0
    schools.excel.save_template("schools", tmp_path / "模板.xlsx")
    assert load_workbook(tmp_path / "模板.xlsx").worksheets[0].cell(1, 1).value
