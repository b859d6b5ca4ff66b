"""Cluster figures at city scale (issue 3): run ``python benchmarks/bench_clusters.py``.

* ``check`` over the city demo (1,000 schools) — target < 1 s;
* a membership edit (db.clusters.move) + re-check — target < 100 ms;
* import of 1,000 schools + 6,000 membership rows from Excel into an empty store — target < 5 s.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook  # noqa: E402

from db import cluster_import, school_import  # noqa: E402
from db import clusters as cl  # noqa: E402
from db.demo import build_demo  # noqa: E402
from db.settings import active_profile  # noqa: E402
from db.store import Store  # noqa: E402


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench_check(folder: Path) -> None:
    store = Store.open(str(folder / "city.db"))
    build_demo(store, "city", 2026)
    profile = active_profile(store)
    on = dt.date.today()
    records = cl.load(store, on)
    print(f"city demo: {len(records.schools)} schools, {len(records.clusters)} clusters, "
          f"{len(records.memberships)} memberships")
    seconds, result = timed(lambda: cl.check_store(store, profile, on))
    cpu = []
    for _ in range(5):
        started = time.process_time()
        cl.check_store(store, profile, on)
        cpu.append(time.process_time() - started)
    found = result.part_violations()
    print(f"check (load + rules + teacher development + 优质均衡) over the city demo: {seconds * 1000:.0f} ms wall, "
          f"{statistics.median(cpu) * 1000:.0f} ms CPU (medians of 5; {len(result.violations)} violations, "
          f"{len(found)} further findings; target < 1000 ms)")
    by_rule: dict[str, int] = {}
    for v in (*result.violations, *found):
        by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
    print("violations by rule: " + ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())))
    seconds, _ = timed(lambda: records.check(profile, on))
    print(f"rules only, records in memory: {seconds * 1000:.1f} ms")
    # a membership edit and the re-check the page does after it
    active = [m for m in records.memberships if m.active_on(on)]
    rng = random.Random(1)
    edits = []
    for _ in range(10):
        m = rng.choice(active)
        target = rng.choice([c for c in records.clusters if c.id != m.cluster_id])
        started = time.perf_counter()
        cl.move(store, m.school_id, target.id, on)
        written = time.perf_counter()
        records = cl.load(store, on, reuse=records)  # what the page does: re-read clusters + memberships
        records.check(profile, on)
        edits.append((time.perf_counter() - started, written - started))
        active = [x for x in records.memberships if x.active_on(on)]
    total = [e[0] for e in edits]
    print(f"membership edit (move, audited write) + re-check: median {statistics.median(total) * 1000:.0f} ms, "
          f"max {max(total) * 1000:.0f} ms, of which the write {statistics.median(e[1] for e in edits) * 1000:.0f} ms "
          f"(target < 100 ms)")
    store.dispose()


def bench_import(folder: Path) -> None:
    rng = random.Random(7)
    schools = Workbook()
    schools.active.append(list(school_import.HEADERS))
    for i in range(1000):
        schools.active.append([f"64{i:08d}", f"第{i}学校", rng.choice(["小学", "初中", "教学点"]),
                               rng.choice(["城区", "镇区", "乡村"]), "县属", rng.randint(20, 2000),
                               rng.randint(2, 40), "", "否", f"县区{i % 9}"])
    schools.save(folder / "schools.xlsx")
    members = Workbook()
    members.active.append(list(cluster_import.HEADERS))
    rows = 0
    for school in range(1000):
        # six dated memberships per school: moved every year between clusters
        for year in range(6):
            joined = dt.date(2018 + year, 9, 1)
            left = dt.date(2019 + year, 9, 1) if year < 5 else None
            cluster = (school // 6 + year) % 170
            members.active.append([f"集团{cluster:03d}", "教育集团", f"64{school:08d}",
                                   "牵头校" if school % 6 == 0 else "成员校", joined, left])
            rows += 1
    members.save(folder / "clusters.xlsx")
    store = Store.open(str(folder / "import.db"))
    started = time.perf_counter()
    a = school_import.import_file(store, folder / "schools.xlsx")
    middle = time.perf_counter()
    b = cluster_import.import_file(store, folder / "clusters.xlsx")
    ended = time.perf_counter()
    print(f"import {a.counts()['added']} schools: {(middle - started) * 1000:.0f} ms; "
          f"{b.counts()['added']} membership rows: {(ended - middle) * 1000:.0f} ms; "
          f"total {(ended - started):.2f} s (target < 5 s)")
    started = time.perf_counter()
    again = cluster_import.import_file(store, folder / "clusters.xlsx")
    print(f"re-import of the same {rows} rows (nothing changes: {again.counts()}): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    store.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        bench_check(Path(tmp))
        bench_import(Path(tmp))
