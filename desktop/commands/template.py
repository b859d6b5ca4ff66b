"""``edubridge template KIND FILE.xlsx``: an empty import template with drop-downs and notes.

The kinds are the rows of :data:`reports.exporters.TEMPLATES` (the GUI reads the same table).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.commands import output_file
from reports.exporters import TEMPLATES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("template", help="生成 Excel 导入模板（含下拉列表、示例行和说明）")
    parser.add_argument("kind", choices=sorted(TEMPLATES), help="模板种类")
    parser.add_argument("file", type=Path, help="要写入的 .xlsx 文件")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path = output_file(args.file, ".xlsx")
    TEMPLATES[args.kind].write(path)
    print(f"已生成模板：{path}")
    return 0
