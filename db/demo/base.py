"""The demo builder's state and plumbing (ids, rows, names, school days) every part uses."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from db import models
from db.demo.names import (
    GIVEN_FEMALE,
    GIVEN_MALE,
    PLACE_FIRST,
    PLACE_SECOND,
    STAMP,
    SURNAME_WEIGHTS,
    SURNAMES,
    TABLE_ORDER,
)
from db.demo.records import _County, _School, _Teacher


class BuilderBase:
    """Generates all rows in memory; deterministic given the Random it is handed."""

    # Set by one part and read by another: write_schools (schools) → the clusters part;
    # make_exchanges (exchanges) → write_teachers (teachers).
    _school_rows: dict[uuid.UUID, dict[str, Any]]
    _earlier: dict[uuid.UUID, list[tuple[_School, dt.date, dt.date]]]
    _home_exchange: dict[uuid.UUID, uuid.UUID]
    _temporary: list[tuple[_Teacher, _School, str, dt.date, dt.date, uuid.UUID, uuid.UUID | None]]

    def __init__(self, rng: random.Random, scale: str) -> None:
        self.rng = rng
        self.scale = scale
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_ORDER}
        self._columns = {
            name: [c.key for c in models.Base.metadata.tables[name].columns] for name in TABLE_ORDER
        }
        self.school_codes: dict[str, None] = {}
        self.id_numbers: dict[str, None] = {}
        self.place_names: dict[str, None] = {}
        self.cluster_names: dict[str, None] = {}
        self.counties: list[_County] = []
        self.teachers: list[_Teacher] = []
        self.plan_ids: dict[int, uuid.UUID] = {}
        self.visit_keys: set[tuple[Any, ...]] = set()  # (host, day, type): see visit()
        self.city_school_count = 0

    # ---- plumbing ---------------------------------------------------------------

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, table: str, **values: Any) -> uuid.UUID:
        row: dict[str, Any] = dict.fromkeys(self._columns[table])
        row.update(values)
        if row.get("id") is None and "id" in row:
            row["id"] = self.new_id()
        if "created_at" in row:
            row["created_at"] = STAMP
            row["updated_at"] = STAMP
        self.rows[table].append(row)
        return row.get("id")  # type: ignore[return-value]  # the callers use ids of tables that have one

    def place(self) -> str:
        """A fresh two-character place name (柳湾, 石岭 …), unique within the demo."""
        rng = self.rng
        for _ in range(1000):
            name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
            if name not in self.place_names:
                self.place_names[name] = None
                return name
        raise RuntimeError("place names exhausted")  # pragma: no cover

    def school_code(self, county: _County) -> str:
        while True:
            code = f"21{county.code[:2]}{self.rng.randrange(1_000_000):06d}"
            if code not in self.school_codes:
                self.school_codes[code] = None
                return code

    def person_name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]
        pool = GIVEN_FEMALE if gender == "女" else GIVEN_MALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.62 else "")
        return surname + given

    def weekday(self, first: dt.date, last: dt.date) -> dt.date:
        """A random school day (Monday–Friday) between two dates."""
        span = max((last - first).days, 0)
        for _ in range(20):
            day = first + dt.timedelta(days=self.rng.randint(0, span))
            if day.weekday() < 5:
                return day
        return first  # pragma: no cover - a window without a weekday
