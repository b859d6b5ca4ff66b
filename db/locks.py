"""Serialising imports: the write lock is taken before the duplicate check, not after.

An import compares the file with the store and then writes what is new. Two imports of
the same file at once both found nothing stored and both wrote everything (every visit
doubled); a roster import racing another died on ``UNIQUE constraint failed``. So the
write transaction of every import begins with :func:`hold_write_lock`, then compares
again *inside* that transaction, where nobody else can write in between:

- SQLite: ``BEGIN IMMEDIATE`` takes the database's one write lock at once (a deferred
  transaction that reads first cannot later upgrade if another writer committed meanwhile);
- PostgreSQL: a transaction-level advisory lock all imports share, released at commit.

The unique keys of migration 0004 back this up; a unique violation that still happens
(a hand entry racing an import) is retried once from the comparison, then answered in one
line (:func:`retrying`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError, OperationalError

from db.engine import StoreError
from db.importers import COMMITTING
from policy.progress import Progress, quiet


class _Compared(Protocol):
    """What an import's comparison gives: one line per change, and notes for the clerk."""

    @property
    def changes(self) -> list[str]: ...

    @property
    def notes(self) -> list[str]: ...


T = TypeVar("T", bound=_Compared)

# pg_advisory_xact_lock key shared by every import ("EduBrIm" in ASCII).
ADVISORY_KEY = 0x45647542724964
# How long an import waits for another writer before giving up (SQLite's busy_timeout is
# only 5 s, and a 50,000-row roster import holds the lock for several seconds).
LOCK_WAIT_SECONDS = 120.0
# How often a comparison is redone after a unique key refused the write.
ATTEMPTS = 3
BUSY = "数据库正被另一个导入或程序写入，等待超过 {seconds:.0f} 秒仍未结束，未写入任何数据：请稍后再导入"
CLASH = "导入时数据库中同时出现了相同的记录（另一位用户或程序正在写入），已重试 {n} 次仍冲突，未写入任何数据：请稍后重新导入"
CHANGED = "预览之后数据库已被其他导入修改，已按最新数据重新比对"


class Changed(Exception):
    """Raised inside the write transaction when the store no longer matches the preview:
    the transaction rolls back and the import starts again from ``result``."""

    def __init__(self, result: object) -> None:
        super().__init__("changed since the preview")
        self.result = result


def hold_write_lock(connection: Connection) -> None:
    """Take the import lock as the first statement of ``connection``'s transaction.

    Waits up to :data:`LOCK_WAIT_SECONDS` for another writer.

    Raises:
        StoreError: the lock did not come in time.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('lock_timeout', :ms, true)"),
                           {"ms": f"{int(LOCK_WAIT_SECONDS * 1000)}ms"})
        try:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
        except OperationalError:
            raise StoreError(BUSY.format(seconds=LOCK_WAIT_SECONDS)) from None
        return
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and raw.in_transaction:
        return  # pysqlite began it for a write already: the write lock is held
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                raise
            if time.monotonic() > deadline:
                raise StoreError(BUSY.format(seconds=LOCK_WAIT_SECONDS)) from None


def write_serialised(
    transaction: Callable[[Any], AbstractContextManager[Connection]],
    preview: T,
    compare: Callable[[Connection], T],
    write: Callable[[Connection, T], None],
    progress: Progress = quiet,
) -> T:
    """Write an import's changes, compared again under the lock.

    ``transaction(result)`` opens the write transaction (e.g. ``store.bulk`` with an audit
    note made from ``result``); ``compare(connection)`` redoes the comparison with the file
    inside it and returns a result with ``changes`` (one line per change; none = nothing to
    write) and ``notes``; ``write`` writes it. When the store changed since ``preview`` was
    shown (another import ran meanwhile), the transaction is rolled back and started again
    from the new comparison, so its audit note says what is really written; when nothing is
    left to write, nothing is (and the result says so). ``progress`` is called after the
    write, before the commit: a cancel there rolls the transaction back.

    Raises:
        StoreError: the lock did not come in time, or unique keys kept refusing the write.
    """
    current = preview
    for _ in range(ATTEMPTS):
        try:
            with transaction(current) as connection:
                hold_write_lock(connection)
                fresh = compare(connection)
                if fresh.changes != current.changes:
                    raise Changed(fresh)
                write(connection, fresh)
                progress(*COMMITTING)
            if current is not preview and CHANGED not in fresh.notes:
                fresh.notes.append(CHANGED)
            return fresh
        except Changed as exc:
            current = cast(T, exc.result)  # raised just above with a T
            if CHANGED not in current.notes:
                current.notes.append(CHANGED)
            if not current.changes:
                return current
        except IntegrityError as exc:
            if not _unique_violation(exc):
                raise
    raise StoreError(CLASH.format(n=ATTEMPTS))


def retrying(attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (one whole write transaction), again when a unique key refused it.

    Raises:
        StoreError: still refused after :data:`ATTEMPTS` runs.
    """
    for _ in range(ATTEMPTS):
        try:
            return attempt()
        except IntegrityError as exc:
            if not _unique_violation(exc):
                raise
    raise StoreError(CLASH.format(n=ATTEMPTS))


def _unique_violation(exc: IntegrityError) -> bool:
    text_ = str(exc.orig).lower()
    return "unique" in text_ or "duplicate key" in text_
