"""A deterministic fictional county (or city) to show, test and benchmark EduBridge with.

:func:`build_demo` fills an empty store with 青禾县 (``scale="county"``: about 120
schools and 5,000 teachers) or 青岚市 with eight counties (``scale="city"``: about
1,000 schools and 50,000 teachers): schools, clusters with dated memberships, pairings,
teachers with valid ID numbers and dated postings, five school years of exchanges and
assistance visits, agreements, quality indicators, summaries, users and a waiver.

Everything — UUIDs included — comes from one ``random.Random(seed)`` and a fixed
"today" (:data:`TODAY`), so the same seed always gives the same rows. Rows are written
with Core ``executemany`` inserts through :meth:`Store.bulk` (one transaction, one audit
entry); the ORM would be four times slower.

A few things break the rules on purpose, so the checks have something to show: a
cluster of eight schools (with a waiver), a cluster of more than 12,000 students, a
融合型教共体 with three members, a school in two clusters at the same time, a rural
school and a teaching point in no cluster, schools over 2,000 students and classes over
45/50, unsigned agreements, people behind their visit quotas.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Table, func, select

from db import models
from db.demo.builder import _Builder
from db.demo.names import CITY_NAME, CURRENT_YEAR, SCALES, TABLE_ORDER, TODAY, ProgressFn
from db.engine import StoreError
from db.settings import DEMO_KEY
from db.store import Store

__all__ = ["CURRENT_YEAR", "SCALES", "TABLE_ORDER", "TODAY", "ProgressFn", "_Builder", "build_demo"]


def build_demo(
    store: Store,
    scale: str = "county",
    seed: int = 2026,
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """Fill an empty store with the demo and return the rows written per table.

    Raises:
        StoreError: the store already holds schools, or ``scale`` is unknown.
    """
    if scale not in SCALES:
        raise StoreError(f"演示数据规模应为 county（县）或 city（市）：{scale}")
    with store.read() as session:
        existing = session.scalar(select(func.count()).select_from(models.School)) or 0
    if existing:
        raise StoreError(f"数据库中已有 {existing} 所学校，演示数据只能写入空数据库")
    report = progress or (lambda _message, _fraction: None)
    report("生成演示数据…", 0.0)
    rows = _Builder(random.Random(seed), scale).build()
    report("写入数据库…", 0.3)
    total = sum(len(rows[name]) for name in TABLE_ORDER) or 1
    done = 0
    note = f"演示数据：{'青禾县' if scale == 'county' else CITY_NAME}（随机种子 {seed}）"
    with store.bulk("school", note) as connection:
        connection.execute(models.Setting.__table__.insert(), [{"key": DEMO_KEY, "value": {"scale": scale, "seed": seed}}])
        for name in TABLE_ORDER:
            table_rows = rows[name]
            if not table_rows:
                continue
            table: Table = models.Base.metadata.tables[name]
            _drop_empty_columns(table_rows)
            for start in range(0, len(table_rows), 20_000):
                connection.execute(table.insert(), table_rows[start : start + 20_000])
            done += len(table_rows)
            report(f"写入 {name}", 0.3 + 0.7 * done / total)
    report("完成", 1.0)
    return {name: len(rows[name]) for name in TABLE_ORDER}


def _drop_empty_columns(rows: list[dict[str, Any]]) -> None:
    """Leave out columns that are None in every row (JSON columns would store 'null')."""
    empty = [key for key in rows[0] if all(row[key] is None for row in rows)]
    for row in rows:
        for key in empty:
            del row[key]
