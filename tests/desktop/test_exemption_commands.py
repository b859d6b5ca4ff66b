"""edubridge template / import / export exemptions end to end, read back by edubridge eligibility."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from workbooks import sheet

from desktop.cli import main
from policy.idcard import make_id_number

A = make_id_number("640102", dt.date(1980, 3, 3), 11)
B = make_id_number("640102", dt.date(1984, 6, 6), 22)


@pytest.fixture
def loaded(tmp_path: Path, db_path: Path) -> str:
    db = str(db_path)
    schools = [["学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "所属县区"],
               ["A01", "城关一小", "小学", "城区", "县属", 900, 20, "永宁县"]]
    teachers = [["身份证号", "姓名", "学校代码", "调入本校时间"],
                [A, "张三", "A01", "2010-09-01"], [B, "李娟", "A01", "2014-09-01"]]
    assert main(["--db", db, "import", "schools", str(sheet(tmp_path / "s.xlsx", schools))]) == 0
    assert main(["--db", db, "import", "teachers", str(sheet(tmp_path / "t.xlsx", teachers))]) == 0
    return db


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def statuses(capsys: pytest.CaptureFixture[str], db: str) -> dict[str, dict]:
    data = run_json(capsys, "--db", db, "eligibility", "--year", "2025", "--json")
    return {t["id_number"]: t for t in data["teachers"]}


def test_template_import_export_round_trip(loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "免交流登记.xlsx"
    assert main(["--db", loaded, "template", "exemptions", str(template)]) == 0
    wb = load_workbook(template)
    wb.worksheets[0].append([A.lower(), "张三", "孕期", "县妇幼保健院孕检证明", "2025年3月1日", "2026-01-31"])
    wb.worksheets[0].append([B, "李娟", "患病", "诊断证明", "2024-09-01", "2025-08-31"])  # over before 09-01
    wb.save(template)

    preview = run_json(capsys, "--db", loaded, "import", "exemptions", str(template), "--dry-run", "--json")
    assert (preview["dry_run"], preview["rows"], preview["inserted"]) == (True, 2, 2)
    assert statuses(capsys, loaded)[A]["status"] == "mandatory"  # the dry run wrote nothing

    capsys.readouterr()
    assert main(["--db", loaded, "import", "exemptions", str(template)]) == 0
    out = capsys.readouterr().out
    assert "已导入" in out and "新增免交流登记 2 条" in out and "已跳过模板示例行（第2行）" in out
    found = statuses(capsys, loaded)
    assert found[A]["status"] == "exempt" and found[A]["clause"].startswith("免交流登记：孕期（2025-03-01至2026-01-31）")
    assert found[B]["status"] == "eligible"  # 11 years; the 患病 ended before 2025-09-01
    capsys.readouterr()

    exported = tmp_path / "导出.xlsx"
    assert main(["--db", loaded, "export", "exemptions", str(exported)]) == 0
    assert "已导出 2 条免交流登记" in capsys.readouterr().out
    again = run_json(capsys, "--db", loaded, "import", "exemptions", str(exported), "--json")
    assert (again["inserted"], again["updated"], again["unchanged"], again["changes"]) == (0, 0, 2, [])


def test_bad_file_exit_2_with_row_and_column(loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = sheet(tmp_path / "bad.xlsx", [
        ["身份证号", "姓名", "免交流情形", "证明材料", "开始日期", "结束日期"],
        [A, "张三", "孕期", "孕检证明", "2025-03-01", None],
        [B, "李四", "患病", "诊断证明", "2025-03-01", "2025-02-01"],
    ])
    capsys.readouterr()
    assert main(["--db", loaded, "import", "exemptions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "未写入任何数据" in err and "Traceback" not in err
    assert "bad.xlsx 第3行“姓名”列" in err and "李娟" in err
    assert "bad.xlsx 第3行“结束日期”列" in err
    assert statuses(capsys, loaded)[A]["status"] == "mandatory"
