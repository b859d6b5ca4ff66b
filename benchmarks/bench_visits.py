"""Visit figures: the quota dashboard over 200,000 activities (< 1 s) and saving one activity
(< 100 ms from Save to the list showing it).

    python benchmarks/bench_visits.py [--visits 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from db import visits as dv  # noqa: E402
from db.models import Visit, VisitParticipant, utcnow  # noqa: E402
from db.store import Store  # noqa: E402
from policy import vocab  # noqa: E402
from policy.calendar import Semester  # noqa: E402
from policy.profile import load_profile  # noqa: E402


def fill(store: Store, count: int) -> dict[str, uuid.UUID]:
    import visit_world

    world = visit_world.build(store)
    schools = list(world.schools.values())
    rng = random.Random(7)
    people = [(f"人员{i}", rng.choice(vocab.VISITOR_ROLES[:6]), rng.choice(schools)) for i in range(3000)]
    now = utcnow()
    sqlite = store.engine.dialect.name == "sqlite"

    def key(value: uuid.UUID | None) -> object:  # SQLite keeps Uuid columns as 32 hex digits
        return value.hex if sqlite and value is not None else value

    visits, parts = [], []
    for _ in range(count):
        vid = uuid.uuid4()
        day = dt.date(2025, 9, 1) + dt.timedelta(days=rng.randrange(360))
        visits.append((key(vid), day.isoformat() if sqlite else day, key(rng.choice(schools)),
                       rng.choice(vocab.ACTIVITY_TYPES), rng.randrange(5), now, now))
        for name, role, home in rng.sample(people, rng.randint(1, 3)):
            home_id = None if role.endswith("教研员") else home
            parts.append((key(uuid.uuid4()), key(vid), name, role, key(home_id), now, now))
    v, p = Visit.__table__, VisitParticipant.__table__
    with store.bulk("visit", "benchmark") as connection:
        if sqlite:  # plain DB-API executemany: ~5x faster than Core's per-row type processing
            cursor = connection.connection.driver_connection.cursor()
            cursor.executemany("INSERT INTO visit (id, date, host_school_id, activity_type, lessons, created_at, "
                               "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", visits)
            cursor.executemany("INSERT INTO visit_participant (id, visit_id, name, role, home_school_id, "
                               "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", parts)
        else:
            names = ("id", "date", "host_school_id", "activity_type", "lessons", "created_at", "updated_at")
            connection.execute(v.insert(), [dict(zip(names, row, strict=True)) for row in visits])
            names = ("id", "visit_id", "name", "role", "home_school_id", "created_at", "updated_at")
            connection.execute(p.insert(), [dict(zip(names, row, strict=True)) for row in parts])
    return world.schools


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    store = Store.open(os.path.join(folder, "bench.db"))
    t0 = time.perf_counter()
    schools = fill(store, args.visits)
    print(f"filled {args.visits} visits in {time.perf_counter() - t0:.1f} s")
    profile = load_profile()
    semester = Semester(2025, 1)
    print(f"machine: {os.getloadavg()[0]:.2f} load (1 min) on {os.cpu_count()} CPUs")
    db_file = os.path.join(folder, "bench.db")
    # Cold: the first dashboard after a bulk load rebuilds the stored tallies of the year. Each run
    # first makes them stale again with a bulk write the tallies do not follow.
    colds = []
    for _ in range(max(1, args.runs // 2)):
        with store.bulk("visit", "benchmark: make the tallies stale") as connection:
            connection.execute(VisitParticipant.__table__.update()
                               .where(VisitParticipant.__table__.c.name == "人员0").values(updated_at=utcnow()))
        t0 = time.perf_counter()
        dv.quota_rows(store, profile, semester)
        colds.append(time.perf_counter() - t0)
    print(f"quota dashboard, cold (first read after a bulk load: rebuilds 2 semesters), median of {len(colds)}: "
          f"{statistics.median(colds):.3f} s")
    loads, tables = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        inputs = dv.load_quota_inputs(store, profile, 2025)
        t1 = time.perf_counter()
        rows = dv.quota_rows(store, profile, semester, inputs)
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        tables.append(t2 - t1)
    print(f"quota dashboard, warm, median of {args.runs}: load (stored tallies + pairings, teachers, duty register) "
          f"{statistics.median(loads):.3f} s + table {statistics.median(tables):.3f} s = "
          f"{statistics.median(a + b for a, b in zip(loads, tables)):.3f} s "
          f"({len(inputs.tallies)} person tallies, {len(inputs.school_tallies)} school tallies, {len(rows)} rows)")
    cli = Path(sys.executable).with_name("edubridge")
    command = [str(cli), "--db", db_file, "quota", "--semester", "2025-1", "--json"]
    runs = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=True)
        runs.append(time.perf_counter() - t0)
    starts = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([str(cli), "--help"], capture_output=True, check=True)
        starts.append(time.perf_counter() - t0)
    print(f"edubridge quota --semester 2025-1 --json (new process, warm tallies), median of {args.runs}: "
          f"{statistics.median(runs):.3f} s ({len(json.loads(done.stdout)['rows'])} rows); "
          f"of which starting the CLI (edubridge --help) {statistics.median(starts):.3f} s")
    times = []
    for i in range(20):
        draft = dv.VisitDraft(dt.date(2025, 10, 1), schools["RURAL01"], "听评课",
                              [dv.VisitorDraft(f"甲{i}", "骨干教师", schools["CITY01"]), dv.VisitorDraft("乙", "市级教研员", None)],
                              lessons=2, summary="bench", attachments=[dv.AttachmentDraft("photo.jpg", os.urandom(300_000))])
        t0 = time.perf_counter()
        dv.save_visit(store, draft)
        dv.recent_visits(store)  # what the list re-reads (the page only prepends the row)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    from db.visit_tallies import ensure_current
    from policy.quotas import tally_spec

    stale = ensure_current(store.engine, tally_spec(profile), dv.tally_periods(profile, 2025))
    print(f"after the saves the stored tallies were {'stale: ' + ', '.join(stale) if stale else 'current'}")
    print(f"save one visit (2 visitors, 300 KB photo) + recent list: median {times[10]:.1f} ms, max {times[-1]:.1f} ms")
    # A new visit reaches the board: the save keeps the stored tallies and the duty register
    # current in its own transaction, so the next board read needs no rebuild.
    updates = []
    for i in range(args.runs):
        draft = dv.VisitDraft(dt.date(2025, 10, 2), schools["RURAL01"], "教研指导",
                              [dv.VisitorDraft(f"新研{i}", "县级教研员", None)])
        t0 = time.perf_counter()
        dv.save_visit(store, draft)
        t1 = time.perf_counter()
        rows = dv.quota_rows(store, profile, semester)
        t2 = time.perf_counter()
        assert any(r.who == f"新研{i}（县级教研员）" and r.done == 1 for r in rows)
        updates.append((t1 - t0, t2 - t1))
    from db.duty_holders import load_duties

    print(f"new visit by a new person → on the board: save median {statistics.median(u[0] for u in updates) * 1000:.1f} ms "
          f"(tallies and duty register kept in the same transaction), board re-read "
          f"{statistics.median(u[1] for u in updates):.3f} s; duty register {len(load_duties(store))} people")
    store.dispose()


if __name__ == "__main__":
    main()
