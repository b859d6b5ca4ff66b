"""Hostile workbooks and the reader's guard: run ``python benchmarks/bench_hostile_workbooks.py``.

For each file, a fresh interpreter reads it with ``db.importing.read_sheet`` (timed: the
reader's verdict alone, not the interpreter's start-up nor opening a database), then runs
``edubridge import schools FILE --dry-run``; this prints that command's exit code, the
read time and the process's peak memory (VmHWM):

* far cell — one value at XFD1048576 (used to abort the process in Rust, exit 134);
* huge shared string — one 512 MB string compressed to ~0.5 MB (used to take ~4 GB);
* 100,000-character cell — over Excel's 32,767-character limit;
* hidden sheet in front of the table.

Then the guard's own cost on a legitimate 50,000-row × 13-column roster (inline strings:
the larger XML), which every import now pays before the cells are read.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile_xlsx  # noqa: E402

from db.school_import import REQUIRED  # noqa: E402

PROBE = r"""
import re, sys, time
from desktop.cli import main
from db.importing import ImportFailed, read_sheet
from db.school_import import REQUIRED
start = time.perf_counter()
try:
    read_sheet(sys.argv[2], REQUIRED)
except ImportFailed:
    pass
took = time.perf_counter() - start
code = main(["--db", sys.argv[1], "import", "schools", sys.argv[2], "--dry-run"])
peak = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1)) // 1024
print("RESULT", code, f"{took:.3f}", peak, file=sys.__stdout__)
"""


def main() -> int:
    headers = [*REQUIRED, "所属县区"]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        files = {
            "far cell XFD1048576": hostile_xlsx.far_cell(tmp / "far.xlsx", headers),
            "512 MB shared string": hostile_xlsx.huge_shared_string(tmp / "huge.xlsx", headers, 512 << 20),
            "64 MB shared string": hostile_xlsx.huge_shared_string(tmp / "huge64.xlsx", headers, 64 << 20),
            "100,000-char cell": hostile_xlsx.write_xlsx(tmp / "long.xlsx", [
                ("表", "visible", hostile_xlsx.table_xml([headers, ["学" * 100_000, "x", "小学", "城区", "县"]]))]),
            "hidden sheet in front": hostile_xlsx.write_xlsx(tmp / "hidden.xlsx", [
                ("旧", "hidden", hostile_xlsx.table_xml([headers, ["1", "x", "小学", "城区", "县"]])),
                ("表", "visible", hostile_xlsx.table_xml([headers]))]),
        }
        print(f"{'file':<24} {'size':>9} {'exit':>5} {'read s':>9} {'peak MB':>8}")
        for label, path in files.items():
            done = subprocess.run([sys.executable, "-c", PROBE, str(tmp / "b.db"), str(path)], cwd=ROOT,
                                  capture_output=True, text=True)
            result = next((line.split()[1:] for line in done.stdout.splitlines() if line.startswith("RESULT")), [])
            code, took, peak = (result + ["?", "?", "?"])[:3]
            print(f"{label:<24} {path.stat().st_size:>9,} {code:>5} {took:>9} {peak:>8}")
            line = (done.stderr.strip() or done.stdout.strip().splitlines()[-2]).splitlines()[-1:] or [""]
            print(f"    {line[0][:110]}")
        from db.xlsx_guard import inspect_workbook

        rows = [[f"{n:018d}", "张三", "男", "1980-01-01", "6401990001", "语文", "一级", "", "2001-09", "2010-09",
                 "", "", ""] for n in range(50_000)]
        roster = hostile_xlsx.write_xlsx(tmp / "roster.xlsx", [("名册", "visible", hostile_xlsx.table_xml(rows))])
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            inspect_workbook(roster)
            runs.append(time.perf_counter() - start)
        print(f"guard on a 50,000-row roster ({roster.stat().st_size:,} bytes): best of 3 {min(runs):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
