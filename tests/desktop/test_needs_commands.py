"""``edubridge export / import / template needs``: the clerk's round trip on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.models import AuditEntry, SubjectNeed
from db.store import Store
from desktop.cli import main

YEAR = "2027"


def needs_rows(store: Store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(SubjectNeed))


def test_export_edit_import_then_plan(demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, path = demo_store.location, tmp_path / "需求.xlsx"
    assert main(["--db", db, "plan", "--year", YEAR, "--json"]) == 0
    moves = json.loads(capsys.readouterr().out)["moves"]
    target = max({m["to_school"] for m in moves}, key=[m["to_school"] for m in moves].count)

    assert main(["--db", db, "export", "needs", str(path), "--year", YEAR]) == 0
    assert "已导出 2027—2028学年学科需求表" in capsys.readouterr().out
    wb = load_workbook(path)
    ws = wb["学科需求"]
    edited = 0
    for row in ws.iter_rows(min_row=2):
        if row[1].value == target and row[4].value:
            row[4].value = 0  # the clerk: this school takes nobody this year
            edited += 1
    assert edited
    wb.save(path)

    before = needs_rows(demo_store)
    assert main(["--db", db, "import", "needs", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"2027—2028学年 {target}" in out and out.strip().splitlines()[-1].startswith("试运行（未写入）：")
    assert needs_rows(demo_store) == before

    assert main(["--db", db, "import", "needs", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["replaced"] == 1 and data["inserted"] == needs_rows(demo_store) - before > 0
    assert len(data["changes"]) == 1

    assert main(["--db", db, "plan", "--year", YEAR, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert target not in {m["to_school"] for m in plan["moves"]}

    assert main(["--db", db, "import", "needs", str(path)]) == 0  # again: nothing to do
    assert "已更新 0 所学校" in capsys.readouterr().out


def test_bad_file_exit_2_nothing_written(demo_store: Store, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.xlsx"
    assert main(["template", "needs", str(path)]) == 0
    wb = load_workbook(path)
    ws = wb["学科需求"]
    ws.append(["2027—2028", "0000000000", None, "数学", 1])
    ws.append(["2027—2028", "0000000000", None, "数学", "两"])
    wb.save(path)
    with demo_store.read() as session:
        audits = session.scalar(select(func.count()).select_from(AuditEntry))
    before = needs_rows(demo_store)
    assert main(["--db", demo_store.location, "import", "needs", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edubridge: 导入失败，未写入任何数据")
    assert "bad.xlsx 第3行“学校代码”列" in err and "第4行“需求人数”列：“两”不是整数" in err
    with demo_store.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert needs_rows(demo_store) == before
