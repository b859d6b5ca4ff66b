"""The plan tab's 方案比较 view (issue 18): two scenarios planned in the background from typed
names and settings, their figures side by side, the teachers whose outcome differs, one
approved (the other frozen), the comparison printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from db.scenarios import scenarios
from db.store import Store
from desktop import messages
from desktop.context import AppContext
from desktop.pages.scenarios import ScenariosPanel

sys.path.insert(0, str(Path(__file__).parent.parent))
from scenario_world import YEAR, build  # noqa: E402


@pytest.fixture
def panel(gui, qtbot, tmp_path: Path, db_path: Path):
    build(tmp_path, str(db_path))
    store = Store.open(str(db_path))
    widget = ScenariosPanel(AppContext.for_store(store))
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    widget.show()
    widget.year.setValue(YEAR)
    yield widget
    store.dispose()


def plan(panel: ScenariosPanel, qtbot, name: str, settings: str = "") -> None:
    panel.name.clear()
    panel.settings.clear()
    panel.name.setText(name)  # Chinese is typed through an input method, not key events
    qtbot.keyClicks(panel.settings, settings)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)


def test_two_scenarios_compared_approved_and_printed(panel, qtbot, tmp_path, monkeypatch):
    plan(panel, qtbot, "基准")
    plan(panel, qtbot, "近距离", "exchange.max_distance_km=5")
    model = panel.figures_model
    assert model.columnCount() == 3 and "近距离（草案）" in model.headerData(2, Qt.Orientation.Horizontal)
    moves_row = next(r for r in range(model.rowCount()) if model.index(r, 0).data().startswith("交流人数"))
    assert [model.index(moves_row, c).data() for c in (1, 2)] == ["4", "2"]
    panel.a.setCurrentText("基准")
    panel.b.setCurrentText("近距离")
    assert panel.diff_model.rowCount() == 2 and "2 人" in panel.diff_label.text()
    assert {r["b"] for r in panel.diff_model.rows()} == {"须交流未安排"}
    panel.a.setCurrentText("近距离")
    panel.b.setCurrentText("基准")  # the columns follow the choice
    assert {r["a"] for r in panel.diff_model.rows()} == {"须交流未安排"}
    monkeypatch.setattr(messages, "headless_path", tmp_path / "比较.pdf")
    panel.print_pdf()
    text = subprocess.run(["pdftotext", str(tmp_path / "比较.pdf"), "-"], capture_output=True, text=True).stdout
    assert "近距离" in text and "须交流未安排" in text and "四、方案“基准”的交流流向图" in text
    saved = {s.name: s.updated_at for s in scenarios(panel.context.store, YEAR)}
    qtbot.mouseClick(panel.rerun_button, Qt.MouseButton.LeftButton)  # 全部重新计算: both saved again
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    assert "已重新计算 2 个方案：基准、近距离" in panel.diff_label.text()
    assert all(s.updated_at > saved[s.name] for s in scenarios(panel.context.store, YEAR))
    panel.a.setCurrentText("近距离")
    qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    statuses = {s.name: s.status for s in scenarios(panel.context.store, YEAR)}
    assert statuses == {"近距离": "approved", "基准": "frozen"}
    assert "已冻结" in model.headerData(1, Qt.Orientation.Horizontal)
    assert not panel.approve_button.isEnabled() and not panel.delete_button.isEnabled()
    assert not panel.rerun_button.isEnabled()


def test_a_bad_setting_is_refused_before_any_work(panel, qtbot):
    plan(panel, qtbot, "错", "exchange.nothing=3")
    assert messages.log[-1].kind == "error" and "exchange.nothing" in messages.log[-1].text
    assert scenarios(panel.context.store, YEAR) == []


def test_a_pin_typed_in_the_panel_is_kept_with_the_scenario(panel, qtbot):
    from scenario_world import person

    qtbot.keyClicks(panel.pins, f"{person(5)}=R02")
    plan(panel, qtbot, "指定", "exchange.max_distance_km=5")
    [saved] = scenarios(panel.context.store, YEAR)
    assert saved.pins == {person(5): "R02"}
    assert {m["id_number"]: m["to"] for m in saved.result["moves"]}[person(5)] == "R02"  # the pin beats the limit
