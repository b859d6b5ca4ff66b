"""The store: one engine, short sessions, and the one checked and audited write path.

Reads use :meth:`Store.read`, whose connection cannot write at all. Every change goes
through :meth:`Store.write` (ORM objects; Core statements run on its session are checked
too) or :meth:`Store.bulk` (Core, for loads of thousands of rows). :mod:`db.guard` checks
the actor's permission on every path and :mod:`db.audit` appends a hash-chained entry per
row changed (who, when, what, before → after), in the same transaction — or, for a bulk
statement, one entry carrying every row's before → after. A write from any
other session or connection is refused at the cursor.

Who the actor is: a signed-in user (:func:`db.users.sign_in`), or — while the database has
no user at all — the local administrator (set-up mode, :func:`local_actor`), so a first
import or the demo works before anyone has an account. Once a user exists the set-up actor
is refused on its next write.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, inspect
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from db import audit, guard, versions
from db import engine as engine_module
from db.engine import StoreError
from db.gc_pause import gc_paused
from db.guard import PERMISSIONS, Actor, PermissionDenied, WriteState
from db.migrate import upgrade
from db.models import AuditEntry, AuditHead

SYSTEM_ACTOR = "system"
SYSTEM = Actor(SYSTEM_ACTOR, "admin", setup=True)

__all__ = ["PERMISSIONS", "SYSTEM", "Actor", "PermissionDenied", "Store", "local_actor"]


def local_actor() -> Actor:
    """The person at this computer, by login name: the administrator in set-up mode."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name in a container or service account
        name = SYSTEM_ACTOR
    return Actor(name, "admin", setup=True)


class Store:
    """An opened, migrated database, and who is working on it (``actor``)."""

    def __init__(self, engine: Engine, actor: Actor = SYSTEM) -> None:
        self.engine = engine
        self.actor = actor
        guard.install(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, target: str | None = None, actor: Actor = SYSTEM, *, create: bool = True) -> Store:
        """Open ``--db`` (path, URL or None for the default file) and migrate it.

        ``create=False`` refuses a SQLite file that does not exist yet (see
        :func:`db.engine.database_url`); the GUI and the commands that load data create one.

        Raises:
            StoreError: the database cannot be opened (missing driver, unknown URL scheme,
                not a SQLite file, server down), is not ours, or is newer than the code.
        """
        url = engine_module.database_url(target, create=create)
        engine = engine_module.make_engine(url)
        try:
            upgrade(engine)
        except StoreError:
            engine.dispose()
            raise
        except Exception as exc:  # noqa: BLE001 - driver errors: unreadable file, server down, bad password
            engine.dispose()
            reason = getattr(exc, "orig", None) or exc
            if url.get_backend_name() == "sqlite" and "not a database" in str(reason):
                raise StoreError(f"不是 EduBridge/SQLite 数据库文件：{url.database}") from None
            text = " ".join(str(reason).split())  # drivers' messages may span lines; ours is one
            raise StoreError(f"无法打开数据库 {url.render_as_string()}：{text}") from None
        return cls(engine, actor)

    @property
    def location(self) -> str:
        """What the status bar shows: the file path, or the URL without its password."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            return url.database or ":memory:"
        return url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short session that cannot write: a flush or DML in it is refused."""
        with self._sessions() as session:
            session.info["read_only"] = True
            guard.attach(session.connection(), WriteState(actor=None))
            yield session

    @contextmanager
    def write(self, note: str | None = None) -> Iterator[Session]:
        """One unit of work: commits at the end, rolls back everything on error."""
        session = self._sessions()
        try:
            with session, session.begin():
                session.info["actor"] = self.actor
                session.info["note"] = note
                guard.attach(session.connection(), WriteState(actor=self.actor, note=note))
                yield session
        except versions.StaleDataError:  # a lost race: say who changed the record, and when
            raise versions.translate(self, session) from None

    @contextmanager
    def bulk(self, entity: str, note: str) -> Iterator[Connection]:
        """A Core connection in one transaction for fast loads.

        Every statement on it is checked and audited by :mod:`db.guard` (whatever table it
        writes, not only ``entity``): a statement of several rows as one batch entry holding
        each row's before → after (``db.audit.batch``; hashed once, not once per row), a
        single row as an ordinary entry. One more entry, action ``import``, records the
        load as a whole with ``note``.

        Python's cyclic collector is held off meanwhile (:func:`db.gc_pause.gc_paused`): a
        load makes tens of thousands of row dicts without cycles, and each collection would
        walk every live object (a city plan's save or approval: ~20 % of it).
        """
        guard.check_table(self.actor, entity)
        with gc_paused(), self.engine.begin() as connection:
            state = WriteState(actor=self.actor, note=note, batch=True)
            guard.attach(connection, state)
            guard.begin_write(connection, state)
            yield connection
            guard.append_audit(connection, state, [audit.Entry(self.actor.username, "import", entity, None,
                                                               None, None, note)])

    def has_users(self) -> bool:
        """True once any user account exists (sign-in required from then on)."""
        from sqlalchemy import select

        from db.models import User

        with self.read() as session:
            return session.scalar(select(User.id).limit(1)) is not None

    def dispose(self) -> None:
        self.engine.dispose()


