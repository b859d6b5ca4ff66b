"""Ids read as text in SQL, one way on every backend.

A UUID column is read as text where tens of thousands of rows would otherwise each go
through SQLAlchemy's UUID result processing, and where the rules want the ids as the text
they compare (``uuid.UUID(...).hex``). ``type_coerce(column, String)`` does not do it:
SQLite stores 32 hex digits and hands them back as ``str``, but psycopg turns a PostgreSQL
``uuid`` value into a :class:`uuid.UUID` whatever type is coerced to; a plain ``CAST`` gives
``str`` on both, but PostgreSQL's text has dashes. :func:`id_text` gives the same 32 hex
digits everywhere (what SQLite stores, and what :class:`uuid.UUID` reads).

Compare a column with an id in a WHERE clause as a UUID (``column == uuid.UUID(text)``), not
through :func:`id_text`: an expression on the column cannot use its index.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, ColumnExpressionArgument, String, cast, func


def hex_id(value: object) -> str | None:
    """A stored id as 32 hex digits, whatever the driver returned (str, UUID or None)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.hex
    text = str(value)
    return text.replace("-", "") if len(text) == 36 else text


def id_text(column: ColumnExpressionArgument[Any]) -> ColumnElement[str]:
    """``column`` (a UUID) as 32 lower-case hex digits, ``str`` on every backend."""
    text: ColumnElement[str] = func.replace(cast(column, String), "-", "", type_=String)
    return text


def stored_id_text(column: Any, dialect_name: str) -> ColumnElement[str]:
    """:func:`id_text` for one backend: on SQLite the column itself, already 32 hex digits.

    Spares a CAST and a ``replace()`` per row where a load reads 100,000 ids.
    """
    return column if dialect_name == "sqlite" else id_text(column)
