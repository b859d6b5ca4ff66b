"""Two imports of the same file at once, in two processes: one copy is stored, both exit
cleanly and say what they did (the visits file used to be stored twice, and the second
roster import died on ``UNIQUE constraint failed``)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import visit_world
import workbooks
from sqlalchemy import func, select

from db import teacher_import, visit_import
from db.models import Cluster, Membership, Region, School, Teacher, Visit, VisitParticipant
from db.store import Store
from policy.idcard import make_id_number

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
# Each process compares the file with the store, then waits this long before taking the
# lock: both previews are made before either writes, the race the lock must settle.
PAUSE = 0.4

RACER = r"""
import sys, time
import db.exemption_import, db.locks, db.needs_import, db.teacher_import, db.visit_import, db.school_import
from desktop.cli import main
real = db.locks.hold_write_lock
def slow(connection):
    time.sleep(float(sys.argv[4]))
    real(connection)
db.locks.hold_write_lock = slow
db.teacher_import.hold_write_lock = slow
start = float(sys.argv[5])
while time.time() < start:
    time.sleep(0.002)
sys.exit(main(["--db", sys.argv[1], "import", sys.argv[2], sys.argv[3]]))
"""


def race(db: str, kind: str, path: Path) -> list[subprocess.CompletedProcess[str]]:
    """Start two importers of ``path`` that begin in the same millisecond."""
    start = time.time() + 4.0  # both interpreters have loaded everything by then
    processes = [
        subprocess.Popen([sys.executable, "-c", RACER, db, kind, str(path), str(PAUSE), str(start)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=os.environ.copy())
        for _ in range(2)
    ]
    done = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def visit_log(path: Path, day: dt.date) -> Path:
    return sheet(path, list(visit_import.HEADERS), [
        [day, "RURAL01", "周老师", "骨干教师", "CITY01", "听评课", 2, "三年级数学"],
        [day, "RURAL01", "李明", "教师", "CITY01", "听评课", 1, "三年级数学"],
        [day, "RURAL01", "孙研", "市级教研员", None, "听评课", 4, "评课"],
        [day, "RURAL02", "陈校长", "校级干部", "CITY01", "管理经验交流", None, None],
        [day + dt.timedelta(days=1), "RURAL09", "周老师", "骨干教师", "CITY01", "公开课", "", "示范课"],
    ])


def sheet(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    return workbooks.sheet(path, rows, headers)


def roster(path: Path, first: int, count: int = 40) -> Path:
    births = [dt.date(1975, 1, 1) + dt.timedelta(days=n) for n in range(first, first + count)]
    return sheet(path, list(teacher_import.HEADERS[:10]), [
        [make_id_number("640104", birth, 2 * n + 1), f"教师{n}", "男", birth.isoformat(), "RURAL01", "语文",
         "一级教师", "", "2000-09", "2010-09-01"] for n, birth in enumerate(births, start=first)])


def school_list(path: Path) -> Path:
    return sheet(path, ["学校代码", "学校名称", "学段", "城乡类别", "所属县区"],
                 [[f"N{n:02d}", f"新建{n}小学", "小学", "乡村", "永宁县"] for n in range(5)])


def cluster_list(path: Path) -> Path:
    return sheet(path, ["集团名称", "类型", "学校代码", "角色", "加入日期"],
                 [["永宁新集团", "教育集团", f"N{n:02d}", "牵头校" if n == 0 else "成员校", dt.date(2025, 9, 1)]
                  for n in range(5)])


def counts(store: Store) -> tuple[int, int, int]:
    with store.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Visit, VisitParticipant, Teacher))


def check_both_clean(runs: list[subprocess.CompletedProcess[str]]) -> list[str]:
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        # The one line a process may print: the notice that it waits for the other's write lock
        # (db.faults.waiting_notice, after a second of waiting: on a busy machine it comes).
        other = [line for line in run.stderr.splitlines() if "正在等待" not in line]
        assert "Traceback" not in run.stderr and "UNIQUE" not in run.stderr and not other, run.stderr[-3000:]
        assert "已导入" in run.stdout
    return [run.stdout.strip().splitlines()[-1] for run in runs]


def races(store: Store, db: str, tmp_path: Path) -> None:
    world_teachers = counts(store)[2]
    summaries = check_both_clean(race(db, "schools", school_list(tmp_path / "s.xlsx")))
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(School).where(School.code.like("N%"))) == 5
        assert session.scalar(select(func.count()).select_from(Region).where(Region.name == "永宁县")) == 1, summaries
    assert sorted("新增 5 条" in s for s in summaries) == [False, True], summaries
    summaries = check_both_clean(race(db, "clusters", cluster_list(tmp_path / "c.xlsx")))
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Cluster).where(Cluster.name == "永宁新集团")) == 1
        assert session.scalar(select(func.count()).select_from(Membership).join(School)
                              .where(School.code.like("N%"))) == 5, summaries
    for round_ in range(ROUNDS):
        day = dt.date(2025, 9, 1) + dt.timedelta(days=7 * round_)
        summaries = check_both_clean(race(db, "visits", visit_log(tmp_path / f"v{round_}.xlsx", day)))
        assert counts(store)[:2] == (3 * (round_ + 1), 5 * (round_ + 1)), summaries
        # One process stored the activities; the other found them stored and said so.
        assert sum("新活动 3 次" in s for s in summaries) == 1, summaries
        assert sum("已登记而跳过 5 人次" in s for s in summaries) == 1, summaries
        summaries = check_both_clean(race(db, "teachers", roster(tmp_path / f"t{round_}.xlsx", 40 * round_)))
        assert counts(store)[2] == world_teachers + 40 * (round_ + 1), summaries
        assert sorted("新增 40 名教师" in s for s in summaries) == [False, True], summaries


@pytest.mark.slow
def test_two_imports_at_once_store_one_copy_on_sqlite(store, db_path, tmp_path):
    visit_world.build(store)
    races(store, str(db_path), tmp_path)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_imports_at_once_store_one_copy_on_postgresql(pg_store, pg_url, tmp_path):
    visit_world.build(pg_store)
    races(pg_store, pg_url, tmp_path)
