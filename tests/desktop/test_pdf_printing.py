"""Printing that never freezes (issue 15): only the chosen pages, vector through CUPS when
possible, otherwise rendered in the background at a bounded resolution with cancel."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from reports.pdf import DocInfo, body, build_pdf, heading


def _pdf(pages: int) -> bytes:
    from reportlab.platypus import PageBreak

    story = []
    for n in range(1, pages + 1):
        story += [heading(f"第{n}部分"), body(f"第{n}页正文"), PageBreak()]
    buffer = io.BytesIO()
    build_pdf(buffer, DocInfo(title="打印测试"), lambda: story[:-1], cover_page=False)
    return buffer.getvalue()


def _pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def test_chosen_pages_and_cups_command(gui) -> None:
    from PySide6.QtGui import QPageRanges
    from PySide6.QtPrintSupport import QPrinter

    from desktop.pdf_preview import chosen_pages, lp_command, range_text

    printer = QPrinter()
    assert chosen_pages(printer, 4) == [0, 1, 2, 3]  # no range: every page
    ranges = QPageRanges()
    ranges.addRange(1, 2)
    ranges.addPage(5)
    printer.setPageRanges(ranges)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    assert chosen_pages(printer, 929) == [0, 1, 4]
    assert chosen_pages(printer, 3) == [0, 1]  # a range past the end is cut
    assert range_text([0, 1, 4, 5, 6, 9]) == "1-2,5-7,10"
    command = lp_command("HP_LaserJet", [0, 1], 929, 2, Path("/tmp/公示.pdf"))
    assert command[:5] == ["lp", "-d", "HP_LaserJet", "-n", "2"] and "-P" in command
    assert command[command.index("-P") + 1] == "1-2" and command[-1] == "/tmp/公示.pdf"
    assert "-P" not in lp_command("HP", [0, 1, 2], 3, 1, Path("/tmp/a.pdf"))  # all pages: no range


def test_only_the_chosen_pages_are_printed(gui, tmp_path: Path) -> None:
    from PySide6.QtGui import QPageRanges
    from PySide6.QtPrintSupport import QPrinter

    from desktop.pdf_preview import PdfPreview

    preview = PdfPreview()
    assert preview.load(_pdf(12)) == 12
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    ranges = QPageRanges()
    ranges.addRange(1, 2)
    printer.setPageRanges(ranges)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    preview.render_to(printer)
    assert _pages(out) == 2
    assert out.stat().st_size < 8 * 1024 * 1024  # 300 dpi at most, not a 1200-dpi image per page


def test_background_print_reports_progress_and_can_be_cancelled(gui, qtbot, tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from desktop.pdf_preview import PdfPreview

    preview = PdfPreview()
    preview.load(_pdf(6))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "all.pdf"))
    outcome: list[bool] = []
    steps: list[str] = []
    job = preview.start_print(printer, finished=outcome.append)
    job.progress.connect(lambda text, _fraction: steps.append(text))
    job.wait()
    assert outcome == [True] and _pages(tmp_path / "all.pdf") == 6 and steps

    long = PdfPreview()
    long.load(_pdf(40))
    printer2 = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer2.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer2.setOutputFileName(str(tmp_path / "cancelled.pdf"))
    outcome.clear()
    job = long.start_print(printer2, finished=outcome.append)
    job.progress.connect(lambda _text, _fraction: job.cancel())  # the clerk presses 取消 at once
    job.wait()
    assert outcome == [False]


@pytest.mark.parametrize("headless", [True])
def test_viewer_hand_off_is_skipped_headless(gui, headless: bool) -> None:
    from desktop.pdf_preview import PdfPreview

    preview = PdfPreview()
    preview.load(_pdf(1))
    assert preview.open_in_viewer() is False  # no desktop to hand it to in tests
