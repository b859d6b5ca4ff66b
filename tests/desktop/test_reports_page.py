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
