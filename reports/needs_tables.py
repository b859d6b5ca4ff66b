"""Workbooks of the receiving schools' needs by subject (学科需求表): export and template.

The export has the import's columns (see :mod:`db.needs_import`), so a clerk exports the
year's figures — stored or derived — edits them in Excel and imports them back.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from db.needs_import import (
    DERIVED,
    EXAMPLE,
    HEADERS,
    STORED,
    NeedsSheet,
    needs_sheet_rows,
    year_label,
)
from db.store import Store
from policy import vocab
from reports.xlsx import Column, Sheet, write_table

TITLE = "学科需求"
INFO = ("学校名称", "来源")  # shown for the clerk, not read on import
GREY = Font(color="808080")


def needs_columns() -> list[Column]:
    widths = {"学年": 12, "学校代码": 14, "学校名称": 26, "任教学科": 12, "需求人数": 10, "来源": 14}
    return [Column(h, vocab.SUBJECTS if h == "任教学科" else (), widths[h]) for h in HEADERS]


NOTES = (
    "学科需求表导入说明（edubridge import needs 文件.xlsx）",
    ("每行是一所接收学校（乡村学校、薄弱学校和镇区学校）某一学科本学年可接收的交流教师人数。"
    "编制交流轮岗计划时，教师只会被安排到需求人数大于 0 的学校和学科。"),
    "需求人数：0 或正整数。填 0 表示该学科不接收交流教师；不要留空。",
    "学年：写作 2027—2028（也可写 2027、2027-2028 或 2027—2028学年），表示 2027年9月开始的学年。",
    "任教学科：从下拉列表中选择；“体育”“道法”“信息技术”等简称与教师名册导入一样可以识别。",
    "学校代码：须已在“学校”中登记。学校名称和来源两列仅供查看，导入时不读取。",
    (f"来源：“{STORED}”表示该校本学年已有需求表数据；“{DERIVED}”表示尚未填报，"
    "由系统按师生比缺编人数和本校符合交流条件的教师人数推算。"),
    ("导入规则：文件中出现的每所学校，其该学年的需求以文件为准，整体替换原有数据"
    "（文件中没有的学科即视为不需要）；文件中没有出现的学校保持原有数据不变。"
    "只想修改几所学校时，可以删去其他学校的行。"),
    (f"一所学校的数字与“{DERIVED}”的结果完全相同且从未填报过时，导入后仍按师生比推算"
    "（以后随教师名册变化自动更新）；改动过任何一个数字，该校就改为按需求表。"),
    "任何一行有错时整个文件不写入，并逐条列出行号、列名和原因。可先加 --dry-run 试运行查看将要做的改动。",
)


def write_needs(store: Store, school_year: int, path: Path) -> NeedsSheet:
    """The year's needs, one row per receiving school and subject, with a 说明 sheet."""
    sheet = needs_sheet_rows(store, school_year)
    notes = (NOTES[0], (f"本文件：{year_label(school_year)}学年，{sheet.stored_schools} 所学校按需求表，"
             f"{sheet.derived_schools} 所按师生比推算。"), *NOTES[1:])
    write_table(path, [Sheet(TITLE, needs_columns(), sheet.rows)], notes)
    _finish(path, len(sheet.rows))
    return sheet


def _finish(path: Path, rows: int) -> None:
    """A filter on the header (a county lists some 1,700 rows: one school, or the non-zero
    figures, at a glance) and the information-only columns in grey."""
    workbook = load_workbook(path)
    ws = workbook[TITLE]
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{rows + 1}"
    for header in INFO:
        index = HEADERS.index(header) + 1
        for (cell,) in ws.iter_rows(min_row=2, max_row=rows + 1, min_col=index, max_col=index):
            cell.font = GREY
    workbook.save(path)


def write_needs_template(path: Path) -> Path:
    """An empty needs table with the subject drop-down, the importer's example row and notes."""
    return write_table(path, [Sheet(TITLE, needs_columns(), example=EXAMPLE)], NOTES)
