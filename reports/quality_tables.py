"""Workbooks of the quality figures (巩固率, 辍学率, …): the import template, and the export with a
second sheet judging every figure against the active profile (达标 / 未达标, with the clause)."""

from __future__ import annotations

from pathlib import Path

from db.quality_import import EXAMPLE, HEADERS, stored_rows
from db.settings import active_profile
from db.store import Store
from policy.quality import judge
from policy.vocab import QUALITY_INDICATORS
from reports.xlsx import Column, Sheet, write_table

TITLE = "质量数据"
VERDICTS = "达标情况"
TEMPLATE_NOTES = (
    "质量数据导入说明（edubridge import quality 文件.xlsx）",
    "每行一所学校一个学年：学校代码须在学校名单中；学年写起始年份（2025）或 2025—2026学年。",
    "巩固率、体质健康合格率、辍学率、残疾儿童入学率填百分数（如 98.6 表示 98.6%）；学业质量监测均分填得分。",
    "空白单元格表示不填该项（已有数字保留）；数字须在 0 到 100 之间。",
    "达标线来自政策方案（设置页）并注明依据条款，导出文件的“达标情况”表逐项列出达标或未达标。",
    "这些数据用于年度评价报告的增值评价（受援校本学年与上学年相比）。",
    "任何一行有错时整个文件不写入，并逐条列出文件、行号、列名和原因。",
)


def columns() -> list[Column]:
    return [Column(h, width=16 if h != "学业质量监测均分" else 18) for h in HEADERS]


def write_template(path: Path) -> Path:
    return write_table(path, [Sheet(TITLE, columns(), example=EXAMPLE)], TEMPLATE_NOTES)


def write_export(store: Store, path: Path) -> int:
    """The figures in the template's layout, and the verdicts; returns the number of school-years."""
    profile = active_profile(store)
    stored = stored_rows(store)
    rows = [[code, year, *(values.get(i) for i in QUALITY_INDICATORS)] for code, year, values in stored]
    verdicts = []
    for code, year, values in stored:
        for indicator, value in values.items():
            v = judge(indicator, value, profile)
            limit = "" if v.limit is None else f"{'≥' if v.floor else '≤'}{v.limit:g}"
            verdicts.append([code, f"{year}—{year + 1}学年", indicator, value, limit, v.status, v.clause])
    verdict_columns = [Column(h, width=w) for h, w in (("学校代码", 14), ("学年", 16), ("指标", 18), ("数值", 10),
                                                        ("达标线", 10), ("结果", 10), ("依据", 30))]
    write_table(path, [Sheet(TITLE, columns(), rows), Sheet(VERDICTS, verdict_columns, verdicts)], TEMPLATE_NOTES)
    return len(rows)
