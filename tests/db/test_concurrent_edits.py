"""Optimistic concurrency: stale saves are refused naming who and when; races lose nothing.

Two processes edit the same agreement and cluster at once (tests/edit_race.py): every
accepted edit is in the database and its audit log, every refused one was told why, no
agreement version number is issued twice. Two ``plan --save`` at once leave one draft.
Each runs on SQLite and, when configured, on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import edit_race
import pytest
from sqlalchemy import func, select

from db import agreements as ag
from db import clusters as cl
from db.models import Agreement, Exchange, ExchangePlan
from db.store import Store
from db.users import add_user, sign_in
from db.versions import StaleRecord

ROOT = Path(__file__).resolve().parents[2]
EDITS = 30


def _as_zhang(store: Store) -> None:
    add_user(store, "zhangsan", "admin", "abc12345", display_name="张三")
    sign_in(store, "zhangsan", "abc12345")


def test_a_save_based_on_a_stale_form_is_refused_naming_who_and_when(store: Store) -> None:
    agreement_id, cluster_id = edit_race.seed(store)
    _as_zhang(store)
    form = ag.load_agreement(store, agreement_id)
    assert ag.edit_clauses(store, agreement_id, [ag.Section("一", "张三的修改")], expected=form.row_version) == 2
    with pytest.raises(StaleRecord, match=r"^该协议已被 张三 于 \d{4}-\d\d-\d\d \d\d:\d\d 修改，请重新载入后再改$"):
        ag.edit_clauses(store, agreement_id, [ag.Section("一", "旧表单的修改")], expected=form.row_version)
    again = ag.load_agreement(store, agreement_id)
    assert again.sections[0].text == "张三的修改" and again.version == 2  # nothing of the stale save written
    cl.change_area(store, cluster_id, "东片", "")
    with pytest.raises(StaleRecord, match="该集团（教共体）已被 张三 于"):
        cl.change_area(store, cluster_id, "西片", "")  # the page still showed no 片区
    with store.read() as session:
        assert session.get(Agreement, agreement_id).row_version == 2


def test_an_orm_update_that_lost_the_race_is_refused_not_applied(store: Store, db_path: Path) -> None:
    """The version column itself (no form check): the UPDATE carries WHERE row_version = :loaded."""
    agreement_id, _cluster_id = edit_race.seed(store)
    other = Store.open(str(db_path))
    try:
        with (
            pytest.raises(StaleRecord, match="该协议已被 .* 修改，请重新载入后再改"),
            store.write("慢的修改") as session,
        ):
            slow = session.get(Agreement, agreement_id)
            ag.edit_clauses(other, agreement_id, [ag.Section("一", "快的修改")])  # commits meanwhile
            slow.title = "慢的标题"
            slow.version += 1
    finally:
        other.dispose()
    with store.read() as session:
        stored = session.get(Agreement, agreement_id)
        assert (stored.title, stored.version, stored.clauses["sections"][0]["text"]) == ("帮扶协议", 2, "快的修改")


def _two_racers(store: Store, url: str) -> dict:
    agreement_id, cluster_id = edit_race.seed(store)
    command = [sys.executable, str(ROOT / "tests" / "edit_race.py"), url, str(agreement_id), str(cluster_id),
               str(EDITS)]
    procs = [subprocess.Popen([*command, tag], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("甲", "乙")]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results += [json.loads(line) for line in out.splitlines()]
    assert len(results) == 2 * EDITS
    return edit_race.tally(store, results, agreement_id, cluster_id)


def test_two_processes_edit_the_same_records_on_sqlite(store: Store) -> None:
    figures = _two_racers(store, store.location)
    assert figures["problems"] == [] and figures["lost"] == 0
    assert figures["accepted"] + figures["refused"] == 2 * EDITS and figures["accepted"] >= EDITS


@pytest.mark.postgres
def test_two_processes_edit_the_same_records_on_postgres(pg_store: Store, pg_url: str) -> None:
    figures = _two_racers(pg_store, pg_url)
    assert figures["problems"] == [] and figures["lost"] == 0
    assert figures["accepted"] + figures["refused"] == 2 * EDITS and figures["accepted"] >= EDITS


def _two_plan_saves(store: Store, url: str) -> None:
    command = [sys.executable, "-m", "desktop.cli", "--db", url, "plan", "--year", "2027", "--save"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errors = [proc.communicate(timeout=600)[1] for proc in procs]  # both finished before judging
    assert [proc.returncode for proc in procs] == [0, 0], errors
    with store.read() as session:
        drafts = session.scalars(select(ExchangePlan.id).where(ExchangePlan.school_year == 2027)).all()
        assert len(drafts) == 1
        teachers = session.execute(select(Exchange.teacher_id, func.count()).where(Exchange.school_year == 2027)
                                   .group_by(Exchange.teacher_id).having(func.count() > 1)).all()
        assert teachers == []  # nobody listed twice


def test_two_plan_saves_at_once_leave_one_draft_on_sqlite(demo_store: Store) -> None:
    _two_plan_saves(demo_store, demo_store.location)


@pytest.mark.postgres
def test_two_plan_saves_at_once_leave_one_draft_on_postgres(pg_store: Store, pg_url: str) -> None:
    from db.demo import build_demo

    build_demo(pg_store, "county", 2026)
    _two_plan_saves(pg_store, pg_url)


def test_the_database_refuses_a_second_draft_of_a_year(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    with store.write("草案") as session:
        session.add(ExchangePlan(school_year=2027, status="draft", profile_id="default"))
    with pytest.raises(IntegrityError), store.write("第二份草案") as session:
        session.add(ExchangePlan(school_year=2027, status="draft", profile_id="default"))
