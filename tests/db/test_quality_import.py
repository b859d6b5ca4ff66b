"""Quality figures in Excel (issue 11, 5): ``template|import|export quality``, thresholds from the
profile with their clauses (达标 / 未达标), all or nothing, idempotent."""

from __future__ import annotations

import json

import pytest
import visit_world
import workbooks
from openpyxl import load_workbook

from db.store import Store
from desktop.cli import main
from policy.profile import load_profile
from policy.quality import MET, NOT_MET, judge

HEADERS = ["学校代码", "学年", "学业质量监测均分", "巩固率", "体质健康合格率", "辍学率", "残疾儿童入学率"]


def test_thresholds_come_from_the_profile_with_their_clause() -> None:
    default, baoshan = load_profile(), load_profile("baoshan")
    assert (judge("巩固率", 96.0, default).status, judge("巩固率", 96.0, baoshan).status) == (MET, NOT_MET)
    assert judge("巩固率", 96.0, baoshan).clause == "保山2022方案 一(二)"
    assert judge("辍学率", 1.2, default).status == NOT_MET and judge("辍学率", 0.8, default).status == MET
    assert judge("学业质量监测均分", 70.0, default).status == ""  # no threshold: no verdict


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def sheet(path, rows) -> str:
    return str(workbooks.sheet(path, rows, HEADERS))


def test_quality_round_trip_verdicts_and_errors(store: Store, world, db_path, tmp_path, capsys) -> None:
    db = str(db_path)
    good = sheet(tmp_path / "q.xlsx", [["RURAL01", 2025, 71.5, 97.0, 93.0, 0.5, None],
                                       ["RURAL02", "2025—2026学年", None, 94.0, None, None, 96.0]])
    assert main(["--db", db, "import", "quality", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 2
    assert main(["--db", db, "import", "quality", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2
    out = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "quality", str(out)]) == 0
    capsys.readouterr()
    verdicts = {(r[0], r[2]): (r[5], r[6]) for r in load_workbook(out)["达标情况"].iter_rows(min_row=2, values_only=True)}
    assert verdicts[("RURAL02", "巩固率")] == ("未达标", "太平区2023方案 四(一)4")
    assert verdicts[("RURAL01", "体质健康合格率")] == ("未达标", "保山2022方案 一(二)")
    assert verdicts[("RURAL01", "巩固率")][0] == "达标"
    assert main(["--db", db, "import", "quality", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2
    bad = sheet(tmp_path / "b.xlsx", [["NOPE", 2025, None, 97.0, None, None, None],
                                      ["RURAL01", "2025-2027", None, 97.0, None, None, None],
                                      ["RURAL01", 2025, None, 197.0, None, None, None]])
    assert main(["--db", db, "import", "quality", bad]) == 2
    err = capsys.readouterr().err
    for where in ("第2行“学校代码”列", "第3行“学年”列", "第4行“巩固率”列"):
        assert where in err
