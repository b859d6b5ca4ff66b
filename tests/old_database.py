"""A database at an old revision with a few rows in it, for the upgrade tests of tests/db/.

The ``old_engine`` fixture (tests/conftest.py) is an empty database on SQLite and (marked
``postgres``) on PostgreSQL; :func:`populated` migrates it to a revision and inserts, through the tables of that
revision, a county with a city and a village school and one teacher: what most revisions'
upgrade tests start from before adding the rows of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from alembic import command
from sqlalchemy import Engine, MetaData, Table, insert

from db.migrate import _config

T0 = dt.datetime(2026, 1, 1)
STAMP = {"created_at": T0, "updated_at": T0}


@dataclasses.dataclass
class OldDatabase:
    engine: Engine
    #: The tables as the old revision has them (reflected: no columns added since).
    tables: Mapping[str, Table]
    #: region, city, village, teacher, and the keys asked for, each a fresh id.
    ids: dict[str, Any]

    def new_id(self) -> Any:
        """A fresh id as a reflected table binds it (SQLite: 32 hex digits)."""
        return uuid.uuid4().hex if self.engine.dialect.name == "sqlite" else uuid.uuid4()

    def uuid(self, key: str) -> uuid.UUID:
        """``ids[key]`` as the current models bind it."""
        return uuid.UUID(str(self.ids[key]))


def populated(engine: Engine, revision: str, *more: str) -> OldDatabase:
    """``engine`` migrated to ``revision``, holding a county, a city and a village school and a teacher."""
    command.upgrade(_config(engine), revision)
    old = MetaData()
    old.reflect(engine)
    db = OldDatabase(engine, old.tables, {})
    db.ids.update({key: db.new_id() for key in ("region", "city", "village", "teacher", *more)})
    t, ids = old.tables, db.ids
    with engine.begin() as c:
        c.execute(insert(t["region"]).values(id=ids["region"], code="640121", name="县", level="县区",
                                             profile_id="default", **STAMP))
        for key, location in (("city", "城区"), ("village", "乡村")):
            c.execute(insert(t["school"]).values(id=ids[key], code=key, name=key, stage="小学", location=location,
                                                 run_by="县属", region_id=ids["region"], students=1, classes=1,
                                                 is_weak=False, **STAMP))
        c.execute(insert(t["teacher"]).values(id=ids["teacher"], id_number="110101198001010011", name="张三",
                                              gender="男", birth_date=dt.date(1980, 1, 1), position="教师", **STAMP))
    return db
