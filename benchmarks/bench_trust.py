"""Sign-in and the write guard (issue 12): run ``python benchmarks/bench_trust.py``.

* sign-in (argon2id check + lock-out bookkeeping) and the start-up audit quick check:
  what they add before the window paints — target < 0.3 s together;
* the 50,000-row roster import (bench_teachers' workbook: 50,000 teachers + 50,000 postings)
  with the guard and the hash-chained audit (one batch entry per bulk statement, holding
  every row's before → after), against the same import with the guard taken off the
  engine — target < +10 %;
* ``audit verify`` over the whole chain that import left, and the audit viewer's search
  (newest records; one record found inside a batch entry).

Wall-clock medians and CPU seconds are printed (CPU is the figure to compare on a shared machine).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_teachers import show, write_roster  # noqa: E402

from db import audit, bulk, guard  # noqa: E402
from db.models import Region, School  # noqa: E402
from db.store import Store  # noqa: E402
from db.teacher_import import import_teachers  # noqa: E402


def schools(store: Store) -> None:
    with store.write("schools") as session:
        region = Region(code="640100", name="测试县", level="县区")
        session.add(region)
        session.flush()
        for k in range(200):
            session.add(School(code=f"S{k}", name=f"学校{k}", stage="小学", location="城区", region_id=region.id))


@contextlib.contextmanager
def unguarded(store: Store):  # noqa: ANN201
    """The store as it was before issue 12: no engine events, no audit of the rows."""
    from sqlalchemy import event

    engine = store.engine
    for name, fn in (("before_execute", guard._before_execute), ("after_execute", guard._after_execute),
                     ("before_cursor_execute", guard._before_cursor_execute)):
        event.remove(engine, name, fn)
    real_raw, real_append = bulk.raw_insert, guard.append_audit
    bulk.raw_insert = lambda *_a, **_k: contextlib.nullcontext()  # type: ignore[assignment]
    guard.append_audit = lambda connection, state, entries: real_append(connection, state, entries[-1:])  # summary only
    try:
        yield
    finally:
        bulk.raw_insert, guard.append_audit = real_raw, real_append  # type: ignore[assignment]


def bench_import(folder: Path, path: Path, rounds: int = 3) -> None:
    figures: dict[str, list[tuple[float, float]]] = {"guarded": [], "unguarded": []}
    for index in range(rounds):
        for mode in ("unguarded", "guarded") if index % 2 == 0 else ("guarded", "unguarded"):
            store = Store.open(str(folder / f"{mode}{index}.db"))
            schools(store)
            with unguarded(store) if mode == "unguarded" else contextlib.nullcontext():
                wall, cpu = time.perf_counter(), time.process_time()
                result = import_teachers(store, path)
                figures[mode].append((time.perf_counter() - wall, time.process_time() - cpu))
            assert result.inserted == 50_000
            if mode == "guarded" and index == 0:
                wall, cpu = time.perf_counter(), time.process_time()
                verdict = audit.verify(store.engine)
                show("audit verify, whole chain", time.perf_counter() - wall, time.process_time() - cpu,
                     "none set", f"{verdict.checked} entries, ok {verdict.ok}")
                viewer(store)
            store.dispose()
    medians = {mode: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
               for mode, runs in figures.items()}
    for mode, (wall, cpu) in medians.items():
        show(f"roster import, 50,000 rows, {mode}", wall, cpu, "< 5 s")
    extra_wall = medians["guarded"][0] / medians["unguarded"][0] - 1
    extra_cpu = medians["guarded"][1] / medians["unguarded"][1] - 1
    print(f"guard + chained audit of every row: {extra_wall:+.1%} wall, {extra_cpu:+.1%} cpu (target < +10 %)")


def viewer(store: Store) -> None:
    """The audit viewer over the import's batch entries: the newest 5,000 records, and one
    teacher found by record id inside a 50,000-row entry."""
    from sqlalchemy import select

    from db.models import Teacher

    with store.read() as session:
        teacher = str(session.scalar(select(Teacher.id).order_by(Teacher.name).limit(1)))
    for label, criteria in (("audit viewer: newest 5,000 records", {}),
                            ("audit viewer: one record inside a batch", {"entity_id": teacher})):
        wall, cpu = time.perf_counter(), time.process_time()
        shown, total = audit.search(store.engine, limit=5000, **criteria)
        show(label, time.perf_counter() - wall, time.process_time() - cpu, "none set",
             f"{len(shown)} of {total} shown")


def bench_sign_in(folder: Path) -> None:
    from db.users import add_user, sign_in

    store = Store.open(str(folder / "users.db"))
    schools(store)
    from db.models import Setting

    for i in range(audit.QUICK_TAIL):  # a full tail for the start-up check
        with store.write() as session:
            session.add(Setting(key=f"k{i}", value={"i": i}))
    add_user(store, "boss", "admin", "secret123")
    sign_in(store, "boss", "secret123")  # warm: profile, argon2 module
    for label, step in (("sign-in (argon2id check)", lambda: sign_in(store, "boss", "secret123")),
                        (f"start-up audit check (last {audit.QUICK_TAIL} entries)", lambda: audit.quick_check(store.engine)),
                        ("sign-in + start-up audit check", lambda: (sign_in(store, "boss", "secret123"),
                                                                     audit.quick_check(store.engine)))):
        runs = []
        for _ in range(7):
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        show(label, statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs), "< 0.3 s")
    store.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        bench_sign_in(folder)
        bench_import(folder, write_roster(folder / "roster.xlsx"))


if __name__ == "__main__":
    main()
