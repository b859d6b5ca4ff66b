"""The audit chain: appending entries and checking that none was edited, removed or forged.

Every entry carries ``prev_hash`` (the hash of the entry before it) and ``hash`` =
SHA-256 of ``prev_hash``, a canonical JSON header (id, time, actor, action, table, record,
note) and the canonical JSON of ``before`` and ``after`` (sorted keys, no spaces, UTF-8,
dates in ISO 8601). Canonical means a value parsed back from the database serialises to
the same text, so :func:`verify` recomputes every hash from what is stored (the stored
text is hashed as it is first: written by :func:`append`, it is the canonical text).

A bulk statement (:meth:`Store.bulk`: roster imports, the demo, saved plans) is one entry
for all its rows — a *batch*, with no record id and before/after in the compact
:func:`batch` form — hashed and chained like any other; :func:`records` gives its
per-record before → after, which the viewer, its export and data packages show or carry.

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
import itertools
import json
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Engine,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    update,
)

from db.models import AuditEntry, AuditHead

_ENTRY = AuditEntry.__table__
_HEAD = AuditHead.__table__
HEAD_ID = 1
#: Entries the start-up check re-hashes (the end of the chain; ``audit verify`` checks all).
QUICK_TAIL = 2000
#: Values never written into the audit log, only that they changed.
MASKED = {"password_hash"}


def plain(value: object) -> object:
    """``json.dumps(default=...)``: dates, UUIDs and bytes in a JSON-safe, stable form."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=plain).encode


def canonical(value: object) -> str:
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


# ---- batches: one entry for a bulk statement's rows ---------------------------------

#: The actions a batch entry may carry (an entry with no record id and these actions).
BATCH_ACTIONS = frozenset({"insert", "update", "delete"})


