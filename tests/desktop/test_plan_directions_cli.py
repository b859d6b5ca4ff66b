"""A county imported with the README's commands, where the only weak 初中 is a 镇区 school: its
mandatory 地理/物理/生物 teachers have no rural or weak destination and move laterally; a teacher
whom no school can take is listed as unplaced, with the reason (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

from scenario_world import person, sheet

from desktop.cli import main


def test_mandatory_teachers_move_laterally_and_the_impossible_one_is_listed(tmp_path: Path, db_path: Path, capsys):
    db = str(db_path)
    schools = [["学校代码", "学校名称", "学段", "城乡类别", "在校学生数", "薄弱学校", "所属县区", "纬度", "经度"],
               ["W01", "河湾镇中学", "初中", "镇区", 400, "是", "永宁县", 38.30, 106.20],
               ["T01", "杨和镇中学", "初中", "镇区", 700, "否", "永宁县", 38.35, 106.25],
               ["U01", "城关中学", "初中", "城区", 1500, "否", "永宁县", 38.40, 106.30],
               ["R01", "望远乡中学", "初中", "乡村", 0, "否", "永宁县", 38.25, 106.10],
               ["P01", "胜利乡小学", "小学", "乡村", 150, "否", "永宁县", 38.20, 106.00]]
    rows = [["身份证号", "姓名", "学校代码", "任教学科", "调入本校时间"]]
    mandatory = {"地理": "赵地", "物理": "钱物", "生物": "孙生"}
    for n, (subject, name) in enumerate(mandatory.items(), start=1):
        rows.append([person(n), name, "W01", subject, "2012-09-01"])
    rows.append([person(10), "李语", "R01", "语文", "2017-09-01"])  # eligible (10 years) at the rural school
    rows.append([person(11), "周新", "T01", "数学", "2024-09-01"])
    rows.append([person(12), "吴孤", "P01", "语文", "2010-09-01"])  # mandatory; no other school teaches primary
    assert main(["--db", db, "import", "schools", str(sheet(tmp_path / "s.xlsx", schools))]) == 0
    assert main(["--db", db, "import", "teachers", str(sheet(tmp_path / "t.xlsx", rows))]) == 0
    capsys.readouterr()
    assert main(["--db", db, "plan", "--year", "2027", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    moves = {m["id_number"]: m for m in data["moves"]}
    for n in (1, 2, 3):
        move = moves[person(n)]
        assert (move["to_school"], move["direction"]) == ("T01", "lateral")
        assert "没有乡村、薄弱学校需要" in move["reason"] and "太平区2023方案 四(二)3" in move["reason"]
    assert data["unplaced"] == [{"id_number": person(12), "name": "吴孤", "school": "P01", "subject": "语文",
                                 "years": 17, "reason": data["unplaced"][0]["reason"]}]
    assert "没有语文接收空缺" in data["unplaced"][0]["reason"]
    outcomes = {o["id_number"]: o for o in data["outcomes"]}
    assert {o["outcome"] for o in outcomes.values()} == {"moved", "unplaced", "stays"}
    assert outcomes[person(10)]["outcome"] in ("moved", "stays") and outcomes[person(10)]["reason"]
    # the text output says the same in Chinese, one line per unplaced teacher
    assert main(["--db", db, "plan", "--year", "2027"]) == 0
    text = capsys.readouterr().out
    assert "同类学校之间" in text and "须交流未安排：" in text and "吴孤" in text
