"""The write guard: who may change what, checked on every path a write can take.

Three layers, so that a write cannot reach the database without being checked and audited:

1. **ORM flushes** (``db.store``'s ``before_flush``/``after_flush`` hooks): each object's
   table against the actor's role before any SQL, the principal's school on every row, an
   audit entry per row.
2. **Core DML** — ``insert()``/``update()``/``delete()`` run through a session or a
   :meth:`Store.bulk` connection — is caught by the engine's ``before_execute`` event
   (:func:`_before_execute`): the table is checked, the rows' before-images are read with
   the statement's own WHERE clause, and after the statement ran (``after_execute``) an
   audit entry per row is appended — in a :meth:`Store.bulk` block one batch entry for the
   statement, holding every row's before → after; a principal's rows are checked before and after.
3. **At the cursor** (``before_cursor_execute``) every INSERT / UPDATE / DELETE / DDL that
   no layer above let through for exactly this table is refused: raw
   ``exec_driver_sql("UPDATE …")``, ``text()`` DML, a write on ``store.engine.connect()``
   or inside :meth:`Store.read`. UPDATE and DELETE of ``audit_entry`` are refused always.

The derived tally tables (:data:`DERIVED`) hold nothing anyone entered (``db.visit_tallies``
rebuilds them from the visits, even during a read); they pass unaudited. Migrations run
before the guard is installed on an engine (:func:`install`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnDefault,
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Executable,
    Result,
    Table,
    event,
    select,
)
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase

from db import audit
from db.engine import StoreError
from db.models import Base, Cluster, Membership, Visit, utcnow

# ---- roles ----------------------------------------------------------------------------

DERIVED = frozenset({"visit_tally", "visit_school_tally", "visit_tally_period"})
PROTECTED = frozenset({"audit_entry", "audit_head", "alembic_version"})
_DATA = frozenset(Base.metadata.tables) - DERIVED - PROTECTED
#: Tables each role may change. A principal's rows are further limited to their school.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": _DATA,
    "clerk": _DATA - {"app_user"},
    "principal": frozenset({"visit", "visit_participant", "attachment", "semester_summary"}),
    "evaluator": frozenset(),
    # Sign-in bookkeeping (failed attempts, lock-out, one's own password): db.users only.
    "system": frozenset({"app_user"}),
}
ROLE_NAMES = {"admin": "管理员", "clerk": "业务员", "principal": "校长", "evaluator": "评估人员", "system": "系统"}


class PermissionDenied(StoreError):
    """The actor may not make this change; str() says who, what and why in Chinese."""


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing. ``setup``: the local admin of a database that has no user yet."""

    username: str
    role: str = "admin"
    school_id: uuid.UUID | None = None
    setup: bool = False

    @property
    def label(self) -> str:
        return f"{self.username}（{ROLE_NAMES.get(self.role, self.role)}）"


def check_table(actor: Actor, table: str) -> None:
    """Refuse a change of ``table`` the actor's role does not allow."""
    if table in PROTECTED:
        raise PermissionDenied(f"审计日志只能由系统追加，任何用户都不能修改或删除（{table}）")
    if table not in PERMISSIONS.get(actor.role, frozenset()):
        raise PermissionDenied(f"用户“{actor.username}”（{ROLE_NAMES.get(actor.role, actor.role)}）无权修改“{table}”")


#: Tables whose rows belong to one school, and how a row names it.
SCOPED = frozenset({"visit", "visit_participant", "attachment", "semester_summary"})


