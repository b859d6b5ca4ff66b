"""Crash safety: ``python benchmarks/bench_crash.py [--kills 200] [--seed 2026]``.

SIGKILLs ``edubridge`` processes at random moments of six operations — a first migration,
an upgrade of a 0001 file with 2,000 teachers, a 4,999-teacher roster import, a plan save
(county demo), a backup and a restore — spread evenly, and judges each file left behind
by a content digest (tests/crash_harness.py): exactly as before, exactly as after, half
written, or unusable (EduBridge cannot open it). Kills aim at the part of each run where
files change. Prints the counts per operation and the totals; exits 1 if any file was
half written or unusable.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import crash_harness  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_crash_") as scratch_name:
        scratch = Path(scratch_name)
        crash_harness.build_world(scratch / "world")
        operations = crash_harness.operations(scratch / "world")
        for operation in operations:
            crash_harness.calibrate(operation, scratch)
        totals: Counter[str] = Counter()
        print(f"{'operation':<16}{'run s':>7}{'kills':>7}{'before':>8}{'after':>7}{'half':>6}{'unusable':>10}")
        for index, operation in enumerate(operations):
            kills = args.kills // len(operations) + (1 if index < args.kills % len(operations) else 0)
            counts = Counter(crash_harness.trial(operation, scratch, rng, i) for i in range(kills))
            totals.update(counts)
            print(f"{operation.name:<16}{operation.seconds:>7.2f}{kills:>7}{counts['before']:>8}{counts['after']:>7}"
                  f"{counts['half']:>6}{counts['unusable']:>10}", flush=True)
    print(f"{sum(totals.values())} kills: {totals['half']} half-written, {totals['unusable']} unusable "
          f"({totals['before']} as before, {totals['after']} as after; {time.perf_counter() - started:.0f} s)")
    return 1 if totals["half"] or totals["unusable"] else 0


if __name__ == "__main__":
    sys.exit(main())
