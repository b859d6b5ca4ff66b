"""Seconds to build the demo county and the demo city into fresh SQLite files.

Targets (issue 2): county < 10 s, city < 60 s. Run: ``python benchmarks/bench_demo.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.demo import _Builder, build_demo
from db.store import Store

TARGETS = {"county": 10.0, "city": 60.0}


def main() -> int:
    for scale, target in TARGETS.items():
        started = time.perf_counter()
        _Builder(random.Random(2026), scale).build()
        generate = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo.db"
            store = Store.open(str(path))
            started = time.perf_counter()
            counts = build_demo(store, scale, 2026)
            seconds = time.perf_counter() - started
            store.dispose()
            size = path.stat().st_size / 2**20
        rows = sum(counts.values())
        verdict = "ok" if seconds < target else "SLOW"
        print(
            f"demo {scale:6s}: {seconds:6.2f} s total ({generate:.2f} s generating), {rows:,} rows, "
            f"{counts['school']:,} schools, {counts['teacher']:,} teachers, {counts['visit']:,} visits, "
            f"{size:.1f} MiB; target < {target:.0f} s: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
