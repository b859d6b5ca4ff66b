"""报告 page: builds a PDF off the GUI thread, shows it in the preview, saves it through messages."""

from __future__ import annotations

from pathlib import Path

from desktop import messages
from desktop.context import AppContext
from desktop.pages.reports import ReportsPage


def test_build_preview_and_save(qtbot, demo_store, tmp_path: Path, monkeypatch) -> None:
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    assert page.cluster.count() > 1 and not page.save_button.isEnabled()
    page.kind.setCurrentIndex(page.kind.findData("statistics"))
    page.build()
    assert page.job is not None
    with qtbot.waitSignal(page.job.finished, timeout=60_000):
        pass
    assert page.pdf_bytes.startswith(b"%PDF") and page.document.pageCount() >= 1
    assert page.save_button.isEnabled()
    monkeypatch.setattr(messages, "headless", True)
    monkeypatch.setattr(messages, "headless_path", tmp_path / "out.pdf")
    page.save()
    assert (tmp_path / "out.pdf").read_bytes() == page.pdf_bytes


def test_failure_goes_to_one_error_message(qtbot, demo_store, monkeypatch) -> None:
    monkeypatch.setattr(messages, "headless", True)
    messages.log.clear()
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("notice"))
    page.year.setValue(2001)
    page.build()
    assert page.job is not None
    with qtbot.waitSignal(page.job.failed, timeout=60_000):
        pass
    assert [m.kind for m in messages.log] == ["error"] and "没有已批准" in messages.log[0].text


def _agreement_counts(store) -> tuple[int, int]:
    from sqlalchemy import func, select

    from db.models import Agreement, AuditEntry

    with store.read() as s:
        return s.scalar(select(func.count()).select_from(Agreement)), s.scalar(select(func.count()).select_from(AuditEntry))


def test_agreement_preview_of_a_cluster_without_one_stores_nothing(qtbot, demo_store, tmp_path: Path,
                                                                   monkeypatch) -> None:
    from db import agreements as ag
    from reports.documents import DRAFT_WARNING

    missing = next(line.cluster_name for line in ag.cluster_agreements(demo_store) if line.agreement is None)
    before = _agreement_counts(demo_store)
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("agreement"))
    page.cluster.setCurrentIndex(page.cluster.findText(missing))
    page.build()
    assert page.job is not None
    with qtbot.waitSignal(page.job.finished, timeout=60_000):
        pass
    assert page.pdf_bytes.startswith(b"%PDF") and DRAFT_WARNING in page.status.text()
    assert page.built_agreement is None
    monkeypatch.setattr(messages, "headless", True)
    monkeypatch.setattr(messages, "headless_path", tmp_path / "draft.pdf")
    page.save()  # saving a draft records no printing (there is nothing to record it on)
    assert (tmp_path / "draft.pdf").exists()
    assert _agreement_counts(demo_store) == before


def test_agreement_saved_from_the_page_records_the_version_previewed(qtbot, demo_store, tmp_path: Path,
                                                                    monkeypatch) -> None:
    from db import agreements as ag

    line = next(line for line in ag.cluster_agreements(demo_store)
                if line.agreement is not None and line.agreement.printed_version is None)
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("agreement"))
    page.cluster.setCurrentIndex(page.cluster.findText(line.cluster_name))
    page.build()
    assert page.job is not None
    with qtbot.waitSignal(page.job.finished, timeout=60_000):
        pass
    assert ag.load_agreement(demo_store, line.agreement.id).printed_version is None  # preview records nothing
    monkeypatch.setattr(messages, "headless", True)
    monkeypatch.setattr(messages, "headless_path", tmp_path / "a.pdf")
    page.save()
    assert ag.load_agreement(demo_store, line.agreement.id).printed_version == line.agreement.version


def test_every_document_kind_builds_from_the_page(qtbot, demo_store) -> None:
    """The forms and lists reach the clerk through the page too, off the GUI thread."""
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.year.setValue(2026)
    page.cluster.setCurrentIndex(1)  # read by the semester summary only
    for kind in ("letters", "approval", "pairings", "summary"):
        page.kind.setCurrentIndex(page.kind.findData(kind))
        page.build()
        assert page.job is not None
        with qtbot.waitSignal(page.job.finished, timeout=120_000):
            pass
        assert page.pdf_bytes.startswith(b"%PDF") and page.viewer_button.isEnabled(), kind


def test_cancel_while_building_shows_nothing(qtbot, demo_store, monkeypatch) -> None:
    """取消 while a document is being laid out: the job ends cancelled, no preview, nothing to
    print or save, and the page says so."""
    import threading

    from reports import documents

    started, release = threading.Event(), threading.Event()

    def held(store, target, *, progress, **_kwargs):  # noqa: ANN001, ANN202
        started.set()
        release.wait(10)
        progress("排版", 0.5)  # the cancellation point: raises once 取消 was clicked
        raise AssertionError("the job was not cancelled")

    monkeypatch.setattr(documents, "statistics", held)
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("statistics"))
    page.build()
    assert started.wait(10) and page.cancel_button.isEnabled()
    page.cancel_button.click()
    release.set()
    with qtbot.waitSignal(page.job.cancelled, timeout=30_000):
        pass
    assert page.status.text() == "已取消生成。" and not page.pdf_bytes
    assert page.build_button.isEnabled() and not page.cancel_button.isEnabled()
    assert not page.print_button.isEnabled() and not page.save_button.isEnabled()


WORK_CLUSTER = "青禾县第三初级中学共建型教共体"


def _wait(qtbot, page) -> None:
    assert page.job is not None
    with qtbot.waitSignal(page.job.finished, timeout=60_000):
        pass


