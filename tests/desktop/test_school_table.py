"""学校: the SQL list (db.school_queries), the plain table model, and the page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from PySide6.QtCore import QPoint, Qt

from db.school_queries import SchoolRow, school_rows
from desktop.models.school_table import (
    COL_AVG_CLASS,
    COL_CLUSTER,
    COL_CODE,
    COL_NAME,
    COL_STUDENTS,
    COL_WEAK,
    HEADERS,
    OBJECT_ROLE,
    SORT_ROLE,
    SchoolTableModel,
)

TODAY = dt.date(2025, 11, 3)


def _row(n: int, **changes: object) -> SchoolRow:
    row = SchoolRow(key=uuid.uuid4(), code=f"{n:010d}", name=f"第{n}小学", stage="小学", location="乡村",
                    run_by="县属", students=100 + n, classes=4, avg_class_size=(100 + n) / 4, is_weak=False,
                    cluster=None)
    return row._replace(**changes)


# ---- the model, without widgets --------------------------------------------------------

def test_model_headers_are_chinese_and_in_order():
    model = SchoolTableModel()
    assert model.columnCount() == 10
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(10)] == list(HEADERS)
    assert HEADERS[COL_CODE] == "学校代码" and HEADERS[COL_CLUSTER] == "所属集团"


def test_model_display_sort_and_object_roles():
    model = SchoolTableModel()
    weak = _row(1, is_weak=True, classes=0, avg_class_size=None, cluster="甲集团")
    plain = _row(2)
    model.set_rows([weak, plain])
    assert model.rowCount() == 2
    index = model.index(0, COL_STUDENTS)
    assert index.data() == "101"
    assert index.data(SORT_ROLE) == 101  # native int, not text
    assert model.index(0, COL_AVG_CLASS).data() == "—"
    assert model.index(0, COL_AVG_CLASS).data(SORT_ROLE) is None
    assert model.index(1, COL_AVG_CLASS).data() == "25.5"
    assert model.index(0, COL_WEAK).data() == "是" and model.index(1, COL_WEAK).data() == ""
    assert model.index(0, COL_WEAK).data(SORT_ROLE) is True
    assert model.index(1, COL_CLUSTER).data() == "（未加入）"
    assert model.index(1, COL_NAME).data(OBJECT_ROLE) is plain
    assert model.index(0, COL_STUDENTS).data(Qt.ItemDataRole.TextAlignmentRole) is not None
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_set_rows_resets_the_model(qtbot):
    model = SchoolTableModel()
    model.set_rows([_row(n) for n in range(5)])
    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset]):
        model.set_rows([_row(9)])
    assert model.rowCount() == 1 and model.row_at(0).code == "0000000009"


def test_model_passes_qtmodeltester(qtmodeltester):
    model = SchoolTableModel()
    model.set_rows([_row(n, is_weak=n % 3 == 0, cluster="乙" if n % 2 else None) for n in range(30)])
    qtmodeltester.check(model)


def test_empty_model_passes_qtmodeltester(qtmodeltester):
    qtmodeltester.check(SchoolTableModel())


def test_model_holds_fifty_thousand_rows():
    model = SchoolTableModel()
    model.set_rows([_row(n) for n in range(50_000)])
    assert model.rowCount() == 50_000
    assert model.index(49_999, COL_CODE).data() == "0000049999"


# ---- the SQL list ------------------------------------------------------------------------

def test_search_matches_name_or_code_substring(small_store):
    assert [r.name for r in school_rows(small_store, "乡村小学", today=TODAY)] == ["乡村小学甲", "乡村小学乙"]
    assert [r.name for r in school_rows(small_store, "4000006", today=TODAY)] == ["教学点一"]
    assert len(school_rows(small_store, "  ", today=TODAY)) == 7


@pytest.mark.parametrize("text", ["%", "_", "\\"])
def test_search_treats_wildcards_as_plain_characters(small_store, text):
    assert school_rows(small_store, text, today=TODAY) == []


def test_sort_by_students_both_ways(small_store):
    up = [r.students for r in school_rows(small_store, sort="students", today=TODAY)]
    down = [r.students for r in school_rows(small_store, sort="students", descending=True, today=TODAY)]
    assert up == sorted(up) and down == sorted(up, reverse=True)
    assert up[0] == 12


def test_schools_without_classes_come_last_either_way(small_store):
    for descending in (False, True):
        rows = school_rows(small_store, sort="avg_class_size", descending=descending, today=TODAY)
        assert rows[-1].name == "教学点二" and rows[-1].avg_class_size is None


def test_cluster_column_shows_the_current_cluster_only(small_store):
    rows = {r.name: r for r in school_rows(small_store, today=TODAY)}
    assert rows["乡村小学甲"].cluster == "测试教育集团A"
    assert rows["乡村小学乙"].cluster is None  # left in 2024
    assert rows["教学点二"].cluster is None
    earlier = {r.name: r for r in school_rows(small_store, today=dt.date(2023, 1, 1))}
    assert earlier["乡村小学乙"].cluster == "测试教育集团A"


def test_unknown_sort_key_is_refused(small_store):
    with pytest.raises(ValueError, match="unknown sort key"):
        school_rows(small_store, sort="students; DROP TABLE school")


# ---- the page --------------------------------------------------------------------------------

@pytest.fixture
def schools_page(gui, qtbot, small_store):
    from desktop.context import AppContext
    from desktop.pages.schools import SchoolsPage

    page = SchoolsPage(AppContext.for_store(small_store))
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    page.refresh()
    return page


def test_page_lists_every_school(schools_page):
    assert schools_page.model.rowCount() == 7
    assert schools_page.count_label.text() == "共 7 所"


def _type_chinese(widget, text: str) -> None:
    """What a Chinese input method does: commit the composed text in one event.

    (QTest.keyClicks can only type ASCII; it aborts on other characters.)
    """
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def test_typing_a_code_in_the_search_box_filters_the_table(schools_page, qtbot):
    qtbot.keyClicks(schools_page.search, "400000")
    qtbot.waitUntil(lambda: schools_page.count_label.text() == "找到 7 所", timeout=2000)
    qtbot.keyClicks(schools_page.search, "6")
    qtbot.waitUntil(lambda: schools_page.model.rowCount() == 1, timeout=2000)
    assert schools_page.model.row_at(0).name == "教学点一"
    assert schools_page.count_label.text() == "找到 1 所"


def test_typing_chinese_in_the_search_box_filters_the_table(schools_page, qtbot):
    schools_page.search.setFocus()
    _type_chinese(schools_page.search, "教学点")
    assert schools_page.search.text() == "教学点"
    qtbot.waitUntil(lambda: schools_page.model.rowCount() == 2, timeout=2000)
    names = {schools_page.model.row_at(r).name for r in range(2)}
    assert names == {"教学点一", "教学点二"}
    assert schools_page.count_label.text() == "找到 2 所"
    schools_page.search.clear()
    qtbot.waitUntil(lambda: schools_page.model.rowCount() == 7, timeout=2000)


def test_search_with_no_match_shows_an_empty_table(schools_page, qtbot):
    qtbot.keyClicks(schools_page.search, "zzz")
    qtbot.waitUntil(lambda: schools_page.model.rowCount() == 0, timeout=2000)
    assert schools_page.count_label.text() == "找到 0 所"


def test_clicking_the_students_header_sorts_in_sql(schools_page, qtbot):
    header = schools_page.view.horizontalHeader()
    x = header.sectionViewportPosition(COL_STUDENTS) + header.sectionSize(COL_STUDENTS) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert header.sortIndicatorSection() == COL_STUDENTS
    first = [schools_page.model.row_at(r).students for r in range(7)]
    assert first in (sorted(first), sorted(first, reverse=True))
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    second = [schools_page.model.row_at(r).students for r in range(7)]
    assert second == list(reversed(first))


def test_sort_keeps_the_search(schools_page, qtbot):
    _type_chinese(schools_page.search, "小学")
    qtbot.waitUntil(lambda: schools_page.model.rowCount() == 3, timeout=2000)
    schools_page.view.horizontalHeader().setSortIndicator(COL_STUDENTS, Qt.SortOrder.DescendingOrder)
    assert [schools_page.model.row_at(r).students for r in range(3)] == [1800, 300, 150]


def test_a_search_typed_before_leaving_the_page_runs_when_it_is_shown_again(schools_page, qtbot):
    schools_page.search.setText("教学点")  # typing starts the short wait before the query
    assert schools_page._timer.isActive()
    schools_page.hide()  # left for another page, or the window closed: no query on a hidden page
    assert not schools_page._timer.isActive()
    schools_page.show()
    schools_page.refresh()  # what the main window does on showing a page
    assert schools_page.model.rowCount() == 2 and schools_page.count_label.text() == "找到 2 所"
