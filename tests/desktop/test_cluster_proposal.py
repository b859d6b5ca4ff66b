"""组建建议 on the clusters page (issue 18): solved in the background, the status, gap and rule
check shown, one school accepted, then the rest; the page shows the new cluster."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from db import clusters as cl
from db.store import Store
from desktop.context import AppContext
from desktop.pages.cluster_proposal import ProposalDialog
from desktop.pages.clusters import ClustersPage

sys.path.insert(0, str(Path(__file__).parent.parent))
from scenario_world import build  # noqa: E402

ON = dt.date(2027, 9, 1)


@pytest.fixture
def store(gui, tmp_path: Path, db_path: Path):
    build(tmp_path, str(db_path))
    opened = Store.open(str(db_path))
    yield opened
    opened.dispose()


def test_propose_then_accept_one_school_and_then_all(store, qtbot, qtmodeltester):
    from test_table_models import check_model

    dialog = ProposalDialog(AppContext.for_store(store), ON)
    qtbot.addWidget(dialog)
    dialog.limit.setValue(20)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
    assert "已证明最优" in dialog.status.text() and "符合全部集团组建规则" in dialog.status.text()
    assert dialog.clusters_model.rowCount() == 1 and dialog.changes_model.rowCount() == 3
    check_model(dialog.clusters_model, qtmodeltester)
    check_model(dialog.changes_model, qtmodeltester)
    row = next(r for r in range(3) if dialog.changes_model.row_at(r)["school"] == "R02")
    dialog.changes_view.selectionModel().select(
        dialog.changes_model.index(row, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.mouseClick(dialog.accept_selected, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
    records = cl.load(store, ON)
    codes = {s.id: s.code for s in records.schools}
    assert {codes[m.school_id] for m in records.memberships if m.active_on(ON)} == {"U01", "R02"}
    qtbot.mouseClick(dialog.accept_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
    records = cl.load(store, ON)
    assert {codes[m.school_id] for m in records.memberships if m.active_on(ON)} == {"U01", "R01", "R02"}


def test_the_page_opens_the_proposal_and_rereads_what_was_accepted(store, qtbot):
    page = ClustersPage(AppContext.for_store(store))
    qtbot.addWidget(page)
    page.view_date.set_value(ON)
    page.refresh()

    def run(dialog) -> bool:  # noqa: ANN001
        dialog.limit.setValue(20)
        dialog.run()
        qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
        dialog.apply(selected=False)
        qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
        return True

    page.exec_dialog = run
    page.open_proposal()
    assert [(s.cluster.name, s.schools) for s in page.summaries] == [("城关小学共建型教共体", 3)]
