"""Writing a package: what changed since the last package to that destination.

The audit log is the change log: every write left one entry per record with a sequence
id. A package to peer P covers the entries after the watermark of the previous package
to P (or of package ``--since``) up to the log's head now, except those that came from
P's own packages (their note starts with :func:`note_prefix` of P). Each record changed
travels once, as it is now — or as a tombstone when it no longer exists — together with
the entries behind it.
"""

from __future__ import annotations

import base64
import dataclasses
import getpass
import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Text, cast, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from db import audit, guard
from db.models import AuditEntry, AuditHead, PackageConflict, PackageLog, School, utcnow
from db.packages import archive, keys, scope
from db.packages.archive import PackageError
from db.store import Store
from policy.progress import Progress, quiet

_LOG = PackageLog.__table__
_ENTRY = AuditEntry.__table__


def note_prefix(origin: uuid.UUID) -> str:
    """How the audit notes of writes applied from ``origin``'s packages begin."""
    return f"数据包 {origin} #"


@dataclasses.dataclass
class Written:
    """What :func:`export` wrote."""

    path: Path
    destination: keys.Peer
    seq: int
    records: int
    tombstones: int
    attachments: int
    audit_entries: int
    setup: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "destination": self.destination.as_json(), "seq": self.seq,
                "records": self.records, "tombstones": self.tombstones, "attachments": self.attachments,
                "audit_entries": self.audit_entries, "setup": self.setup}

    def message(self) -> str:
        kind = "初始化数据包" if self.setup else "数据包"
        return (f"已写出{kind}第 {self.seq} 号（发往“{self.destination.name}”）：{self.records} 条记录、"
                f"{self.tombstones} 条删除、{self.attachments} 个附件 → {self.path}")


def last_seq(connection: Connection, direction: str, peer_id: uuid.UUID) -> int:
    return connection.execute(select(func.max(_LOG.c.seq)).where(
        _LOG.c.direction == direction, _LOG.c.peer_id == peer_id)).scalar() or 0


def watermark(connection: Connection, peer_id: uuid.UUID, seq: int) -> int:
    """The local audit id package ``seq`` to ``peer_id`` covered (0 before the first)."""
    if seq <= 0:
        return 0
    found = connection.execute(select(_LOG.c.watermark).where(
        _LOG.c.direction == "out", _LOG.c.peer_id == peer_id, _LOG.c.seq == seq)).scalar()
    if found is None:
        raise PackageError(f"没有发往该处的第 {seq} 号数据包，无法从它开始（--since）")
    return int(found)


def destination(connection: Connection, to: str | None, school: str | None) -> keys.Peer:
    """The peer named by ``--to`` (id or name), else the laptop of ``--school``, else the only peer."""
    known = keys.peers(connection)
    if to:
        chosen = [p for p in known if str(p.id) == to or str(p.id).startswith(to) or p.name == to]
        if len(chosen) != 1:
            raise PackageError(f"没有登记名为或编号为“{to}”的接收方（package trust 登记）")
        return chosen[0]
    if school and keys.self_peer(connection) is not None:
        school_id = keys.school_by_code(connection, school)
        chosen = [p for p in known if p.school_id == school_id]
        if chosen:
            return chosen[0]
    if len(known) == 1:
        return known[0]
    if not known:
        raise PackageError("尚未登记任何接收方：先用 package trust 登记对方的密钥，或用 --setup 为新笔记本制作初始化数据包")
    raise PackageError("登记了多个接收方，请用 --to 指明发往哪一个")


def _user(store: Store) -> str:
    if not store.actor.setup:
        return store.actor.username
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return store.actor.username


