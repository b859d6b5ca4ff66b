"""Pairings in Excel: ``template|import|export pairings`` — all or nothing, idempotent, row and
column in every error, a pairing ended by a date (issue 11, 5)."""

from __future__ import annotations

import json

import pytest
import visit_world
import workbooks
from sqlalchemy import select

from db.models import Pairing
from db.store import Store
from desktop.cli import main

HEADERS = ["结对类型", "支援方", "受援方", "开始日期", "结束日期", "备注"]


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def sheet(path, rows) -> str:
    return str(workbooks.sheet(path, rows, HEADERS))


def test_pairings_round_trip_end_date_and_errors(store: Store, world, db_path, tmp_path, capsys) -> None:
    db = str(db_path)
    good = sheet(tmp_path / "p.xlsx", [
        ["手拉手", "CITY01", "RURAL09", "2025-09-01", None, None],
        ["局领导联系薄弱学校", "王局长", "RURAL02", "2025/9/1", None, "每月一次"],
    ])
    assert main(["--db", db, "import", "pairings", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 2
    assert main(["--db", db, "import", "pairings", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2
    exported = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "pairings", str(exported)]) == 0
    assert "已导出 3 个结对" in capsys.readouterr().out  # with visit_world's 包片包抓
    assert main(["--db", db, "import", "pairings", str(exported), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) | {"changes": []} == {
        "dry_run": False, "rows": 3, "inserted": 0, "updated": 0, "unchanged": 3, "changes": []}
    ended = sheet(tmp_path / "end.xlsx", [["手拉手", "CITY01", "RURAL09", "2025-09-01", "2026-01-31", None]])
    assert main(["--db", db, "import", "pairings", ended]) == 0
    assert "更新结束日期" in capsys.readouterr().out
    with store.read() as s:
        ends = {p.kind: p.end for p in s.scalars(select(Pairing))}
    assert str(ends["手拉手"]) == "2026-01-31"
    bad = sheet(tmp_path / "b.xlsx", [
        ["包片包抓", "CITY01", "RURAL01", "2025-09-01", None, None],  # needs a cluster
        ["手拉手", "某某", "RURAL01", "2025-09-01", None, None],  # needs a school
        ["结对", "CITY01", "RURAL01", "2025-09-01", None, None],  # no such kind
        ["手拉手", "CITY01", "RURAL01", "2025-09-01", "2025-01-01", None],
    ])
    assert main(["--db", db, "import", "pairings", bad]) == 2
    err = capsys.readouterr().err
    for where in ("第2行“受援方”列", "第3行“支援方”列", "第4行“结对类型”列", "第5行“结束日期”列"):
        assert where in err
    with store.read() as s:
        assert len(s.scalars(select(Pairing)).all()) == 3  # nothing written
    template = tmp_path / "t.xlsx"
    assert main(["--db", db, "template", "pairings", str(template)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", "pairings", str(template), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 0
