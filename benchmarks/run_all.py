"""Run every ``benchmarks/bench_*.py`` in turn and print what each reports.

Usage: ``python benchmarks/run_all.py [-k TEXT]`` (``-k`` keeps the scripts whose name contains TEXT).
Each script runs in its own interpreter (the one running this file), from the repository root,
offscreen for Qt. Exits 1 if any script failed, after running them all.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="keyword", default="", help="only scripts whose name contains this")
    args = parser.parse_args(argv)
    scripts = sorted(p for p in HERE.glob("bench_*.py") if args.keyword in p.stem)
    if not scripts:
        print("no benchmarks/bench_*.py found", file=sys.stderr)
        return 1
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    failed = []
    for script in scripts:
        print(f"== {script.relative_to(ROOT)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=False)
        elapsed = time.perf_counter() - started
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"-- {script.name}: {status}, {elapsed:.1f} s\n", flush=True)
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
