"""Workbooks of the duty register (帮扶责任人): the import template and the export.

The export has the template's columns, so a clerk can export, correct and re-import
(``edubridge import duties``); an unchanged export imports back with no change.
"""

from __future__ import annotations

from pathlib import Path

from db.duty_holders import list_duties
from db.duty_import import COUNTY, EXAMPLE, HEADERS, NAME, NOTES, ROLE, SCHOOL
from db.store import Store
from db.visits import SCHOOLLESS_ROLES
from policy import vocab
from reports.xlsx import Column, Sheet, write_table

DATE = "yyyy-mm-dd"
TITLE = "帮扶责任人"


def duty_columns() -> list[Column]:
    widths = {NAME: 12, ROLE: 18, SCHOOL: 16, COUNTY: 14, NOTES: 30}
    return [Column(h, vocab.VISITOR_ROLES if h == ROLE else (), widths.get(h, 14), DATE if "日期" in h else None)
            for h in HEADERS]


TEMPLATE_NOTES = (
    "帮扶责任人导入说明（edubridge import duties 文件.xlsx）",
    ("每行一位帮扶责任人：从开始日期到结束日期，每个学期（学年指标按学年）都在帮扶活动指标表中有一行，"
     "没有开展活动时显示 0 / 应完成数，而不是不显示。"),
    (f"角色可选：{'、'.join(vocab.VISITOR_ROLES)}。所在学校代码须是学校名单中的代码；"
     f"{'、'.join(SCHOOLLESS_ROLES)}可以不填。"),
    "包抓县区：填县区名称或 6 位代码；填写后，该教研员只有在这个县区开展的活动计入指标。",
    "市属学校有包片包抓结对时，其校级干部和骨干教师按教师名册的职务、骨干等级自动列为帮扶责任人，不必在此登记。",
    "在帮扶活动中以上述角色出现过的人员自动登记为帮扶责任人（来源：活动记录），直到在此填写结束日期为止。",
    "同一姓名、角色、学校视为同一人：再次导入只更新包抓县区、开始日期、结束日期和备注；导出的文件原样导入不会产生改动。",
    "任何一行有错时整个文件不写入，并逐条列出文件、行号、列名和原因。",
)


def write_template(path: Path) -> Path:
    return write_table(path, [Sheet(TITLE, duty_columns(), example=EXAMPLE)], TEMPLATE_NOTES)


def duty_rows(store: Store) -> list[list[object]]:
    """The register in the template's columns."""
    return [[d.name, d.role, d.school_code, d.county, d.start, d.end, d.notes] for d in list_duties(store)]


def write_export(store: Store, path: Path) -> int:
    rows = duty_rows(store)
    write_table(path, [Sheet(TITLE, duty_columns(), rows)], TEMPLATE_NOTES)
    return len(rows)
