"""Two clerks approving the same draft at once, in two processes: exactly one carries it out.

approve_plan claims the plan with a conditional UPDATE before anything else, so the database
decides (SQLite's write lock, PostgreSQL's row lock); the loser is told the plan is approved
and writes nothing. Runs on SQLite and, when configured, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Exchange, ExchangePlan, Posting, Region, School, Teacher
from db.store import Store

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2027
TEACHERS = 60


def _draft(store: Store) -> uuid.UUID:
    """Two schools, teachers at the city school since 2010, and a draft moving each of them."""
    from policy.idcard import make_id_number

    with store.write("测试数据") as session:
        region = Region(code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        city = School(code="C1", name="城区一小", stage="小学", location="城区", region_id=region.id)
        village = School(code="R1", name="东村小学", stage="小学", location="乡村", region_id=region.id)
        session.add_all([city, village])
        session.flush()
        plan = ExchangePlan(school_year=YEAR, status="draft", profile_id="default", summary={})
        session.add(plan)
        session.flush()
        for i in range(TEACHERS):
            teacher = Teacher(id_number=make_id_number("640121", dt.date(1980, 1, 1), i * 2 + 1), name=f"教师{i}",
                              gender="男", birth_date=dt.date(1980, 1, 1))
            session.add(teacher)
            session.flush()
            session.add(Posting(teacher_id=teacher.id, school_id=city.id, start=dt.date(2010, 9, 1)))
            session.add(Exchange(plan_id=plan.id, teacher_id=teacher.id, from_school_id=city.id,
                                 to_school_id=village.id, form="轮岗" if i % 2 else "支教", school_year=YEAR,
                                 start=dt.date(YEAR, 9, 1), end_on=dt.date(YEAR + 1, 7, 10),
                                 moves_personnel=bool(i % 2), status="planned"))
        return plan.id


def _race(url: str) -> list[subprocess.CompletedProcess[str]]:
    command = [sys.executable, "-m", "desktop.cli", "--db", url, "plan", "--year", str(YEAR), "--approve"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


def _check(store: Store, url: str) -> None:
    plan_id = _draft(store)
    results = _race(url)
    assert sorted(r.returncode for r in results) == [0, 2], [r.stderr for r in results]
    loser = next(r for r in results if r.returncode == 2)
    assert "批准" in loser.stderr and "Traceback" not in loser.stderr
    with store.read() as session:
        assert session.get(ExchangePlan, plan_id).status == "approved"
        stints = session.scalar(select(func.count()).select_from(Posting).where(Posting.exchange_id.is_not(None)))
        open_home = session.scalar(select(func.count()).select_from(Posting).where(
            Posting.exchange_id.is_(None), Posting.end_on.is_(None)))
    assert stints == TEACHERS  # one posting per exchange, not two
    assert open_home == TEACHERS // 2  # the temporary half keep their home posting open


def test_two_processes_approve_once_on_sqlite(store: Store) -> None:
    _check(store, store.location)


@pytest.mark.postgres
def test_two_processes_approve_once_on_postgres(pg_store: Store, pg_url: str) -> None:
    _check(pg_store, pg_url)


def _sheet(store: Store, path: Path) -> Path:
    """A 支教 for every teacher of the draft world, as a 交流记录 sheet."""
    from openpyxl import Workbook

    from db.exchange_import import HEADERS

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADERS))
    with store.read() as session:
        for number, name in session.execute(select(Teacher.id_number, Teacher.name).order_by(Teacher.id_number)):
            sheet.append([number, name, "C1", "东村小学", "支教", dt.date(2030, 9, 1), dt.date(2031, 7, 10), "否", None])
    workbook.save(path)
    return path


def _import_race(store: Store, url: str, tmp_path: Path) -> None:
    _draft(store)  # the world: schools and teachers (the draft itself is left alone)
    path = _sheet(store, tmp_path / "交流记录.xlsx")
    command = [sys.executable, "-m", "desktop.cli", "--db", url, "import", "exchanges", str(path), "--json"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert all("Traceback" not in err for _code, _out, err in results), results
    assert 0 in [code for code, _out, _err in results]
    loser = [err for code, _out, err in results if code != 0]
    assert all("其他用户刚刚登记了相同的交流记录" in err for err in loser), loser
    with store.read() as session:
        recorded = session.scalar(select(func.count()).select_from(Exchange).where(
            Exchange.form == "支教", Exchange.status == "approved", Exchange.start == dt.date(2030, 9, 1)))
        stints = session.scalar(select(func.count()).select_from(Posting).where(Posting.start == dt.date(2030, 9, 1)))
    assert recorded == stints == TEACHERS  # once each, whoever won


def test_two_processes_import_one_sheet_once_on_sqlite(store: Store, tmp_path: Path) -> None:
    _import_race(store, store.location, tmp_path)


@pytest.mark.postgres
def test_two_processes_import_one_sheet_once_on_postgres(pg_store: Store, pg_url: str, tmp_path: Path) -> None:
    _import_race(pg_store, pg_url, tmp_path)


def _cancel_race(store: Store, url: str) -> None:
    from db.exchange_plans import approve_plan

    plan_id = _draft(store)
    approve_plan(store, plan_id)
    with store.read() as session:
        teacher = session.scalars(select(Teacher.id_number).join(Exchange, Exchange.teacher_id == Teacher.id)
                                  .where(Exchange.moves_personnel.is_(True)).order_by(Teacher.id_number)).first()
    command = [sys.executable, "-m", "desktop.cli", "--db", url, "exchange", "cancel", "--teacher", teacher,
               "--on", f"{YEAR}-11-01"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(code for code, _o, _e in results) == [0, 2], results
    assert all("Traceback" not in err for _c, _o, err in results)
    with store.read() as session:
        home = session.scalar(select(func.count()).select_from(Posting).join(Teacher, Teacher.id == Posting.teacher_id)
                              .where(Teacher.id_number == teacher, Posting.end_on.is_(None)))
    assert home == 1  # back home once, not twice


def test_two_processes_cancel_once_on_sqlite(store: Store) -> None:
    _cancel_race(store, store.location)


@pytest.mark.postgres
def test_two_processes_cancel_once_on_postgres(pg_store: Store, pg_url: str) -> None:
    _cancel_race(pg_store, pg_url)
