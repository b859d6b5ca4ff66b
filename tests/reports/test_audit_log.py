"""The audit log as people read it: Chinese field names, dates, words for codes, names for
the records a change refers to, ID numbers masked — in the viewer's text and the export,
for ordinary entries and for the records of a bulk load's batch entry."""

from __future__ import annotations

import datetime as dt
import uuid

from openpyxl import load_workbook
from sqlalchemy import select

from db import audit
from db.bulk import insert_rows
from db.models import Posting, Region, School, Teacher
from reports.audit_log import values_text, write_audit

ID = "640121198001015522"


def world(store):
    with store.write("建校") as s:
        region = Region(code="640100", name="测试县", level="县区")
        s.add(region)
        s.flush()
        s.add(School(code="6401000001", name="东村小学", stage="小学", location="乡村", region_id=region.id))
    with store.read() as s:
        return s.scalar(select(School.id))


def test_changes_read_in_chinese_with_names_dates_and_masked_id_numbers(store, tmp_path):
    school = world(store)
    stamp = dt.datetime(2025, 1, 1)
    teachers = [{"id": uuid.uuid4(), "id_number": ID if i == 0 else f"64012119800101{5530 + i}", "name": f"教师{i}",
                 "gender": "女", "birth_date": dt.date(1980, 1, 1), "position": "教师",
                 "created_at": stamp, "updated_at": stamp} for i in range(2)]
    with store.bulk("teacher", "导入名册") as c:  # one batch entry per statement
        insert_rows(c, Teacher.__table__, teachers)
        insert_rows(c, Posting.__table__, [{"id": uuid.uuid4(), "teacher_id": t["id"], "school_id": school,
                                            "kind": "任职", "holds_personnel": True, "start": dt.date(2020, 9, 1),
                                            "end_on": None, "created_at": stamp, "updated_at": stamp}
                                           for t in teachers])
    with store.write("调动") as s:
        posting = s.scalar(select(Posting).where(Posting.teacher_id == teachers[0]["id"]))
        posting.end_on = dt.date(2025, 8, 31)
        posting.holds_personnel = False
    shown, _ = audit.search(store.engine)
    names = audit.referenced_names(store.engine, shown)
    by_key = {(e.entity, e.action, e.entity_id): e for e in shown}
    first = by_key[("teacher", "insert", str(teachers[0]["id"]))]
    text = values_text(first.after, first.entity, names)
    assert "身份证号=640121********5522" in text and ID not in text
    assert "姓名=教师0" in text and "出生日期=1980-01-01" in text and "id_number" not in text
    placed = by_key[("posting", "insert", next(e.entity_id for e in shown if e.entity == "posting"
                                                and e.action == "insert"))]
    placed_text = values_text(placed.after, "posting", names)
    assert "学校=东村小学" in placed_text and "教师=教师" in placed_text and "人事关系在本校=是" in placed_text
    moved = next(e for e in shown if e.entity == "posting" and e.action == "update")
    assert set(values_text(moved.before, "posting", names).split("；")) == {"人事关系在本校=是", "结束日期=空"}
    assert set(values_text(moved.after, "posting", names).split("；")) == {"人事关系在本校=否", "结束日期=2025-08-31"}
    path = write_audit(tmp_path / "审计.xlsx", shown, "全部", names)
    cells = [str(c.value) for row in load_workbook(path)["审计日志"].iter_rows() for c in row if c.value]
    assert any("身份证号=640121********5522" in c for c in cells) and not any(ID in c for c in cells)
    assert any("结束日期=2025-08-31" in c for c in cells) and not any("end_on" in c for c in cells)


def test_codes_and_stamps_in_words():
    assert values_text({"status": "approved", "role": "principal", "approved_at": "2025-03-01T08:30:12.5"},
                       "exchange_plan") == "计划状态=已批准；角色=校长；批准时间=2025-03-01 08:30"


def test_a_waiver_names_its_rule_and_the_school_it_waives(store):
    from db.models import Waiver

    school = world(store)
    with store.write("豁免") as s:
        s.add(Waiver(rule="school.class_size", subject_kind="school", subject_id=school, reason="临时借用校舍",
                     approver="县教育局", start=dt.date(2025, 9, 1)))
    shown, _ = audit.search(store.engine, entity="waiver")
    text = values_text(shown[0].after, "waiver", audit.referenced_names(store.engine, shown))
    assert "规则=班额超限" in text and "对象=东村小学" in text and "对象类型=学校" in text
    assert "school.class_size" not in text and str(school) not in text
