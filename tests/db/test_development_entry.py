"""One training record, designation or 师徒结对 typed in the GUI (issue 11): the imports' checks,
one audited write each, a repeat refused by name with nothing written."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import visit_world
from sqlalchemy import func, select

from db.development_entry import EntryRefused, add_designation, add_mentoring, add_training
from db.models import AuditEntry, Pairing, TeacherDesignation, TrainingRecord


def counts(store) -> tuple[int, int, int, int]:  # noqa: ANN001
    with store.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                     for m in (TrainingRecord, TeacherDesignation, Pairing, AuditEntry))


def test_entries_are_checked_written_once_and_audited(store) -> None:  # noqa: ANN001
    world = visit_world.build(store)
    zhou = world.teachers["周老师@CITY01"]
    before = counts(store)
    add_training(store, zhou, "骨干研修", dt.date(2024, 7, 1), "60", special=False)
    add_designation(store, zhou, "种子教师", dt.date(2024, 9, 1), None)
    add_mentoring(store, zhou, "王名师", dt.date(2024, 9, 1), dt.date(2027, 8, 31))
    after = counts(store)
    assert after[:3] == (before[0] + 1, before[1] + 1, before[2] + 1) and after[3] > before[3]
    with store.read() as s:
        notes = s.scalars(select(AuditEntry.note).where(AuditEntry.note.like("登记%"))).all()
    assert any("登记培训记录：周老师 2024-07-01 骨干研修 60学时" in n for n in notes)
    assert any("登记种子教师：周老师，2024-09-01起" in n for n in notes)
    for attempt, reason in (
        (lambda: add_training(store, zhou, "骨干研修", dt.date(2024, 7, 1), "30", special=True),
         "已登记过 2024-07-01 的“骨干研修”"),
        (lambda: add_training(store, zhou, "研修", dt.date(2024, 7, 1), "2000", special=False), "学时 2000 应大于 0"),
        (lambda: add_designation(store, zhou, "种子教师", dt.date(2024, 9, 1), None), "已登记过 2024-09-01 起的种子教师"),
        (lambda: add_designation(store, zhou, "榜样教师", dt.date(2024, 9, 1), dt.date(2024, 1, 1)), "早于开始日期"),
        (lambda: add_mentoring(store, zhou, "王名师", dt.date(2024, 9, 1), None), "已登记过 2024-09-01 起王名师与周老师"),
        (lambda: add_training(store, uuid.uuid4(), "研修", dt.date(2024, 7, 1), "8", special=False), "找不到该教师"),
    ):
        with pytest.raises(EntryRefused, match=reason):
            attempt()
    assert counts(store) == after  # nothing written by a refusal, not even an audit entry


# Two clerks save one 师徒结对 at the same moment, each from its own process: the check for a
# repeat and the insert are apart (a pause in between makes both check first), so only the
# write lock taken before the check keeps one copy.
RACER = r"""
import datetime as dt, sys, time, uuid
from sqlalchemy.orm import Session
import db.development_entry as entry
from db.store import Store

real = Session.scalar
def slow(self, *args, **kwargs):
    found = real(self, *args, **kwargs)
    time.sleep(0.5)  # between the check for a repeat and the insert
    return found
Session.scalar = slow
store = Store.open(sys.argv[1])
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.002)
try:
    entry.add_mentoring(store, uuid.UUID(sys.argv[2]), "王名师", dt.date(2024, 9, 1), None)
    print("saved")
except entry.EntryRefused as refused:
    print("refused", refused)
"""


def _mentoring_race(store, url: str) -> None:  # noqa: ANN001
    import subprocess
    import sys
    import time
    from pathlib import Path

    world = visit_world.build(store)
    zhou = world.teachers["周老师@CITY01"]
    start = time.time() + 4.0
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.Popen([sys.executable, "-c", RACER, url, str(zhou), str(start)], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [run.communicate(timeout=120) for run in runs]
    said = sorted(out.split()[0] if out.strip() else err[-500:] for out, err in outcomes)
    assert said == ["refused", "saved"], outcomes
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Pairing).where(Pairing.target_teacher_id == zhou,
                                                                        Pairing.supporter_name == "王名师")) == 1


@pytest.mark.slow
def test_one_mentoring_pair_saved_twice_at_once_is_stored_once_on_sqlite(store) -> None:  # noqa: ANN001
    _mentoring_race(store, store.location)


@pytest.mark.slow
@pytest.mark.postgres
def test_one_mentoring_pair_saved_twice_at_once_is_stored_once_on_postgres(pg_store, pg_url) -> None:  # noqa: ANN001
    _mentoring_race(pg_store, pg_url)
