"""Concurrent edits and the county demo on PostgreSQL: ``python benchmarks/bench_concurrency.py [--pg URL]``.

1. Two processes × ``--edits`` edits (default 100) of the same agreement and cluster at once
   (tests/edit_race.py: load, a moment's typing, save based on what was loaded), on
   PostgreSQL and on SQLite: accepted / refused / lost (lost must be 0: every accepted edit is
   in the database and the audit log, every refused one was told who changed the record).
2. ``check``, ``eligibility --year 2027`` and ``plan --year 2027`` on the county demo (seed
   2026), whole CLI processes, median of ``--runs``: PostgreSQL vs SQLite (target: within 2×).

PostgreSQL: ``--pg`` or EDUBRIDGE_TEST_PG_URL; every run works in a schema of its own,
dropped at the end. Without a server only the SQLite figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import edit_race  # noqa: E402

from db.demo import build_demo  # noqa: E402
from db.store import Store  # noqa: E402

COMMANDS = (("check", ["check", "--date", "2027-09-01", "--json"]),
            ("eligibility", ["eligibility", "--year", "2027", "--json"]),
            ("plan", ["plan", "--year", "2027", "--json"]))


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A URL whose connections see only a fresh schema (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def race(url: str, edits: int) -> tuple[dict, float]:
    store = Store.open(url)
    try:
        agreement_id, cluster_id = edit_race.seed(store)
        command = [sys.executable, str(ROOT / "tests" / "edit_race.py"), url, str(agreement_id), str(cluster_id),
                   str(edits)]
        started = time.perf_counter()
        procs = [subprocess.Popen([*command, tag], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for tag in ("甲", "乙")]
        results = []
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode:
                raise SystemExit(err)
            results += [json.loads(line) for line in out.splitlines()]
        seconds = time.perf_counter() - started
        return edit_race.tally(store, results, agreement_id, cluster_id), seconds
    finally:
        store.dispose()


def cli_median(url: str, argv: list[str], runs: int) -> float:
    times = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "desktop.cli", "--db", url, *argv], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):  # 1: the check found problems (it still ran)
            raise SystemExit(f"{' '.join(argv)}: {done.stderr}")
        if attempt:  # the first run warms caches and bytecode
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def demo(url: str) -> float:
    store = Store.open(url)
    started = time.perf_counter()
    try:
        build_demo(store, "county", 2026)
    finally:
        store.dispose()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("EDUBRIDGE_TEST_PG_URL"), help="PostgreSQL URL")
    parser.add_argument("--edits", type=int, default=100, help="edits per process")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = {"SQLite": lambda name: _file(folder, name)}
        if args.pg:
            targets["PostgreSQL"] = lambda _name: pg_schema(args.pg)
        print(f"2 processes × {args.edits} concurrent edits of one agreement and one cluster:")
        for kind, target in targets.items():
            with target("race.db") as url:
                figures, seconds = race(url, args.edits)
            print(f"  {kind:<10} accepted {figures['accepted']:>4}  refused {figures['refused']:>4}  "
                  f"lost {figures['lost']}  ({seconds:.1f} s)" + "".join(f"\n    ! {p}" for p in figures["problems"]))
        print(f"county demo, median of {args.runs} CLI runs (s):")
        timings: dict[str, dict[str, float]] = {}
        for kind, target in targets.items():
            with target("demo.db") as url:
                built = demo(url)
                timings[kind] = {name: cli_median(url, argv, args.runs) for name, argv in COMMANDS}
            print(f"  {kind:<10} demo built in {built:.1f} s; "
                  + "  ".join(f"{name} {t:.2f}" for name, t in timings[kind].items()))
        if "PostgreSQL" in timings:
            ratios = {n: timings["PostgreSQL"][n] / timings["SQLite"][n] for n, _a in COMMANDS}
            print("  PostgreSQL / SQLite: " + "  ".join(f"{n} {r:.2f}×" for n, r in ratios.items())
                  + ("  (all within 2×)" if max(ratios.values()) <= 2 else "  (NOT within 2×)"))
    return 0


@contextmanager
def _file(folder: str, name: str) -> Iterator[str]:
    yield str(Path(folder) / f"{uuid.uuid4().hex[:6]}-{name}")


if __name__ == "__main__":
    sys.exit(main())
