"""``edubridge audit list``: the log as the viewer shows it, in-process — a record found
inside a bulk load's batch entry, Chinese field names, masked ID numbers, a workbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from desktop.cli import main

ID = "640121198001015523"


def roster(tmp_path: Path, db: str) -> None:
    schools = Workbook()
    schools.active.append(["学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "所属县区"])
    schools.active.append(["A01", "城关一小", "小学", "城区", "县属", 900, 20, "永宁县"])
    schools.save(tmp_path / "s.xlsx")
    teachers = Workbook()
    teachers.active.append(["身份证号", "姓名", "学校代码", "调入本校时间"])
    teachers.active.append([ID, "张三", "A01", "2010-09-01"])
    teachers.active.append(["64012119850202222X", "李娟", "A01", "2014-09-01"])
    teachers.save(tmp_path / "t.xlsx")
    assert main(["--db", db, "import", "schools", str(tmp_path / "s.xlsx")]) == 0
    assert main(["--db", db, "import", "teachers", str(tmp_path / "t.xlsx")]) == 0


def test_audit_list_finds_a_record_of_a_bulk_import(tmp_path: Path, db_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = str(db_path)
    roster(tmp_path, db)
    capsys.readouterr()
    assert main(["--db", db, "audit", "list", "--table", "teacher", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    teachers = [e for e in listed["entries"] if e["action"] == "新增"]
    assert len(teachers) == 2 and listed["total"] == 3  # two records and the import's summary
    zhang = next(e for e in teachers if "姓名=张三" in e["after"])
    assert "身份证号=640121********5523" in zhang["after"] and ID not in json.dumps(listed, ensure_ascii=False)
    assert main(["--db", db, "audit", "list", "--record", zhang["record"], "-o", str(tmp_path / "审计")]) == 0
    out = capsys.readouterr().out
    assert out.count(f" {zhang['record']}：") == 1 and "新增教师" in out and "符合条件的审计记录 1 条" in out
    sheet = load_workbook(tmp_path / "审计.xlsx")["审计日志"]
    assert sheet.cell(2, 6).value == zhang["record"] and "姓名=张三" in sheet.cell(2, 8).value
    with pytest.raises(SystemExit) as bad:
        main(["--db", db, "audit", "list", "--since", "2024-13-01"])
    assert bad.value.code == 2
    assert "日期应写作 YYYY-MM-DD" in capsys.readouterr().err
