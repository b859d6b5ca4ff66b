"""Applying a package: refused whole unless intact, signed by a trusted origin, meant for
this database and next in sequence; then each record inserted, updated or deleted through
the store's audited write path — or, when it changed here too, kept aside as a conflict.

"Changed here since they last met": the package says which of our packages its origin had
applied (``ack``); local audit entries after that package's watermark, other than writes
that came from the origin itself, are changes the origin has not seen. A record in the
package with such a change, and a different value, is a conflict: the local version stays,
the incoming one waits in ``package_conflict`` until the clerk chooses (:mod:`.conflicts`).
A record the sender itself holds in conflict with us comes marked ``disputed``: whatever
the acknowledgements say, a different local version is kept and listed here too.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from db import audit, guard
from db.guard import Actor, PermissionDenied
from db.models import AuditEntry, PackageConflict, PackageLog, PackagePeer, School, utcnow
from db.packages import archive, keys, scope
from db.packages.archive import PackageError
from db.packages.fields import STAMPS, describe
from db.packages.outgoing import last_seq, note_prefix, watermark
from db.store import Store
from policy.progress import Progress, quiet

_LOG = PackageLog.__table__
_CONFLICT = PackageConflict.__table__
_ENTRY = AuditEntry.__table__


@dataclasses.dataclass
class Applied:
    """What :func:`apply` did."""

    origin: keys.Peer
    seq: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    setup: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"origin": self.origin.as_json(), "seq": self.seq, "inserted": self.inserted,
                "updated": self.updated, "deleted": self.deleted, "unchanged": self.unchanged,
                "setup": self.setup, "conflicts": self.conflicts}

    def message(self) -> str:
        text = (f"已导入“{self.origin.name}”的数据包第 {self.seq} 号：新增 {self.inserted}、修改 {self.updated}、"
                f"删除 {self.deleted}、无变化 {self.unchanged}")
        if self.conflicts:
            text += f"；{len(self.conflicts)} 条记录两边都改过，未覆盖，请处理冲突（package conflicts）"
        return text


def comparable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: v for k, v in row.items() if k not in STAMPS}


def to_json(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row for the conflict table: plain JSON, binary data as base64 (kept whole)."""
    if row is None:
        return None
    out = {}
    for k, v in row.items():
        if isinstance(v, (bytes, memoryview)):
            v = {"$base64": base64.b64encode(bytes(v)).decode()}
        elif isinstance(v, (dt.date, dt.datetime, uuid.UUID)):
            v = archive._plain(v)
        out[k] = v
    return out


