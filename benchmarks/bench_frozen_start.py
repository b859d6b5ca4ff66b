"""Cold start of the installed program: process spawn to a painted main window (issue 14: < 3 s).

Run: ``python benchmarks/bench_frozen_start.py [--bundle dist/edubridge-<v>] [--runs 5] [--source]``.
Prints figures; asserts nothing.

Each run is a fresh process of the frozen ``edubridge`` (the PyInstaller folder, or an
unpacked .deb's ``/opt/apps/cn.edubridge.app/files``) on the county demo, started with
``EDUBRIDGE_STARTUP_PROBE=1``: the ordinary GUI start (fonts, store, main window, its
first page), which prints ``PAINTED <s>`` once the window's first paint is flushed and
quits (``desktop.startup_probe``). Wall time is spawn to that line, read here as it comes;
"in-process" is the program's own figure (from its first module, so without the
bootloader and interpreter start); CPU is the child's user + system time to its exit,
which varies less than wall time on a shared machine. ``--source`` times the source tree
(``python -m desktop.cli``) the same way, for comparison. Offscreen unless ``--display``
(then the ``DISPLAY`` of the environment, e.g. under ``xvfb-run``). A fresh ``HOME`` per
run: no saved window settings, nothing written to the user's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(home: Path, display: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "EDUBRIDGE_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               EDUBRIDGE_STARTUP_PROBE="1")
    if not display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds to the PAINTED line, the program's own figure, child CPU seconds)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                             cwd=env["HOME"])
    assert child.stdout is not None
    wall = own = float("nan")
    for line in child.stdout:
        if line.startswith("PAINTED "):
            wall = time.perf_counter() - started
            own = float(line.split()[1])
            break
    child.stdout.close()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or wall != wall:
        raise SystemExit(f"{argv[0]} did not paint a window (exit {child.returncode})")
    return wall, own, usage.ru_utime + usage.ru_stime


def series(label: str, argv: list[str], runs: int, display: bool) -> None:
    print(f"{label}: {' '.join(argv[:1])}")
    walls, cpus = [], []
    for n in range(runs + 1):
        with tempfile.TemporaryDirectory(prefix="edubridge-start-") as home:
            wall, own, cpu = one_run(argv, _env(Path(home), display))
        if n == 0:
            print(f"  warm-up (disk cache): {wall:.2f} s wall, {cpu:.2f} s CPU")
            continue
        walls.append(wall)
        cpus.append(cpu)
        print(f"  run {n}: spawn → painted {wall:.2f} s wall (in-process {own:.2f} s), {cpu:.2f} s CPU")
    print(f"  median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU (target < 3 s)")


def main() -> int:
    from policy.version import __version__

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / f"edubridge-{__version__}",
                        help="the frozen folder (holding the edubridge program)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="data file to open (default: the county demo, made here)")
    parser.add_argument("--source", action="store_true", help="also time the source tree")
    parser.add_argument("--display", action="store_true", help="use $DISPLAY instead of offscreen")
    args = parser.parse_args()

    program = args.bundle.resolve() / ("edubridge.exe" if sys.platform == "win32" else "edubridge")
    if not program.is_file():
        raise SystemExit(f"no frozen program at {program}: build it (installer/README.md) or give --bundle")
    with tempfile.TemporaryDirectory(prefix="edubridge-bench-") as folder:
        db = args.db.resolve() if args.db else None
        if db is None:
            db = Path(folder) / "county.db"
            subprocess.run([str(program), "--db", str(db), "demo"], check=True, stdout=subprocess.DEVNULL,
                           env=_env(Path(folder), display=False) | {"EDUBRIDGE_STARTUP_PROBE": ""})
        print(f"Cold start to a painted main window (county demo, {args.runs} fresh processes after a warm-up):")
        series("frozen", [str(program), "--db", str(db)], args.runs, args.display)
        if args.source:
            series("source tree", [sys.executable, "-m", "desktop.cli", "--db", str(db)], args.runs, args.display)
    return 0


if __name__ == "__main__":
    sys.exit(main())
