"""``edubridge export KIND FILE.xlsx``: the store's data as a workbook.

``schools`` and ``clusters`` use the import template's layout, so an export imports
back unchanged; ``statistics`` is the city's 集团(学区)基本情况统计表.
Kinds register in :data:`KINDS`: ``name → fn(store, path, args) -> message``; each
function imports the ``reports`` module it writes with, so ``--help`` does not.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.commands import CliError, open_store, output_file, school_year


def export_schools(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import cluster_sheets

    return f"已导出 {cluster_sheets.write_export(cluster_sheets.SCHOOLS, store, path)} 所学校：{path}"


def export_clusters(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import cluster_sheets

    return f"已导出 {cluster_sheets.write_export(cluster_sheets.CLUSTERS, store, path)} 条集团成员记录：{path}"


def export_statistics(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import cluster_sheets

    on = date_argument(getattr(args, "date", None))
    count = cluster_sheets.write_statistics(store, path, on, include_all=getattr(args, "include_all", False))
    return f"已导出集团(学区)基本情况统计表（{count} 个集团，{on.isoformat()}）：{path}"


def export_visits(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import visit_tables

    return f"已导出 {visit_tables.write_export(store, path)} 行帮扶活动记录（每位来访人员一行）：{path}"


def export_teachers(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import teacher_tables

    teacher_tables.export_teachers(store, path)
    return f"已导出教师名册：{path}"


def _year(args: argparse.Namespace) -> int:
    from policy.calendar import school_year_of

    year = getattr(args, "year", None)
    return int(year) if year else school_year_of(date_argument(getattr(args, "date", None)))


def export_plan(store: Any, path: Path, args: argparse.Namespace) -> str:
    from db.exchange_plans import draft_for_year
    from reports import exchange_tables

    year = _year(args)
    plan = draft_for_year(store, year)
    if plan is None:
        raise CliError(f"{year}—{year + 1}学年还没有保存的交流计划（先运行 edubridge plan --year {year} --save）")
    count = exchange_tables.write_plan(store, plan.id, path)
    return f"已导出 {year}—{year + 1}学年交流计划（{count} 人）：{path}"


def export_national(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import exchange_tables

    year = getattr(args, "year", None)
    count = exchange_tables.write_national(store, path, int(year) if year else None)
    return f"已导出 {count} 条交流轮岗记录（全国教师管理信息系统格式）：{path}"


def export_exchanges(store: Any, path: Path, args: argparse.Namespace) -> str:
    from db.settings import active_profile
    from reports import exchange_sheets

    count = exchange_sheets.write_export(store, path, active_profile(store))
    return f"已导出 {count} 条交流记录（导入模板格式，可修改后导回）：{path}"


def export_exemptions(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import exemption_tables

    masked = bool(getattr(args, "mask_id", False))
    count = exemption_tables.write_export(store, path, masked=masked)
    return f"已导出 {count} 条免交流登记" + ("（身份证号已部分隐藏，仅供传阅，不能再导入）" if masked else "") + f"：{path}"


def export_needs(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import needs_tables

    year = _year(args)
    sheet = needs_tables.write_needs(store, year, path)
    return (f"已导出 {year}—{year + 1}学年学科需求表（{sheet.stored_schools + sheet.derived_schools} 所学校，"
            f"{len(sheet.rows)} 行；其中 {sheet.derived_schools} 所按师生比推算）：{path}")


def export_duties(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import duty_tables

    return f"已导出 {duty_tables.write_export(store, path)} 位帮扶责任人：{path}"


def export_pairings(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import pairing_tables

    return f"已导出 {pairing_tables.write_export(store, path)} 个结对：{path}"


def export_quality(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import quality_tables

    return f"已导出 {quality_tables.write_export(store, path)} 个学校学年的质量数据（含达标情况）：{path}"


def export_training(store: Any, path: Path, args: argparse.Namespace) -> str:
    from db.settings import active_profile
    from reports import training_tables

    return f"已导出 {training_tables.write_export(store, path, active_profile(store))} 条培训记录：{path}"


def export_designations(store: Any, path: Path, args: argparse.Namespace) -> str:
    from db.settings import active_profile
    from reports import training_tables

    count = training_tables.write_designation_export(store, path, active_profile(store))
    return f"已导出 {count} 条种子教师、榜样教师记录：{path}"


def export_pairing_list(store: Any, path: Path, args: argparse.Namespace) -> str:
    from reports import quota_report

    on = date_argument(getattr(args, "date", None))
    return f"已导出 {quota_report.write_pairings_xlsx(store, on, path)} 对结对（{on.isoformat()}）：{path}"


KINDS: dict[str, Callable[[Any, Path, argparse.Namespace], str]] = {
    "pairing_list": export_pairing_list,
    "quality": export_quality,
    "training": export_training,
    "designations": export_designations,
    "duties": export_duties,
    "pairings": export_pairings,
    "schools": export_schools,
    "clusters": export_clusters,
    "statistics": export_statistics,
    "visits": export_visits,
    "teachers": export_teachers,
    "plan": export_plan,
    "exchanges": export_exchanges,
    "national": export_national,
    "exemptions": export_exemptions,
    "needs": export_needs,
}


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


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="导出 Excel：学校名单、集团成员、统计表等")
    parser.add_argument("kind", choices=sorted(KINDS), help="导出什么")
    parser.add_argument("file", type=Path, help="要写入的 .xlsx 文件")
    parser.add_argument("--date", help="统计日期（默认今天），如 2025-09-01")
    parser.add_argument("--year", type=school_year, help="学年（plan、national、needs：起始年份，如 2025）")
    parser.add_argument("--all", action="store_true", dest="include_all",
                        help="statistics：列入全部集团(学区)（默认只列包含乡村学校的）")
    parser.add_argument("--mask-id", action="store_true",
                        help="exemptions：身份证号只显示前6位和后4位（供传阅；这样的文件不能再导入）")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path = output_file(args.file, ".xlsx")
    store = open_store(args)
    try:
        message = KINDS[args.kind](store, path, args)
    finally:
        store.dispose()
    print(message)
    return 0
