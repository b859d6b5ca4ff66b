"""Training records and 种子教师 / 榜样教师 in Excel (issue 11, 4): all or nothing, idempotent,
each error with row and column; ``check --json`` answers with who is behind and the clause;
a 师徒结对 is a pairing kind whose years the check follows."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import visit_world
from openpyxl import Workbook, load_workbook

from db.store import Store
from desktop.cli import main
from policy.idcard import make_id_number


def sheet(path, headers, rows) -> str:
    book = Workbook()
    ws = book.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    book.save(path)
    return str(path)


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def ids() -> dict[str, str]:
    """The ID numbers visit_world gives its teachers (陈校长, 周老师, 李明@CITY01, 李明@TOWN01)."""
    return {name: make_id_number("640104", dt.date(1980, 1, 1 + i), i * 2 + 1)
            for i, name in enumerate(("陈校长", "周老师", "李明1", "李明2"))}


def test_training_import_round_trip_errors_and_the_check(store, world, db_path, tmp_path, capsys) -> None:
    db, people = str(db_path), ids()
    headers = ["身份证号", "姓名", "培训项目", "完成日期", "学时", "乡村专项"]
    good = sheet(tmp_path / "t.xlsx", headers, [
        [people["陈校长"], "陈校长", "校长任职培训", dt.date(2022, 7, 1), 300, "否"],
        [people["陈校长"], None, "国培计划", dt.date(2024, 7, 1), 80, None],
        [people["周老师"], "周老师", "骨干教师研修", dt.date(2023, 7, 1), 100, "否"],
    ])
    assert main(["--db", db, "import", "training", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 3
    assert main(["--db", db, "import", "training", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 3
    out = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "training", str(out)]) == 0
    capsys.readouterr()
    assert len(list(load_workbook(out)["培训记录"].iter_rows(min_row=2, values_only=True))) == 3
    assert main(["--db", db, "import", "training", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 3

    bad = sheet(tmp_path / "b.xlsx", headers, [
        [people["周老师"], "张冠", "研修", dt.date(2023, 7, 1), 10, None],
        ["110101199001011234", None, "研修", dt.date(2023, 7, 1), 10, None],
        [people["周老师"], None, "研修", dt.date(2023, 7, 1), 0, "也许"],
    ])
    assert main(["--db", db, "import", "training", bad]) == 2
    err = capsys.readouterr().err
    assert "第2行" in err and "姓名" in err and "姓名“张冠”与名册中身份证号" in err and "的姓名“周老师”不一致" in err
    assert "第3行" in err and "身份证号" in err
    assert "第4行" in err and "学时 0 应大于 0" in err and "乡村专项" in err

    assert main(["--db", db, "check", "--date", "2026-11-23", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert not any(v["rule"].startswith("training") for v in result["violations"])  # rows of their own
    training = [v for v in result["teacher_development"]["findings"] if v["rule"] == "training.hours"]
    assert [v["subject"] for v in training] == ["CITY01", "TOWN01"]
    assert "周老师100学时" in training[0]["detail"] and "陈校长" not in training[0]["detail"]
    assert training[0]["clause"] == "太平区2023方案 四(二)1；保山2022方案 16"
    part = result["teacher_development"]
    assert part["judged_cycle"] == {"start": "2021-01-01", "end": "2025-12-31"}
    assert sorted((b["teacher"], b["school"], b["hours"]) for b in part["behind"]) == [
        ("周老师", "CITY01", 100), ("李明", "CITY01", 0), ("李明", "TOWN01", 0)]


def test_designations_and_mentoring_pairs_reach_the_check(store, world, db_path, tmp_path, capsys) -> None:
    from sqlalchemy import update

    from db.models import Posting

    db, people = str(db_path), ids()
    with store.write("two teachers move to 东村小学") as s:  # RURAL01
        s.execute(update(Posting).where(Posting.teacher_id.in_([world.teachers["周老师@CITY01"],
                                                                 world.teachers["李明@TOWN01"]]))
                  .values(school_id=world.schools["RURAL01"]))
    headers = ["身份证号", "姓名", "称号", "开始日期", "结束日期"]
    marks = sheet(tmp_path / "d.xlsx", headers, [
        [people["周老师"], "周老师", "种子教师", dt.date(2024, 9, 1), None],
        [people["李明2"], "李明", "种子教师", dt.date(2024, 9, 1), None],
        [people["李明2"], "李明", "榜样教师", dt.date(2024, 9, 1), dt.date(2025, 8, 31)],
    ])
    assert main(["--db", db, "import", "designations", marks, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 3
    assert main(["--db", db, "import", "designations", marks, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 3
    wrong = sheet(tmp_path / "w.xlsx", headers, [[people["周老师"], None, "标兵教师", dt.date(2024, 9, 1), None]])
    assert main(["--db", db, "import", "designations", wrong]) == 2
    assert "第2行" in (err := capsys.readouterr().err) and "称号" in err and "种子教师、榜样教师" in err

    pairs = sheet(tmp_path / "p.xlsx", ["结对类型", "支援方", "受援方", "开始日期", "结束日期"], [
        ["师徒结对", "王名师（CITY01）", people["周老师"], dt.date(2023, 9, 1), dt.date(2024, 8, 31)],
    ])
    assert main(["--db", db, "import", "pairings", pairs, "--json"]) == 0
    capsys.readouterr()

    assert main(["--db", db, "check", "--date", "2026-11-23", "--json"]) == 0
    part = json.loads(capsys.readouterr().out)["teacher_development"]
    found = {(v["rule"], v["subject"]): v for v in part["findings"]}
    assert ("teachers.seed", "RURAL01") not in found  # two seed teachers: enough
    assert found[("teachers.model", "RURAL01")]["detail"] == "东村小学现有榜样教师0名，每所乡村学校应为1～2名"
    assert found[("teachers.seed", "RURAL02")]["clause"] == "海门2019计划 三(五)3"
    assert ("teachers.seed", "TOWN01") not in found and ("teachers.seed", "CITY01") not in found
    mentoring = found[("mentoring.years", "RURAL01")]
    assert "王名师与周老师" in mentoring["detail"] and "未满3年" in mentoring["detail"]
    assert mentoring["clause"] == "银川2023方案 二(三)9"


def test_the_balance_schedule_reads_the_stored_quality_figures(store, world, db_path, tmp_path, capsys) -> None:
    db = str(db_path)
    headers = ["学校代码", "学年", "学业质量监测均分", "巩固率", "体质健康合格率", "辍学率", "残疾儿童入学率"]
    figures = sheet(tmp_path / "q.xlsx", headers, [["RURAL01", 2026, None, None, 97.0, None, 96.0],
                                                   ["RURAL02", 2026, None, None, 90.0, None, 96.0]])
    assert main(["--db", db, "import", "quality", figures]) == 0
    capsys.readouterr()
    assert main(["--db", db, "check", "--date", "2027-06-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["balance"]["findings"] == []  # not yet due
    assert main(["--db", db, "check", "--date", "2028-01-02", "--json"]) == 0
    part = json.loads(capsys.readouterr().out)["balance"]
    found = {v["subject"]: v for v in part["findings"]}
    assert "RURAL01" not in found
    assert found["RURAL02"]["detail"].endswith("仍未达标：体质健康合格率90%（2026学年）")
    assert found["RURAL09"]["detail"].endswith("体质健康合格率（无数据）、残疾儿童入学率（无数据）")
    assert found["RURAL02"]["clause"] == "太平区2023方案 三(二)2"


@pytest.mark.postgres
def test_the_teacher_development_check_on_postgresql(pg_store) -> None:  # noqa: ANN001
    """The loader reads ids as text; psycopg hands back UUIDs: the same findings on PostgreSQL."""
    from db.clusters import check_store
    from db.models import Pairing, TeacherDesignation, TrainingRecord
    from policy.profile import load_profile

    world = visit_world.build(pg_store)
    zhou = world.teachers["周老师@CITY01"]
    with pg_store.write("records") as s:
        s.add(TrainingRecord(teacher_id=zhou, completed_on=dt.date(2023, 7, 1), course="研修", hours=400))
        s.add(TeacherDesignation(teacher_id=zhou, kind="种子教师", start=dt.date(2024, 9, 1)))
        s.add(Pairing(kind="师徒结对", supporter_name="王名师", target_teacher_id=zhou, start=dt.date(2023, 9, 1),
                      end=dt.date(2024, 8, 31)))
    part = check_store(pg_store, load_profile(), dt.date(2026, 11, 23)).parts["teacher_development"]
    behind = sorted((line.name, line.school) for line in part.behind)  # type: ignore[attr-defined]
    assert behind == [("李明", "CITY01"), ("李明", "TOWN01"), ("陈校长", "CITY01")]
    mentoring = [v for v in part.violations if v.rule == "mentoring.years"]  # type: ignore[attr-defined]
    assert [v.subject for v in mentoring] == ["CITY01"] and "王名师与周老师" in mentoring[0].detail
