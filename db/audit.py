"""The audit chain: appending entries and checking that none was edited, removed or forged.

Every entry carries ``prev_hash`` (the hash of the entry before it) and ``hash`` =
SHA-256 of ``prev_hash``, a canonical JSON header (id, time, actor, action, table, record,
note) and the canonical JSON of ``before`` and ``after`` (sorted keys, no spaces, UTF-8,
dates in ISO 8601). Canonical means a value parsed back from the database serialises to
the same text, so :func:`verify` recomputes every hash from what is stored.

Appends are linear under concurrent writers: :func:`lock_head` takes the one
``audit_head`` row first — an UPDATE on SQLite (the database's single write lock, waited
for through ``busy_timeout``) and ``SELECT … FOR UPDATE`` on PostgreSQL — and only then
reads the chain's end. A second writer waits until the first commits.

Nothing here checks permissions: :mod:`db.guard` calls :func:`append` for writes it has
already allowed, inside the same transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Text, cast, func, select, update

from db.models import AuditEntry, AuditHead

_ENTRY = AuditEntry.__table__
_HEAD = AuditHead.__table__
HEAD_ID = 1
#: Entries the start-up check re-hashes (the end of the chain; ``audit verify`` checks all).
QUICK_TAIL = 2000
#: Values never written into the audit log, only that they changed.
MASKED = {"password_hash"}


def plain(value: Any) -> Any:
    """``json.dumps(default=...)``: dates, UUIDs and bytes in a JSON-safe, stable form."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=plain).encode


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (see the module docstring)."""
    return _dumps(value)


def digest(prev: str, entry_id: int, at: str, actor: str, action: str, entity: str,
           entity_id: str | None, note: str | None, before: str, after: str) -> str:
    """The hash of one entry from its fields (``before``/``after`` as canonical JSON text)."""
    header = _dumps([entry_id, at, actor, action, entity, entity_id, note])
    return hashlib.sha256(f"{prev}\n{header}\n{before}\n{after}".encode()).hexdigest()


@dataclasses.dataclass(slots=True)
class Entry:
    """One entry to append; ``before``/``after`` are dicts of plain values or None."""

    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any = None
    after: Any = None
    note: str | None = None


def _stamp(at: dt.datetime) -> str:
    return at.isoformat()


def lock_head(connection: Connection) -> tuple[int, str]:
    """Take the chain's write lock for this transaction and return (last id, last hash)."""
    if connection.dialect.name == "sqlite":
        connection.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_id=_HEAD.c.last_id))
        row = connection.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == HEAD_ID)).one()
    else:
        row = connection.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash)
                                 .where(_HEAD.c.id == HEAD_ID).with_for_update()).one()
    return int(row[0]), str(row[1] or "")


def append(connection: Connection, entries: Sequence[Entry], at: dt.datetime) -> int:
    """Chain ``entries`` onto the log in this transaction; returns the last id written."""
    last_id, prev = lock_head(connection)
    if not entries:
        return last_id
    stamp = _stamp(at)
    rows = []
    for entry in entries:
        last_id += 1
        before = _dumps(entry.before)
        after = _dumps(entry.after)
        digest_ = digest(prev, last_id, stamp, entry.actor, entry.action, entry.entity, entry.entity_id,
                         entry.note, before, after)
        rows.append((last_id, at, entry.actor, entry.action, entry.entity, entry.entity_id,
                     before, after, entry.note, prev, digest_))
        prev = digest_
    _insert(connection, rows)
    connection.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_id=last_id, last_hash=prev))
    return last_id


_PLAIN_ID = re.compile(r"[0-9A-Za-z_.:-]*")


def append_inserts(connection: Connection, actor: str, entity: str, note: str | None, ids: Sequence[str],
                   afters: Sequence[str], at: dt.datetime) -> int:
    """Chain one "insert" entry per row of a bulk load: ``afters`` already canonical JSON text.

    The fast path of :func:`append` for tens of thousands of rows (``db.bulk``): no
    per-row objects, one ``executemany``.
    """
    last_id, prev = lock_head(connection)
    stamp = _stamp(at)
    rows = []
    sha = hashlib.sha256
    # digest()'s header, _dumps([id, stamp, actor, "insert", entity, entity_id, note]), built
    # around the two parts that change; a record id that JSON would escape takes the slow way.
    middle = _dumps([stamp, actor, "insert", entity])[1:-1]
    tail = _dumps(note)
    for entity_id, after in zip(ids, afters, strict=True):
        last_id += 1
        if _PLAIN_ID.fullmatch(entity_id):
            header = f'[{last_id},{middle},"{entity_id}",{tail}]'
        else:
            header = _dumps([last_id, stamp, actor, "insert", entity, entity_id, note])
        value = sha(f"{prev}\n{header}\nnull\n{after}".encode()).hexdigest()
        rows.append((last_id, at, actor, "insert", entity, entity_id, None, after, note, prev, value))
        prev = value
    if rows:
        _insert(connection, rows)
        connection.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_id=last_id, last_hash=prev))
    return last_id


_COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after", "note", "prev_hash", "hash")


def _insert(connection: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert prepared rows; the JSON columns get the canonical text as it is."""
    if connection.dialect.name == "sqlite":
        stamp = rows[0][1].strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime format
        marks = ", ".join("?" for _ in _COLUMNS)
        connection.exec_driver_sql(
            f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES ({marks})",
            [(r[0], stamp, *r[2:]) for r in rows])
        return
    # PostgreSQL: json columns accept the text; cast keeps it exactly as hashed.
    marks = ", ".join("%s::json" if name in ("before", "after") else "%s" for name in _COLUMNS)
    connection.exec_driver_sql(f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES ({marks})", rows)


# ---- verification --------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Verdict:
    """The outcome of a check: ``ok``, entries checked, and the first broken entry if any."""

    ok: bool
    checked: int
    last_id: int
    broken_id: int | None = None
    reason: str | None = None

    def message(self) -> str:
        if self.ok:
            return f"审计日志完整：已核对 {self.checked} 条，链尾为第 {self.last_id} 条"
        return f"审计日志被改动：第 {self.broken_id} 条{self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "last_id": self.last_id,
                "broken_id": self.broken_id, "reason": self.reason}


def _rows(connection: Connection, after_id: int, chunk: int = 5000) -> Iterable[Any]:
    e = _ENTRY.c
    query = select(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, cast(e.before, Text),
                   cast(e.after, Text), e.note, e.prev_hash, e.hash).order_by(e.id)
    while True:
        batch = connection.execute(query.where(e.id > after_id).limit(chunk)).all()
        yield from batch
        if len(batch) < chunk:
            return
        after_id = batch[-1][0]


def _recanonical(text: str | None) -> str:
    return _dumps(None if text is None else json.loads(text))


def verify_from(connection: Connection, after_id: int = 0, prev: str | None = "") -> Verdict:
    """Check the entries after ``after_id`` whose first must chain onto ``prev`` (None: any).

    Names the first entry whose stored hash, link or numbering does not hold, or the end
    of the chain when entries after the recorded head were removed or added.
    """
    head_id, head_hash = connection.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash)
                                            .where(_HEAD.c.id == HEAD_ID)).one()
    expected_id = after_id + 1
    checked = 0
    for row in _rows(connection, after_id):
        entry_id = row[0]
        if prev is not None and row[9] != prev:
            if entry_id != expected_id:
                return Verdict(False, checked, expected_id - 1, expected_id,
                               f"缺失（第 {expected_id - 1} 条之后直接是第 {entry_id} 条，条目被删除）")
            return Verdict(False, checked, entry_id - 1, entry_id, "与前一条的哈希不衔接（前一条被改动或删除）")
        try:
            recomputed = digest(row[9] or "", entry_id, _stamp(row[1]), row[2], row[3], row[4], row[5], row[8],
                                _recanonical(row[6]), _recanonical(row[7]))
        except (ValueError, TypeError):
            recomputed = None
        if recomputed != row[10]:
            return Verdict(False, checked, entry_id - 1, entry_id, "的内容与其哈希不符（条目被改动）")
        prev = row[10]
        checked += 1
        expected_id = entry_id + 1  # ids written before 0003 may have gaps; the links decide
    last = expected_id - 1
    if last != head_id or (checked and prev != head_hash):
        where = last + 1 if last < head_id else head_id + 1
        return Verdict(False, checked, last, where,
                       f"与链尾记录（第 {head_id} 条）不符（末尾的条目被删除或添加）")
    return Verdict(True, checked, last)


def verify(engine: Engine) -> Verdict:
    """Check the whole chain (``edubridge audit verify``)."""
    with engine.connect() as connection:
        return verify_from(connection)


def quick_check(engine: Engine, tail: int = QUICK_TAIL) -> Verdict:
    """Check the last ``tail`` entries and the chain's end: fast enough for every start-up."""
    with engine.connect() as connection:
        head_id = connection.execute(select(_HEAD.c.last_id).where(_HEAD.c.id == HEAD_ID)).scalar() or 0
        top = connection.execute(select(func.max(_ENTRY.c.id))).scalar() or 0
        start = max(0, min(head_id, top) - tail)
        prev = "" if start == 0 else None
        return verify_from(connection, start, prev)


# ---- reading (the audit viewer) ------------------------------------------------------

ACTIONS = {"insert": "新增", "update": "修改", "delete": "删除", "import": "导入"}
TABLE_LABELS = {
    "region": "县区", "school": "学校", "cluster": "集团/教共体", "membership": "成员关系", "pairing": "结对",
    "teacher": "教师", "posting": "任职记录", "exemption": "免交流", "exchange_plan": "交流计划",
    "exchange": "交流轮岗", "subject_need": "学科需求", "visit": "帮扶活动", "visit_participant": "活动参与人",
    "attachment": "附件", "agreement": "协议", "agreement_party": "协议方", "quality_indicator": "质量指标",
    "evaluation": "评价", "semester_summary": "学期总结", "report_text": "报告文字", "waiver": "规则豁免",
    "app_user": "用户", "setting": "设置",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Shown:
    """One entry as the viewer and the export show it."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any
    note: str | None

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def entity_label(self) -> str:
        return TABLE_LABELS.get(self.entity, self.entity)


def search(engine: Engine, *, actor: str | None = None, entity: str | None = None, entity_id: str | None = None,
           since: dt.date | None = None, until: dt.date | None = None, limit: int = 5000) -> tuple[list[Shown], int]:
    """Entries matching every filter given, newest first (at most ``limit``), and how many match."""
    e = _ENTRY.c
    where = []
    if actor:
        where.append(e.actor == actor)
    if entity:
        where.append(e.entity == entity)
    if entity_id:
        where.append(e.entity_id == entity_id.strip())
    if since:
        where.append(e.at >= dt.datetime.combine(since, dt.time()))
    if until:
        where.append(e.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(_ENTRY).where(*where)).scalar() or 0
        rows = connection.execute(select(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, e.before, e.after,
                                         e.note).where(*where).order_by(e.id.desc()).limit(limit)).all()
    return [Shown(*row) for row in rows], total


def facets(engine: Engine) -> tuple[list[str], list[str]]:
    """The people and the tables that occur in the log (the viewer's filter lists)."""
    e = _ENTRY.c
    with engine.connect() as connection:
        actors = list(connection.execute(select(e.actor).distinct().order_by(e.actor)).scalars())
        entities = list(connection.execute(select(e.entity).distinct().order_by(e.entity)).scalars())
    return actors, entities


# ---- the start-up check, incremental from this computer's last check -----------------

ANCHORS_FILE = "audit-anchors.json"


def startup_check(engine: Engine, anchors: Path, key: str, tail: int = QUICK_TAIL) -> Verdict:
    """Check what was appended since this computer last checked ``key`` (a database's
    location), from the anchor kept in ``anchors`` (a JSON file outside the database).

    The anchor (entry id and hash) must still be in the log unchanged, so a log rewritten
    and re-chained from the start is caught too; the entries after it, and always the last
    ``tail`` entries, are re-hashed. A good check moves the anchor to the chain's end; a
    bad one leaves it, so the warning repeats. Older entries: ``audit verify``.
    """
    try:
        stored = json.loads(anchors.read_text(encoding="utf-8")) if anchors.exists() else {}
    except (OSError, ValueError):
        stored = {}
    anchor = stored.get(key)
    e = _ENTRY.c
    with engine.connect() as connection:
        head_id = connection.execute(select(_HEAD.c.last_id).where(_HEAD.c.id == HEAD_ID)).scalar() or 0
        start = max(0, head_id - tail)  # the chain's end, always …
        prev: str | None = "" if start == 0 else None
        if anchor:  # … and everything since this computer's last check
            anchor_id, anchor_hash = int(anchor[0]), str(anchor[1])
            found = connection.execute(select(e.hash).where(e.id == anchor_id)).scalar()
            if found != anchor_hash:
                return Verdict(False, 0, anchor_id - 1, anchor_id, "与本机上次核对时记下的哈希不符（审计日志此后被改写）")
            if anchor_id < start:
                start, prev = anchor_id, anchor_hash
        verdict = verify_from(connection, start, prev)
        if verdict.ok and verdict.last_id:
            end = connection.execute(select(e.hash).where(e.id == verdict.last_id)).scalar()
            stored[key] = [verdict.last_id, end]
            with contextlib.suppress(OSError):
                anchors.parent.mkdir(parents=True, exist_ok=True)
                anchors.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    return verdict