def test_work_report_of_a_community_builds_off_the_gui_thread(qtbot, demo_store) -> None:
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("work"))
    page.year.setValue(2025)
    page.cluster.setCurrentIndex(page.cluster.findText(WORK_CLUSTER))
    page.build()
    assert page.cancel_button.isEnabled() and not page.build_button.isEnabled()
    _wait(qtbot, page)
    assert page.pdf_bytes.startswith(b"%PDF") and page.document.pageCount() >= 3
    assert page.build_button.isEnabled() and not page.cancel_button.isEnabled()


def test_clerk_edits_conclusions_a_failed_save_keeps_the_text_and_cancel_asks(qtbot, demo_store,
                                                                              monkeypatch) -> None:
    from db.agreements import find_cluster
    from db.report_texts import load_text, save_text

    monkeypatch.setattr(messages, "headless", True)
    messages.log.clear()
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("annual"))
    page.year.setValue(2025)
    page.cluster.setCurrentIndex(page.cluster.findText(WORK_CLUSTER))
    page.edit_text()
    _wait(qtbot, page)
    dialog = page.text_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.edits["存在问题"].toPlainText() == "\n".join(dialog.draft["存在问题"])  # opens with the draft
    # Another clerk saves first: this save is refused with a message, the text stays.
    cluster_id, _ = find_cluster(demo_store, WORK_CLUSTER)
    save_text(demo_store, "annual", 2025, cluster_id, {"整改建议": ["别人的建议。"]})
    dialog.edits["存在问题"].setPlainText("本教共体问题一。\n本教共体问题二。")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.isVisible() and messages.log[-1].kind == "error" and "他人" in messages.log[-1].text
    assert dialog.edits["存在问题"].toPlainText() == "本教共体问题一。\n本教共体问题二。"
    monkeypatch.setattr(messages, "headless_answer", False)  # "discard the changes?" — no
    dialog.reject()
    assert dialog.isVisible()
    monkeypatch.setattr(messages, "headless_answer", True)
    dialog.reject()
    assert not dialog.isVisible()
    assert load_text(demo_store, "annual", 2025, cluster_id).sections == {"整改建议": ["别人的建议。"]}
    # Reopened: the stored text is there; the clerk's edit is saved next to it (only what differs from the draft).
    page.edit_text()
    _wait(qtbot, page)
    dialog = page.text_dialog
    assert dialog.edits["整改建议"].toPlainText() == "别人的建议。"
    dialog.edits["存在问题"].setPlainText("本教共体问题一。")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert not dialog.isVisible() and dialog.saved
    assert load_text(demo_store, "annual", 2025, cluster_id).sections == {
        "存在问题": ["本教共体问题一。"], "整改建议": ["别人的建议。"]}
    assert load_text(demo_store, "annual", 2025, None) is None  # the county's text is apart


def _subcommands(parser) -> dict:
    import argparse

    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_the_page_and_the_command_line_offer_the_same_documents(qtbot, store) -> None:
    """Both read reports.document_kinds: a kind added there is on both, each with the choices it reads."""
    from desktop.cli import build_parser
    from reports.document_kinds import CLUSTER, DOCUMENT_KINDS, SEMESTER, YEAR

    page = ReportsPage(AppContext.for_store(store))
    qtbot.addWidget(page)
    offered = [page.kind.itemData(index) for index in range(page.kind.count())]
    report = _subcommands(build_parser())["report"]
    commands = _subcommands(report)
    assert offered == list(DOCUMENT_KINDS) and set(commands) == set(offered)
    for index, key in enumerate(offered):
        page.kind.setCurrentIndex(index)
        reads = DOCUMENT_KINDS[key].reads
        options = {option for action in commands[key]._actions for option in action.option_strings}
        assert ("--year" in options) is (YEAR in reads) and page.year.isEnabled() is bool(reads & {YEAR, SEMESTER})
        assert ("--semester" in options) is page.semester.isEnabled() is (SEMESTER in reads)
        assert ("--cluster" in options) is page.cluster.isEnabled()
        required = {option for action in commands[key]._actions if action.required for option in action.option_strings}
        assert ("--cluster" in required) is (CLUSTER in reads)



def test_a_name_no_font_can_print_is_named_before_anything_is_saved(qtbot, demo_store, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """GIVEN a teacher of the approved plan named 王𠀁芳 (𠀁 U+20001: in no bundled font; the
    machine's fonts pointed at an empty folder) THEN building the 公示 on the page
    shows one warning naming the name and the character, and the status line says it too."""
    from db.exchange_notice import approved_plan
    from db.models import Exchange, Teacher
    from reports import fallback_fonts

    first = approved_plan(demo_store, 2026).rows[0]
    with demo_store.write() as session:
        session.get(Teacher, session.get(Exchange, first.exchange_id).teacher_id).name = "王\U00020001芳"
    monkeypatch.setattr(fallback_fonts, "system_font_dirs", lambda: [tmp_path / "no-fonts"])
    fallback_fonts.forget_machine_fonts()
    monkeypatch.setattr(messages, "headless", True)
    shown = len(messages.log)
    page = ReportsPage(AppContext.for_store(demo_store))
    qtbot.addWidget(page)
    page.refresh()
    page.kind.setCurrentIndex(page.kind.findData("notice"))
    page.year.setValue(2026)
    try:
        page.build()
        assert page.job is not None
        with qtbot.waitSignal(page.job.finished, timeout=60_000):
            pass
    finally:
        fallback_fonts.forget_machine_fonts()
    [warning] = messages.log[shown:]
    assert (warning.kind, warning.title) == ("warn", "文档中有无法打印的字")
    assert warning.text == "“王\U00020001芳”中的“\U00020001”（U+20001）没有可用的字体，PDF 中印为空框，请在打印件上手写补正"
    assert warning.text in page.status.text() and page.document.pageCount() >= 1
