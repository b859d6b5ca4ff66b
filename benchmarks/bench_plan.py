"""The year's plan at city scale, stage by stage (issue 10): ``python benchmarks/bench_plan.py [RUNS] [SCALE]``.

Target: the plan with the direction tiers under 3 s end to end at city scale, optimal.
End to end is what ``edubridge plan --year 2027 --save`` does after opening the store:
eligibility (load + rules), the schools and the needs table, the planner, the save.

Each run plans the city demo again and prints the CPU seconds (``time.process_time``:
on a shared machine wall time says more about the neighbours) of every stage; the
medians over RUNS (default 5) follow. Three saves are timed, since what a save writes
depends on the draft already there:

* ``save, first draft`` — the year had no draft: every exchange inserted;
* ``save, same draft again`` — the year's draft came from the same roster (the clerk
  saves again): nothing of the exchanges rewritten;
* ``save, other draft`` — the year's draft differs (here: the plan pruned to each
  teacher's 10 nearest destinations, about 1,800 moves different): the difference
  written, with its audit images.

End to end is reported with the first and with the repeated save. Stages inside the
planner are timed by wrapping its private steps (this script only).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete  # noqa: E402

from db.demo import build_demo  # noqa: E402
from db.exchange_plans import load_needs, load_schools, save_plan  # noqa: E402
from db.gc_pause import gc_paused  # noqa: E402
from db.models import Exchange, ExchangePlan  # noqa: E402
from db.settings import active_profile  # noqa: E402
from db.store import Store  # noqa: E402
from db.teachers import store_eligibility  # noqa: E402
from policy import planner  # noqa: E402

YEAR = 2027
STAGES = {  # planner step → the stage it is counted in
    "merged_needs": "plan: needs", "_build": "plan: model", "_Flow.__init__": "plan: network",
    "_floor_bound": "plan: network", "_Flow.solve": "plan: solve (min-cost flow)", "_Flow.chosen": "plan: results",
    "_annotate": "plan: results", "_unmet": "plan: results",
}


class Clock:
    """CPU seconds by stage for one run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, stage: str, fn: Callable[[], Any]) -> Any:
        started = time.process_time()
        try:
            return fn()
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.process_time() - started


CLOCK = Clock()


def instrument() -> None:
    """Time the planner's own steps (nested steps are not double counted: none nests another)."""
    for dotted, stage in STAGES.items():
        owner: Any = planner
        *path, name = dotted.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def timed(*args: Any, _original: Any = original, _stage: str = stage, **kwargs: Any) -> Any:
            return CLOCK.time(_stage, lambda: _original(*args, **kwargs))

        setattr(owner, name, timed)


def drop_draft(store: Store) -> None:
    with store.bulk("exchange", "基准测试：删除草案") as connection:
        connection.execute(delete(Exchange.__table__).where(Exchange.__table__.c.school_year == YEAR))
        connection.execute(delete(ExchangePlan.__table__).where(ExchangePlan.__table__.c.school_year == YEAR))


def one_run(store: Store, other: Any) -> tuple[dict[str, float], Any]:
    """One plan of the year, its stages, and the three saves."""
    global CLOCK
    CLOCK = clock = Clock()
    profile = active_profile(store)
    with gc_paused():  # as make_plan does
        result = clock.time("eligibility (load + rules)", lambda: store_eligibility(store, profile, YEAR))
        schools = clock.time("schools and needs table", lambda: load_schools(store, result.reference_date))
        needs = clock.time("schools and needs table", lambda: load_needs(store, YEAR))
        started = time.process_time()
        plan = planner.plan_exchanges(result, schools, profile, needs or None)
        inner = sum(v for k, v in clock.seconds.items() if k.startswith("plan: "))
        clock.seconds["plan: rest"] = time.process_time() - started - inner
    drop_draft(store)
    clock.time("save, first draft", lambda: save_plan(store, plan, profile))
    clock.time("save, same draft again", lambda: save_plan(store, plan, profile))
    save_plan(store, other, profile)
    clock.time("save, other draft", lambda: save_plan(store, plan, profile))
    seconds = clock.seconds
    before_save = sum(v for k, v in seconds.items() if not k.startswith("save"))
    seconds["END TO END, first save"] = before_save + seconds["save, first draft"]
    seconds["END TO END, saving again"] = before_save + seconds["save, same draft again"]
    return seconds, plan


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    scale = sys.argv[2] if len(sys.argv) > 2 else "city"
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(str(Path(folder) / f"{scale}.db"))
        build_demo(store, scale, 2026)
        profile = active_profile(store)
        with gc_paused():
            result = store_eligibility(store, profile, YEAR)
            schools = load_schools(store, result.reference_date)
            other = planner.plan_exchanges(result, schools, profile, load_needs(store, YEAR) or None,
                                           max_destinations=10)
        instrument()
        figures: dict[str, list[float]] = {}
        plan = None
        for run in range(runs):
            seconds, plan = one_run(store, other)
            for stage, value in seconds.items():
                figures.setdefault(stage, []).append(value)
            print(f"run {run + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in seconds.items()), flush=True)
        store.dispose()
    assert plan is not None
    different = len({(m.entry.teacher.key, m.to_school) for m in plan.moves}
                    ^ {(m.entry.teacher.key, m.to_school) for m in other.moves})
    print(f"\n{scale} demo, {YEAR}: {len(plan.moves)} moves, optimal {plan.optimal}, unmet {len(plan.unmet)}, "
          f"directions {plan.directions()}; the other draft differs in {different} (teacher, school) pairs")
    print(f"median CPU seconds over {runs} runs (target: end to end < 3 s):")
    for stage, values in figures.items():
        print(f"  {stage:<32} {statistics.median(values):6.3f}   (min {min(values):.3f}, max {max(values):.3f})")


if __name__ == "__main__":
    main()