def batch(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The before or after of a batch entry: column names (the record key first) and one
    list of values per record — compact, and canonical JSON in one C-level encode.

    An update's before and after list the same records in the same order over the same
    columns (every column any of them changed)."""
    return {"columns": list(columns), "rows": rows}


def is_batch(entity_id: str | None, action: str, before: Any, after: Any) -> bool:
    """True for an entry written by :meth:`Store.bulk` for many records at once."""
    if entity_id is not None or action not in BATCH_ACTIONS:
        return False
    images = after if after is not None else before
    return isinstance(images, dict) and "columns" in images and "rows" in images


def _key_reader(entity: str) -> Callable[[Any], str]:
    """How a stored record key reads as the per-row entries name it (UUIDs with dashes)."""
    from db.models import Base

    table = Base.metadata.tables.get(entity)
    column = next(iter(table.primary_key.columns)) if table is not None else None
    if column is None or column.type.python_type is not uuid.UUID:
        return str

    def read(value: object) -> str:
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            return str(value)
    return read


def records(entity: str, action: str, before: Any, after: Any, *, keys: Collection[str] | None = None,
            limit: int | None = None) -> list[tuple[str, Any, Any]]:
    """A batch entry's records as (record id, before, after) dicts, as per-row entries hold
    them; an update keeps only the columns that changed for that record. ``keys``: only the
    records of these ids (as stored or as shown); ``limit``: at most that many."""
    key = _key_reader(entity)
    b_cols, b_rows = (before["columns"], before["rows"]) if before else ([], [])
    a_cols, a_rows = (after["columns"], after["rows"]) if after else ([], [])
    pairs: Iterable[tuple[Any, Any]] = itertools.zip_longest(b_rows, a_rows)
    if keys is not None:
        pairs = ((old, new) for old, new in pairs if str((new or old)[0]) in keys)
    out: list[tuple[str, Any, Any]] = []
    for old, new in itertools.islice(pairs, limit):
        was = None if old is None else dict(zip(b_cols[1:], old[1:]))
        now = None if new is None else dict(zip(a_cols[1:], new[1:]))
        if was is not None and now is not None:
            changed = [c for c in now if now[c] != was.get(c)]
            was, now = {c: was.get(c) for c in changed}, {c: now[c] for c in changed}
        out.append((key((new or old)[0]), was, now))
    return out


def batch_size(before: Any, after: Any) -> int:
    """How many records a batch entry holds."""
    images = after if after is not None else before
    return len(images["rows"])


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
        header = (row[9] or "", entry_id, _stamp(row[1]), row[2], row[3], row[4], row[5], row[8])
        recomputed: str | None = digest(*header, "null" if row[6] is None else row[6],
                                        "null" if row[7] is None else row[7])
        if recomputed != row[10]:  # stored in another spelling (an old entry, a driver's): re-serialise
            try:
                recomputed = digest(*header, _recanonical(row[6]), _recanonical(row[7]))
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


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one moment of the log.

    Without it the head and the entries are read at different moments, and another process
    appending in between looks exactly like entries added behind the app's back.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # pysqlite would run each SELECT on its own
            yield connection
        else:
            yield connection.execution_options(isolation_level="REPEATABLE READ")


def verify(engine: Engine) -> Verdict:
    """Check the whole chain (``edubridge audit verify``)."""
    with _snapshot(engine) as connection:
        return verify_from(connection)


def quick_check(engine: Engine, tail: int = QUICK_TAIL) -> Verdict:
    """Check the last ``tail`` entries and the chain's end: fast enough for every start-up."""
    with _snapshot(engine) as connection:
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
    "training_record": "培训记录", "teacher_designation": "种子教师/榜样教师",
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


def _spellings(record: str) -> list[str]:
    """A record id as entries may hold it: as typed, and a UUID with and without dashes."""
    try:
        value = uuid.UUID(record)
    except ValueError:
        return [record]
    return list(dict.fromkeys([record, str(value), value.hex]))


def _shown(row: Sequence[Any], keys: Collection[str] | None = None, limit: int | None = None) -> list[Shown]:
    """An entry as the viewer's rows: itself, or a batch's records one by one (only those
    of ``keys``, at most ``limit``)."""
    entry_id, at, actor, action, entity, entity_id, before, after, note = row
    if not is_batch(entity_id, action, before, after):
        return [Shown(*row)]
    return [Shown(entry_id, at, actor, action, entity, key, was, now, note)
            for key, was, now in records(entity, action, before, after, keys=keys, limit=limit)]


def _batch_size_sql(dialect: str) -> ColumnElement[Any]:
    """SQL for the number of records in a batch entry (its ``rows`` array)."""
    e = _ENTRY.c
    images = func.coalesce(cast(e.after, Text), cast(e.before, Text))
    if dialect == "sqlite":
        return func.json_array_length(images, "$.rows")
    return func.json_array_length(cast(images, JSON).op("->")(literal("rows", Text)))


def search(engine: Engine, *, actor: str | None = None, entity: str | None = None, entity_id: str | None = None,
           since: dt.date | None = None, until: dt.date | None = None, limit: int = 5000) -> tuple[list[Shown], int]:
    """Records changed, matching every filter given, newest first (at most ``limit``), and
    how many match. A batch entry counts and shows as its records; the record filter finds
    a record inside one too."""
    e = _ENTRY.c
    where = []
    if actor:
        where.append(e.actor == actor)
    if entity:
        where.append(e.entity == entity)
    if since:
        where.append(e.at >= dt.datetime.combine(since, dt.time()))
    if until:
        where.append(e.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    batch_sql = and_(e.entity_id.is_(None), e.action.in_(sorted(BATCH_ACTIONS)))
    columns = select(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, e.before, e.after, e.note)
    with engine.connect() as connection:
        if entity_id and entity_id.strip():
            forms = _spellings(entity_id.strip())
            inside = or_(*(cast(images, Text).contains(form, autoescape=True)
                           for form in forms for images in (e.before, e.after)))
            rows = connection.execute(columns.where(*where, or_(e.entity_id.in_(forms), and_(batch_sql, inside)))
                                      .order_by(e.id.desc())).all()
            found = [shown for row in rows for shown in _shown(row, keys=forms) if shown.entity_id in forms]
            return found[:limit], len(found)
        extra = case((batch_sql, _batch_size_sql(connection.dialect.name) - 1), else_=0)
        total = connection.execute(select(func.count() + func.coalesce(func.sum(extra), 0))
                                   .select_from(_ENTRY).where(*where)).scalar() or 0
        shown: list[Shown] = []
        for row in connection.execute(columns.where(*where).order_by(e.id.desc()).limit(limit)):
            shown.extend(_shown(row, limit=limit - len(shown)))
            if len(shown) >= limit:
                break
    return shown[:limit], int(total)


#: Tables whose records a change names by their ``name`` instead of their id.
NAMED = ("school", "teacher", "cluster", "region")


#: Columns that refer to a record of the table another column names (a waiver's 对象: a
#: cluster or a school, by ``subject_kind``): no foreign key says which.
POLYMORPHIC = {("waiver", "subject_id"): "subject_kind"}


def referenced_columns(entity: str) -> dict[str, str]:
    """Columns of ``entity`` that refer to a :data:`NAMED` table, and which (for a
    :data:`POLYMORPHIC` column, the column naming the table)."""
    from db.models import Base

    table = Base.metadata.tables.get(entity)
    if table is None:
        return {}
    refs = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys if fk.column.table.name in NAMED}
    refs.update({column: kind for (owner, column), kind in POLYMORPHIC.items() if owner == entity})
    return refs


def _target(entity: str, column: str, target: str, values: dict[str, Any]) -> str | None:
    """The table ``values[column]`` refers to."""
    if (entity, column) in POLYMORPHIC:
        kind = values.get(target)
        return kind if kind in NAMED else None
    return target


def referenced_names(engine: Engine, entries: Sequence[Shown]) -> dict[str, str]:
    """The names of the schools, teachers, clusters and counties the shown changes refer to,
    by id (both spellings: with dashes, and 32 hex digits as a bulk load stores it)."""
    from db.models import Base

    wanted: dict[str, set[uuid.UUID]] = {}
    for entry in entries:
        refs = referenced_columns(entry.entity)
        for values in (entry.before, entry.after):
            if not isinstance(values, dict):
                continue
            for column, target in refs.items():
                value, named = values.get(column), _target(entry.entity, column, target, values)
                if value and named:
                    with contextlib.suppress(ValueError, TypeError):
                        wanted.setdefault(named, set()).add(uuid.UUID(str(value)))
    names: dict[str, str] = {}
    with engine.connect() as connection:
        for target, ids in wanted.items():
            table = Base.metadata.tables[target]
            listed = sorted(ids)
            for start in range(0, len(listed), 900):
                part = listed[start:start + 900]
                rows = connection.execute(select(table.c.id, table.c.name).where(table.c.id.in_(part)))
                for key, name in rows:
                    names[str(key)] = names[key.hex] = name
    return names


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
    with _snapshot(engine) as connection:
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
