"""``edubridge eligibility --year Y --json`` over a small seeded store."""

from __future__ import annotations

import datetime as dt
import json

from db.models import Exemption, Posting, Region, School, Teacher
from desktop.cli import main
from policy.idcard import make_id_number

D = dt.date


def seed(store) -> dict[str, str]:
    ids = {}
    with store.write("test seed") as session:
        region = Region(code="640100", name="测试县", level="县区")
        urban = School(code="S-URBAN", name="城区一小", stage="小学", location="城区", region=region)
        rural = School(code="S-RURAL", name="乡村小学", stage="小学", location="乡村", region=region)
        session.add_all([region, urban, rural])
        session.flush()
        rows = [
            ("long", D(1980, 3, 3), 1, D(2010, 9, 1), urban, None, "市级骨干教师"),
            ("nine", D(1985, 3, 3), 3, D(2016, 9, 1), urban, None, None),
            ("new", D(1990, 3, 3), 5, D(2020, 9, 1), rural, None, None),
            ("sick", D(1982, 3, 3), 7, D(2014, 9, 1), urban, "患病", None),
        ]
        for key, born, seq, start, school, exemption, backbone in rows:
            number = make_id_number("640102", born, seq)
            ids[key] = number
            teacher = Teacher(id_number=number, name=f"教师{key}", gender="男", birth_date=born,
                              subject="语文", backbone_level=backbone)
            session.add(teacher)
            session.add(Posting(teacher=teacher, school_id=school.id, start=start))
            session.flush()
            if exemption:
                session.add(Exemption(teacher_id=teacher.id, reason=exemption, evidence="病历",
                                      start=D(2025, 1, 1)))
        # a 支教 stint of the long-serving teacher at the rural school
        session.flush()
    with store.write("stint") as session:
        long_teacher = session.query(Teacher).filter_by(id_number=ids["long"]).one()
        rural = session.query(School).filter_by(code="S-RURAL").one()
        session.add(Posting(teacher_id=long_teacher.id, school_id=rural.id, kind="支教", holds_personnel=False,
                            start=D(2019, 9, 1), end_on=D(2020, 8, 31)))
    return ids


def test_eligibility_json(store, db_path, capsys):
    ids = seed(store)
    assert main(["--db", str(db_path), "eligibility", "--year", "2025", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["school_year"] == 2025 and data["reference_date"] == "2025-09-01"
    by_id = {t["id_number"]: t for t in data["teachers"]}
    assert set(by_id) == {ids["long"], ids["nine"], ids["sick"]}
    assert by_id[ids["long"]] | {"clause": ""} == {
        "id_number": ids["long"], "name": "教师long", "school_code": "S-URBAN", "years_at_school": 15,
        "status": "mandatory", "backbone": True, "clause": ""}
    assert by_id[ids["nine"]]["status"] == "eligible" and by_id[ids["nine"]]["years_at_school"] == 9
    assert by_id[ids["sick"]]["status"] == "exempt" and "患病" in by_id[ids["sick"]]["clause"]
    assert data["summary"] == {"eligible": 1, "mandatory": 1, "exempt": 1}


def test_eligibility_text_output(store, db_path, capsys):
    seed(store)
    assert main(["--db", str(db_path), "eligibility", "--year", "2025"]) == 0
    out = capsys.readouterr().out
    assert "须交流" in out and "合计：符合条件 1，须交流 1，免交流 1" in out
    assert "城区一小" in out and "S-URBAN" not in out  # schools by name in the text output
