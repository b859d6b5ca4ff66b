"""The checks of :class:`policy.calendar.Span` as SQL conditions, for queries that filter rows.

Columns come in as a Span does: ``first`` and either ``last`` (the last day in: ``end``,
``end_on``) or ``left`` (the first day out: a membership's ``left_on``). NULL at the end means
still running.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from policy.calendar import Span

# Columns of a mapped class (``Posting.start``) or of a table (``p.c.start``).
Column = Any


def _end_after(day: dt.date, last: Column | None, left: Column | None) -> ColumnElement[bool]:
    """The span is still running on ``day`` (its end is not before it)."""
    if last is not None and left is None:
        return or_(last.is_(None), last >= day)
    if left is not None and last is None:
        return or_(left.is_(None), left > day)
    raise TypeError("give exactly one of last= (last day in) and left= (first day out)")


def holds_on(first: Column, day: dt.date, *, last: Column | None = None,
             left: Column | None = None) -> ColumnElement[bool]:
    """SQL for ``Span(first, …).contains(day)``."""
    return and_(first <= day, _end_after(day, last, left))


def meets(first: Column, period: Span, *, last: Column | None = None,
          left: Column | None = None) -> ColumnElement[bool]:
    """SQL for ``Span(first, …).overlaps(period)`` (``period`` has a last day)."""
    if period.last is None:
        raise ValueError("meets() needs a period with a last day")
    return and_(first <= period.last, _end_after(period.first, last, left))
