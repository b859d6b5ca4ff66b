"""The per-school plan (按校核定, exchange.per_sending_school) when the flow's optimum leaves
schools short: ``python benchmarks/bench_per_school.py [county|city|all] [RUNS]``.

In both demos every sending school's 10 % is met by its mandatory teachers alone, so the
per-school plan is the flow's optimum (bench_decisions' 按校核定 scenario). Here half of the
sending 城镇/优质 schools (chosen at random, seed 1) have their mandatory teachers made
merely eligible: those schools' floors bind, and the plan goes to the LP / MILP on the
flow's network (policy.planner._PerSchoolLP). Printed per scale: CPU seconds (median of
RUNS), the solver, whether it is proven optimal, moves, backbone floor, unmet rules; and the
same year without rule 4 for comparison. Target: a county in seconds, the city under 60 s.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_teachers import timed  # noqa: E402

from db.demo import build_demo  # noqa: E402
from db.exchange_plans import load_needs, load_schools  # noqa: E402
from db.settings import active_profile  # noqa: E402
from db.store import Store  # noqa: E402
from db.teachers import store_eligibility  # noqa: E402
from policy import planner  # noqa: E402
from policy.eligibility import ELIGIBLE, MANDATORY  # noqa: E402

YEAR = 2027


def bench(scale: str, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(str(Path(folder) / f"{scale}.db"))
        build_demo(store, scale, 2026)
        profile = active_profile(store)
        result = store_eligibility(store, profile, YEAR)
        schools = load_schools(store, result.reference_date)
        needs = load_needs(store, YEAR) or None
        store.dispose()
    senders = sorted({e.school for e in result.entries if e.school in schools and planner.tier(schools[e.school]) > 0})
    calm = set(random.Random(1).sample(senders, len(senders) // 2))
    entries = [dataclasses.replace(e, due=ELIGIBLE, status=ELIGIBLE) if e.school in calm and e.due == MANDATORY
               else e for e in result.entries]
    year = dataclasses.replace(result, entries=entries)
    for label, overrides in (("county-wide 10 %", {}), ("per school (按校核定)", {"exchange.per_sending_school": True})):
        chosen = profile.with_overrides(overrides)
        wall, cpu, plan = timed(lambda chosen=chosen: planner.plan_exchanges(year, schools, chosen, needs), runs)
        assert isinstance(plan, planner.Plan)
        print(f"{scale} {label}: {cpu:.2f} s CPU (wall {wall:.2f} s), median of {runs} — {plan.solver}, "
              f"optimal {plan.optimal}, {len(plan.moves)} moves, backbone floor {plan.required_backbone}, "
              f"{len(plan.unmet)} unmet")


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for scale in ("county", "city") if which == "all" else (which,):
        bench(scale, runs)


if __name__ == "__main__":
    main()
