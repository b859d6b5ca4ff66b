"""Alembic is the only way the schema is made; newer databases are refused; files are copied first."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.engine import StoreError, make_engine
from db.migrate import HEAD_REVISION, DatabaseTooNew, current_revision, head_revision, upgrade
from db.models import Base
from db.store import Store


def test_migrations_from_empty_reach_head_and_match_the_models(store):
    assert current_revision(store.engine) == head_revision() == HEAD_REVISION
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "models and migrations differ: add an Alembic revision"


def test_sqlite_settings(store):
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -65536


def test_reopening_is_a_no_op(db_path):
    Store.open(str(db_path)).dispose()
    store = Store.open(str(db_path))
    assert upgrade(store.engine) is None
    store.dispose()
    assert not list(db_path.parent.glob("*.before-*"))


def test_database_newer_than_the_code_is_refused(db_path):
    Store.open(str(db_path)).dispose()
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(DatabaseTooNew, match="比本程序新"):
        Store.open(str(db_path))


def test_foreign_database_is_refused(db_path):
    with sqlite3.connect(db_path) as connection:
        connection.execute("CREATE TABLE something (x)")
    with pytest.raises(StoreError, match="不是 EduBridge"):
        Store.open(str(db_path))


def test_file_is_copied_before_migrating(db_path, monkeypatch):
    """An old file is backed up before upgrading (simulated by stamping it back to an older revision)."""
    Store.open(str(db_path)).dispose()
    raw = make_engine(f"sqlite:///{db_path}")  # the store's own engine refuses unaudited SQL
    with raw.begin() as connection:
        connection.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('marker', '{}')")
    raw.dispose()
    # Pretend the code knows one more revision than the file has.
    from db import migrate

    real_current = migrate.current_revision
    monkeypatch.setattr(migrate, "current_revision", lambda engine: "0000_older" if real_current(engine) else None)

    class Scripts:
        def __init__(self, *_):
            pass

        def get_current_head(self):
            return "0001"

        def walk_revisions(self):
            class Rev:
                def __init__(self, revision):
                    self.revision = revision

            return [Rev("0001"), Rev("0000_older")]

    monkeypatch.setattr("alembic.script.ScriptDirectory", Scripts)
    monkeypatch.setattr("alembic.command.upgrade", lambda config, target: None)
    engine = make_engine(f"sqlite:///{db_path}")
    backup = upgrade(engine)
    engine.dispose()
    assert backup is not None and backup.exists()
    assert "0000_older" in backup.name
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT count(*) FROM setting WHERE key='marker'").fetchone()[0] == 1


def test_opening_a_current_database_does_not_load_alembic(db_path):
    """Alembic is needed only to migrate; an up-to-date file opens without importing it."""
    Store.open(str(db_path)).dispose()
    code = ("import sys; from db.store import Store; Store.open(sys.argv[1]).dispose(); "
            "print(any(m.split('.')[0] == 'alembic' for m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2])
    assert shown.stdout.strip() == "False"


def test_a_0001_database_upgrades_to_head_keeping_its_rows(tmp_path):
    """The first real upgrade path: a file written by the 0001 release gains position_since."""
    from alembic import command

    from db.engine import make_engine
    from db.migrate import _config

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(_config(engine), "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO teacher (id, id_number, name, gender, birth_date, position, created_at, updated_at) "
            "VALUES ('00000000000000000000000000000001', '110101198001010011', '张三', '男', '1980-01-01', '校长', "
            "'2025-01-01 00:00:00', '2025-01-01 00:00:00')")
    assert current_revision(engine) == "0001"
    backup = upgrade(engine)
    assert backup is not None and backup.exists() and current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        row = connection.exec_driver_sql("SELECT name, position, position_since FROM teacher").one()
    assert tuple(row) == ("张三", "校长", None)
    engine.dispose()


def test_a_populated_0002_database_upgrades_and_fills_the_duty_register(tmp_path):
    """0006 (issue 11): a 0002 file with schools, an activity and stored tallies gains the
    per-stage school columns and the duty register; the stored tallies are cleared, so the
    first quota read rebuilds them and registers the visitor logged before the upgrade."""
    import datetime as dt

    from alembic import command

    from db.engine import make_engine
    from db.migrate import _config
    from db.store import Store
    from db.visits import quota_rows
    from policy.calendar import Semester
    from policy.profile import load_profile

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(_config(engine), "0002")
    stamp = "'2025-01-01 00:00:00'"
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"INSERT INTO region (id, code, name, level, profile_id, created_at, updated_at) "
            f"VALUES ('0000000000000000000000000000000a', '640100', '银川市', '市', 'default', {stamp}, {stamp})")
        for sid, code, location in (("01", "CITY01", "城区"), ("02", "RURAL01", "乡村")):
            connection.exec_driver_sql(
                f"INSERT INTO school (id, code, name, stage, location, run_by, region_id, students, classes, is_weak, "
                f"created_at, updated_at) VALUES ('000000000000000000000000000000{sid}', '{code}', '{code}校', '小学', "
                f"'{location}', '县属', '0000000000000000000000000000000a', 300, 10, 0, {stamp}, {stamp})")
        connection.exec_driver_sql(
            f"INSERT INTO visit (id, date, host_school_id, activity_type, lessons, created_at, updated_at) VALUES "
            f"('000000000000000000000000000000b1', '2025-10-01', '00000000000000000000000000000002', "
            f"'教研指导', 0, {stamp}, {stamp})")
        connection.exec_driver_sql(
            f"INSERT INTO visit_participant (id, visit_id, name, role, created_at, updated_at) VALUES "
            f"('000000000000000000000000000000c1', '000000000000000000000000000000b1', '钱研', '县级教研员', {stamp}, {stamp})")
        connection.exec_driver_sql(
            "INSERT INTO visit_tally_period (semester, first_on, last_on, spec, visit_rows, participant_rows, "
            "built_at) VALUES ('2025-1', '2025-09-01', '2026-01-31', '{}', 1, 1, '2025-01-01 00:00:00')")
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM visit_tally_period").scalar() == 0
        assert connection.exec_driver_sql("SELECT primary_classes FROM school WHERE code = 'CITY01'").scalar() is None
    engine.dispose()
    store = Store.open(str(path))
    try:
        rows = [r for r in quota_rows(store, load_profile(), Semester(2025, 2)) if r.who == "钱研（县级教研员）"]
        assert {(r.rule, r.done) for r in rows} >= {("visit.county_researcher_guidance", 0)}
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT name, source, start FROM duty_holder").one() == (
                "钱研", "活动记录", dt.date(2025, 10, 1).isoformat())
    finally:
        store.dispose()


def _tables(path):
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_first_migration_that_fails_midway_leaves_no_table(db_path):
    """The whole upgrade is one transaction: the tenth CREATE TABLE fails, the first nine vanish."""
    from sqlalchemy import Engine, event

    from db.engine import make_engine

    created = []

    def fail_on_tenth(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            created.append(statement)
            if len(created) == 10:
                raise RuntimeError("simulated failure")

    event.listen(Engine, "before_cursor_execute", fail_on_tenth)
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        with pytest.raises(RuntimeError, match="simulated"):
            upgrade(engine)
    finally:
        event.remove(Engine, "before_cursor_execute", fail_on_tenth)
        engine.dispose()
    assert len(created) == 10
    assert _tables(db_path) == set()
    Store.open(str(db_path)).dispose()  # and the file still opens
    assert "alembic_version" in _tables(db_path)


def test_a_file_left_half_migrated_by_an_older_version_is_migrated_afresh(db_path):
    Store.open(str(db_path)).dispose()
    with sqlite3.connect(db_path) as connection:  # what a kill left behind before the fix
        connection.execute("DROP TABLE alembic_version")
        connection.execute("DROP TABLE visit_participant")
    reopened = Store.open(str(db_path))
    assert current_revision(reopened.engine) == HEAD_REVISION
    reopened.dispose()


def test_a_file_without_revision_but_with_rows_is_still_refused(db_path):
    Store.open(str(db_path)).dispose()
    with sqlite3.connect(db_path) as connection:
        connection.execute("DROP TABLE alembic_version")
        connection.execute("INSERT INTO setting (key, value) VALUES ('kept', '{}')")
    with pytest.raises(StoreError, match="不是 EduBridge"):
        Store.open(str(db_path))
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT key FROM setting").fetchall() == [("kept",)]


def test_two_processes_migrating_one_new_file_at_once(db_path):
    code = "import sys; from db.store import Store; Store.open(sys.argv[1]).dispose()"
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.Popen([sys.executable, "-c", code, str(db_path)], cwd=root, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    errors = [run.communicate()[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    assert _tables(db_path) >= {"alembic_version", "teacher", "school"}


def test_a_corrupt_file_is_refused_at_open(db_path):
    from db.migrate import DatabaseCorrupt

    Store.open(str(db_path)).dispose()
    with sqlite3.connect(db_path) as connection:  # pages to damage, written behind the app's guard
        connection.execute("CREATE TABLE filler (x)")
        for _ in range(50):
            connection.execute("INSERT INTO filler VALUES (randomblob(3000))")
        connection.execute("CREATE INDEX filler_x ON filler (x)")
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the WAL into the file
    data = bytearray(db_path.read_bytes())
    page = len(data) // 4096 - 3
    data[page * 4096:page * 4096 + 4096] = b"\x0d" + b"\xff" * 4095  # a leaf page header pointing nowhere
    db_path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorrupt) as raised:
        Store.open(str(db_path))
    assert raised.value.database == db_path and "已损坏" in str(raised.value)


def test_quick_check_is_reused_only_while_the_file_is_unchanged(db_path, monkeypatch):
    from db import migrate
    from db.engine import make_engine

    Store.open(str(db_path)).dispose()  # created and migrated: the file changed after its check
    Store.open(str(db_path)).dispose()  # checked again, unchanged since: fingerprint recorded
    checks = []
    real_connect = migrate.Engine.connect

    def counting(engine):
        checks.append(1)
        return real_connect(engine)

    engine = make_engine(f"sqlite:///{db_path}")
    monkeypatch.setattr(migrate.Engine, "connect", counting)
    migrate.quick_check(engine)
    assert checks == []  # unchanged since the last good check
    with sqlite3.connect(db_path) as connection:
        connection.execute("INSERT INTO setting (key, value) VALUES ('k', '{}')")
    migrate.quick_check(engine)
    assert checks == [1]  # a write changed the fingerprint: checked again
    engine.dispose()


def test_a_populated_0002_database_upgrades_and_its_approved_exchanges_are_carried_out(tmp_path):
    """0005: statuses become decisions, planned_end is kept, an approved exchange without a posting
    gets its dated postings (a personnel move closes the home posting the day before), 驻教 fits."""
    from alembic import command

    from db.engine import make_engine
    from db.migrate import _config

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(_config(engine), "0002")
    stamp = "'2025-01-01 00:00:00'"
    ids = {name: f"{i:032x}" for i, name in enumerate(
        ("region", "city", "village", "t1", "t2", "home1", "home2", "moved", "stint", "old", "gone"), start=1)}
    rows = [
        f"INSERT INTO region (id, code, name, level, profile_id, created_at, updated_at) VALUES "
        f"('{ids['region']}', '640121', '永宁县', '县区', 'default', {stamp}, {stamp})",
        *[f"INSERT INTO school (id, code, name, stage, location, run_by, region_id, students, classes, is_weak, "
          f"created_at, updated_at) VALUES ('{ids[k]}', '{k}', '{n}', '小学', '{loc}', '县属', '{ids['region']}', 100, 6, 0, "
          f"{stamp}, {stamp})" for k, n, loc in (("city", "城区一小", "城区"), ("village", "东村小学", "乡村"))],
        *[f"INSERT INTO teacher (id, id_number, name, gender, birth_date, position, created_at, updated_at) VALUES "
          f"('{ids[k]}', '{num}', '{n}', '男', '1980-01-01', '教师', {stamp}, {stamp})"
          for k, num, n in (("t1", "110101198001010011", "张三"), ("t2", "110101198001010038", "李四"))],
        *[f"INSERT INTO posting (id, teacher_id, school_id, kind, holds_personnel, start, end_on, created_at, updated_at) "
          f"VALUES ('{ids[h]}', '{ids[t]}', '{ids['city']}', '任职', 1, '2010-09-01', NULL, {stamp}, {stamp})"
          for h, t in (("home1", "t1"), ("home2", "t2"))],
        *[f"INSERT INTO exchange (id, teacher_id, from_school_id, to_school_id, form, school_year, start, end_on, "
          f"moves_personnel, status, pinned, created_at, updated_at) VALUES ('{ids[e]}', '{ids[t]}', '{ids['city']}', "
          f"'{ids['village']}', '{form}', 2026, '{start}', {end}, {moves}, '{status}', 0, {stamp}, {stamp})"
          for e, t, form, start, end, moves, status in (
              ("moved", "t1", "轮岗", "2026-09-01", "NULL", 1, "approved"),
              ("stint", "t2", "支教", "2026-09-01", "'2027-07-10'", 0, "approved"),
              ("old", "t2", "挂职", "2020-09-01", "'2021-01-20'", 0, "done"),
              ("gone", "t1", "走教", "2024-09-01", "'2025-07-10'", 0, "cancelled"))],
    ]
    with engine.begin() as connection:
        for sql in rows:
            connection.exec_driver_sql(sql)
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        statuses = dict(connection.exec_driver_sql("SELECT id, status FROM exchange").all())
        assert statuses == {ids["moved"]: "approved", ids["stint"]: "approved", ids["old"]: "approved",
                            ids["gone"]: "cancelled"}
        assert connection.exec_driver_sql(f"SELECT planned_end, cancelled_on FROM exchange WHERE id = '{ids['gone']}'"
                                          ).one() == ("2025-07-10", "2024-09-01")
        postings = connection.exec_driver_sql(
            "SELECT teacher_id, school_id, holds_personnel, start, end_on, exchange_id FROM posting "
            "ORDER BY teacher_id, start, holds_personnel").all()
    assert [tuple(p) for p in postings] == [
        (ids["t1"], ids["city"], 1, "2010-09-01", "2026-08-31", None),
        (ids["t1"], ids["village"], 1, "2026-09-01", None, ids["moved"]),
        (ids["t2"], ids["city"], 1, "2010-09-01", None, None),
        (ids["t2"], ids["village"], 0, "2020-09-01", "2021-01-20", ids["old"]),
        (ids["t2"], ids["village"], 0, "2026-09-01", "2027-07-10", ids["stint"]),
    ]
    engine.dispose()
    store = Store.open(str(path))
    import uuid

    from db.models import Exchange

    with store.write("驻教") as session:  # the new form fits the widened CHECK constraint
        session.get(Exchange, uuid.UUID(ids["stint"])).form = "驻教"
    store.dispose()
