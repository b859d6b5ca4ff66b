"""Report text the clerk writes (issue 15): stored per document, year and scope, audited,
refused whole when stale or malformed, and a 0009 database gains its table on upgrade."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import inspect, select

from db.engine import make_engine
from db.migrate import HEAD_REVISION, _config, current_revision, upgrade
from db.models import AuditEntry, Cluster, Region
from db.report_texts import ReportTextError, load_text, merged, paragraphs, save_text


def _cluster(store) -> uuid.UUID:
    cluster_id, region_id = uuid.uuid4(), uuid.uuid4()
    with store.write("seed") as s:
        s.add(Region(id=region_id, code="640121", name="青禾县", level="县区"))
        s.flush()
        s.add(Cluster(id=cluster_id, name="东片教共体", kind="共建型教共体", region_id=region_id,
                      founded=dt.date(2020, 9, 1)))
    return cluster_id


def test_text_is_kept_per_year_and_scope_and_every_save_is_audited(store) -> None:
    cluster_id = _cluster(store)
    version = save_text(store, "annual", 2025, None, {"存在问题": ["全县的问题。", "  "]})
    save_text(store, "annual", 2025, cluster_id, {"存在问题": ["东片的问题。"]})
    assert load_text(store, "annual", 2025, None).sections == {"存在问题": ["全县的问题。"]}
    assert load_text(store, "annual", 2025, cluster_id).sections == {"存在问题": ["东片的问题。"]}
    assert load_text(store, "annual", 2024, None) is None
    assert load_text(store, "work_report", 2025, cluster_id) is None
    save_text(store, "annual", 2025, None, {"存在问题": ["改过的问题。"]}, expected_version=version)
    with store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "report_text")).all()
    assert [e.action for e in entries] == ["insert", "insert", "update"]
    assert entries[-1].before["sections"] == {"存在问题": ["全县的问题。"]}
    assert entries[-1].after["sections"] == {"存在问题": ["改过的问题。"]}


def test_a_stale_or_malformed_save_writes_nothing(store) -> None:
    cluster_id = _cluster(store)
    first = save_text(store, "work_report", 2025, cluster_id, {"主要工作": ["第一稿。"]})
    save_text(store, "work_report", 2025, cluster_id, {"主要工作": ["别人的稿。"]}, expected_version=first)
    with pytest.raises(ReportTextError, match="已被他人修改"):
        save_text(store, "work_report", 2025, cluster_id, {"主要工作": ["我的稿。"]}, expected_version=first)
    with pytest.raises(ReportTextError, match="已被他人修改"):  # a second "first" save
        save_text(store, "work_report", 2025, cluster_id, {"主要工作": ["我的稿。"]})
    with pytest.raises(ReportTextError, match="整改建议"):
        save_text(store, "work_report", 2025, cluster_id, {"整改建议": ["x"]}, expected_version=first + 1)
    with pytest.raises(ReportTextError, match="第2段"):
        save_text(store, "annual", 2025, None, {"主要成效": ["短。", "长" * 2001]})
    with pytest.raises(ReportTextError, match="不存在"):
        save_text(store, "annual", 2025, uuid.uuid4(), {"主要成效": ["x"]})
    assert load_text(store, "work_report", 2025, cluster_id).sections == {"主要工作": ["别人的稿。"]}
    assert load_text(store, "annual", 2025, None) is None


def test_printed_text_takes_each_written_section_and_drafts_the_rest(store) -> None:
    stored = load_text(store, "annual", 2025, None)
    draft = {"主要成效": ["草稿成效。"], "存在问题": ["草稿问题。"], "整改建议": ["草稿建议。"]}
    assert merged(draft, stored, ("主要成效", "存在问题", "整改建议")) == draft
    save_text(store, "annual", 2025, None, {"存在问题": paragraphs("问题一。\n\n  问题二。\n")})
    text = merged(draft, load_text(store, "annual", 2025, None), ("主要成效", "存在问题", "整改建议"))
    assert text == {"主要成效": ["草稿成效。"], "存在问题": ["问题一。", "问题二。"], "整改建议": ["草稿建议。"]}


def test_a_0009_database_upgrades_and_gains_the_report_text_table(tmp_path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(_config(engine), "0009")
    with engine.begin() as connection:
        stamp = "'2025-01-01 00:00:00', '2025-01-01 00:00:00', 1"
        connection.exec_driver_sql(
            "INSERT INTO region (id, code, name, level, profile_id, created_at, updated_at, row_version) VALUES "
            f"('00000000000000000000000000000002', '640121', '青禾县', '县区', 'default', {stamp})")
        connection.exec_driver_sql(
            "INSERT INTO cluster (id, name, kind, region_id, created_at, updated_at, row_version) VALUES "
            f"('00000000000000000000000000000001', '东片教共体', '共建型教共体', '00000000000000000000000000000002', "
            f"{stamp})")
    assert "report_text" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert "report_text" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM cluster").scalar() == "东片教共体"
    engine.dispose()
