"""The duty register on PostgreSQL: two processes logging the same new person at once register
them once (the unique key, ON CONFLICT DO NOTHING), and the board agrees with SQLite."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import visit_world
from sqlalchemy import func, select

from db.models import DutyHolder
from db.store import Store
from db.visits import quota_rows
from policy.calendar import Semester
from policy.profile import load_profile

pytestmark = pytest.mark.postgres

PROFILE = load_profile()
ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import datetime as dt, sys, uuid
from db.store import Store
from db.visits import VisitDraft, VisitorDraft, save_visit
store = Store.open(sys.argv[1])
for i in range(5):
    save_visit(store, VisitDraft(dt.date(2025, 10, 1 + i), uuid.UUID(sys.argv[2]), "教研指导",
                                 [VisitorDraft("钱研", "县级教研员"), VisitorDraft(sys.argv[3] + str(i), "县级教研员")]))
store.dispose()
"""


def test_two_processes_logging_the_same_person_register_them_once(pg_url: str, pg_store: Store) -> None:
    world = visit_world.build(pg_store)
    quota_rows(pg_store, PROFILE, Semester(2025, 1))  # tallies current: each save keeps them and the register
    host = world.schools["RURAL01"].hex
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, pg_url, host, tag], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for tag in ("甲", "乙")]
    for writer in writers:
        _out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    with pg_store.read() as s:
        assert s.scalar(select(func.count()).select_from(DutyHolder).where(DutyHolder.name == "钱研")) == 1
        assert s.scalar(select(func.count()).select_from(DutyHolder)) == 11
    [row] = [r for r in quota_rows(pg_store, PROFILE, Semester(2025, 1))
             if r.who == "钱研（县级教研员）" and r.rule == "visit.county_researcher_guidance"]
    assert (row.done, row.required) == (10, 4)


def test_the_register_and_board_agree_with_sqlite(store: Store, pg_store: Store) -> None:
    def board(target: Store) -> list[tuple]:
        world = visit_world.build(target)
        sc = world.schools
        from db.duty_holders import register_duty
        from db.visits import VisitDraft, VisitorDraft, save_visit

        save_visit(target, VisitDraft(dt.date(2025, 8, 20), sc["RURAL01"], "管理经验交流",
                                      [VisitorDraft("黄副校长", "校级干部", sc["CITY01"])]))
        save_visit(target, VisitDraft(dt.date(2025, 9, 20), sc["TOWN01"], "公开课",
                                      [VisitorDraft("周老师", "骨干教师", sc["CITY01"])]))
        register_duty(target, "孙研", "市级教研员", dt.date(2025, 9, 1))
        names = {v: k for k, v in sc.items()}
        return sorted((r.rule, r.period, r.who, r.done, r.outside, r.source,
                       tuple((names.get(uuid.UUID(s)), n, why) for s, n, why in r.not_counted))
                      for r in quota_rows(target, PROFILE, 2025))

    assert board(pg_store) == board(store)
