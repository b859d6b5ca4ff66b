"""Report figures: county annual report time, every report of the city demo, size of a 100-page report.

Run: ``python benchmarks/bench_reports.py`` (builds the demos in a temporary folder).
Targets (issue 6): county annual report < 5 s; all city reports < 2 min; 100 pages well under 5 MB.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.demo import CURRENT_YEAR, build_demo  # noqa: E402
from db.store import Store  # noqa: E402
from reports import documents  # noqa: E402
from reports.pdf import Col, DocInfo, build_pdf, contents, cover, heading, table  # noqa: E402


def timed(label: str, fn) -> float:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    extra = f"{result.pages} pages, {result.size / 1024:.0f} KB" if hasattr(result, "pages") else ""
    print(f"{label:<48} {seconds:7.2f} s  {extra}", flush=True)
    return seconds


def main() -> None:
    year = CURRENT_YEAR - 1
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        county = Store.open(str(out / "county.db"))
        build_demo(county, "county", 2026)
        timed("county annual report", lambda: documents.annual_report(county, year, out / "county.pdf"))
        county.dispose()

        city = Store.open(str(out / "city.db"))
        build_demo(city, "city", 2026)
        from db.clusters import load

        clusters = [c.name for c in load(city).clusters]
        start = time.perf_counter()
        timed("city annual report (all counties)", lambda: documents.annual_report(city, year, out / "city.pdf"))
        timed("city exchange 公示", lambda: documents.exchange_notice(city, CURRENT_YEAR, out / "n.pdf"))
        timed("city exchange letters (通知书)", lambda: documents.exchange_letters(city, CURRENT_YEAR, out / "l.pdf"))
        timed("city statistics table", lambda: documents.statistics(city, out / "s.pdf"))
        t = time.perf_counter()
        refused = 0
        for name in clusters:
            try:
                documents.agreement(city, name, io.BytesIO(), record=False, warn=None)
            except documents.ReportError:  # over the school limit without a waiver: no agreement
                refused += 1
        label = f"city agreements ({len(clusters)}, {refused} refused)"
        print(f"{label:<48} {time.perf_counter() - t:7.2f} s", flush=True)
        t = time.perf_counter()
        for name in clusters[:20]:
            documents.annual_report(city, year, io.BytesIO(), cluster=name)
        print(f"{'20 single-community annual reports':<48} {time.perf_counter() - t:7.2f} s", flush=True)
        print(f"{'every city report':<48} {time.perf_counter() - start:7.2f} s")
        city.dispose()

        rows = [(i, f"青岚市某某县第{i}中心小学附属九年一贯制学校东校区", "乡村", 1000 + i, "12.5%", "2026-09-01")
                for i in range(4200)]
        cols = [Col("序号", 0.5, True), Col("学校", 3), Col("城乡", 0.7), Col("学生", 0.7, True),
                Col("比例", 0.7, True), Col("日期", 1, True)]
        info = DocInfo(title="百页表格测试", bureau="青岚市教育局")
        path = out / "hundred.pdf"
        start = time.perf_counter()
        pages = build_pdf(path, info, lambda: [*cover(info), *contents(), heading("名单"), table(cols, rows)])
        seconds = time.perf_counter() - start
        print(f"{'table report':<48} {seconds:7.2f} s  {pages} pages, {path.stat().st_size / 1024:.0f} KB "
              f"({pages / seconds:.0f} pages/s, {path.stat().st_size / pages / 1024:.1f} KB/page)")


if __name__ == "__main__":
    main()
