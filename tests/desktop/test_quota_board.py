"""帮扶活动 → 指标看板: sortable headers, the cluster filter on both tables, export and print of
who is behind; Ctrl+P through the page's own print path."""

from __future__ import annotations

import datetime as dt

import pytest
import visit_world
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db import visits as dv
from desktop import messages
from desktop.context import AppContext

TODAY = dt.date(2025, 11, 3)
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")


@pytest.fixture
def world(store):
    built = visit_world.build(store)
    sc = built.schools
    dv.save_visit(store, dv.VisitDraft(dt.date(2025, 9, 10), sc["RURAL01"], "听评课",
                                       [dv.VisitorDraft("周老师", "骨干教师", sc["CITY01"])]))
    from db.models import Cluster, Membership, Pairing, Region

    with store.write("a second cluster") as s:  # 北村小学 alone in 北片学区, paired with 市一中
        region = s.query(Region).one()
        north = Cluster(name="北片学区", kind="学区", region_id=region.id, lead_school_id=sc["RURAL09"],
                        founded=dt.date(2020, 9, 1))
        s.add(north)
        s.flush()
        s.add(Membership(cluster_id=north.id, school_id=sc["RURAL09"], role="牵头校", joined=dt.date(2020, 9, 1)))
        s.add(Pairing(kind="包片包抓", supporter_school_id=sc["CITY01"], cluster_id=north.id,
                      start=dt.date(2023, 9, 1)))
    return built


@pytest.fixture
def page(gui, qtbot, store, world, tmp_path):
    widget = visit_world.visits_page(store, qtbot, tmp_path, TODAY, (1366, 700))
    with qtbot.waitSignal(widget.dashboard_ready, timeout=5000):
        widget.tabs.setCurrentIndex(1)
    return widget


def header_click(view, column: int) -> None:
    view.horizontalHeader().sectionClicked.emit(column)


def test_the_role_header_sorts_both_ways_and_survives_a_reload(page, qtbot):
    def roles():
        return [r.role for r in page.quota_model.rows()]
    header_click(page.quota_view, 2)
    assert roles() == sorted(roles()) and len(set(roles())) > 1
    assert page.quota_view.horizontalHeader().sortIndicatorSection() == 2
    header_click(page.quota_view, 2)
    assert roles() == sorted(roles(), reverse=True)
    with qtbot.waitSignal(page.dashboard_ready, timeout=5000):
        page.load_dashboard()
    assert roles() == sorted(roles(), reverse=True)  # the order is kept for new rows


def test_the_cluster_filter_filters_还需开展_and_can_be_cleared(page, world):
    all_todo = len(page.todo_model.rows())
    header_click(page.cluster_view, 0)
    header_click(page.cluster_view, 0)  # sorted by name, descending: rows no longer in load order
    names = [c.cluster for c in page.cluster_model.rows()]
    row = names.index("北片学区")
    page.cluster_view.clicked.emit(page.cluster_model.index(row, 0))
    cid = page.cluster_filter
    assert cid is not None and page.clear_filter_button.isEnabled()
    assert page.filter_label.text() == f"筛选：{names[row]}"
    assert page.cluster_view.selectionModel().selectedRows()[0].row() == row
    todo_whos = {item.who for item, _where in page.todo_model.rows()}
    quota_whos = {r.who for r in page.quota_model.rows() if not r.met}
    assert todo_whos <= quota_whos
    assert all(cid in r.clusters or (cid == "" and not r.clusters) for r in page.quota_model.rows())
    assert len(page.todo_model.rows()) < all_todo
    page.clear_filter_button.click()
    assert page.cluster_filter is None and len(page.todo_model.rows()) == all_todo
    assert not page.clear_filter_button.isEnabled() and page.filter_label.text() == ""


def test_who_is_behind_exports_to_a_print_ready_workbook(page, qtbot, tmp_path):
    path = tmp_path / "未达标.xlsx"
    job = page.export_behind(path)
    with qtbot.waitSignal(job.finished, timeout=10000):
        pass
    behind = [r for r in page.shown_rows() if not r.met]
    sheet = load_workbook(path).active
    statuses = [row[1] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert len(statuses) == len(behind) > 0 and "已达标" not in statuses
    assert "未达标与未开展" in str(sheet.cell(1, 1).value)
    assert sheet.print_title_rows and sheet.page_setup.orientation  # print-ready: repeated header, page set
    assert messages.log[-1].kind in ("exported", "info") and str(path) in messages.log[-1].text


def test_print_builds_the_pdf_through_the_report_printing_path(page, qtbot):
    job = page.print_behind()
    with qtbot.waitSignal(job.finished, timeout=10000):
        pass
    assert page.quota_pdf.page_count >= 1 and page.quota_pdf.pdf_bytes.startswith(b"%PDF")
    assert page.print_button.isEnabled()


def test_ctrl_p_follows_the_page_print_button(gui, qtbot, small_store, window_settings):
    from desktop.main_window import MainWindow

    window = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(window)
    window.show()
    window.start("schools")
    assert not window.print_action.isEnabled() and "没有可打印" in window.print_action.toolTip()
    reports = window.show_page("reports")
    assert not window.print_action.isEnabled() and "生成" in window.print_action.toolTip()
    reports.preview.load(_one_page_pdf())
    reports._update_fields()
    assert window.print_action.isEnabled()
    clicked = []
    reports.print_button.clicked.disconnect()
    reports.print_button.clicked.connect(lambda: clicked.append(True))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert clicked == [True]
    window.show_page("overview")
    assert not window.print_action.isEnabled()


def _one_page_pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer)
    drawing.drawString(72, 720, "1")
    drawing.save()
    return buffer.getvalue()
