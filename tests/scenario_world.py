"""A small county for the scenario tests (issue 18): one 城区 school sending, a rural school
2 km away with two 语文 places and one 34 km away with two, and five mandatory 语文 teachers.

Without a distance limit the planner fills the near places first, then the far ones; with
``exchange.max_distance_km=5`` the far school is out of reach and two teachers stay unplaced.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from workbooks import sheet

from desktop.cli import main
from policy.idcard import make_id_number

YEAR = 2027


def person(n: int) -> str:
    """An ID number of someone born 1982–85: far from retirement (no exemption)."""
    return make_id_number("640102", dt.date(1982, 1, 1) + dt.timedelta(days=97 * n), n)


def build(tmp_path: Path, db: str) -> None:
    schools = [["学校代码", "学校名称", "学段", "城乡类别", "在校学生数", "薄弱学校", "所属县区", "纬度", "经度"],
               ["U01", "城关小学", "小学", "城区", 1500, "否", "永宁县", 38.400, 106.300],
               ["R01", "近郊乡小学", "小学", "乡村", 200, "否", "永宁县", 38.420, 106.310],
               ["R02", "远山乡小学", "小学", "乡村", 200, "否", "永宁县", 38.600, 106.600]]
    teachers = [["身份证号", "姓名", "学校代码", "任教学科", "调入本校时间"]]
    for n, name in enumerate(("赵一", "钱二", "孙三", "李四", "周五"), start=1):
        teachers.append([person(n), name, "U01", "语文", "2010-09-01"])
    needs = [["学年", "学校代码", "学校名称", "任教学科", "需求人数", "来源"],
             [f"{YEAR}—{YEAR + 1}", "R01", "近郊乡小学", "语文", 2, None],
             [f"{YEAR}—{YEAR + 1}", "R02", "远山乡小学", "语文", 2, None],
             [f"{YEAR}—{YEAR + 1}", "U01", "城关小学", "语文", 0, None]]
    assert main(["--db", db, "import", "schools", str(sheet(tmp_path / "s.xlsx", schools))]) == 0
    assert main(["--db", db, "import", "teachers", str(sheet(tmp_path / "t.xlsx", teachers))]) == 0
    assert main(["--db", db, "import", "needs", str(sheet(tmp_path / "n.xlsx", needs))]) == 0