def _columns(obj: object) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {attr.columns[0].name: getattr(obj, attr.key) for attr in mapper.column_attrs}


def _committed(obj: object) -> dict[str, Any]:
    """The row as the database holds it before this flush (old values of changed columns)."""
    state = inspect(obj)
    row = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        row[attr.columns[0].name] = (history.deleted[0] if history.deleted
                                     else history.unchanged[0] if history.unchanged else getattr(obj, attr.key))
    return row


def _key(obj: object) -> str:
    """The audited row's identity: its UUID, or the natural key of a setting."""
    return str(getattr(obj, "id", None) or getattr(obj, "key", ""))


def _changes(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = {}, {}
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in ("updated_at", "row_version"):
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            name = attr.columns[0].name
            before[name] = history.deleted[0] if history.deleted else None
            after[name] = history.added[0] if history.added else None
    return before, after


def _modified(session: Session) -> list[Any]:
    return [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]


def _by_table(objects: list[Any]) -> dict[str, list[Any]]:
    tables: dict[str, list[Any]] = {}
    for obj in objects:
        tables.setdefault(obj.__tablename__, []).append(obj)
    return tables


@event.listens_for(Session, "before_flush")
def _guard(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """Refuse an unaudited write, or one the actor may not make, before any SQL runs."""
    changed = [*session.new, *_modified(session), *session.deleted]
    if not changed:
        return
    connection = session.connection()
    state = guard.state_of(connection)
    if state is None:
        raise StoreError("写入必须经由 Store.write()，以便检查权限并记录审计日志")
    if state.actor is None:
        raise PermissionDenied("只读会话不能修改数据")
    for obj in changed:
        if isinstance(obj, (AuditEntry, AuditHead)):
            raise PermissionDenied("审计日志只能由系统追加，任何用户都不能修改或删除")
        guard.check_table(state.actor, obj.__tablename__)
    guard.begin_write(connection, state)
    for table, objects in _by_table([*session.deleted, *_modified(session)]).items():
        guard.check_rows(connection, state.actor, table, [_committed(obj) for obj in objects])
    state.flush_tables = frozenset(obj.__tablename__ for obj in changed)


@event.listens_for(Session, "after_flush")
def _audit(session: Session, _context: UOWTransaction) -> None:
    """Check the rows as written and record every change of this flush, same transaction.

    Runs after the rows are written, so inserted rows show their final foreign keys and
    defaults (and a principal's new participant is checked against its saved visit), while
    attribute history (the "before" values) is still available.
    """
    connection = session.connection()
    state = guard.state_of(connection)
    if state is None or state.actor is None or not state.flush_tables:
        return
    actor = state.actor
    for table, objects in _by_table([*session.new, *_modified(session)]).items():
        guard.check_rows(connection, actor, table, [_columns(obj) for obj in objects])
    note = state.note
    entries = []
    visible = guard._visible
    for obj in session.new:
        entries.append(audit.Entry(actor.username, "insert", obj.__tablename__, _key(obj), None,
                                   visible(_columns(obj)), note))
    for obj in _modified(session):
        before, after = _changes(obj)
        if after:
            entries.append(audit.Entry(actor.username, "update", obj.__tablename__, _key(obj),
                                       visible(before), visible(after), note))
    for obj in session.deleted:
        entries.append(audit.Entry(actor.username, "delete", obj.__tablename__, _key(obj),
                                   visible(_committed(obj)), None, note))
    guard.append_audit(connection, state, entries)


@event.listens_for(Session, "after_flush_postexec")
def _close_flush(session: Session, _context: UOWTransaction) -> None:
    state = guard.state_of(session.connection())
    if state is not None:
        state.flush_tables = frozenset()
