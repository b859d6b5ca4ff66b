"""A cancelled import writes nothing, for every kind of the registry.

The demo county is exported kind by kind, cut to a few rows (:data:`KEEP`), and imported into
a fresh database in dependency order (schools before clusters, teachers before their
exemptions, …). Before each kind is
really imported, the same import is run with a progress that cancels at its last stage —
inside the write transaction, after the writes, before the commit — and the database must
be exactly as it was: every table's rows, the audit chain included.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from db.importers import COMMITTING, IMPORTERS
from db.models import Base
from db.store import Store
from policy.errors import Cancelled
from reports.exporters import EXPORTERS, ExportOptions

#: 74 s measured on a loaded shared machine; exporting the demo county's ten kinds dominates.
pytestmark = pytest.mark.slow

#: Each kind after the kinds it refers to.
ORDER = ("schools", "clusters", "teachers", "exemptions", "needs", "duties", "pairings", "quality", "visits",
         "exchanges", "training", "designations")


#: Data rows kept of each exported sheet (the schools and clusters whole: the rest refer to them).
KEEP = 40
_ID = re.compile(r"^\d{17}[\dXx]$")
#: Kinds whose rows name teachers by ID number: the roster keeps those teachers.
BY_TEACHER = ("exemptions", "pairings", "exchanges", "training", "designations")


def rows_of(path: Path) -> list[tuple[object, ...]]:
    source = load_workbook(path, read_only=True)
    try:
        return list(source.worksheets[0].iter_rows(values_only=True))
    finally:
        source.close()


def ids_in(row: tuple[object, ...]) -> set[str]:
    return {str(c) for c in row if c is not None and _ID.match(str(c))}


def trim(path: Path, keep: Callable[[set[str]], bool]) -> None:
    """Rewrite ``path`` with its header and the first :data:`KEEP` rows ``keep(ids)`` accepts."""
    rows = rows_of(path)
    kept = [rows[0]] + [row for row in rows[1:] if keep(ids_in(row))][:KEEP]
    workbook = Workbook()
    for row in kept:
        workbook.active.append(row)
    workbook.save(path)


def snapshot(store: Store) -> dict[str, list[tuple[str, ...]]]:
    with store.read() as session:
        return {table.name: sorted(tuple(map(str, row)) for row in session.execute(select(table)))
                for table in Base.metadata.sorted_tables}


def cancel_at_commit(seen: list[str]):  # noqa: ANN201
    def progress(message: str, fraction: float) -> None:
        seen.append(message)
        if (message, fraction) == COMMITTING:
            raise Cancelled()

    return progress


def add_teacher_development(store: Store) -> None:
    """Training hours and a seed-teacher mark for five teachers of a rural school."""
    import datetime as dt

    from db.models import Posting, School, TeacherDesignation, TrainingRecord

    with store.write("培训与种子教师（测试）") as session:
        teachers = session.scalars(
            select(Posting.teacher_id).join(School, School.id == Posting.school_id)
            .where(School.location == "乡村", Posting.end_on.is_(None)).order_by(Posting.teacher_id).limit(5)).all()
        for teacher in teachers:
            session.add(TrainingRecord(teacher_id=teacher, completed_on=dt.date(2025, 10, 1), course="国培计划",
                                       hours=24, special=True))
            session.add(TeacherDesignation(teacher_id=teacher, kind="种子教师", start=dt.date(2025, 9, 1)))


@pytest.fixture(scope="module")
def stages(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Path, Path]]]:
    """kind → (its exported workbook, a database holding every kind before it)."""
    folder = tmp_path_factory.mktemp("cancel")
    demo_copy = folder / "demo.db"
    shutil.copyfile(demo_db_file, demo_copy)
    demo = Store.open(str(demo_copy))
    fresh = Store.open(str(folder / "fresh.db"))
    found = {}
    try:
        add_teacher_development(demo)  # the demo has none: give the two registers rows to export
        for kind in ORDER:
            EXPORTERS[kind].run(demo, folder / f"{kind}.xlsx", ExportOptions(year=2026))
        roster: set[str] = set()
        for kind in BY_TEACHER:  # the teachers their first rows name
            for row in rows_of(folder / f"{kind}.xlsx")[1:KEEP // 2]:
                roster |= ids_in(row)
        trim(folder / "teachers.xlsx", lambda ids: bool(ids & roster))
        roster = set().union(*map(ids_in, rows_of(folder / "teachers.xlsx")[1:]))
        for kind in ORDER[3:]:
            trim(folder / f"{kind}.xlsx", lambda ids: ids <= roster)
        for kind in ORDER:
            workbook = folder / f"{kind}.xlsx"
            before = folder / f"before-{kind}.db"
            fresh.engine.dispose()
            shutil.copyfile(folder / "fresh.db", before)
            empty = snapshot(fresh)
            IMPORTERS[kind].run(fresh, workbook, False)
            assert snapshot(fresh) != empty, f"{kind}: the real import must write, for the test to mean anything"
            found[kind] = (workbook, before)
        yield found
    finally:
        demo.dispose()
        fresh.dispose()


def test_every_kind_is_in_the_order():
    assert sorted(ORDER) == sorted(IMPORTERS)


@pytest.mark.parametrize("kind", ORDER)
def test_a_cancel_inside_the_write_transaction_leaves_nothing_written(kind, stages, tmp_path):
    workbook, before = stages[kind]
    shutil.copyfile(before, tmp_path / "db.db")
    store = Store.open(str(tmp_path / "db.db"))
    try:
        unchanged = snapshot(store)
        seen: list[str] = []
        with pytest.raises(Cancelled):
            IMPORTERS[kind].run(store, workbook, False, cancel_at_commit(seen))
        assert seen[-1] == COMMITTING[0]  # it was stopped inside the transaction, after the writes
        assert snapshot(store) == unchanged
    finally:
        store.dispose()
