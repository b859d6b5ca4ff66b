"""The store: one engine, short sessions, and the one audited write path.

Reads use :meth:`Store.read`. Every change goes through :meth:`Store.write`, whose
session checks the actor's permission and writes an :class:`~db.models.AuditEntry`
(who, when, what, before → after) for each row inserted, changed or deleted, in the
same transaction. A flush with changes from any other session is refused, so nothing
can be written around the audit log. Bulk loads (imports, demo data) go through
:meth:`Store.bulk`, which records one audit entry for the whole load.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from db import engine as engine_module
from db.engine import StoreError
from db.migrate import upgrade
from db.models import AuditEntry, Base, utcnow

SYSTEM_ACTOR = "system"

# Which tables each role may change. Principals log their own activity; viewers read.
_ALL = frozenset(Base.metadata.tables)
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": _ALL,
    "clerk": _ALL - {"app_user"},
    "principal": frozenset({"visit", "visit_participant", "attachment", "semester_summary"}),
    "viewer": frozenset(),
}


class PermissionDenied(StoreError):
    """The actor's role may not change this kind of record."""


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing: a username and its role."""

    username: str
    role: str = "admin"


SYSTEM = Actor(SYSTEM_ACTOR, "admin")


def local_actor() -> Actor:
    """The person at this computer, by login name, for the audit log.

    A desktop install has one trusted user, who administers their own data; roles matter
    when several people share a server store (see ``PERMISSIONS``).
    """
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name in a container or service account
        name = SYSTEM_ACTOR
    return Actor(name, "admin")


class Store:
    """An opened, migrated database."""

    def __init__(self, engine: Engine, actor: Actor = SYSTEM) -> None:
        self.engine = engine
        self.actor = actor
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
        except Exception as exc:  # driver errors: unreadable file, server down, bad password
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
        """A short read-only session."""
        with self._sessions() as session:
            session.info["read_only"] = True
            yield session

    @contextmanager
    def write(self, note: str | None = None) -> Iterator[Session]:
        """One unit of work: commits at the end, rolls back everything on error."""
        with self._sessions() as session, session.begin():
            session.info["actor"] = self.actor
            session.info["note"] = note
            yield session

    @contextmanager
    def bulk(self, entity: str, note: str) -> Iterator[Connection]:
        """A Core connection in one transaction for fast loads; audited as one entry."""
        _check_permission(self.actor, entity)
        with self.engine.begin() as connection:
            yield connection
            connection.execute(
                AuditEntry.__table__.insert(),
                [{"at": utcnow(), "actor": self.actor.username, "action": "import", "entity": entity, "note": note}],
            )

    def dispose(self) -> None:
        self.engine.dispose()


def _check_permission(actor: Actor, table: str) -> None:
    if table not in PERMISSIONS.get(actor.role, frozenset()):
        raise PermissionDenied(f"用户“{actor.username}”（{actor.role}）无权修改“{table}”")


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a column value for the audit log."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _columns(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def _key(obj: Any) -> str:
    """The audited row's identity: its UUID, or the natural key of a setting."""
    return str(getattr(obj, "id", None) or getattr(obj, "key", ""))


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = {}, {}
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in ("updated_at",):
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            before[attr.key] = _plain(history.deleted[0]) if history.deleted else None
            after[attr.key] = _plain(history.added[0]) if history.added else None
    return before, after


def _audited(objects: Any) -> list[Any]:
    return [obj for obj in objects if not isinstance(obj, AuditEntry)]


@event.listens_for(Session, "before_flush")
def _guard(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse an unaudited write, or one the actor's role does not allow, before any SQL runs."""
    changed = _audited([*session.new, *session.dirty, *session.deleted])
    if not changed:
        return
    actor: Actor | None = session.info.get("actor")
    if actor is None:
        raise StoreError("写入必须经由 Store.write()，以便记录审计日志")
    for obj in changed:
        _check_permission(actor, obj.__tablename__)


@event.listens_for(Session, "after_flush")
def _audit(session: Session, _context: Any) -> None:
    """Record every change of this flush in the audit log, in the same transaction.

    Runs after the rows are written, so inserted rows show their final foreign keys and
    defaults, while attribute history (the "before" values) is still available.
    """
    actor: Actor | None = session.info.get("actor")
    if actor is None:
        return
    note = session.info.get("note")
    base = {"actor": actor.username, "note": note, "at": utcnow()}
    rows = []
    for obj in _audited(session.new):
        rows.append({**base, "action": "insert", "entity": obj.__tablename__, "entity_id": _key(obj),
                     "before": None, "after": _columns(obj)})
    for obj in _audited(session.dirty):
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if after:
            rows.append({**base, "action": "update", "entity": obj.__tablename__, "entity_id": _key(obj),
                         "before": before, "after": after})
    for obj in _audited(session.deleted):
        rows.append({**base, "action": "delete", "entity": obj.__tablename__, "entity_id": _key(obj),
                     "before": _columns(obj), "after": None})
    if rows:
        session.connection().execute(AuditEntry.__table__.insert(), rows)
