"""Records changed on both sides: listed field by field, resolved only by the clerk's choice.

``keep mine`` leaves the local record as it is (it travels back in the next package if it
changed after the last one); ``keep theirs`` writes the incoming version through the
store's audited path with a note naming the package and who chose; the choice travels
back in the next package, so both sides end with the same record.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from db import guard
from db.models import PackageConflict, utcnow
from db.packages import keys, scope
from db.packages.archive import PackageError
from db.packages.fields import describe
from db.packages.incoming import from_json, import_actor
from db.store import Store

_CONFLICT = PackageConflict.__table__
def open_conflicts(store: Store) -> list[dict[str, Any]]:
    """Every conflict still waiting for a choice, oldest first."""
    with store.engine.connect() as connection:
        names = {p.id: p.name for p in keys.peers(connection)}
        rows = connection.execute(select(_CONFLICT).where(_CONFLICT.c.status == "open")
                                  .order_by(_CONFLICT.c.id)).mappings().all()
    return [describe(r["id"], names.get(r["peer_id"], str(r["peer_id"])), r["seq"], r["entity"], r["entity_id"],
                     r["mine"], r["theirs"]) for r in rows]


def resolve(store: Store, conflict_id: int, keep: str) -> str:
    """Apply the clerk's choice (``mine`` or ``theirs``) to one open conflict; returns a line to show."""
    if keep not in ("mine", "theirs"):
        raise PackageError("请选择 --keep mine（保留本机）或 --keep theirs（采用对方）")
    if store.actor.role == "evaluator":
        raise PackageError("评估人员只能查看数据，不能处理冲突")
    with store.engine.connect() as connection:
        row = connection.execute(select(_CONFLICT).where(_CONFLICT.c.id == conflict_id)).mappings().first()
        origin = keys.peer(connection, row["peer_id"]) if row is not None else None
    if row is None or origin is None:
        raise PackageError(f"没有编号为 {conflict_id} 的冲突")
    if row["status"] != "open":
        raise PackageError(f"冲突 {conflict_id} 已处理过（{row['status']}）")
    chooser = store.actor.username
    table = scope.BY_NAME[row["entity"]]
    record_id = uuid.UUID(row["entity_id"])
    if keep == "mine":
        with store.engine.begin() as connection, guard.derived(connection):
            _close(connection, conflict_id, "mine", chooser)
        return f"冲突 {conflict_id} 已处理：保留本机版本"
    theirs = from_json(row["entity"], row["theirs"])
    writer = Store(store.engine, import_actor(origin, chooser))
    # Not marked as coming from the origin: the choice is ours and travels back, so both
    # sides end with the same record (or, if the other clerk chose otherwise, see it as a conflict).
    note = f"冲突处理：采用“{origin.name}”第 {row['seq']} 号数据包中的版本（{chooser} 选择）"
    with writer.write(note=note) as session:
        connection = session.connection()
        exists = connection.execute(select(table.c.id).where(table.c.id == record_id)).first() is not None
        if theirs is None:
            if exists:
                connection.execute(delete(table).where(table.c.id == record_id))
        elif exists:
            connection.execute(update(table).where(table.c.id == record_id).values(**theirs))
        else:
            connection.execute(insert(table).values(**theirs))
        with guard.derived(connection):
            _close(connection, conflict_id, "theirs", chooser)
    return f"冲突 {conflict_id} 已处理：采用对方（{origin.name}）的版本"


def _close(connection: Connection, conflict_id: int, status: str, chooser: str) -> None:
    connection.execute(update(_CONFLICT).where(_CONFLICT.c.id == conflict_id, _CONFLICT.c.status == "open")
                       .values(status=status, resolved_by=chooser[:64], resolved_at=utcnow()))
