"""Command-line start-up: run ``python benchmarks/bench_cli.py [--db DEMO.db] [--runs N]``.

Wall time of whole ``edubridge`` processes (median of 5 runs each), so start-up — the
imports done before a subcommand does anything — counts as a person waiting at a prompt
feels it:

* ``edubridge --help`` — nothing but the parser;
* ``edubridge stats --json`` / ``quota --semester 2025-1 --json`` /
  ``eligibility --year 2027 --json`` on the demo county.

Without ``--db`` the demo county (seed 2026) is generated into a temporary folder first.
The bare interpreter start (``python -c pass``) is printed too, as the floor.

Bytecode: an installed EduBridge runs from compiled ``.pyc`` files, but a checkout run
with PYTHONDONTWRITEBYTECODE recompiles every project module on every start. So the runs
here write and read bytecode in a temporary PYTHONPYCACHEPREFIX (nothing is written
into the tree), after one unmeasured warm-up run of each command. CPU time (user + sys)
is printed beside wall time: on a shared machine it varies less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The console script's own entry point, so ``desktop.cli`` is imported exactly as installed.
ENTRY = "import sys; from desktop.cli import main; sys.exit(main())"


def edubridge(*args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY, *args]


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall and CPU seconds of ``argv`` over ``runs`` runs after one warm-up run."""
    walls, cpus = [], []
    for attempt in range(runs + 1):
        cpu, started = child_cpu(), time.perf_counter()
        result = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                check=False)
        if result.returncode != 0:
            raise SystemExit(f"failed ({result.returncode}): {' '.join(argv)}\n{result.stderr.decode()}")
        if attempt:
            walls.append(time.perf_counter() - started)
            cpus.append(child_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--db", help="an existing demo database (default: generate one in a temp folder)")
    options.add_argument("--runs", type=int, default=5)
    given = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(folder) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        db = given.db
        if db is None:
            db = str(Path(folder) / "demo.db")
            subprocess.run(edubridge("--db", db, "demo", "--scale", "county"), cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        cases = [
            ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
            ("edubridge --help", edubridge("--help")),
            ("edubridge stats --json", edubridge("--db", db, "stats", "--json")),
            ("edubridge quota --semester 2025-1 --json", edubridge("--db", db, "quota", "--semester", "2025-1", "--json")),
            ("edubridge eligibility --year 2027 --json", edubridge("--db", db, "eligibility", "--year", "2027", "--json")),
        ]
        print(f"median of {given.runs} runs of the whole process:{'wall':>19}{'cpu':>10}")
        for label, argv in cases:
            wall, cpu = timed(argv, given.runs, env)
            print(f"  {label:<44} {wall * 1000:6.0f} ms {cpu * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