def check_rows(connection: Connection, actor: Actor, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """A principal may only touch rows of their own school (visits hosted there, their
    participants and attachments, summaries of a community the school belongs to)."""
    if actor.role != "principal":
        return
    rows = list(rows)
    if not rows:
        return
    school = actor.school_id
    refuse = PermissionDenied(f"校长“{actor.username}”只能修改本校的记录（{table}）")
    if school is None or table not in SCOPED:
        raise refuse
    if table == "visit":
        if any(as_uuid(r.get("host_school_id")) != school for r in rows):
            raise refuse
        return
    if table in ("visit_participant", "attachment"):
        visit_ids = {as_uuid(r.get("visit_id")) for r in rows}
        if None in visit_ids:
            raise refuse
        owned = set(connection.execute(select(Visit.id).where(
            Visit.id.in_(visit_ids), Visit.host_school_id == school)).scalars())
        if owned != visit_ids:
            raise refuse
        return
    clusters = {as_uuid(r.get("cluster_id")) for r in rows}
    mine = set(connection.execute(select(Membership.cluster_id).where(Membership.school_id == school)).scalars())
    mine |= set(connection.execute(select(Cluster.id).where(Cluster.lead_school_id == school)).scalars())
    if not clusters <= mine:
        raise refuse


def as_uuid(value: object) -> uuid.UUID | None:
    """A row's id as a UUID, from whatever the driver or a JSON record gave (None when it is none)."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# ---- connection state ------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class WriteState:
    """What the guard knows about one connection's current transaction (see ``db.store``)."""

    actor: Actor | None  # None: a read session
    note: str | None = None
    #: Tables the cursor may write right now: a Core statement checked above …
    open_tables: frozenset[str] = frozenset()
    #: … or an ORM flush whose objects ``db.store`` checked (its statements pass layer 2).
    flush_tables: frozenset[str] = frozenset()
    internal: int = 0  # > 0 while db.audit appends
    #: A ``Store.bulk`` block: a statement's rows are one batch entry (``db.audit.batch``).
    batch: bool = False
    locked: bool = False  # the audit chain's lock is held in this transaction
    #: Core statements in progress: (table, "insert" rows or update/delete before-images).
    pending: list[tuple[Table, list[dict[str, Any]]]] = dataclasses.field(default_factory=list)


_STATE = "edubridge.write_state"


def state_of(connection: Connection) -> WriteState | None:
    """The state of ``connection``: kept on the Connection object of one checkout (a session's
    transaction or a ``bulk()`` block), never on the pooled DBAPI connection, so it cannot
    leak to the next user of that connection (another thread, another session)."""
    return connection.__dict__.get(_STATE)


def attach(connection: Connection, state: WriteState) -> None:
    connection.__dict__[_STATE] = state


@contextlib.contextmanager
def derived(connection: Connection) -> Iterator[None]:
    """Writes the system derives from records already audited, made by whoever reads or writes
    them: the duty register's 活动记录 holders follow the logged activities (``db.duty_holders.
    sync_logged``), even inside a read or a principal's visit. Allowed, not audited again."""
    state = state_of(connection)
    if state is None:
        state = WriteState(actor=None)
        attach(connection, state)
    state.internal += 1
    try:
        yield
    finally:
        state.internal -= 1


def ensure_setup_allowed(connection: Connection, actor: Actor) -> None:
    """The set-up actor (no sign-in) may write only while the database has no user."""
    if actor.setup:
        from db.models import User

        if connection.execute(select(User.id).limit(1)).first() is not None:
            raise PermissionDenied("数据库已设置用户，请先登录（命令行用 --user 用户名）")


def begin_write(connection: Connection, state: WriteState) -> None:
    """Before the first audited write of a transaction: the chain lock, then the set-up check."""
    if state.locked:
        return
    assert state.actor is not None
    state.internal += 1
    try:
        audit.lock_head(connection)
    finally:
        state.internal -= 1
    state.locked = True
    ensure_setup_allowed(connection, state.actor)


def append_audit(connection: Connection, state: WriteState, entries: Sequence[audit.Entry]) -> None:
    """Append entries through the guard (the only way into ``audit_entry``)."""
    if not entries:
        return
    state.internal += 1
    try:
        audit.append(connection, entries, utcnow())
    finally:
        state.internal -= 1


# ---- the cursor gate ---------------------------------------------------------------------

_COMMENT = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/)*", re.S)
_WORD = re.compile(r"[A-Za-z]+")
# Statements that change no row (VACUUM and ANALYZE rewrite storage and statistics only).
_READS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "SHOW", "SET", "BEGIN", "COMMIT", "ROLLBACK", "END",
                    "SAVEPOINT", "RELEASE", "RESET", "VALUES", "VACUUM", "ANALYZE", "CHECKPOINT"})
