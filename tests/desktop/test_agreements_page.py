"""协议 page: the demo's clusters with their agreement status; edit → new audited version;
preview off the GUI thread; print/save records the printed version; signing needs a print;
scans round-trip through the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import func, select

from db import agreements as ag
from db.models import Agreement, AuditEntry, Cluster
from desktop import messages
from desktop.context import AppContext
from desktop.models.agreement_tables import (
    COL_CLUSTER,
    COL_SCANS,
    COL_STATUS,
    OBJECT_ROLE,
    AgreementListModel,
    PartyTableModel,
    ScanTableModel,
)
from desktop.pages.agreements import AgreementsPage


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` key by key as key events carrying the text (keyClicks aborts on Chinese)."""
    widget.setFocus()
    for char in text:
        for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char))


@pytest.fixture
def page(qtbot, gui, demo_store):  # noqa: ANN001, ANN201
    widget = AgreementsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.refresh()
    return widget


def _row_without_agreement(page: AgreementsPage) -> int:
    return next(r for r, line in enumerate(page.model.rows()) if line.agreement is None)


def _with_agreement(page: AgreementsPage) -> ag.AgreementDoc:
    """Choose the first listed cluster without an agreement and make one from the template."""
    page.table.selectRow(_row_without_agreement(page))
    assert page.doc is None and page.create_button.isEnabled()
    page.create_button.click()
    assert page.doc is not None
    return page.doc


def _status(page: AgreementsPage) -> str:
    return page.model.index(page.model.row_of_cluster(page.cluster_id), COL_STATUS).data()


def _build(qtbot, page: AgreementsPage) -> None:  # noqa: ANN001
    job = page.build_preview()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass


def test_lists_the_demo_clusters_with_their_agreement_status(page: AgreementsPage, demo_store) -> None:  # noqa: ANN001
    with demo_store.read() as s:
        standing = s.scalars(select(Cluster.name).where(Cluster.dissolved.is_(None))).all()
        stored = {name: (signed, printed, end) for name, signed, printed, end in s.execute(
            select(Cluster.name, Agreement.signed_on, Agreement.printed_version, Agreement.term_end)
            .join(Agreement, Agreement.cluster_id == Cluster.id))}
    names = [page.model.index(r, COL_CLUSTER).data() for r in range(page.model.rowCount())]
    statuses = dict(zip(names, (page.model.index(r, COL_STATUS).data() for r in range(len(names))), strict=True))
    colours = {page.model.index(r, COL_CLUSTER).data(): page.model.index(r, COL_STATUS).data(
        Qt.ItemDataRole.ForegroundRole) for r in range(len(names))}
    assert len(standing) > 5 and set(standing) <= set(names)
    assert stored, "the demo signs some agreements"
    today = dt.date.today()
    for name, (signed, printed, end) in stored.items():
        expected = (f"已到期 {end.isoformat()}" if end < today else f"已签订 {signed.isoformat()}" if signed
                    else (f"已打印 v{printed}" if printed else "草稿 v1"))
        assert statuses[name] == expected
        if end < today:  # an agreement whose term is over is never shown in the signed green
            assert colours[name].color().name() == "#b34700"
        elif signed:
            assert colours[name].color().name() == "#1b6e20"
    assert sum(1 for v in statuses.values() if v == "无协议") == len(names) - len(stored)
    assert page.model.headerData(COL_STATUS, Qt.Orientation.Horizontal) == "协议状态"
    live = sum(1 for v in stored.values() if v[0] and v[2] >= today)
    assert f"已签订 {live} 个，已到期 {sum(1 for v in stored.values() if v[2] < today)} 个" in page.summary.text()


def test_a_cluster_without_agreement_offers_only_create(page: AgreementsPage) -> None:
    page.table.selectRow(_row_without_agreement(page))
    assert page.create_button.isEnabled() and not page.preview_button.isEnabled()
    assert not page.tabs.isEnabled() and "还没有协议" in page.status.text()


