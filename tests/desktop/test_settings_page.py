"""设置: choosing the active profile and adjusting its figures, stored with the data."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from db.settings import active_profile
from desktop import messages
from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.pages.settings import (
    COL_CLAUSE,
    COL_LABEL,
    COL_UNIT,
    COL_VALUE,
    HEADERS,
    ProfileFigureModel,
)
from policy.profile import available_profiles, load_profile


@pytest.fixture
def window(gui, qtbot, small_store, window_settings):
    win = MainWindow(AppContext.for_store(small_store), settings=window_settings)
    qtbot.addWidget(win)
    win.show()
    win.start("settings")
    return win


@pytest.fixture
def page(window):
    return window.pages["settings"]


def _row_of(model, figure_id: str) -> int:
    return next(r for r in range(model.rowCount()) if model.figure_at(r).id == figure_id)


def test_table_lists_every_figure_with_its_clause(page):
    profile = load_profile("default")
    model = page.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == list(HEADERS)
    assert list(HEADERS) == ["指标", "取值", "单位", "依据条款"]
    assert model.rowCount() == len(profile.figures)
    row = _row_of(model, "cluster.max_schools")
    assert model.index(row, COL_LABEL).data() == "一个集团(学区)覆盖学校数上限"
    assert model.index(row, COL_VALUE).data() == "6"
    assert model.index(row, COL_UNIT).data() == "所"
    assert model.index(row, COL_CLAUSE).data() == "银川2023方案 二(一)1"
    assert model.index(_row_of(model, "coverage.include_town"), COL_VALUE).data() == "否"


def test_combo_offers_every_profile(page):
    names = [page.combo.itemText(i) for i in range(page.combo.count())]
    assert names == list(available_profiles().values())
    assert page.combo.currentData() == "default"


def test_picking_a_profile_stores_it_and_updates_the_status_bar(window, page, small_store, qtbot):
    profiles = available_profiles()
    other = next(pid for pid in profiles if pid != "default")
    index = page.combo.findData(other)
    with qtbot.waitSignal(page.context_changed):
        page.combo.activated.emit(index)
    assert active_profile(small_store).id == other
    assert window.context.profile.id == other
    assert window.profile_label.text() == f"政策方案：{profiles[other]}"
    assert page.model.rowCount() == len(load_profile(other).figures)


def test_editing_a_value_stores_an_override(window, page, small_store, qtbot):
    model = page.model
    row = _row_of(model, "cluster.max_schools")
    with qtbot.waitSignal(page.context_changed):
        assert model.setData(model.index(row, COL_VALUE), "8")
    stored = active_profile(small_store)
    assert stored.id == "default" and stored.value("cluster.max_schools") == 8
    assert window.context.profile.value("cluster.max_schools") == 8
    row = _row_of(model, "cluster.max_schools")
    assert model.index(row, COL_VALUE).data() == "8"
    assert "方案原值：6" in model.index(row, COL_VALUE).data(Qt.ItemDataRole.ToolTipRole)
    assert page.reset_button.isEnabled()


def test_editing_through_the_view_editor(page, small_store, qtbot):
    from PySide6.QtWidgets import QLineEdit

    model = page.model
    index = model.index(_row_of(model, "exchange.eligible_years"), COL_VALUE)
    page.view.setCurrentIndex(index)
    page.view.edit(index)
    editor = page.view.findChild(QLineEdit)
    assert editor is not None
    editor.setText("10")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: active_profile(small_store).value("exchange.eligible_years") == 10, timeout=2000)


def test_a_yes_no_figure_accepts_only_yes_or_no(page, small_store):
    model = page.model
    row = _row_of(model, "coverage.include_town")
    assert not model.setData(model.index(row, COL_VALUE), "也许")
    assert messages.log[-1].kind == "warn" and "是" in messages.log[-1].text
    assert model.setData(model.index(row, COL_VALUE), "是")
    assert active_profile(small_store).value("coverage.include_town") is True


def test_a_bad_number_is_refused_and_nothing_is_stored(page, small_store):
    model = page.model
    row = _row_of(model, "cluster.max_students")
    assert not model.setData(model.index(row, COL_VALUE), "一万二")
    assert messages.log[-1].kind == "warn"
    assert active_profile(small_store).value("cluster.max_students") == 12000


def test_reset_drops_every_override(page, small_store, qtbot):
    model = page.model
    model.setData(model.index(_row_of(model, "cluster.max_schools"), COL_VALUE), "8")
    qtbot.waitUntil(page.reset_button.isEnabled, timeout=2000)
    page.reset_button.click()  # headless ask() answers yes
    assert active_profile(small_store).value("cluster.max_schools") == 6
    assert not page.reset_button.isEnabled()


def test_switching_profile_clears_the_overrides(page, small_store, qtbot):
    model = page.model
    model.setData(model.index(_row_of(model, "cluster.max_schools"), COL_VALUE), "8")
    qtbot.waitUntil(page.reset_button.isEnabled, timeout=2000)
    other = next(pid for pid in available_profiles() if pid != "default")
    page.select_profile(other)
    page.select_profile("default")
    assert active_profile(small_store).value("cluster.max_schools") == 6


def test_figure_model_passes_qtmodeltester(qtmodeltester):
    model = ProfileFigureModel()
    model.set_profile(load_profile("default"))
    qtmodeltester.check(model)