_TARGET = re.compile(
    r'^(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+'
    r'(?:"?\w+"?\.)?"?(\w+)"?', re.I)


def classify(sql: str) -> tuple[bool, str | None]:
    """(writes?, target table or None) of one SQL statement as the driver will see it."""
    leading = _COMMENT.match(sql)  # matches every string (all its parts are optional)
    text = sql[leading.end():] if leading else sql
    word = _WORD.match(text)
    verb = word.group(0).upper() if word else ""
    if verb in _READS:
        return False, None
    if verb == "WITH":
        return (bool(re.search(r"\b(INSERT|UPDATE|DELETE)\b", text, re.I)), None)
    target = _TARGET.match(text)
    return True, target.group(1).lower() if target else None


def _before_cursor_execute(connection: Connection, _cursor: Any, statement: str, _parameters: Any,  # DBAPI objects
                           _context: ExecutionContext | None, _executemany: bool) -> None:
    writes, table = classify(statement)
    if not writes:
        return
    state = state_of(connection)
    if table in PROTECTED and table != "alembic_version":
        if state is not None and state.internal and (table == "audit_head" or statement.lstrip()[:6].upper() == "INSERT"):
            return
        raise PermissionDenied("审计日志只能由系统追加，任何用户都不能修改或删除")
    if table in DERIVED or (state is not None and state.internal):
        return
    if state is None or state.actor is None:
        where = "只读会话" if state is not None else "未经 Store.write() / Store.bulk() 的连接"
        raise PermissionDenied(f"拒绝写入：{where}不能修改数据（{table or '数据库结构'}）")
    if table is None or table not in state.open_tables | state.flush_tables:
        raise PermissionDenied(f"拒绝未经权限检查和审计的写入（{table or statement.split(None, 1)[0]}）")


# ---- Core DML --------------------------------------------------------------------------


def _target(statement: UpdateBase) -> Table | None:
    table = statement.table
    return table if isinstance(table, Table) else None