def test_create_from_the_template_shows_clauses_parties_and_term(page: AgreementsPage) -> None:
    doc = _with_agreement(page)
    assert _status(page) == "草稿 v1"
    assert page.editor.section_list.count() == len(doc.sections) > 3
    assert page.editor.title.text() == doc.title
    assert page.parties_model.rowCount() == len(doc.parties) >= 2
    assert page.parties_model.index(0, 0).data() == "甲方"
    assert page.term_start.date() == QDate(doc.term_start.year, doc.term_start.month, doc.term_start.day)
    assert not page.create_button.isEnabled() and not page.save_button.isEnabled()


def test_editing_a_clause_and_saving_bumps_the_version_and_is_audited(page: AgreementsPage, demo_store) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    page.editor.section_list.setCurrentRow(1)
    page.editor.text.moveCursor(page.editor.text.textCursor().MoveOperation.End)
    type_text(page.editor.text, "双方每周开展同步课堂两节。")
    assert page.is_dirty() and page.save_button.isEnabled() and not page.print_button.isEnabled()
    page.save_button.click()
    assert page.doc is not None and page.doc.version == 2 and not page.is_dirty()
    assert page.doc.sections[1].text.endswith("双方每周开展同步课堂两节。")
    assert _status(page) == "草稿 v2"
    with demo_store.read() as s:
        updates = s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "agreement", AuditEntry.action == "update",
            AuditEntry.entity_id == str(doc.id))).all()
    assert len(updates) == 1 and updates[0].after["version"] == 2
    assert "同步课堂两节" in str(updates[0].after["clauses"])


def test_add_move_remove_sections_and_revert(page: AgreementsPage) -> None:
    doc = _with_agreement(page)
    editor = page.editor
    editor.section_list.setCurrentRow(0)
    editor.add_section()  # inserted after the first
    editor.heading.setText("第X条　补充条款")
    type_text(editor.text, "Extra")
    editor.move_section(-1)
    _title, _preamble, sections = editor.content()
    assert sections[0] == ag.Section("第X条　补充条款", "Extra") and sections[1] == doc.sections[0]
    assert editor.section_list.item(0).text() == "第X条　补充条款"
    editor.remove_section()
    assert editor.content()[2] == list(doc.sections) and not editor.is_dirty()
    editor.add_section()
    assert page.revert_button.isEnabled()
    page.revert_button.click()
    assert editor.content()[2] == list(doc.sections) and not page.is_dirty()


def test_empty_section_is_refused_with_one_message(page: AgreementsPage) -> None:
    _with_agreement(page)
    page.editor.add_section()
    page.save_button.click()
    assert [(m.kind, m.title) for m in messages.log] == [("warn", "保存协议")]
    assert "条款为空" in messages.log[0].text and page.doc is not None and page.doc.version == 1


def test_term_change_saves_with_the_clauses_as_one_version(page: AgreementsPage) -> None:
    _with_agreement(page)
    page.tabs.setCurrentIndex(1)
    page.term_start.setDate(QDate(2026, 9, 1))
    page.term_end.setDate(QDate(2029, 8, 31))
    assert page.is_dirty()
    page.save()
    assert page.doc is not None and page.doc.version == 2
    assert (page.doc.term_start, page.doc.term_end) == (dt.date(2026, 9, 1), dt.date(2029, 8, 31))
    assert any("2029年8月31日" in s.text for s in page.doc.sections)


def test_signatory_typed_in_the_party_table_is_stored(page: AgreementsPage) -> None:
    doc = _with_agreement(page)
    index = page.parties_model.index(0, 3)
    assert page.parties_model.setData(index, "王校长")
    assert ag.load_agreement(page.context.store, doc.id).parties[0].signatory == "王校长"
    assert page.parties_model.index(0, 3).data() == "王校长"


