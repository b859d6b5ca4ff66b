"""The one way tests write a small workbook to import: header row (if any), then the rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook


def sheet(path: Path, rows: Iterable[Sequence[Any]], headers: Sequence[str] | None = None,
          title: str | None = None) -> Path:
    """Write ``rows`` under ``headers`` into the first sheet (named ``title``) of a new workbook at ``path``."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    if title:
        ws.title = title
    if headers is not None:
        ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    book.save(path)
    return Path(path)
