"""Workbooks of the pairings register (结对): the import template and the export (same layout,
so an unchanged export re-imports with no change)."""

from __future__ import annotations

from pathlib import Path

from db.pairing_import import EXAMPLE, HEADERS, KIND, NOTES, SUPPORTER, TARGET, export_rows
from db.store import Store
from policy import vocab
from reports.xlsx import Column, Sheet, write_table

TITLE = "结对登记"
TEMPLATE_NOTES = (
    "结对导入说明（edubridge import pairings 文件.xlsx）",
    f"结对类型可选：{'、'.join(vocab.PAIRING_KINDS)}。",
    "支援方：学校代码；1:1 结对（局领导、名师工作室等）可填人员姓名。包片包抓、手拉手的支援方须是学校代码。",
    "受援方：集团(学区)名称（包片包抓必须）、学校代码（手拉手必须），或名册中乡村教师的身份证号（学科带头人结对乡村教师）。",
    "开始日期必填；结束日期可留空，填写后该结对到这一天结束。",
    "同一结对类型、支援方、受援方和开始日期视为同一结对：再次导入只更新结束日期和备注；导出的文件原样导入不会产生改动。",
    "任何一行有错时整个文件不写入，并逐条列出文件、行号、列名和原因。",
)


def columns() -> list[Column]:
    widths = {KIND: 22, SUPPORTER: 18, TARGET: 24, NOTES: 30}
    return [Column(h, vocab.PAIRING_KINDS if h == KIND else (), widths.get(h, 14), "yyyy-mm-dd" if "日期" in h else None)
            for h in HEADERS]


def write_template(path: Path) -> Path:
    return write_table(path, [Sheet(TITLE, columns(), example=EXAMPLE)], TEMPLATE_NOTES)


def write_export(store: Store, path: Path) -> int:
    rows = export_rows(store)
    write_table(path, [Sheet(TITLE, columns(), rows)], TEMPLATE_NOTES)
    return len(rows)
