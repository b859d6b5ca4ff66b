"""Re-importing the teacher roster on PostgreSQL: ids read as text on both backends.

Runs when EDUBRIDGE_TEST_PG_URL names a database (``installer/bootstrap.sh test`` starts a
throwaway server); the test works in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from db.models import Posting, Region, School, Teacher
from db.store import Store
from db.teacher_import import HEADERS, import_teachers
from db.teacher_queries import roster_ids, roster_rows, teacher_detail
from policy.idcard import make_id_number

A = make_id_number("640102", dt.date(1980, 3, 3), 11)
B = make_id_number("640102", dt.date(1986, 7, 9), 22)

pytestmark = pytest.mark.postgres  # the pg_url fixture skips when no server is configured


@pytest.fixture
def pg_schools(pg_store: Store) -> Store:
    """The PostgreSQL store with one county and two schools."""
    with pg_store.write("schools") as session:
        region = Region(code="640100", name="测试县", level="县区")
        session.add(region)
        session.flush()
        for code, location in (("S1", "城区"), ("S2", "乡村")):
            session.add(School(code=code, name=f"学校{code}", stage="小学", location=location,
                               region_id=region.id))
    return pg_store


def write(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADERS))
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def row(number: str, name: str, school: str, arrived: str) -> list[object]:
    return [number, name, "", "", school, "语文", "一级教师", "", "2002-09", arrived, None]


def test_reimport_with_a_school_change_moves_the_teacher(pg_schools: Store, tmp_path: Path) -> None:
    assert pg_schools.engine.url.get_backend_name() == "postgresql"
    first = import_teachers(pg_schools, write(tmp_path / "r1.xlsx", [row(A, "张三", "S1", "2010-09-01"),
                                                                   row(B, "李四", "S1", "2015-09-01")]))
    assert first.inserted == 2
    second = import_teachers(pg_schools, write(tmp_path / "r2.xlsx", [row(A, "张三", "S2", "2020-09-01"),
                                                                    row(B, "李四", "S1", "2015-09-01")]))
    assert (second.inserted, second.updated, second.moved, second.unchanged) == (0, 1, 1, 1)
    with pg_schools.read() as session:
        teachers = session.scalars(select(Teacher).where(Teacher.id_number == A)).all()
        assert len(teachers) == 1  # updated in place, never duplicated
        codes = dict(session.execute(select(School.id, School.code)).all())
        postings = sorted((p.start, codes[p.school_id], p.end_on)
                          for p in session.scalars(select(Posting).where(Posting.teacher_id == teachers[0].id)))
    assert postings == [(dt.date(2010, 9, 1), "S1", dt.date(2020, 8, 31)), (dt.date(2020, 9, 1), "S2", None)]
    # A third import of the same file changes nothing.
    third = import_teachers(pg_schools, tmp_path / "r2.xlsx")
    assert (third.updated, third.moved, third.unchanged) == (0, 0, 2)

    ids = roster_ids(pg_schools, order="school")
    assert len(ids) == 2 and all(type(i) is str for i in ids)  # str, as on SQLite
    rows = roster_rows(pg_schools, ids)
    assert [rows[i].school_code for i in ids] == ["S1", "S2"]
    detail = teacher_detail(pg_schools, str(teachers[0].id))
    assert detail is not None and detail.row.id_number == A
