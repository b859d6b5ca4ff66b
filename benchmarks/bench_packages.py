"""Data packages (issue 13): run ``python benchmarks/bench_packages.py``.

* the county demo's set-up package for a new laptop (county schools, clusters, the school's
  teachers and activities): exported at the bureau, imported on an empty laptop — target
  < 10 s each way;
* the whole county demo sent as one package (``--since 0`` to a registered peer) into an
  empty database — the largest package the county can make, for comparison;
* a semester of one school's activity logged on the laptop (500 activities with 2
  visitors each, 50 attachments of 1 MB) exported and imported at the bureau — target
  < 5 s each.

Wall-clock seconds and CPU seconds are printed (CPU is the figure to compare on a shared machine).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from db.demo import build_demo  # noqa: E402
from db.models import Attachment, School, Visit, VisitParticipant  # noqa: E402
from db.packages import keys  # noqa: E402
from db.packages.incoming import apply  # noqa: E402
from db.packages.outgoing import export, export_setup  # noqa: E402
from db.store import Store  # noqa: E402


def timed(label: str, work):  # noqa: ANN001, ANN201
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<58} {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    return result


def semester(laptop: Store, school_id: uuid.UUID) -> None:
    """500 activities, 1,000 visitors and 50 photos of 1 MB at the laptop's school."""
    rng = os.urandom
    with laptop.write("基准：一学期的活动") as session:
        visits = []
        for k in range(500):
            visit = Visit(id=uuid.uuid4(), date=dt.date(2026, 3, 1) + dt.timedelta(days=k % 120),
                          host_school_id=school_id, activity_type="听评课", lessons=1 + k % 3,
                          summary=f"第 {k + 1} 次听评课", entered_by="校长")
            session.add(visit)
            visits.append(visit)
        session.flush()
        for k, visit in enumerate(visits):
            for j in range(2):
                session.add(VisitParticipant(visit_id=visit.id, name=f"帮扶教师{k % 40}-{j}", role="骨干教师"))
            if k % 10 == 0:
                data = rng(1 << 20)
                session.add(Attachment(visit_id=visit.id, filename=f"照片{k}.jpg", mime_type="image/jpeg",
                                       sha256=hashlib.sha256(data).hexdigest(), data=data))


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-packages-"))
    bureau = Store.open(str(folder / "bureau.db"))
    print("building the county demo …", flush=True)
    build_demo(bureau, "county", 2026)
    with bureau.read() as session:
        school_id, code = session.execute(
            select(School.id, School.code).join(Visit, Visit.host_school_id == School.id)
            .group_by(School.id, School.code).order_by(func.count(Visit.id).desc()).limit(1)).one()
    laptop = Store.open(str(folder / "laptop.db"))
    setup = timed(f"set-up package for school {code}: export",
                  lambda: export_setup(bureau, folder / "setup.ebpkg", code))
    print(f"  {setup.records} records, {setup.path.stat().st_size / 1e6:.1f} MB")
    timed("set-up package: import on an empty laptop", lambda: apply(laptop, setup.path))

    whole = Store.open(str(folder / "whole.db"))
    card = folder / "whole.json"
    card.write_text(json.dumps(keys.key_card(whole)), encoding="utf-8")
    bureau_card = folder / "bureau.json"
    bureau_card.write_text(json.dumps(keys.key_card(bureau)), encoding="utf-8")
    keys.trust(bureau, card)
    keys.trust(whole, bureau_card)
    everything = timed("whole county (--since 0): export",
                       lambda: export(bureau, folder / "whole.ebpkg", to=str(keys.identity(whole).id), since=0))
    print(f"  {everything.records} records, {everything.path.stat().st_size / 1e6:.1f} MB")
    timed("whole county: import into an empty database", lambda: apply(whole, everything.path))

    semester(laptop, school_id)
    term = timed("a semester (500 activities, 50 × 1 MB): export at the laptop",
                 lambda: export(laptop, folder / "semester.ebpkg"))
    print(f"  {term.records} records, {term.attachments} attachments, {term.path.stat().st_size / 1e6:.1f} MB")
    done = timed("a semester: import at the bureau", lambda: apply(bureau, term.path))
    print(f"  inserted {done.inserted}, conflicts {len(done.conflicts)}")
    for store in (bureau, laptop, whole):
        store.dispose()


if __name__ == "__main__":
    main()
