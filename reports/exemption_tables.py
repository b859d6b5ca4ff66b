"""Workbooks of the exemption register (免交流登记): the import template and the export.

The export has the template's columns, so a clerk can export, correct and re-import
(``edubridge import exemptions``); an unchanged export imports back with no change.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from db.exemption_import import EVIDENCE, EXAMPLE, HEADERS, ID, NAME, REASON, REASONS
from db.models import Exemption, Teacher
from db.store import Store
from reports.xlsx import Column, Sheet, mask_id, write_table

DATE = "yyyy-mm-dd"
TITLE = "免交流登记"


def exemption_columns() -> list[Column]:
    widths = {ID: 22, NAME: 10, REASON: 20, EVIDENCE: 40}
    return [Column(h, REASONS if h == REASON else (), widths.get(h, 14), DATE if "日期" in h else None)
            for h in HEADERS]


TEMPLATE_NOTES = (
    "免交流登记导入说明（edubridge import exemptions 文件.xlsx）",
    ("每行一条免交流登记：该教师在开始日期至结束日期之间免于交流轮岗；某学年是否免交流，看登记是否覆盖该学年的"
     "交流基准日（见政策设置）。"),
    ("身份证号：须是已在教师名册中的教师（末位小写x可接受）；名册中没有的身份证号会报错，请先导入教师名册。"
     "姓名须与名册一致，用于核对身份证号是否填错行。"),
    f"免交流情形可选：{'、'.join(REASONS)}。",
    ("距退休不足规定年限：由系统按出生日期、性别和政策设置中的年限与退休年龄自动计算，不需要登记；"
     "只有人事部门认定的情况与自动计算不一致时才登记。"),
    "证明材料：必填，写明依据，如“县人民医院诊断证明”“出生医学证明复印件”“县教育局认定文件”。",
    ("开始日期：必填；结束日期：可留空（表示长期有效），不得早于开始日期。日期可写作 2025-09-01、2025/9/1、"
     "2025年9月1日 或 20250901。"),
    ("再次导入：同一教师、同一免交流情形、同一开始日期视为同一条登记，只更新证明材料和结束日期，不会重复；"
     "导出的文件原样导入不会产生任何改动。"),
    "任何一行有错时整个文件不写入，并逐条列出文件、行号、列名和原因。",
)


def write_template(path: Path) -> Path:
    """An empty register with the reason drop-down, the importer's example row (skipped on
    import while unchanged) and a 说明 sheet."""
    return write_table(path, [Sheet(TITLE, exemption_columns(), example=EXAMPLE)], TEMPLATE_NOTES)


def exemption_rows(store: Store) -> list[list[object]]:
    """Every stored exemption in the template's columns, by ID number and start date."""
    e, t = Exemption.__table__, Teacher.__table__
    query = (select(t.c.id_number, t.c.name, e.c.reason, e.c.evidence, e.c.start, e.c.end_on)
             .join(t, t.c.id == e.c.teacher_id).order_by(t.c.id_number, e.c.start, e.c.reason))
    with store.read() as session:
        return [list(row) for row in session.execute(query)]


MASKED_NOTE = ("本表身份证号只显示前6位和后4位（含病史等个人信息的名单传阅时不需要完整号码）；"
               "这样的文件不能再导入，需要修改请不带 --mask-id 重新导出。")


def write_export(store: Store, path: Path, *, masked: bool = False) -> int:
    """Every stored exemption in the import template's layout; returns how many.

    ``masked``: ID numbers as 640122********1234, for a list handed round (it holds illness
    and pregnancy reasons); such a file cannot be imported back.
    """
    rows = exemption_rows(store)
    if masked:
        rows = [[mask_id(row[0]), *row[1:]] for row in rows]
    notes = (TEMPLATE_NOTES[0], MASKED_NOTE, *TEMPLATE_NOTES[1:]) if masked else TEMPLATE_NOTES
    write_table(path, [Sheet(TITLE, exemption_columns(), rows)], notes)
    return len(rows)
