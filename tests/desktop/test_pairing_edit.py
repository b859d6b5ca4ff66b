"""结对登记 → 修改所选结对…: dates, type and notes corrected through the audited write path."""

from __future__ import annotations

import datetime as dt

import pytest
import visit_world
from sqlalchemy import select

from db import visits as dv
from db.models import AuditEntry, Pairing
from db.versions import StaleRecord

TODAY = dt.date(2025, 11, 3)
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")


@pytest.fixture
def world(store):
    return visit_world.build(store)


@pytest.fixture
def page(gui, qtbot, store, world, tmp_path):
    widget = visit_world.visits_page(store, qtbot, tmp_path, TODAY)
    widget.tabs.setCurrentIndex(2)
    return widget


def test_a_pairing_is_corrected_in_the_dialog_and_audited(page, store):
    [before] = page.pairing_model.rows()
    page.pairing_view.selectRow(0)
    dialog = page.edit_selected_pairing()
    assert dialog.kind.currentText() == before.kind and dialog.start.value() == before.start
    dialog.start.set_value(dt.date(2025, 9, 1))
    dialog.ended.setChecked(True)
    dialog.end.set_value(dt.date(2026, 1, 31))
    dialog.notes.setText("  改为按学期结对  ")
    assert dialog.save()
    [after] = page.pairing_model.rows()  # the list re-read at once
    assert (after.start, after.end, after.notes) == (dt.date(2025, 9, 1), dt.date(2026, 1, 31), "改为按学期结对")
    with store.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "pairing")
                                .order_by(AuditEntry.id.desc())).first()
    assert entry.action == "update" and entry.note.startswith("修改结对")
    assert entry.before["end"] is None and entry.after["end"] == "2026-01-31"


def test_an_end_before_the_start_is_refused_in_the_dialog_keeping_the_input(page, store):
    [before] = page.pairing_model.rows()
    page.pairing_view.selectRow(0)
    dialog = page.edit_selected_pairing()
    dialog.ended.setChecked(True)
    dialog.end.set_value(before.start - dt.timedelta(days=1))
    dialog.notes.setText("备注留着")
    assert not dialog.save()
    assert dialog.isVisible() and "不能早于开始日期" in dialog.error.text()
    assert dialog.end.styleSheet() and dialog.notes.text() == "备注留着"
    with store.read() as session:
        assert session.scalars(select(Pairing)).one().end is None  # nothing written


def test_a_pairing_changed_elsewhere_is_refused_with_who(page, store):
    [view] = page.pairing_model.rows()
    dv.update_pairing(store, view.id, kind=view.kind, start=view.start, end=None, notes="别人改的",
                      expected=view.row_version)
    with pytest.raises(StaleRecord, match="请重新载入"):
        dv.update_pairing(store, view.id, kind=view.kind, start=view.start, end=None, notes="我改的",
                          expected=view.row_version)
    page.pairing_view.selectRow(0)
    dialog = page.edit_selected_pairing()
    page.refresh_pairings()  # the dialog still holds the old version
    dialog.pairing = view
    dialog.notes.setText("我改的")
    assert not dialog.save() and "请重新载入" in dialog.error.text()


def test_a_pairing_without_a_school_and_cluster_cannot_become_包片包抓(store, world):
    pairing_id = dv.add_pairing(store, "局领导联系薄弱学校", TODAY, supporter_name="马局长",
                                target_school_id=world.schools["RURAL01"])
    with pytest.raises(dv.VisitError, match="包片包抓"):
        dv.update_pairing(store, pairing_id, kind="包片包抓", start=TODAY, end=None, notes=None)