def _current(connection: Connection, table_name: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    table = scope.BY_NAME[table_name]
    found: dict[str, dict[str, Any]] = {}
    wanted = [uuid.UUID(i) for i in ids]
    for start in range(0, len(wanted), 500):
        for row in connection.execute(select(table).where(table.c.id.in_(wanted[start:start + 500]))).mappings():
            found[str(row["id"])] = dict(row)
    return found


def _changes(connection: Connection, since: int, head: int, skip_note: str) -> list[dict[str, Any]]:
    """The audited changes of records in scope, one per record (a batch entry's records
    one by one, see ``db.audit.records``)."""
    e = _ENTRY.c
    query = (select(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, cast(e.before, Text), cast(e.after, Text),
                    e.note)
             .where(e.id > since, e.id <= head, e.entity.in_(list(scope.BY_NAME)),
                    or_(e.entity_id.is_not(None), e.action.in_(sorted(audit.BATCH_ACTIONS))),
                    func.coalesce(func.substr(e.note, 1, len(skip_note)), "") != skip_note)
             .order_by(e.id))
    changes: list[Any] = []
    for r in connection.execute(query):
        entry = {"id": r[0], "at": r[1].isoformat(), "actor": r[2], "action": r[3], "entity": r[4],
                 "entity_id": r[5], "before": json.loads(r[6]) if r[6] else None,
                 "after": json.loads(r[7]) if r[7] else None, "note": r[8]}
        if audit.is_batch(r[5], r[3], entry["before"], entry["after"]):
            changes.extend({**entry, "entity_id": key, "before": was, "after": now}
                           for key, was, now in audit.records(r[4], r[3], entry["before"], entry["after"]))
        elif r[5] is not None:
            changes.append(entry)
    return changes


def export(store: Store, path: str | Path, *, to: str | None = None, since: int | None = None,
           school: str | None = None, progress: Progress = quiet) -> Written:
    """Write the changes since the last package to the destination into ``path``.

    ``progress`` is last called before the file is written: a cancel leaves no file and logs
    nothing.
    """
    progress("正在收集改动…", 0.05)
    path = Path(path)
    me = keys.identity(store)
    with store.engine.begin() as connection:
        dest = destination(connection, to, school)
        last = last_seq(connection, "out", dest.id)
        if since is not None and since > last:
            raise PackageError(f"发往“{dest.name}”的数据包只到第 {last} 号，--since {since} 不存在")
        start = watermark(connection, dest.id, last if since is None else since)
        head = connection.execute(select(AuditHead.last_id)).scalar() or 0
        entries = _changes(connection, start, head, note_prefix(dest.id))
        limit_to = dest.school_id or me.school_id
        if school:
            limit_to = keys.school_by_code(connection, school)
        within = scope.SchoolScope(connection, limit_to) if limit_to else None
        by_record: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for entry in entries:
            by_record[(entry["entity"], entry["entity_id"])].append(entry)
        ids_by_table: dict[str, list[str]] = defaultdict(list)
        for table_name, record_id in by_record:
            ids_by_table[table_name].append(record_id)
        records: list[dict[str, Any]] = []
        blobs: dict[str, bytes] = {}
        carried: list[dict[str, Any]] = []
        tombstones = 0
        for table_name in sorted(ids_by_table, key=scope.ORDER.__getitem__):
            table = scope.BY_NAME[table_name]
            now = _current(connection, table_name, ids_by_table[table_name])
            for record_id in ids_by_table[table_name]:
                row = now.get(record_id)
                history = by_record[(table_name, record_id)]
                if row is None:
                    last_image = next((h["before"] for h in reversed(history) if h["action"] == "delete"), None)
                    if last_image is None:
                        continue
                    if within is not None and not within.holds(table_name, last_image):
                        continue
                    records.append({"table": table_name, "id": record_id, "op": "delete", "last": last_image})
                    tombstones += 1
                else:
                    if within is not None and not within.holds(table_name, row):
                        continue
                    records.append({"table": table_name, "id": record_id, "op": "upsert",
                                    "row": archive.encode_row(table, row, blobs)})
                carried.extend(history)
        disputed = _disputed(connection, dest.id)
        for record in records:
            if (record["table"], record["id"]) in disputed:
                record["disputed"] = True
        if me.school_id is None:  # the bureau: a laptop may lack what a record refers to
            _with_parents(connection, records, blobs)
        seq = last + 1
        progress("正在写出数据包…", 0.6)
        return _seal(connection, store, me, dest, path, seq, head, records, carried, blobs, tombstones, None)


def _disputed(connection: Connection, peer_id: uuid.UUID) -> set[tuple[str, str]]:
    """Records whose version from ``peer_id`` waits here for the clerk: sent marked, so the
    peer keeps its own version too instead of taking ours as news it has seen."""
    c = PackageConflict.__table__.c
    rows = connection.execute(select(c.entity, c.entity_id).where(c.peer_id == peer_id, c.status == "open"))
    return {(r[0], r[1]) for r in rows}


def _with_parents(connection: Connection, records: list[dict[str, Any]], blobs: dict[str, bytes]) -> None:
    """Add every row the records refer to (a visitor's teacher, a posting's exchange …) that
    the package does not carry yet, recursively, so the receiver can insert in key order; a
    parent it already holds arrives unchanged and costs nothing."""
    present = {(r["table"], r["id"]) for r in records}
    todo = [r for r in records if r["op"] == "upsert"]
    while todo:
        wanted: dict[str, set[str]] = defaultdict(set)
        for record in todo:
            table = scope.BY_NAME[record["table"]]
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                value = record["row"].get(fk.parent.name)
                if value and parent in scope.BY_NAME and (parent, str(value)) not in present:
                    wanted[parent].add(str(value))
        todo = []
        for parent, ids in wanted.items():
            table = scope.BY_NAME[parent]
            for record_id, row in _current(connection, parent, sorted(ids)).items():
                present.add((parent, record_id))
                added = {"table": parent, "id": record_id, "op": "upsert",
                         "row": archive.encode_row(table, row, blobs)}
                records.append(added)
                todo.append(added)
    records.sort(key=lambda r: scope.ORDER[r["table"]])


def _seal(connection: Connection, store: Store, me: keys.Peer, dest: keys.Peer, path: Path, seq: int, head: int,
          records: list[dict[str, Any]], carried: list[dict[str, Any]], blobs: dict[str, bytes], tombstones: int,
          setup: dict[str, Any] | None) -> Written:
    """Sign and write the package, then log it (same transaction: a failed write logs nothing)."""
    assert me.private_key is not None
    ack = last_seq(connection, "in", dest.id)
    user = _user(store)
    manifest = {"origin": {"id": str(me.id), "name": me.name}, "destination": str(dest.id), "seq": seq,
                "ack": ack, "user": user, "created_at": utcnow().isoformat(),
                "counts": {"records": len(records), "tombstones": tombstones, "attachments": len(blobs),
                           "audit_entries": len(carried)}}
    if setup is not None:
        manifest["setup"] = setup
    private = me.private_key
    digest = archive.write(path, manifest, records, carried, blobs, lambda data: keys.sign(private, data))
    try:
        with guard.derived(connection):
            connection.execute(insert(_LOG).values(direction="out", peer_id=dest.id, seq=seq, watermark=head,
                                                   ack=ack, digest=digest, user=user[:64], at=utcnow(),
                                                   summary=manifest["counts"]))
    except IntegrityError:  # another export to the same destination took this number first
        path.unlink(missing_ok=True)
        raise PackageError(f"另一个发往“{dest.name}”的数据包刚刚写出了第 {seq} 号，请重新导出") from None
    return Written(path, dest, seq, len(records), tombstones, len(blobs), len(carried), setup is not None)


def export_setup(store: Store, path: str | Path, school: str, name: str | None = None,
                 progress: Progress = quiet) -> Written:
    """The set-up package for a new laptop of ``school``: the county's schools, clusters and
    memberships, the school's teachers and activities, the bureau's public key, and the
    laptop's own new identity (registered here, so its packages are accepted). A cancel through
    ``progress`` (last called before the file is written) registers no laptop and leaves no file."""
    progress("正在收集学校数据…", 0.05)
    path = Path(path)
    me = keys.identity(store)
    with store.engine.begin() as connection:
        school_id = keys.school_by_code(connection, school)
        school_name = connection.execute(select(School.name).where(School.id == school_id)).scalar()
        private, public = keys.new_key_pair()
        laptop = keys.Peer(uuid.uuid4(), "laptop", name or f"{school_name}笔记本", school_id, public)
        keys.put_peer(connection, laptop)
        head = connection.execute(select(AuditHead.last_id)).scalar() or 0
        within = scope.SchoolScope(connection, school_id)
        records: list[dict[str, Any]] = []
        blobs: dict[str, bytes] = {}
        for table, rows in scope.school_rows(connection, within):
            records.extend({"table": table.name, "id": str(row["id"]), "op": "upsert",
                            "row": archive.encode_row(table, row, blobs)} for row in rows)
        _with_parents(connection, records, blobs)
        b64 = base64.b64encode
        setup = {"origin_public_key": b64(me.public_key).decode(),
                 "laptop": {"id": str(laptop.id), "name": laptop.name, "school_id": str(school_id),
                            "private_key": b64(private).decode(), "public_key": b64(public).decode()}}
        progress("正在写出数据包…", 0.6)
        return _seal(connection, store, me, laptop, path, 1, head, records, [], blobs, 0, setup)
