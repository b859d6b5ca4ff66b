"""Carrying out an approved plan (issue 10): run ``python benchmarks/bench_exchanges.py``.

* approve + carry out the city demo's plan (about 9,000 moves: plan frozen, exchanges
  approved, dated postings written, events) — target < 5 s;
* eligibility of the following school year after it — target < 1 s;
* ``exchange list`` for the year, with each exchange's status on a day.

Wall-clock and CPU seconds are printed: on a shared machine the CPU figure is the one to
compare with the targets.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db.demo import build_demo  # noqa: E402
from db.exchange_plans import approve_plan, make_plan, save_plan  # noqa: E402
from db.exchanges import exchange_list  # noqa: E402
from db.settings import active_profile  # noqa: E402
from db.store import Store  # noqa: E402
from db.teachers import store_eligibility  # noqa: E402

YEAR = 2027


def measure(label: str, target: str, fn, extra=lambda result: "") -> object:  # noqa: ANN001
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    print(f"{label:<52} wall {time.perf_counter() - wall:6.3f} s   cpu {time.process_time() - cpu:6.3f} s   "
          f"(target {target}) {extra(result)}")
    return result


def bench(folder: str, scale: str) -> None:
    """Plan, approve and carry out the ``scale`` demo's exchanges, timing each step."""
    store = Store.open(str(Path(folder) / f"{scale}.db"))
    build_demo(store, scale, 2026)
    profile = active_profile(store)
    plan = make_plan(store, profile, YEAR)
    plan_id = save_plan(store, plan, profile)
    measure(f"eligibility {YEAR + 1}, {scale} demo, before approval", "< 1 s",
            lambda: store_eligibility(store, profile, YEAR + 1), lambda r: str(r.summary))
    measure(f"approve + carry out, {scale} demo", "< 5 s", lambda: approve_plan(store, plan_id),
            lambda n: f"{n} exchanges ({sum(m.moves_personnel for m in plan.moves)} personnel moves)")
    measure(f"eligibility {YEAR + 1}, {scale} demo, after approval", "< 1 s",
            lambda: store_eligibility(store, profile, YEAR + 1), lambda r: str(r.summary))
    measure(f"exchange list {YEAR}, {scale} demo, status on a day", "none set",
            lambda: exchange_list(store, dt.date(YEAR, 10, 1), year=YEAR), lambda r: f"{len(r)} rows")
    store.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        for scale in ("county", "city"):
            bench(name, scale)


if __name__ == "__main__":
    main()