def _param_rows(multiparams: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    if multiparams:
        return [dict(p) for p in multiparams]
    return [dict(params)]


def _fill_defaults(table: Table, rows: list[dict[str, Any]]) -> None:
    """Python-side defaults (UUID ids, stamps) filled in now, so the audit names the row."""
    for column in table.columns:
        default = column.default
        if not isinstance(default, ColumnDefault) or not (default.is_scalar or default.is_callable):
            continue  # none, a server-side sequence or a SQL expression: the database fills it
        for row in rows:
            if column.key not in row:
                row[column.key] = default.arg if default.is_scalar else default.arg(None)


def _before_images(connection: Connection, table: Table, statement: Update | Delete,
                   rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a Core UPDATE/DELETE will touch, read with its own WHERE clause."""
    where = statement.whereclause
    query = select(table) if where is None else select(table).where(where)
    found: dict[Any, dict[str, Any]] = {}
    key = _single_key(where, table)
    if key is not None and rows and rows[0]:  # WHERE id = :param, executemany: one IN query
        values = [row[key] for row in rows]
        for start in range(0, len(values), 900):
            for r in _dicts(connection.execute(select(table).where(table.c.id.in_(values[start:start + 900])))):
                found[r["id"]] = r
        return list(found.values())
    for params in rows if rows and rows[0] else [{}]:
        for r in _dicts(connection.execute(query, params)):
            found[r[_pk(table)]] = r
    return list(found.values())


def _dicts(result: CursorResult[Any]) -> list[dict[str, Any]]:
    """The rows as dicts, as ``dict(row_mapping)`` gives them, without a RowMapping per row
    (its keys() per row cost more than the rows' values for the 10,000 rows of a plan)."""
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _single_key(where: ColumnElement[Any] | None, table: Table) -> str | None:
    """The bind name when ``where`` is exactly ``table.id == bindparam(name)``."""
    from sqlalchemy.sql.elements import BinaryExpression, BindParameter
    from sqlalchemy.sql.operators import eq

    if (isinstance(where, BinaryExpression) and where.operator is eq and "id" in table.c
            and getattr(where.left, "key", None) == "id" and getattr(where.left, "table", None) is table
            and isinstance(where.right, BindParameter) and where.right.callable is None
            and where.right.value is None):
        return where.right.key
    return None


def _pk(table: Table) -> str:
    return next(iter(table.primary_key.columns)).key


def _before_execute(connection: Connection, clauseelement: Executable, multiparams: Sequence[Mapping[str, Any]],
                    params: Mapping[str, Any], execution_options: Mapping[str, Any]
                    ) -> tuple[Executable, Sequence[Mapping[str, Any]], Mapping[str, Any]]:
    """Check and prepare the audit of a Core INSERT / UPDATE / DELETE (layer 2)."""
    if not isinstance(clauseelement, UpdateBase):
        return clauseelement, multiparams, params
    table = _target(clauseelement)
    name = table.name if table is not None else None
    state = state_of(connection)
    if state is not None and state.internal:
        return clauseelement, multiparams, params
    if name in DERIVED:
        return clauseelement, multiparams, params
    if state is None or state.actor is None:
        return clauseelement, multiparams, params  # the cursor gate refuses it with the reason
    if table is None:
        raise PermissionDenied("拒绝无法审计的写入（不是单个数据表）")
    if name in state.flush_tables:  # a statement of an ORM flush whose objects were checked
        return clauseelement, multiparams, params
    actor = state.actor
    check_table(actor, table.name)
    begin_write(connection, state)
    rows = _param_rows(multiparams, params)
    if isinstance(clauseelement, Insert):
        if clauseelement.select is not None:
            raise PermissionDenied("拒绝无法逐行审计的写入（INSERT … SELECT）")
        if not rows[0] and clauseelement._values:  # insert().values(...) without parameters
            rows = [dict(clauseelement.compile().params)]
        _fill_defaults(table, rows)
        check_rows(connection, actor, table.name, rows)
        if multiparams:
            multiparams = rows
        else:
            params = rows[0]
        state.pending.append((table, rows))
        state.open_tables = state.open_tables | {table.name}
        return clauseelement, multiparams, params
    if not isinstance(clauseelement, Update | Delete):  # UpdateBase has no other kind we write
        raise PermissionDenied("拒绝无法审计的写入（不是 INSERT、UPDATE 或 DELETE）")
    before = _before_images(connection, table, clauseelement, rows if (multiparams or params) else [])
    check_rows(connection, actor, table.name, before)
    state.pending.append((table, before))
    state.open_tables = state.open_tables | {table.name}
    return clauseelement, multiparams, params


def _after_execute(connection: Connection, clauseelement: Executable, _multiparams: Sequence[Mapping[str, Any]],
                   _params: Mapping[str, Any], _execution_options: Mapping[str, Any], _result: Result[Any]) -> None:
    state = state_of(connection)
    if state is None or not state.pending or not isinstance(clauseelement, UpdateBase):
        return
    if state.internal:
        return
    table, before = state.pending.pop()
    if not state.pending:
        state.open_tables = frozenset()
    actor = state.actor
    assert actor is not None
    key = _pk(table)
    entries: list[audit.Entry] = []
    if isinstance(clauseelement, Insert):
        changes: list[tuple[Any, dict[str, Any] | None, dict[str, Any] | None]] = [
            (row.get(key), None, row) for row in before]
    elif isinstance(clauseelement, Delete):
        changes = [(row[key], row, None) for row in before]
    else:
        ids = [row[key] for row in before]
        after: dict[Any, dict[str, Any]] = {}
        for start in range(0, len(ids), 900):
            for r in _dicts(connection.execute(select(table).where(table.c[key].in_(ids[start:start + 900])))):
                after[r[key]] = r
        check_rows(connection, actor, table.name, after.values())
        changes = []
        for old in before:
            new = after.get(old[key])
            if new is None:
                continue
            changed = [k for k in new if k != "updated_at" and new[k] != old.get(k)]
            if changed:
                changes.append((old[key], {k: old.get(k) for k in changed}, {k: new[k] for k in changed}))
    action = "insert" if isinstance(clauseelement, Insert) else "delete" if isinstance(clauseelement, Delete) \
        else "update"
    if state.batch and len(changes) > 1:
        entries = [_batch_entry(actor.username, action, table.name, key, changes, state.note)]
    else:
        entries = [audit.Entry(actor.username, action, table.name, str(record), None if was is None else _visible(was),
                               None if now is None else _visible(now), state.note) for record, was, now in changes]
    append_audit(connection, state, entries)


def _batch_entry(actor: str, action: str, table: str, key: str,
                 changes: Sequence[tuple[Any, Mapping[str, Any] | None, Mapping[str, Any] | None]],
                 note: str | None) -> audit.Entry:
    """One entry for a bulk statement's records: (key, before, after) each, as ``audit.batch``."""
    names: dict[str, None] = {}
    for _, was, now in changes:
        names.update(dict.fromkeys(_visible(now if now is not None else was or {})))
    names.pop(key, None)
    columns = [key, *names]

    def image(side: int) -> dict[str, Any] | None:
        if all(change[side] is None for change in changes):
            return None
        rows = []
        for change in changes:
            values = change[side] or {}
            rows.append([change[0], *(_mask(name, values.get(name)) for name in columns[1:])])
        return audit.batch(columns, rows)
    return audit.Entry(actor, action, table, None, image(1), image(2), note)


def _mask(name: str, value: object) -> object:
    return "***" if name in audit.MASKED and value is not None else value


def _visible(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row for the audit log: secrets masked, the row's own stamps (and its optimistic-lock
    counter, db.versions) left out."""
    return {k: _mask(k, v) for k, v in row.items() if k not in _UNLOGGED}


def _reset(connection: Connection) -> None:
    state = state_of(connection)
    if state is not None:
        state.locked = False
        state.pending.clear()
        state.open_tables = frozenset()
        state.flush_tables = frozenset()


#: Columns no audit entry records (the row's own stamps and optimistic-lock counter).
_UNLOGGED = frozenset({"created_at", "updated_at", "row_version"})


@contextlib.contextmanager
def raw_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
               names: Sequence[str], stored: Sequence[Sequence[Any]]) -> Iterator[None]:
    """Let one driver-level INSERT into ``table`` through (``db.bulk``'s fast path): checked
    like a Core insert, then audited from the values as stored (``stored``: one tuple per
    row, in ``names`` order, after the column types' bind processing) — in a ``Store.bulk``
    block as one batch entry, elsewhere one entry per row."""
    state = state_of(connection)
    if state is None or state.actor is None:
        raise PermissionDenied(f"拒绝写入：批量写入须经由 Store.bulk()（{table.name}）")
    check_table(state.actor, table.name)
    begin_write(connection, state)
    check_rows(connection, state.actor, table.name, rows)
    state.open_tables = state.open_tables | {table.name}
    try:
        yield
    finally:
        state.open_tables = frozenset()
    key = _pk(table)
    if len(stored) == 1 or not state.batch:
        values = [dict(zip(names, row)) for row in stored]
        entries = [audit.Entry(state.actor.username, "insert", table.name, str(row[key]), None,
                               _visible({k: v for k, v in stored_row.items() if k != key}), state.note)
                   for row, stored_row in zip(rows, values, strict=True)]
    else:  # the hot path of a 50,000-row import: C-level picking, one entry
        keep = [names.index(key), *(i for i, name in enumerate(names) if name not in _UNLOGGED and name != key)]
        columns = [names[i] for i in keep]
        pick = operator.itemgetter(*keep) if len(keep) > 1 else (lambda values: (values[keep[0]],))
        picked: list[Any] = list(map(pick, stored))
        if audit.MASKED.intersection(columns):
            picked = [[_mask(name, v) for name, v in zip(columns, row, strict=True)] for row in picked]
        entries = [audit.Entry(state.actor.username, "insert", table.name, None, None,
                               audit.batch(columns, picked), state.note)]
    append_audit(connection, state, entries)


def install(engine: Engine) -> None:
    """Put the guard on ``engine`` (idempotent); after migrations, before any other use."""
    if event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        return
    event.listen(engine, "before_execute", _before_execute, retval=True)
    event.listen(engine, "after_execute", _after_execute)
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(engine, "commit", _reset)
    event.listen(engine, "rollback", _reset)


__all__ = ["PERMISSIONS", "Actor", "PermissionDenied", "check_rows", "check_table", "install", "raw_insert"]
