"""The audit chain: canonical hashing, tamper detection, and linear appends under two writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import audit
from db.models import AuditEntry, Region, Setting

ROOT = Path(__file__).resolve().parents[2]


def fill(store, n=5):
    with store.write("县") as s:
        s.add(Region(code="640100", name="测试县", level="县区"))
    for i in range(n):
        with store.write(f"设置 {i}") as s:
            s.add(Setting(key=f"k{i}", value={"n": i, "名": "值", "f": 0.1 * i}))


def test_chain_verifies_and_canonical_text_round_trips(store):
    fill(store)
    verdict = audit.verify(store.engine)
    assert verdict.ok and verdict.checked == 6 and verdict.last_id == 6
    assert audit.quick_check(store.engine).ok
    assert audit.canonical({"b": 1, "a": [1.5, "名"]}) == '{"a":[1.5,"名"],"b":1}'


@pytest.mark.parametrize(("sql", "broken"), [
    ("UPDATE audit_entry SET actor = 'mallory' WHERE id = 3", 3),
    ("UPDATE audit_entry SET after = json_set(after, '$.n', 99) WHERE id = 4", 4),
    ("DELETE FROM audit_entry WHERE id = 2", 2),
    ("DELETE FROM audit_entry WHERE id = 6", 6),  # the last one: the head says 6
    ("UPDATE audit_entry SET at = '2020-01-01 00:00:00.000000' WHERE id = 5", 5),
])
def test_an_edit_with_the_sqlite3_shell_is_found(store, db_path, sql, broken):
    fill(store)
    store.dispose()
    with sqlite3.connect(db_path) as connection:  # outside the app: no guard
        connection.execute(sql)
    verdict = audit.verify(store.engine)
    assert not verdict.ok and verdict.broken_id == broken, verdict


def bulk_settings(store):
    """Three settings inserted, then two changed, each by one statement in Store.bulk: two batch entries."""
    from sqlalchemy import bindparam

    table = Setting.__table__
    with store.bulk("setting", "批量") as c:
        c.execute(table.insert(), [{"key": f"b{i}", "value": {"n": i}, "row_version": 1} for i in range(3)])
        c.execute(table.update().where(table.c.key == bindparam("k")),
                  [{"k": "b0", "value": {"n": 10}}, {"k": "b2", "value": {"n": 12}}])


def test_a_batch_entry_shows_and_finds_every_record(store):
    fill(store, 1)
    bulk_settings(store)
    with store.read() as s:
        batches = s.scalars(select(AuditEntry).where(AuditEntry.note == "批量", AuditEntry.action != "import")).all()
    assert [(e.action, e.entity_id) for e in batches] == [("insert", None), ("update", None)]
    shown, total = audit.search(store.engine, entity="setting")
    assert total == 1 + 3 + 2 + 1 == len(shown)  # fill's, the batches' records, the load's summary
    assert [(e.action, e.entity_id, e.before, e.after) for e in shown[:3]] == [
        ("import", None, None, None),
        ("update", "b0", {"value": {"n": 0}}, {"value": {"n": 10}}),
        ("update", "b2", {"value": {"n": 2}}, {"value": {"n": 12}})]
    found, count = audit.search(store.engine, entity_id="b2")
    assert count == 2 and [(e.action, e.after) for e in found] == [("update", {"value": {"n": 12}}),
                                                                  ("insert", {"value": {"n": 2}})]
    assert audit.search(store.engine, entity_id="b")[1] == 0  # a part of an id is not the record
    assert audit.verify(store.engine).ok


@pytest.mark.postgres
def test_batch_entries_on_postgres(pg_store):
    fill(pg_store, 1)
    bulk_settings(pg_store)
    assert audit.search(pg_store.engine, entity="setting")[1] == 7
    assert [e.after for e in audit.search(pg_store.engine, entity_id="b1")[0]] == [{"value": {"n": 1}}]
    assert audit.verify(pg_store.engine).ok


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entry SET after = json_set(after, '$.rows[1][1].n', 99) WHERE note = '批量' AND action = 'insert'",
    "UPDATE audit_entry SET before = json_remove(before, '$.rows[0]') WHERE action = 'update' AND entity_id IS NULL",
])
def test_a_tampered_batch_entry_is_found(store, db_path, sql):
    fill(store, 1)
    bulk_settings(store)
    with store.read() as s:
        target = s.scalar(select(AuditEntry.id).where(AuditEntry.note == "批量", AuditEntry.action
                                                      == ("insert" if "insert" in sql else "update")))
    store.dispose()
    with sqlite3.connect(db_path) as connection:
        assert connection.execute(sql).rowcount == 1
    verdict = audit.verify(store.engine)
    assert not verdict.ok and verdict.broken_id == target, verdict


def test_migration_chains_entries_of_an_old_database(tmp_path):
    """A populated 0002 database: its entries are chained by 0003 and verify."""
    from alembic import command

    from db.engine import make_engine
    from db.migrate import _config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(_config(engine), "0002")
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO app_user (id, username, display_name, role, active, created_at, updated_at)"
                          " VALUES ('0123456789abcdef0123456789abcdef', 'v', 'v', 'viewer', 1, '2025-01-01', '2025-01-01')")
        for i in range(3):
            c.exec_driver_sql("INSERT INTO audit_entry (at, actor, action, entity, entity_id, after, note) VALUES "
                              f"('2025-01-0{i + 1} 10:00:00.000000', 'system', 'insert', 'school', 'x{i}', "
                              f"'{{\"n\": {i}, \"名\": \"值\"}}', '旧')")
    upgrade(engine)
    verdict = audit.verify(engine)
    assert verdict.ok and verdict.checked == 3
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT role FROM app_user").scalar() == "evaluator"
    engine.dispose()


WRITER = textwrap.dedent("""
    import sys
    from db.store import Store
    from db.models import Setting
    store = Store.open(sys.argv[1])
    for i in range(int(sys.argv[3])):
        with store.write(f"{sys.argv[2]} {i}") as s:
            s.add(Setting(key=f"{sys.argv[2]}-{i}", value={"i": i}))
    store.dispose()
