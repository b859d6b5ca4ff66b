"""``edubridge export KIND FILE.xlsx``: the store's data as a workbook.

The kinds are the rows of :data:`reports.exporters.EXPORTERS` (the GUI's Excel menus read the
same table); ``schools`` and ``clusters`` use the import template's layout, so an export
imports back unchanged; ``statistics`` is the city's 集团(学区)基本情况统计表.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from desktop.commands import CliError, open_store, output_file, school_year
from reports.exporters import DATE, EXPORTERS, INCLUDE_ALL, MASK_ID, YEAR, ExportOptions


def date_argument(text: str | None) -> dt.date:
    """``--date`` typed any way a clerk types a date; today when absent."""
    if not text:
        return dt.date.today()
    from db.importing import CellError, parse_date

    try:
        value = parse_date(text)
    except CellError as exc:
        raise CliError(f"--date：{exc}") from None
    if value is None:
        raise CliError("--date 不能为空")
    return value


def _kinds_taking(option: str) -> str:
    return "、".join(key for key, exporter in EXPORTERS.items() if option in exporter.options)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="导出 Excel：学校名单、集团成员、统计表等")
    parser.add_argument("kind", choices=sorted(EXPORTERS), help="导出什么")
    parser.add_argument("file", type=Path, help="要写入的 .xlsx 文件")
    parser.add_argument("--date", help=f"统计日期（默认今天），如 2025-09-01（{_kinds_taking(DATE)}）")
    parser.add_argument("--year", type=school_year, help=f"学年（{_kinds_taking(YEAR)}：起始年份，如 2025）")
    parser.add_argument("--all", action="store_true", dest="include_all",
                        help=f"{_kinds_taking(INCLUDE_ALL)}：列入全部集团(学区)（默认只列包含乡村学校的）")
    parser.add_argument("--mask-id", action="store_true",
                        help=f"{_kinds_taking(MASK_ID)}：身份证号只显示前6位和后4位（供传阅；这样的文件不能再导入）")
    parser.set_defaults(run=run)


def options(args: argparse.Namespace) -> ExportOptions:
    """The command line's choices for an export (``--date`` read only by kinds that take it)."""
    accepted = EXPORTERS[args.kind].options
    return ExportOptions(year=args.year, on=date_argument(args.date) if DATE in accepted else None,
                         include_all=args.include_all, mask_id=args.mask_id)


def run(args: argparse.Namespace) -> int:
    path = output_file(args.file, ".xlsx")
    chosen = options(args)
    store = open_store(args)
    try:
        message = EXPORTERS[args.kind].run(store, path, chosen)
    finally:
        store.dispose()
    print(message)
    return 0
