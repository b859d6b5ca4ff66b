"""Optimistic concurrency: a save based on a stale record is refused, saying who changed it.

Every editable table has ``row_version`` (``db.models.Versioned``, SQLAlchemy's
``version_id_col``), so an ORM UPDATE or DELETE carries ``WHERE row_version = :loaded``
and a lost race raises ``StaleDataError`` instead of overwriting the newer save.
:meth:`db.store.Store.write` turns that into :class:`StaleRecord` (via :func:`translate`),
whose message names the record, who changed it last and when, read from the newest audit
entry of that row (:mod:`db.audit`).

An edit form keeps the ``row_version`` it showed; :func:`editing` opens the write, takes the
write lock first (the audit chain's lock, :func:`db.guard.begin_write`, which every write
takes — so the comparison and the write cannot be separated by another writer, on SQLite
and PostgreSQL alike) and refuses the save when the record moved on since the form loaded it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.exc import StaleDataError

from db import guard
from db.engine import StoreError
from db.models import AuditEntry, User, Versioned

if TYPE_CHECKING:
    from db.store import Store

T = TypeVar("T", bound=Versioned)

# What the message calls a record of each table.
LABELS = {
    "region": "县区", "school": "学校", "cluster": "集团（教共体）", "membership": "成员学校记录",
    "pairing": "结对记录", "teacher": "教师", "posting": "任职记录", "exemption": "免交流记录",
    "exchange_plan": "交流计划", "exchange": "交流记录", "subject_need": "学科需求", "visit": "帮扶活动",
    "visit_participant": "活动参与人", "duty_holder": "帮扶责任人", "agreement": "协议",
    "agreement_party": "协议签约方", "quality_indicator": "质量指标", "evaluation": "年度考核",
    "semester_summary": "学期总结", "report_text": "报告文字", "waiver": "豁免记录", "setting": "设置",
}
PENDING = "versioned_rows"  # session.info: (table, key) → row_version as loaded, of this flush


class StaleRecord(StoreError):
    """The record changed (or was deleted) since it was loaded; nothing was written."""


def _key(obj: object) -> str:
    return str(getattr(obj, "id", None) or getattr(obj, "key", ""))


@event.listens_for(Session, "before_flush")
def _remember(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """Note the versioned rows this flush updates or deletes, to name the stale one later."""
    pending = session.info.setdefault(PENDING, {})
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, Versioned):
            loaded = inspect(obj).committed_state.get("row_version", obj.row_version)
            pending[(obj.__tablename__, _key(obj))] = loaded


def _local(at: dt.datetime) -> str:
    """An audit stamp (naive UTC) in this computer's time, to the minute."""
    return at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def describe(session: Session, table: str, key: str, *, deleted: bool = False) -> str:
    """The refusal: which record, who changed it last and when (from the audit log)."""
    label = LABELS.get(table, "该记录")
    entry = session.execute(select(AuditEntry.actor, AuditEntry.at, AuditEntry.action)
                            .where(AuditEntry.entity == table, AuditEntry.entity_id == key)
                            .order_by(AuditEntry.id.desc()).limit(1)).first()
    if entry is None:
        return f"该{label}已被他人修改，请重新载入后再改"
    shown = session.scalar(select(User.display_name).where(User.username == entry.actor)) or entry.actor
    verb = "删除" if deleted or entry.action == "delete" else "修改"
    return f"该{label}已被 {shown} 于 {_local(entry.at)} {verb}，请重新载入后再改"


def translate(store: Store, session: Session) -> StaleRecord:
    """The :class:`StaleRecord` for a flush that raised ``StaleDataError`` in ``session``."""
    pending: dict[tuple[str, str], int] = session.info.get(PENDING, {})
    from db.models import Base

    tables = {m.class_.__table__.name: m.class_ for m in Base.registry.mappers}
    with store.read() as reader:
        for (table, key), loaded in pending.items():
            model = tables[table]
            ident: Any = uuid.UUID(key) if table != "setting" else key
            current = reader.get(model, ident)
            if current is None:
                return StaleRecord(describe(reader, table, key, deleted=True))
            if current.row_version != loaded:
                return StaleRecord(describe(reader, table, key))
        return StaleRecord("要保存的记录已被他人修改，请重新载入后再改")


@contextmanager
def editing(store: Store, model: type[T], ident: uuid.UUID | str, expected: int | None, note: str,
            missing: str | None = None) -> Iterator[tuple[Session, T]]:
    """A write of one record as an edit form saw it (``expected``: its ``row_version`` then).

    Raises:
        StaleRecord: the record changed or was deleted since (nothing written).
    """
    with store.write(note=note) as session:
        connection = session.connection()
        state = guard.state_of(connection)
        assert state is not None
        guard.begin_write(connection, state)
        obj = session.get(model, ident, populate_existing=True)
        table = model.__tablename__
        if obj is None:
            raise StaleRecord(missing or describe(session, table, str(ident), deleted=True))
        if expected is not None and obj.row_version != expected:
            raise StaleRecord(describe(session, table, str(ident)))
        yield session, obj


__all__ = ["LABELS", "StaleDataError", "StaleRecord", "describe", "editing", "translate"]
