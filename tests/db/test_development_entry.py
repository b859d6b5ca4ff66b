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
