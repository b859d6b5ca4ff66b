"""db.spans asks in SQL what policy.calendar.Span answers in Python (issue 17)."""

import datetime as dt

import pytest
from sqlalchemy import Column, Date, Engine, Integer, MetaData, Table, create_engine, insert, select

from db.spans import holds_on, meets
from policy.calendar import Span

D = dt.date
ROWS = [  # (first, last day in, first day out)
    (D(2025, 9, 1), D(2025, 12, 31), D(2026, 1, 1)),
    (D(2025, 9, 1), None, None),
    (D(2026, 1, 1), D(2026, 1, 1), D(2026, 1, 2)),
    (D(2025, 9, 1), D(2025, 8, 31), D(2025, 9, 1)),  # undone on its day
]
DAYS = [D(2025, 8, 31), D(2025, 9, 1), D(2025, 12, 31), D(2026, 1, 1), D(2026, 1, 2)]


@pytest.fixture(scope="module")
def table() -> tuple[Engine, Table]:
    meta = MetaData()
    spans = Table("spans", meta, Column("n", Integer, primary_key=True), Column("first", Date),
                  Column("last", Date), Column("left", Date))
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as c:
        c.execute(insert(spans), [{"n": n, "first": f, "last": la, "left": le} for n, (f, la, le) in enumerate(ROWS)])
    return engine, spans


@pytest.mark.parametrize("day", DAYS)
def test_holds_on_agrees_with_contains(table: tuple[Engine, Table], day: dt.date) -> None:
    engine, t = table
    with engine.connect() as c:
        by_last = set(c.scalars(select(t.c.n).where(holds_on(t.c.first, day, last=t.c["last"]))))
        by_left = set(c.scalars(select(t.c.n).where(holds_on(t.c.first, day, left=t.c["left"]))))
    expected = {n for n, (f, la, _le) in enumerate(ROWS) if Span(f, la).contains(day)}
    assert by_last == by_left == expected


def test_meets_agrees_with_overlaps(table: tuple[Engine, Table]) -> None:
    engine, t = table
    period = Span(D(2025, 12, 31), D(2026, 1, 1))
    with engine.connect() as c:
        by_last = set(c.scalars(select(t.c.n).where(meets(t.c.first, period, last=t.c["last"]))))
        by_left = set(c.scalars(select(t.c.n).where(meets(t.c.first, period, left=t.c["left"]))))
    assert by_last == by_left == {n for n, (f, la, _le) in enumerate(ROWS) if Span(f, la).overlaps(period)} == {0, 1, 2}


def test_one_end_column_exactly() -> None:
    with pytest.raises(TypeError):
        holds_on(Column("a", Date), D(2025, 9, 1))