def test_signed_date_is_refused_before_printing_and_accepted_after(qtbot, page: AgreementsPage,  # noqa: ANN001
                                                                   tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    page.signed_edit.setDate(QDate(2025, 9, 10))
    page.sign_button.click()
    assert [(m.kind, m.title) for m in messages.log] == [("warn", "登记签订日期")]
    assert "尚未打印" in messages.log[0].text
    assert ag.load_agreement(page.context.store, doc.id).signed_on is None

    _build(qtbot, page)
    assert page.preview.page_count >= 2 and page.built_version == 1
    assert page.tabs.currentIndex() == 2 and page.save_pdf_button.isEnabled()
    monkeypatch.setattr(messages, "headless_path", tmp_path / "协议.pdf")
    page.save_pdf_button.click()
    assert (tmp_path / "协议.pdf").read_bytes().startswith(b"%PDF")
    assert ag.load_agreement(page.context.store, doc.id).printed_version == 1
    assert _status(page) == "已打印 v1"

    page.sign_button.click()
    assert len(messages.log) == 2 and messages.log[1].kind == "save_file"
    assert ag.load_agreement(page.context.store, doc.id).signed_on == dt.date(2025, 9, 10)
    assert _status(page) == "已签订 2025-09-10"


def test_printing_records_the_version_laid_out(qtbot, page: AgreementsPage, tmp_path: Path) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    _build(qtbot, page)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    page.print_to(printer)
    assert (tmp_path / "printed.pdf").stat().st_size > 1000
    snapshot = ag.printed_snapshot(page.context.store, doc.id)
    assert snapshot is not None and snapshot["version"] == 1


def test_print_is_refused_when_another_clerk_saved_a_newer_version(qtbot, page: AgreementsPage, tmp_path: Path,  # noqa: ANN001
                                                                    monkeypatch) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    _build(qtbot, page)
    ag.edit_clauses(page.context.store, doc.id, [ag.Section("第一条", "别处改过")])  # another window / clerk
    monkeypatch.setattr(messages, "headless_path", tmp_path / "old.pdf")
    page.save_pdf()
    assert messages.log[-1].kind == "warn" and "已改为第2版" in messages.log[-1].text
    assert ag.load_agreement(page.context.store, doc.id).printed_version is None
    assert page.built_version is None and page.doc is not None and page.doc.version == 2


def test_a_scan_round_trips_its_bytes(page: AgreementsPage, tmp_path: Path, monkeypatch, demo_store) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    data = bytes(range(256)) * 40 + b"\x00end"
    source = tmp_path / "签字盖章版.png"
    source.write_bytes(data)
    monkeypatch.setattr(messages, "headless_path", source)
    page.tabs.setCurrentIndex(3)
    page.add_scan_button.click()
    assert page.scans_model.rowCount() == 1
    assert page.scans_model.index(0, 0).data() == "签字盖章版.png"
    assert page.scans_model.index(0, 1).data() == "image/png"
    assert page.model.index(page.model.row_of_cluster(page.cluster_id), COL_SCANS).data() == "1"
    opened = page.open_scan()
    assert opened is not None and opened.read_bytes() == data and opened.name == "签字盖章版.png"
    target = tmp_path / "out" / "copy.png"
    target.parent.mkdir()
    monkeypatch.setattr(messages, "headless_path", target)
    assert page.export_scan() == target and target.read_bytes() == data
    with demo_store.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "attachment", AuditEntry.action == "insert")) >= 1
    assert ag.load_agreement(demo_store, doc.id).scans[0].size == len(data)


def test_switching_away_from_unsaved_edits_asks_and_saves(page: AgreementsPage, demo_store) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    page.editor.heading.setText("第一条　新标题")
    other = next(r for r, line in enumerate(page.model.rows()) if line.agreement is None)
    page.table.selectRow(other)  # headless answer: 是 → saved
    assert messages.log[-1].kind == "ask"
    assert ag.load_agreement(demo_store, doc.id).version == 2
    assert page.cluster_id == page.model.row_at(other).cluster_id and page.doc is None


def test_models_pass_the_model_tester(qtmodeltester, page: AgreementsPage) -> None:  # noqa: ANN001
    doc = _with_agreement(page)
    ag.attach_scan(page.context.store, doc.id, "scan.pdf", b"%PDF-1.4 x")
    page.refresh()
    qtmodeltester.check(page.model)
    assert page.model.rowCount() > 5 and isinstance(page.model.index(0, 0).data(OBJECT_ROLE), ag.ClusterAgreement)
    parties = PartyTableModel()
    parties.set_rows(ag.load_agreement(page.context.store, doc.id).parties)
    qtmodeltester.check(parties)
    scans = ScanTableModel()
    scans.set_rows(ag.load_agreement(page.context.store, doc.id).scans)
    qtmodeltester.check(scans)
    qtmodeltester.check(AgreementListModel())


