"""Workbooks of the teacher roster: the import template and the roster export.

The export has the template's columns, so a clerk can export, correct and re-import.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from db.models import Posting, School, Teacher
from db.store import Store
from db.teacher_import import EXAMPLE, HEADERS
from db.teacher_queries import in_force
from policy import vocab
from reports.xlsx import Column, Sheet, write_table

DATE = "yyyy-mm-dd"


def roster_columns() -> list[Column]:
    choices = {"性别": vocab.GENDERS, "任教学科": vocab.SUBJECTS, "职称": vocab.TITLES,
               "骨干等级": vocab.BACKBONE_LEVELS, "职务": vocab.POSITIONS}
    widths = {"身份证号": 22, "姓名": 10, "学校代码": 14, "人事关系学校代码": 18, "任现职时间": 14}
    dates = {"出生日期", "参加工作时间", "调入本校时间", "任现职时间"}
    return [Column(h, choices.get(h, ()), widths.get(h), DATE if h in dates else None) for h in HEADERS]


TEMPLATE_NOTES = (
    "教师名册导入说明（edubridge import teachers 文件.xlsx）",
    "身份证号：18位，校验位自动核对，末位小写x可接受；性别、出生日期须与身份证号一致（留空则按身份证号填写）。",
    "学校代码：教师当前任教学校的代码，须已在“学校”中登记。",
    "人事关系学校代码：人事关系所在学校；留空表示与学校代码相同。不同时表示教师在“学校代码”学校交流任教。",
    "调入本校时间：人事关系调入该校的日期，是计算任教年限（交流轮岗条件）的起点；可写 2015-09-01、2015年9月1日 或 2015.09。",
    "骨干等级：留空或“无”表示非骨干教师；可选 县级骨干教师、市级骨干教师、学科带头人、名师、特级教师。",
    "职务：教师、校长或副校长，留空为教师；任现职时间：校长、副校长在本校任现职的时间，校长任期从此计算"
    "（留空则按调入本校时间）。文件中没有“职务”列时，再次导入不改变已登记的职务。",
    "再次导入：按身份证号更新原有教师，不会重复；学校变化时结束原任职记录并新增一条，历史保留。",
    "任何一行有错时整个文件不写入，并逐条列出行号、列名和原因。",
)


def write_teacher_template(path: Path) -> Path:
    """An empty roster with drop-downs, the importer's example row (skipped on import while
    unchanged) and a 说明 sheet."""
    return write_table(path, [Sheet("教师名册", roster_columns(), example=EXAMPLE)], TEMPLATE_NOTES)


def roster_rows(store: Store) -> list[list[object]]:
    """One row per teacher: the template's columns, from the postings in force today."""
    t, p, s = Teacher.__table__, Posting.__table__, School.__table__
    with store.read() as session:
        connection = session.connection()
        where: dict[object, dict[str, object]] = {}
        for teacher_id, code, personnel, start, kind in connection.execute(
            select(p.c.teacher_id, s.c.code, p.c.holds_personnel, p.c.start, p.c.kind)
            .join(s, s.c.id == p.c.school_id).where(in_force(p)).order_by(p.c.start)
        ):
            slot = where.setdefault(teacher_id, {})
            if personnel and kind not in vocab.TEMPORARY_FORMS:
                slot["personnel"], slot["start"] = code, start
            elif not personnel and kind == "轮岗":
                slot["working"] = code
        rows = []
        for row in connection.execute(select(t).order_by(t.c.id_number)):
            slot = where.get(row.id, {})
            personnel = slot.get("personnel")
            working = slot.get("working", personnel)
            rows.append([row.id_number, row.name, row.gender, row.birth_date, working, row.subject, row.title,
                         row.backbone_level, row.started_teaching, slot.get("start"),
                         personnel if personnel != working else None, row.position, row.position_since])
    return rows


def export_teachers(store: Store, path: Path) -> Path:
    """The whole roster in the import template's layout."""
    return write_table(path, [Sheet("教师名册", roster_columns(), roster_rows(store))], TEMPLATE_NOTES)
