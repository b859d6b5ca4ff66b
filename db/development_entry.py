"""One training record, designation or 师徒结对 typed in the GUI (the imports' rows, one at a time).

Each is one :meth:`Store.write` (audited, all or nothing); the checks are the imports' own
(学时 through :func:`db.training_import.parse_hours`, the same keys), and a refusal is a
:class:`~db.engine.StoreError` with the reason in Chinese, nothing written. The unique keys of
``training_record`` and ``teacher_designation`` back the "already registered" checks up when two
clerks save the same record at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import StoreError
from db.importing import CellError, parse_text
from db.locks import hold_write_lock
from db.models import Pairing, Teacher, TeacherDesignation, TrainingRecord
from db.store import Store
from db.training_import import parse_hours
from policy import vocab


class EntryRefused(StoreError):
    """A record the form cannot save, with the reason."""


def _text(value: str, label: str, max_length: int) -> str:
    try:
        text = parse_text(value, max_length=max_length)
    except CellError as exc:
        raise EntryRefused(f"{label}：{exc}") from None
    if not text:
        raise EntryRefused(f"{label}不能为空")
    return text


def _saved(store: Store, teacher_id: uuid.UUID, note: Callable[[str], str], write: Callable[[Any, str], None],
           taken: str) -> None:
    """Run ``write(session, name)`` in one transaction audited as ``note(name)`` (the teacher's
    name); a unique key refusing it (another clerk saved it meanwhile) → ``taken``."""
    with store.read() as session:
        teacher = session.get(Teacher, teacher_id)
        name = teacher.name if teacher is not None else None
    if name is None:
        raise EntryRefused("找不到该教师（可能已被删除），请重新选择")
    try:
        with store.write(note(name)) as session:
            write(session, name)
            session.flush()
    except IntegrityError:
        raise EntryRefused(taken) from None


def add_training(store: Store, teacher_id: uuid.UUID, course: str, day: dt.date, hours: str | float,
                 special: bool) -> None:
    """A course the teacher completed on ``day`` with its 学时 (refused when already registered)."""
    course = _text(course, "培训项目", 128)
    try:
        amount = parse_hours(hours)
    except CellError as exc:
        raise EntryRefused(str(exc)) from None
    if amount is None:
        raise EntryRefused("学时不能为空")
    taken = f"已登记过 {day.isoformat()} 的“{course}”"

    def note(name: str) -> str:
        return f"登记培训记录：{name} {day.isoformat()} {course} {amount:g}学时" + ("（乡村专项）" if special else "")

    def write(session: Session, _name: str) -> None:
        if session.scalar(select(TrainingRecord.id).where(TrainingRecord.teacher_id == teacher_id,
                                                          TrainingRecord.completed_on == day,
                                                          TrainingRecord.course == course)) is not None:
            raise EntryRefused(taken)
        session.add(TrainingRecord(teacher_id=teacher_id, completed_on=day, course=course, hours=amount,
                                   special=special))

    _saved(store, teacher_id, note, write, taken)


def add_designation(store: Store, teacher_id: uuid.UUID, kind: str, start: dt.date, end: dt.date | None) -> None:
    """种子教师 / 榜样教师 from ``start`` (to ``end``, the last day, when given)."""
    if kind not in vocab.DESIGNATIONS:
        raise EntryRefused(f"称号应为{'、'.join(vocab.DESIGNATIONS)}")
    if end is not None and end < start:
        raise EntryRefused(f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
    taken = f"已登记过 {start.isoformat()} 起的{kind}"

    def note(name: str) -> str:
        return f"登记{kind}：{name}，{start.isoformat()}起" + (f"至{end.isoformat()}" if end else "")

    def write(session: Session, _name: str) -> None:
        if session.scalar(select(TeacherDesignation.id).where(TeacherDesignation.teacher_id == teacher_id,
                                                              TeacherDesignation.kind == kind,
                                                              TeacherDesignation.start == start)) is not None:
            raise EntryRefused(taken)
        session.add(TeacherDesignation(teacher_id=teacher_id, kind=kind, start=start, end_on=end))

    _saved(store, teacher_id, note, write, taken)


def add_mentoring(store: Store, apprentice_id: uuid.UUID, mentor: str, start: dt.date, end: dt.date | None) -> None:
    """A 师徒结对: ``mentor`` (as the register names them) follows the teacher from ``start``."""
    mentor = _text(mentor, "师傅", 64)
    if end is not None and end < start:
        raise EntryRefused(f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")

    def note(name: str) -> str:
        return f"登记师徒结对：{mentor}—{name}，{start.isoformat()}起" + (f"至{end.isoformat()}" if end else "")

    def write(session: Session, name: str) -> None:
        # No unique key can say "one pair per start" for the pairing table's kinds: the
        # imports' write lock (SQLite's, a PostgreSQL advisory lock) comes before the check,
        # so of two clerks saving one pair at once the second finds the first's.
        hold_write_lock(session.connection())
        if session.scalar(select(Pairing.id).where(Pairing.kind == vocab.MENTORING, Pairing.supporter_name == mentor,
                                                   Pairing.target_teacher_id == apprentice_id,
                                                   Pairing.start == start)) is not None:
            raise EntryRefused(f"已登记过 {start.isoformat()} 起{mentor}与{name}的师徒结对")
        session.add(Pairing(kind=vocab.MENTORING, supporter_name=mentor, target_teacher_id=apprentice_id,
                            start=start, end=end))

    _saved(store, apprentice_id, note, write, "该师徒结对已登记")