def test_saving_over_another_clerks_newer_version_is_refused_and_offers_reload(page: AgreementsPage,
                                                                               demo_store) -> None:  # noqa: ANN001
    """GIVEN the editor shows version 1 WHEN another clerk saves version 2 first THEN 保存 writes
    nothing, names who saved and when, and (是) shows version 2 in the editor."""
    doc = _with_agreement(page)
    ag.edit_clauses(demo_store, doc.id, [ag.Section("第一条", "另一位业务员的条款")])  # the other clerk
    page.editor.section_list.setCurrentRow(1)
    type_text(page.editor.text, "我的修改")
    messages.log.clear()
    assert page.save() is False
    [asked] = [m for m in messages.log if m.kind == "ask"]
    assert "该协议已被" in asked.text and "修改，请重新载入后再改" in asked.text
    with demo_store.read() as s:
        stored = s.get(Agreement, doc.id)
        assert stored.version == 2 and "我的修改" not in str(stored.clauses)
    assert page.doc is not None and page.doc.version == 2 and not page.is_dirty()  # reloaded
    assert page.editor.content()[2] == [ag.Section("第一条", "另一位业务员的条款")]


def test_a_brand_fee_typed_on_the_signing_tab_is_stored_and_the_check_names_the_clause(
        page: AgreementsPage, demo_store) -> None:  # noqa: ANN001
    """品牌费 (银川2023方案 四(一)): a field of the agreement; a fee is refused by the check, not hidden."""
    from db.clusters import check_store
    from db.settings import active_profile

    doc = _with_agreement(page)
    page.fee_edit.clear()
    type_text(page.fee_edit, "5000")
    page.fee_button.click()
    assert ag.load_agreement(demo_store, doc.id).brand_fee == 5000
    assert "不符合规定" in page.fee_label.text() and "银川2023方案 四(一)" in page.fee_label.text()
    found = [v for v in check_store(demo_store, active_profile(demo_store), doc.term_start).violations
             if v.rule == "agreement.brand_fee"]
    assert [(v.subject, v.clause) for v in found] == [(doc.cluster_name, "银川2023方案 四(一)")]
    assert "5,000.00元" in found[0].detail
    with pytest.raises(ag.AgreementError, match="不能为负数"):
        ag.record_brand_fee(demo_store, doc.id, -1)
    page.fee_edit.setValue(0)
    page.fee_button.click()
    assert page.fee_label.text() == "未收取"
    assert not [v for v in check_store(demo_store, active_profile(demo_store), doc.term_start).violations
                if v.rule == "agreement.brand_fee"]


def test_a_signatory_no_font_can_print_is_named_before_the_pdf_is_saved(qtbot, page: AgreementsPage,  # noqa: ANN001
                                                                        tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """GIVEN a signatory 王𠀁芳 (𠀁 U+20001: in no bundled font; the machine's fonts pointed at
    an empty folder) WHEN the clerk saves the PDF THEN a warning naming the name and the
    character comes first, then the save dialog."""
    from reports import fallback_fonts

    _with_agreement(page)
    assert page.parties_model.setData(page.parties_model.index(0, 3), "王\U00020001芳")
    monkeypatch.setattr(fallback_fonts, "system_font_dirs", lambda: [tmp_path / "no-fonts"])
    fallback_fonts.forget_machine_fonts()
    monkeypatch.setattr(messages, "headless_path", tmp_path / "协议.pdf")
    try:
        page.save_pdf_button.click()
        assert page.job is not None
        with qtbot.waitSignal(page.job.finished, timeout=60_000):
            pass
    finally:
        fallback_fonts.forget_machine_fonts()
    assert [(m.kind, m.title) for m in messages.log] == [("warn", "协议书中有无法打印的字"), ("save_file", "保存协议 PDF")]
    assert "王\U00020001芳”中的“\U00020001”（U+20001）" in messages.log[0].text  # "…（签字）：王𠀁芳"
    assert (tmp_path / "协议.pdf").read_bytes().startswith(b"%PDF")