def from_json(table_name: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    table = scope.BY_NAME[table_name]
    blobs = {k: base64.b64decode(v["$base64"]) for k, v in row.items() if isinstance(v, dict) and "$base64" in v}
    plain = {k: ({"$blob": k} if k in blobs else v) for k, v in row.items()}
    return archive.decode_row(table, plain, blobs.__getitem__)


def import_actor(origin: keys.Peer, user: str) -> Actor:
    """Whom imported writes are recorded as: the sender, with the rights its kind allows
    (a laptop's: a principal of its registered school, enforced by ``db.guard``)."""
    name = f"{user}@{origin.name}"[:64]
    if origin.kind == "laptop":
        return Actor(name, "principal", school_id=origin.school_id)
    return Actor(name, "clerk")


def _check_origin(connection: Connection, opened: archive.Opened) -> tuple[keys.Peer, keys.Peer, bool]:
    """(origin, this database, setup?) once the signature and the addressing hold."""
    manifest = opened.manifest
    name = opened.path.name
    try:
        origin_id = uuid.UUID(manifest["origin"]["id"])
        dest_id = uuid.UUID(manifest["destination"])
        seq = int(manifest["seq"])
    except (KeyError, ValueError, TypeError):
        raise archive.damaged(opened.path, "清单不完整") from None
    setup = manifest.get("setup")
    me = keys.self_peer(connection)
    if setup is not None:
        if keys.peers(connection) or connection.execute(select(School.id).limit(1)).first() is not None:
            if me is not None and me.id == dest_id:
                raise PackageError(f"该初始化数据包已经导入过，未作任何改动：{name}")
            raise PackageError(f"初始化数据包只能导入新的空白数据库（本机已有数据或已登记对方）：{name}")
        public = base64.b64decode(setup["origin_public_key"])
        if not keys.verify(public, opened.signature, opened.head):
            raise archive.damaged(opened.path, "签名不符")
        bureau = keys.Peer(origin_id, "bureau", str(manifest["origin"].get("name") or origin_id), None, public)
        laptop = setup["laptop"]
        mine = keys.Peer(uuid.UUID(laptop["id"]), "self", laptop["name"], uuid.UUID(laptop["school_id"]),
                         base64.b64decode(laptop["public_key"]), base64.b64decode(laptop["private_key"]))
        if mine.id != dest_id or seq != 1:
            raise archive.damaged(opened.path, "初始化数据包的收件方或序号不符")
        return bureau, mine, True
    origin = keys.peer(connection, origin_id)
    if origin is None:
        raise PackageError(f"数据包来自未登记的来源（{manifest['origin'].get('name')}，{origin_id}），"
                           f"未导入任何内容：{name}")
    if not keys.verify(origin.public_key, opened.signature, opened.head):
        raise archive.damaged(opened.path, f"签名与“{origin.name}”登记的密钥不符")
    if me is None or me.id != dest_id:
        raise PackageError(f"这个数据包是发给另一台电脑的，未导入任何内容：{name}")
    last = last_seq(connection, "in", origin.id)
    if seq <= last:
        raise PackageError(f"“{origin.name}”的第 {seq} 号数据包已经导入过（重复导入），未作任何改动：{name}")
    if seq != last + 1:
        missing = f"第 {last + 1} 号" if seq == last + 2 else f"第 {last + 1}—{seq - 1} 号"
        raise PackageError(f"缺少“{origin.name}”的{missing}数据包，请先导入它；未导入任何内容：{name}")
    return origin, me, False


def _unseen(connection: Connection, origin: keys.Peer, ack: int) -> set[tuple[str, str]]:
    """Records changed here that ``origin`` has not seen (see the module docstring)."""
    since = watermark(connection, origin.id, ack) if ack else 0
    prefix = note_prefix(origin.id)
    e = _ENTRY.c
    local = [e.id > since, func.coalesce(func.substr(e.note, 1, len(prefix)), "") != prefix]
    rows = connection.execute(select(e.entity, e.entity_id).distinct().where(*local, e.entity_id.is_not(None)))
    unseen = {(r[0], r[1]) for r in rows}
    batches = connection.execute(select(e.entity, e.action, e.before, e.after).where(
        *local, e.entity_id.is_(None), e.action.in_(sorted(audit.BATCH_ACTIONS))))
    for entity, action, before, after in batches:
        if audit.is_batch(None, action, before, after):
            unseen.update((entity, key) for key, _, _ in audit.records(entity, action, before, after))
    return unseen


def _check_principal(connection: Connection, origin: keys.Peer, records: list[dict[str, Any]], name: str) -> None:
    """A laptop's package carries only its school's activities: checked here, not trusted."""
    refuse = PackageError(f"数据包被拒绝：来自“{origin.name}”的数据包含有其他学校的记录，未导入任何内容：{name}")
    if origin.school_id is None:
        raise refuse
    school = str(origin.school_id)
    tables = scope.BY_NAME
    own_visits = {str(v) for v in connection.execute(select(tables["visit"].c.id).where(
        tables["visit"].c.host_school_id == origin.school_id)).scalars()}
    for record in records:
        if record["table"] not in scope.PRINCIPAL:
            raise refuse
        if record["table"] == "visit":
            row = record.get("row") or record.get("last") or {}
            local = connection.execute(select(tables["visit"].c.host_school_id).where(
                tables["visit"].c.id == uuid.UUID(record["id"]))).scalar()
            if str(row.get("host_school_id")) != school or (local is not None and str(local) != school):
                raise refuse
            own_visits.add(record["id"])
    for record in records:
        if record["table"] in ("visit_participant", "attachment"):
            row = record.get("row") or record.get("last") or {}
            if str(row.get("visit_id")) not in own_visits:
                raise refuse


def _ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upserts parents first (a school's 中心校 before it), then deletions children first."""
    ups = [r for r in records if r["op"] == "upsert"]
    downs = [r for r in records if r["op"] == "delete"]
    ups.sort(key=lambda r: scope.ORDER[r["table"]])
    placed: list[dict[str, Any]] = []
    pending: dict[str, list[dict[str, Any]]] = {}
    for r in ups:
        pending.setdefault(r["table"], []).append(r)
    for table_name in sorted(pending, key=scope.ORDER.__getitem__):
        placed.extend(_self_ordered(scope.BY_NAME[table_name], pending[table_name]))
    downs.sort(key=lambda r: -scope.ORDER[r["table"]])
    return placed + downs


def _self_ordered(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not refs:
        return rows
    ids = {r["id"] for r in rows}
    done: set[str] = set()
    out: list[dict[str, Any]] = []
    waiting = rows
    while waiting:
        later = []
        for r in waiting:
            parents = {str(r["row"].get(c)) for c in refs if r["row"].get(c)} & ids
            if parents <= done:
                out.append(r)
                done.add(r["id"])
            else:
                later.append(r)
        if len(later) == len(waiting):  # a cycle: leave the rest as they are
            out.extend(later)
            break
        waiting = later
    return out


#: Records applied between two progress calls.
PROGRESS_EVERY = 500


def apply(store: Store, path: str | Path, progress: Progress = quiet) -> Applied:
    """Verify and apply the package at ``path``; nothing is written unless all of it is.

    ``progress`` (policy.progress) is also called inside the write transaction, the last
    time after every record and before the commit: a cancel there writes nothing.

    Raises:
        PackageError: damaged, altered, unknown origin, not for us, replayed or out of
            sequence, another school's records from a laptop, or not applicable here.
    """
    path = Path(path)
    if store.actor.role == "evaluator":
        raise PackageError("评估人员只能查看数据，不能导入数据包")
    progress("正在核对数据包…", 0.02)
    opened = archive.read(path)
    try:
        return _apply(store, opened, progress)
    finally:
        opened.close()


def _apply(store: Store, opened: archive.Opened, progress: Progress) -> Applied:
    manifest = opened.manifest
    name = opened.path.name
    with store.engine.connect() as connection:
        origin, me, setup = _check_origin(connection, opened)
        if origin.kind == "laptop":
            _check_principal(connection, origin, opened.records, name)
    seq = int(manifest["seq"])
    user = str(manifest.get("user") or "?")
    done = Applied(origin, seq, setup=setup)
    writer = Store(store.engine, import_actor(origin, user))
    note = f"{note_prefix(origin.id)}{seq}（{origin.name}，{user}，{manifest.get('created_at', '')[:16]}）"
    try:
        with writer.write(note=note) as session:
            connection = session.connection()
            # The audit chain's lock first (one writer at a time, on SQLite and PostgreSQL), then
            # the sequence again: a second import of the same package waits here and is refused.
            state = guard.state_of(connection)
            if state is None:  # Store.write always sets one: a broken invariant, not a user's error
                raise RuntimeError("a write session without its write state")
            guard.begin_write(connection, state)
            if last_seq(connection, "in", origin.id) >= seq:
                raise PackageError(f"“{origin.name}”的第 {seq} 号数据包已经导入过（重复导入），未作任何改动：{name}")
            unseen = set() if setup else _unseen(connection, origin, int(manifest.get("ack") or 0))
            ordered = _ordered(opened.records)
            local = _local_rows(connection, ordered)
            batch = _Inserts(connection)
            for number, record in enumerate(ordered):
                if number % PROGRESS_EVERY == 0:
                    progress(f"正在导入第 {number + 1}/{len(ordered)} 条记录…", 0.1 + 0.8 * number / len(ordered))
                _apply_record(connection, origin, seq, record, opened, unseen, done, local, batch)
            batch.flush()
            if setup:  # after the schools: the laptop's identity names its school
                with guard.derived(connection):
                    connection.execute(delete(PackagePeer.__table__))
                keys.put_peer(connection, me)
                keys.put_peer(connection, origin)
            with guard.derived(connection):
                connection.execute(insert(_LOG).values(
                    direction="in", peer_id=origin.id, seq=seq, watermark=0, ack=int(manifest.get("ack") or 0),
                    digest=opened.digest, user=store.actor.username[:64], at=utcnow(),
                    summary={"counts": manifest.get("counts"), "sender_audit": opened.audit[-1000:]}))
            progress("正在提交…", 0.95)  # the last cancellation point: inside the transaction
    except PermissionDenied as exc:
        raise PackageError(f"数据包被拒绝，未导入任何内容：{exc}") from None
    except IntegrityError as exc:
        if "package_log" in str(exc.orig) or "direction" in str(exc.orig):
            raise PackageError(f"“{origin.name}”的第 {seq} 号数据包已经导入过（重复导入），未作任何改动：{name}") from None
        text = " ".join(str(exc.orig).split())[:200]
        raise PackageError(f"数据包与本机数据不相容，未导入任何内容（{text}）：{name}") from None
    return done


class _Inserts:
    """New rows of one table sent as one executemany (audited per row by the guard): a
    county's set-up package is tens of thousands of inserts."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.table: Any = None
        self.rows: list[dict[str, Any]] = []

    def add(self, table: Table, row: dict[str, Any]) -> None:
        if self.rows and (table is not self.table or row.keys() != self.rows[0].keys() or len(self.rows) >= 2000):
            self.flush()
        self.table = table
        self.rows.append(row)

    def flush(self) -> None:
        if self.rows:
            self.connection.execute(insert(self.table), self.rows)
            self.rows = []


def _local_rows(connection: Connection, records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The local versions of every record in the package, read in a few queries."""
    wanted: dict[str, list[uuid.UUID]] = {}
    for record in records:
        if record["table"] not in scope.BY_NAME:
            raise PackageError(f"数据包含有本机没有的数据表 {record['table']}（程序版本不同？）")
        wanted.setdefault(record["table"], []).append(uuid.UUID(record["id"]))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for table_name, ids in wanted.items():
        table = scope.BY_NAME[table_name]
        for start in range(0, len(ids), 500):
            for row in connection.execute(select(table).where(table.c.id.in_(ids[start:start + 500]))).mappings():
                found[(table_name, str(row["id"]))] = dict(row)
    return found


def _apply_record(connection: Connection, origin: keys.Peer, seq: int, record: dict[str, Any],
                  opened: archive.Opened, unseen: set[tuple[str, str]], done: Applied,
                  locals_: dict[tuple[str, str], dict[str, Any]], batch: _Inserts) -> None:
    table = scope.BY_NAME[record["table"]]
    record_id = uuid.UUID(record["id"])
    local = locals_.get((record["table"], str(record_id)))
    theirs = archive.decode_row(table, record["row"], opened.blob) if record["op"] == "upsert" else None
    if theirs is not None and theirs.get("id") != record_id:
        raise archive.damaged(opened.path, "记录编号不符")
    if comparable(local) == comparable(theirs) or (theirs is not None and local is not None
                                                    and all(local.get(k) == v for k, v in theirs.items()
                                                            if k not in STAMPS)):
        done.unchanged += 1
        return
    contested = (record["table"], record["id"]) in unseen or record.get("disputed") is True
    if theirs is not None and local is None and not contested:
        batch.add(table, theirs)
        done.inserted += 1
        return
    batch.flush()
    if contested:
        _keep_aside(connection, origin, seq, record["table"], record["id"], local, theirs, done)
        return
    if theirs is None:
        connection.execute(delete(table).where(table.c.id == record_id))
        done.deleted += 1
    elif local is not None:  # (theirs with no local copy was inserted above)
        changed = {k: v for k, v in theirs.items() if k not in STAMPS and local.get(k) != v}
        connection.execute(update(table).where(table.c.id == record_id).values(**changed))
        done.updated += 1


def _keep_aside(connection: Connection, origin: keys.Peer, seq: int, table_name: str, record_id: str,
                local: dict[str, Any] | None, theirs: dict[str, Any] | None, done: Applied) -> None:
    """Both versions kept: ours in its table, theirs in ``package_conflict``."""
    mine_json, theirs_json = to_json(local), to_json(theirs)
    with guard.derived(connection):
        connection.execute(update(_CONFLICT).where(
            _CONFLICT.c.entity == table_name, _CONFLICT.c.entity_id == record_id, _CONFLICT.c.status == "open",
        ).values(status="replaced", resolved_at=utcnow()))
        result = connection.execute(insert(_CONFLICT).values(
            peer_id=origin.id, seq=seq, entity=table_name, entity_id=record_id, mine=mine_json, theirs=theirs_json,
            status="open", created_at=utcnow()))
    key = result.inserted_primary_key
    if key is None:  # an INSERT … VALUES always reports its key
        raise RuntimeError("package_conflict insert without a key")
    conflict_id = key[0]
    done.conflicts.append(describe(conflict_id, origin.name, seq, table_name, record_id, mine_json, theirs_json))
