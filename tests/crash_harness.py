"""Kill an ``edubridge`` process at a random moment and judge the file it leaves.

Shared by tests/db/test_crash_safety.py (a few kills in CI) and benchmarks/bench_crash.py
(200 kills). Imported as ``import crash_harness`` (tests/ is on sys.path).

Each :class:`Operation` prepares a working folder from a prepared world, names a command,
and knows the database's content before and after the command completes. A trial copies
the world, starts the command, SIGKILLs it after a random delay within the part of its
measured run where it writes (from the first change of a file to its end), then classifies the file by a content digest: ``before``, ``after``, ``half`` (any
other content: half written) or ``unusable`` (EduBridge cannot open it afterwards).

The digest leaves out what differs between two complete runs — random UUIDs, timestamps,
audit details — and keeps everything else: the schema, the revision, every other column
of every row (sorted), so a half-done import or migration shows as a third state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CLI = "import sys; from desktop.cli import main; sys.exit(main())"
OPEN = "import sys; from db.store import Store; Store.open(sys.argv[1]).dispose()"
# The audit chain's hashes cover each entry's time, so two complete runs differ there too.
VOLATILE = {"id", "created_at", "updated_at", "at", "before", "after", "note", "saved_at", "approved_at",
            "hash", "prev_hash", "last_hash"}


def digest(path: Path) -> str:
    """A digest of the schema and the stable content of the SQLite file at ``path`` ("empty": none)."""
    if not path.exists():
        return "empty"
    hasher = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        if not connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return "empty"  # a file SQLite created and nothing was put in: the same as none
        schema = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
        hasher.update(repr(schema).encode())
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            kept = [c for c in columns if c not in VOLATILE and not c.endswith("_id")]
            listing = ", ".join(f'"{c}"' for c in kept) or "1"
            rows = sorted(repr(row) for row in connection.execute(f'SELECT {listing} FROM "{table}"'))
            hasher.update(f"{table}:{len(rows)}".encode())
            for row in rows:
                hasher.update(row.encode())
    return hasher.hexdigest()


def usable(path: Path) -> bool:
    """EduBridge opens (and if need be migrates) the file, and it passes quick_check afterwards."""
    from db.engine import StoreError
    from db.store import Store

    try:
        Store.open(str(path)).dispose()
    except StoreError:
        return False
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@dataclasses.dataclass
class Operation:
    """One kind of work to interrupt: ``command(folder)`` runs it on ``folder / 'x.db'``."""

    name: str
    prepare: Callable[[Path], None]  # fills a fresh folder with x.db (and inputs)
    command: Callable[[Path], list[str]]
    before: str = ""
    after: str = ""
    seconds: float = 1.0  # a complete run's wall time, measured by calibrate()
    writes_from: float = 0.0  # when files first changed in that run: kills aim at [writes_from, seconds]
    judged: Callable[[Path], Path] = lambda folder: folder / "x.db"  # the file whose content is judged


def calibrate(operation: Operation, scratch: Path) -> None:
    """Run the operation once to the end: its before/after digests and its duration."""
    folder = scratch / f"{operation.name}-calibrate"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    operation.prepare(folder)
    operation.before = digest(operation.judged(folder))
    files = [folder / "x.db", folder / "x.db-wal", operation.judged(folder)]
    first = _state(files)
    started = time.perf_counter()
    process = subprocess.Popen(operation.command(folder), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    changed = None
    while process.poll() is None:
        if changed is None and _state(files) != first:
            changed = time.perf_counter() - started
        time.sleep(0.002)
    operation.seconds = time.perf_counter() - started
    assert process.returncode == 0, f"{operation.name}: exit status {process.returncode}"
    operation.writes_from = max(0.0, (changed if changed is not None else 0.0) - 0.05)
    operation.after = digest(operation.judged(folder))
    assert operation.before != operation.after, f"{operation.name}: the operation changes nothing"


def _state(files: list[Path]) -> list[tuple[int, int] | None]:
    """Size and modification time of each file (None: absent), to see when writing starts."""
    found: list[tuple[int, int] | None] = []
    for path in files:
        try:
            info = path.stat()
        except FileNotFoundError:
            found.append(None)
        else:
            found.append((info.st_size, info.st_mtime_ns))
    return found


def trial(operation: Operation, scratch: Path, rng: random.Random, index: int) -> str:
    """One run killed after a random delay; returns "before", "after", "half" or "unusable"."""
    folder = scratch / f"{operation.name}-{index}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    operation.prepare(folder)
    process = subprocess.Popen(operation.command(folder), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(operation.writes_from, operation.seconds))
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    try:
        state = digest(operation.judged(folder))
    except sqlite3.Error:
        return "unusable"
    verdict = "before" if state == operation.before else "after" if state == operation.after else "half"
    if verdict != "half" and operation.judged(folder).exists() and not usable(operation.judged(folder)):
        verdict = "unusable"
    shutil.rmtree(folder, ignore_errors=True)
    return verdict


def operations(world: Path) -> list[Operation]:
    """The interrupted operations on the files of :func:`build_world` in ``world``."""

    def copy(name: str) -> Callable[[Path], None]:
        return lambda folder: shutil.copyfile(world / name, folder / "x.db")

    def cli(*args: str) -> Callable[[Path], list[str]]:
        return lambda folder: [PYTHON, "-c", CLI, "--db", str(folder / "x.db"),
                               *(a.replace("{world}", str(world)).replace("{folder}", str(folder)) for a in args)]

    def nothing(folder: Path) -> None:
        pass

    return [
        Operation("first-migration", nothing, lambda folder: [PYTHON, "-c", OPEN, str(folder / "x.db")]),
        Operation("upgrade", copy("old.db"), lambda folder: [PYTHON, "-c", OPEN, str(folder / "x.db")]),
        Operation("import", copy("schools.db"), cli("import", "teachers", "{world}/teachers.xlsx")),
        Operation("plan-save", copy("demo.db"), cli("plan", "--year", "2027", "--save")),
        Operation("backup", copy("schools.db"), cli("backup", "-o", "{folder}/copy.db"),
                  judged=lambda folder: folder / "copy.db"),
        Operation("restore", copy("schools.db"), cli("restore", "{world}/demo.db")),
    ]


def build_world(world: Path, demo_file: Path | None = None) -> None:
    """The files every trial starts from: the county demo (a copy of ``demo_file`` if given),
    a schools-only store, a file at revision 0001 with 2,000 teachers."""
    shutil.rmtree(world, ignore_errors=True)
    world.mkdir(parents=True)

    def edubridge(*args: str) -> None:
        subprocess.run([PYTHON, "-c", CLI, *args], cwd=ROOT, check=True, capture_output=True)

    demo = world / "demo.db"
    if demo_file is not None:
        shutil.copyfile(demo_file, demo)
    else:
        edubridge("--db", str(demo), "demo", "--scale", "county", "--seed", "2026")
    edubridge("--db", str(demo), "export", "schools", str(world / "schools.xlsx"))
    edubridge("--db", str(demo), "export", "teachers", str(world / "teachers.xlsx"))
    edubridge("--db", str(world / "schools.db"), "import", "schools", str(world / "schools.xlsx"))
    for name in ("demo.db", "schools.db"):  # one self-contained file each, no WAL beside it
        with contextlib.closing(sqlite3.connect(world / name)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    code = ("import sys; from alembic import command; from db.engine import make_engine; "
            "from db.migrate import _config; e = make_engine('sqlite:///' + sys.argv[1]); "
            "command.upgrade(_config(e), '0001'); c = e.raw_connection(); "
            "c.executemany(\"INSERT INTO teacher (id, id_number, name, gender, birth_date, position, created_at, "
            "updated_at) VALUES (?, ?, ?, '男', '1980-01-01', '教师', '2025-01-01 00:00:00', '2025-01-01 00:00:00')\", "
            "[(f'{n:032x}', f'1101011980010{n:05d}', f'教师{n}') for n in range(1, 2001)]); "
            "c.commit(); c.close(); e.dispose()")
    subprocess.run([PYTHON, "-c", code, str(world / "old.db")], cwd=ROOT, check=True, capture_output=True)