""")


def run_two_writers(target: str, n: int = 40) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, target, name, str(n)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def check_linear(store, n: int) -> None:
    verdict = audit.verify(store.engine)
    assert verdict.ok, verdict
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 2 * n
        assert s.scalar(select(func.count()).select_from(Setting)) == 2 * n


def test_two_processes_keep_the_chain_linear_sqlite(store, db_path):
    run_two_writers(str(db_path))
    check_linear(store, 40)


@pytest.mark.postgres
def test_two_processes_keep_the_chain_linear_postgres(pg_store, pg_url):
    run_two_writers(pg_url)
    check_linear(pg_store, 40)


@pytest.mark.postgres
def test_chain_and_guard_on_postgres(pg_store):
    fill(pg_store)
    assert audit.verify(pg_store.engine).ok
    with pg_store.engine.begin() as c:  # what a psql session could do
        pass
    from sqlalchemy import create_engine

    raw = create_engine(pg_store.engine.url)
    with raw.begin() as c:
        c.exec_driver_sql("UPDATE audit_entry SET note = 'x' WHERE id = 2")
    raw.dispose()
    verdict = audit.verify(pg_store.engine)
    assert not verdict.ok and verdict.broken_id == 2


def test_startup_check_is_incremental_from_this_computers_anchor(store, db_path, tmp_path):
    """First start: only the tail is checked, and an anchor is kept outside the database.
    Later starts re-hash what came after the anchor and notice an anchor that changed."""
    anchors = tmp_path / "anchors.json"
    fill(store, 6)
    first = audit.startup_check(store.engine, anchors, "db", tail=2)
    assert first.ok and first.checked == 2 and first.last_id == 7
    for i in range(3):
        with store.write() as s:
            s.add(Setting(key=f"more{i}", value={}))
    with sqlite3.connect(db_path) as c:
        c.execute("UPDATE audit_entry SET note = 'x' WHERE id = 8")  # after the anchor, before the tail
    assert audit.startup_check(store.engine, anchors, "db", tail=2).broken_id == 8
    with sqlite3.connect(db_path) as c:
        c.execute("UPDATE audit_entry SET note = NULL WHERE id = 8")
    with store.write() as s:
        s.add(Setting(key="later", value={}))
    with sqlite3.connect(db_path) as c:
        c.execute("UPDATE audit_entry SET note = 'x' WHERE id = 11")  # in the tail
    later = audit.startup_check(store.engine, anchors, "db", tail=2)
    assert not later.ok and later.broken_id == 11
    with sqlite3.connect(db_path) as c:  # rewrite the whole log consistently, as a forger would
        c.execute("DELETE FROM audit_entry")
        c.execute("DELETE FROM region")
        c.execute("DELETE FROM setting")
        c.execute("UPDATE audit_head SET last_id = 0, last_hash = ''")
    fill(store, 6)
    assert audit.verify(store.engine).ok  # the chain alone cannot tell …
    forged = audit.startup_check(store.engine, anchors, "db", tail=2)
    assert not forged.ok and forged.broken_id == 7  # … but this computer's anchor can


def check_appending_while_verifying(store, monkeypatch):
    """Another writer commits after the head was read and before the entries are: a
    verification reads one moment of the log, so it neither warns nor sees the new entry."""
    fill(store, 2)
    rows = audit._rows
    appended = []

    def rows_after_an_append(connection, after_id, chunk=5000):
        if not appended:
            with store.write("并发") as s:
                s.add(Setting(key=f"meanwhile {len(seen)}", value={"n": 1}))
            appended.append(True)
        return rows(connection, after_id, chunk)

    monkeypatch.setattr(audit, "_rows", rows_after_an_append)
    seen = []
    for check in (audit.verify, audit.quick_check):
        appended.clear()
        verdict = check(store.engine)
        assert verdict.ok, verdict.message()
        seen.append(verdict.last_id)
    assert seen == [3, 4]  # each check saw the log as it was when it began
    monkeypatch.undo()
    assert audit.verify(store.engine).last_id == 5


def test_another_writer_appending_during_a_check_is_not_tampering(store, monkeypatch):
    check_appending_while_verifying(store, monkeypatch)


@pytest.mark.postgres
def test_another_writer_appending_during_a_check_is_not_tampering_postgres(pg_store, monkeypatch):
    check_appending_while_verifying(pg_store, monkeypatch)
