"""Printing figures (issue 15): pages 1–2 of a 900-page document, and the county report set.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_printing.py``.
Targets: printing pages 1–2 of a 900-page PDF starts (and here: finishes) in under 2 s; the
whole county report set (annual, statistics, every agreement, 公示, letters) in under 20 s.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from db.demo import CURRENT_YEAR, build_demo  # noqa: E402
from db.store import Store  # noqa: E402
from reports import documents  # noqa: E402
from reports.pdf import DocInfo, body, build_pdf  # noqa: E402


def main() -> None:
    from PySide6.QtGui import QPageRanges
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QApplication

    from desktop.pdf_preview import PdfPreview

    app = QApplication.instance() or QApplication([])
    from reportlab.platypus import PageBreak

    story = []
    for n in range(900):
        story += [body(f"第{n + 1}页：交流轮岗通知书正文。" * 8), PageBreak()]
    buffer = io.BytesIO()
    build_pdf(buffer, DocInfo(title="九百页"), lambda: story[:-1], cover_page=False)
    with tempfile.TemporaryDirectory() as folder:
        preview = PdfPreview()
        start = time.perf_counter()
        pages = preview.load(buffer.getvalue())
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(Path(folder) / "two.pdf"))
        ranges = QPageRanges()
        ranges.addRange(1, 2)
        printer.setPageRanges(ranges)
        printer.setPrintRange(QPrinter.PrintRange.PageRange)
        job = preview.start_print(printer)
        job.wait()
        size = (Path(folder) / "two.pdf").stat().st_size
        print(f"{'print pages 1-2 of a ' + str(pages) + '-page PDF':<48} {time.perf_counter() - start:7.2f} s  "
              f"{size / 1024:.0f} KB spooled", flush=True)

        county = Store.open(str(Path(folder) / "county.db"))
        build_demo(county, "county", 2026)
        from db.agreements import cluster_agreements

        start = time.perf_counter()
        documents.annual_report(county, CURRENT_YEAR - 1, io.BytesIO())
        documents.statistics(county, io.BytesIO())
        documents.exchange_notice(county, CURRENT_YEAR, io.BytesIO())
        documents.exchange_letters(county, CURRENT_YEAR, io.BytesIO())
        count = 0
        for row in cluster_agreements(county):
            try:
                documents.agreement(county, row.cluster_name, io.BytesIO(), record=False, warn=None)
                count += 1
            except documents.ReportError:
                pass
        print(f"{'county report set (annual, statistics, ' + str(count) + ' agreements, 公示, letters)':<48} "
              f"{time.perf_counter() - start:7.2f} s", flush=True)
        county.dispose()
    del app


if __name__ == "__main__":
    main()
