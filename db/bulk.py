"""One fast path for inserting thousands of rows (roster imports, saved plans).

Core's ``connection.execute(table.insert(), rows)`` does per-row work in Python that, on
SQLite, costs about as much as SQLite's own insert. Here each column's values go through
the column type's own bind processor — the one Core itself would call, so the stored
form is identical (e.g. UUIDs as 32 hex digits) — each distinct value once (dates and
school ids repeat thousands of times), and the driver's ``executemany`` gets plain
tuples. On other databases Core's own batched insert is already fast and is used as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from db.guard import raw_insert


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` on ``connection``.

    On SQLite the columns' Python-side defaults (``id``, ``created_at`` …) are not applied:
    every row must carry every column it needs.
    """
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        column = table.c[name]
        process = column.type._cached_bind_processor(connection.dialect)
        if process is not None and (column.primary_key or not _hashable(values)):  # nothing repeats / can't
            values = [None if v is None else process(v) for v in values]
        elif process is not None:
            memo: dict[Any, Any] = {}
            values = [v if v is None else memo[v] if v in memo else memo.setdefault(v, process(v)) for v in values]
        columns.append(values)
    marks = ", ".join("?" for _ in names)
    quoted = ", ".join(f'"{name}"' for name in names)
    stored = list(zip(*columns, strict=True))
    with raw_insert(connection, table, rows, names, stored):  # checked and audited per row like Core's insert
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', stored)


def _hashable(values: Sequence[Any]) -> bool:
    try:
        hash(values[0])
    except TypeError:  # a JSON column's dicts and lists
        return False
    return True
