"""New-user trial fixes: demo marker, first-run size, column widths, headers, empty states, 设置 display."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QByteArray, QModelIndex, Qt
from PySide6.QtWidgets import QTableView

from desktop import messages
from desktop.context import AppContext
from desktop.main_window import GEOMETRY_KEY, MainWindow
from desktop.pages import PAGES

# Completion popups on the visits page: offscreen platform notes, not our warnings.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")


def _text_width(view: QTableView, text: str) -> int:
    return view.fontMetrics().horizontalAdvance(text)


def _header_width(view: QTableView, column: int) -> int:
    title = view.model().headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
    return view.horizontalHeader().fontMetrics().horizontalAdvance(str(title))


def _headers(view: QTableView) -> list[str]:
    model = view.model()
    return [model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
            for c in range(model.columnCount())]


def _assert_headers_show(view: QTableView) -> None:
    """Every column has a Chinese header, and its column is at least as wide as that header."""
    for column, title in enumerate(_headers(view)):
        assert title and any("\u4e00" <= ch <= "\u9fff" for ch in title), (column, title)
        assert view.columnWidth(column) >= _header_width(view, column), (title, view.columnWidth(column))


def _window(store, window_settings, qtbot) -> MainWindow:
    win = MainWindow(AppContext.for_store(store), settings=window_settings)
    qtbot.addWidget(win)
    return win


# ---- shared helpers ---------------------------------------------------------------------------


def test_fit_columns_keeps_numbers_whole_caps_texts_and_elided_cells_have_a_tooltip(gui, qtbot):
    from desktop.models.record_table import Col, RecordTableModel
    from desktop.widgets import TEXT_COLUMN_MAX, elided_tooltip, fit_columns, setup_table

    class Model(RecordTableModel):
        COLUMNS = (Col("名称", lambda r: r[0]), Col("在校学生数", lambda r: r[1], numeric=True))

    long_name = "青岚市外国语学校第七分校协作型教共体" * 3
    model = Model()
    model.set_rows([("短名", 12), (long_name, 123456789012345)])
    view = setup_table(QTableView())
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    widths = fit_columns(view)
    assert widths[0] == TEXT_COLUMN_MAX == view.columnWidth(0)
    assert view.columnWidth(1) >= _text_width(view, "123456789012345")
    assert elided_tooltip(view, model.index(1, 0)) == long_name
    assert elided_tooltip(view, model.index(0, 0)) is None  # fits: no tooltip
    assert elided_tooltip(view, QModelIndex()) is None


# ---- 1. empty databases, the demo marker ----------------------------------------------------------


def test_every_page_of_an_empty_database_opens_with_a_hint_and_no_error(gui, qtbot, store, window_settings):
    from desktop.pages.overview import EMPTY_TEXT

    win = _window(store, window_settings, qtbot)
    win.show()
    for spec in PAGES:
        win.show_page(spec.key)
    assert [m for m in messages.log if m.kind == "error"] == []
    assert win.page_errors == {}
    overview = win.pages["overview"]
    assert not overview.empty_hint.isHidden() and overview.scroll_area.isHidden()
    assert "尚无学校数据" in EMPTY_TEXT and "edubridge import schools" in EMPTY_TEXT
    schools = win.pages["schools"]
    assert schools.stack.showing_hint() and "edubridge import schools" in schools.stack.hint.text()
    assert win.pages["clusters"].cluster_stack.showing_hint()
    assert win.pages["teachers"].roster_stack.showing_hint()
    assert win.pages["visits"].recent_stack.showing_hint()
    assert win.pages["agreements"].table_stack.showing_hint()
    assert not win.demo_label.isVisibleTo(win)


def test_overview_hides_the_hint_once_there_are_schools(gui, qtbot, small_store, window_settings):
    win = _window(small_store, window_settings, qtbot)
    win.show()
    page = win.show_page("overview")
    assert not page.empty_hint.isVisible() and page.scroll_area.isVisible()


def test_schools_search_without_result_says_so(gui, qtbot, small_store, window_settings):
    win = _window(small_store, window_settings, qtbot)
    win.show()
    page = win.show_page("schools")
    assert not page.stack.showing_hint()
    page.search.setText("没有这所学校")
    page._requery()
    assert page.stack.showing_hint() and "没有这所学校" in page.stack.hint.text()


def test_status_bar_marks_demo_data(gui, qtbot, demo_store, window_settings):
    win = _window(demo_store, window_settings, qtbot)
    win.show()
    assert win.demo_label.isVisible()
    assert win.demo_label.text().startswith("演示数据")


def test_schools_page_imports_a_school_list_after_preview(gui, qtbot, store, window_settings, tmp_path, monkeypatch):
    from openpyxl import Workbook

    from desktop.app import store_is_empty

    win = _window(store, window_settings, qtbot)
    win.show()
    page = win.show_page("schools")
    assert page.stack.showing_hint()
    path = tmp_path / "schools.xlsx"
    book = Workbook()
    for row in (["学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "占地面积", "薄弱学校", "所属县区"],
                ["R01", "望洪小学", "小学", "乡村", "县属", 300, 10, "", "否", "永宁县"],
                ["T01", "杨和中学", "初中", "镇区", "县属", 900, 20, "", "否", "永宁县"]):
        book.active.append(row)
    book.save(path)
    monkeypatch.setattr(messages, "headless_path", path)
    shown = []
    page.exec_dialog = lambda dialog: shown.append(dialog) or True
    page.import_schools()
    qtbot.waitUntil(lambda: not store_is_empty(store), timeout=10000)
    qtbot.waitUntil(lambda: not page.stack.showing_hint(), timeout=5000)
    assert len(shown) == 1 and page.model.rowCount() == 2
    assert [m.title for m in messages.log if m.kind == "info"] == ["导入完成"]


# ---- 2. first-run size, column widths -----------------------------------------------------------


def test_first_run_opens_maximized_and_a_saved_geometry_is_kept(gui, qtbot, small_store, window_settings):
    win = _window(small_store, window_settings, qtbot)
    assert win.first_run
    win.show_first()
    qtbot.waitUntil(win.isMaximized)
    win.showNormal()
    win.resize(900, 600)
    win.save_settings()
    assert not window_settings.value(GEOMETRY_KEY, QByteArray()).isEmpty()
    again = _window(small_store, window_settings, qtbot)
    assert not again.first_run
    again.show_first()
    assert not again.isMaximized()


def test_clusters_member_numbers_are_whole_and_widths_are_set_once(gui, qtbot, demo_store, window_settings):
    win = _window(demo_store, window_settings, qtbot)
    win.resize(1366, 728)
    win.show()
    page = win.show_page("clusters")
    members = page.member_table
    students = [c.header for c in page.member_model.COLUMNS].index("在校学生数")
    widest = max(str(line.school.students) for line in page.member_model.rows())
    assert members.columnWidth(students) >= _text_width(members, widest) + 8
    for table in (page.cluster_table, page.member_table, page.loose_table, page.violation_table):
        _assert_headers_show(table)
    # The clerk's own width survives a refresh (columns are fitted once, not on every re-check).
    page.cluster_table.setColumnWidth(0, 123)
    page.refresh()
    assert page.cluster_table.columnWidth(0) == 123


def test_clusters_page_puts_unclustered_schools_in_a_tab_when_narrow_and_a_pane_when_wide(
        gui, qtbot, demo_store, window_settings):
    win = _window(demo_store, window_settings, qtbot)
    win.resize(1366, 728)
    win.show()
    page = win.show_page("clusters")
    assert page.wide is False and page.member_tabs.indexOf(page.loose_pane) == 1
    assert page.member_tabs.tabText(1) == f"未加入集团的学校（{page.loose_model.rowCount()}）"
    win.resize(1920, 1040)
    qtbot.waitUntil(lambda: page.wide is True)
    assert page.member_tabs.indexOf(page.loose_pane) == -1 and page.top_split.indexOf(page.loose_pane) == 2


def test_teachers_status_column_fits_and_the_detail_pane_says_what_to_do(gui, qtbot, demo_store):
    from desktop.pages.teachers import DETAIL_HINT, RosterModel, TeachersPage

    page = TeachersPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.resize(1230, 680)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.eligibility is not None, timeout=20000)
    assert DETAIL_HINT in page.detail.toPlainText()
    _assert_headers_show(page.table)
    assert page.table.columnWidth(RosterModel.COL_STATUS) >= _text_width(page.table, "符合交流条件（12年）")
    page.table.selectRow(0)
    name = page.roster.index(0, RosterModel.COL_NAME).data()
    assert name in page.detail.toPlainText() and DETAIL_HINT not in page.detail.toPlainText()
    page.search.setText("检索不到的名字")
    page.requery()
    assert page.roster_stack.showing_hint() and DETAIL_HINT in page.detail.toPlainText()


# ---- 3. headers of the 帮扶活动 tables ------------------------------------------------------------


def test_every_visits_table_has_chinese_headers_that_show(gui, qtbot, demo_store, window_settings):
    win = _window(demo_store, window_settings, qtbot)
    win.resize(1366, 728)
    win.show()
    page = win.show_page("visits")
    assert page.recent_model.rowCount() > 0
    _assert_headers_show(page.recent_view)
    visitors = _headers(page.recent_view).index("来访人员")
    assert page.recent_view.columnWidth(visitors) <= 300  # long visitor lists elide, the header stays in view
    with qtbot.waitSignal(page.dashboard_ready, timeout=30000):
        page.tabs.setCurrentIndex(1)
    for view in (page.cluster_view, page.quota_view, page.todo_view):
        _assert_headers_show(view)
    assert "应去" in _headers(page.todo_view)
    behind = _headers(page.cluster_view).index("未达标")
    assert page.cluster_view.columnWidth(behind) >= _header_width(page.cluster_view, behind)
    # the per-cluster box is wide enough for all its columns: nothing hides behind a scroll bar
    needed = sum(page.cluster_view.columnWidth(c) for c in range(page.cluster_model.columnCount()))
    assert page.cluster_view.viewport().width() >= needed - 2
    for index in (2, 3):
        page.tabs.setCurrentIndex(index)
    for view in (page.pairing_view, page.summary_view):
        for column, title in enumerate(_headers(view)):
            assert title, column


# ---- 5. 设置: percentages and coded values -------------------------------------------------------


@pytest.fixture
def settings_page(gui, qtbot, small_store, window_settings):
    win = _window(small_store, window_settings, qtbot)
    win.show()
    return win.show_page("settings")


def _row(model, figure_id: str) -> int:
    return next(r for r in range(model.rowCount()) if model.figure_at(r).id == figure_id)


def test_settings_show_shares_as_percent_and_codes_in_chinese(settings_page):
    from desktop.pages.settings import COL_UNIT, COL_VALUE

    model = settings_page.model
    assert model.index(_row(model, "exchange.min_share"), COL_VALUE).data() == "10%"
    assert model.index(_row(model, "exchange.backbone_share"), COL_VALUE).data() == "20%"
    assert model.index(_row(model, "coverage.rural_in_cluster"), COL_VALUE).data() == "100%"
    row = _row(model, "exchange.backbone_denominator")
    assert model.index(row, COL_VALUE).data() == "交流人数"
    assert model.index(row, COL_UNIT).data() == "交流人数 / 符合条件人数"
    shown = {model.index(r, COL_VALUE).data() for r in range(model.rowCount())}
    assert not shown & {"moved", "eligible", "moved|eligible", "0.1", "0.2"}


@pytest.mark.parametrize("typed", ["15%", "0.15", "15", "15 ％"])
def test_settings_accept_a_share_as_percent_or_fraction(settings_page, small_store, qtbot, typed):
    from db.settings import active_profile
    from desktop.pages.settings import COL_VALUE

    model = settings_page.model
    with qtbot.waitSignal(settings_page.context_changed):
        assert model.setData(model.index(_row(model, "exchange.min_share"), COL_VALUE), typed)
    assert active_profile(small_store).value("exchange.min_share") == pytest.approx(0.15)
    assert model.index(_row(model, "exchange.min_share"), COL_VALUE).data() == "15%"


def test_settings_reject_a_share_outside_0_to_100_percent(settings_page, small_store):
    from db.settings import active_profile
    from desktop.pages.settings import COL_VALUE

    model = settings_page.model
    for typed in ("150%", "很多", "-5%"):
        assert not model.setData(model.index(_row(model, "exchange.min_share"), COL_VALUE), typed)
    assert active_profile(small_store).value("exchange.min_share") == pytest.approx(0.10)
    warnings = [m.text for m in messages.log if m.kind == "warn"]
    assert len(warnings) == 3 and all("每年交流轮岗" in w or "比例" in w or "%" in w for w in warnings)


def test_settings_store_the_code_of_a_chinese_choice(settings_page, small_store, qtbot):
    from db.settings import active_profile
    from desktop.pages.settings import COL_VALUE, FigureDelegate

    model = settings_page.model
    index = model.index(_row(model, "exchange.backbone_denominator"), COL_VALUE)
    editor = FigureDelegate(model).createEditor(settings_page.view.viewport(), None, index)
    assert [editor.itemText(i) for i in range(editor.count())] == ["交流人数", "符合条件人数"]
    with qtbot.waitSignal(settings_page.context_changed):
        assert model.setData(index, "符合条件人数")
    assert active_profile(small_store).value("exchange.backbone_denominator") == "eligible"
    row = _row(model, "exchange.backbone_denominator")
    assert model.index(row, COL_VALUE).data() == "符合条件人数"
    assert not model.setData(model.index(row, COL_VALUE), "别的人数")


@pytest.mark.parametrize(("typed", "expected"), [
    ("2025-09-01", dt.date(2025, 9, 1)),  # Qt's own editor made this 2025-12-09
    ("20250901", dt.date(2025, 9, 1)),
    ("2025-9-1", dt.date(2025, 9, 1)),
    ("2025-1-15", dt.date(2025, 1, 15)),
    ("2025/10/3", dt.date(2025, 10, 3)),
])
def test_a_date_is_typed_in_one_go_and_tab_leaves_the_field(gui, qtbot, typed, expected):
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from desktop.widgets import DateEdit

    host = QWidget()
    qtbot.addWidget(host)
    edit, after = DateEdit(dt.date(2026, 12, 4)), QLineEdit()
    layout = QVBoxLayout(host)
    layout.addWidget(edit)
    layout.addWidget(after)
    host.show()
    host.activateWindow()
    qtbot.waitActive(host)
    edit.setFocus()
    edit.setSelectedSection(DateEdit.Section.YearSection)
    qtbot.keyClicks(edit, typed)
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.value() == expected and host.focusWidget() is after
