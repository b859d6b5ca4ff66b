"""``edubridge template KIND FILE.xlsx``: an empty import template with drop-downs and notes.

Kinds register in :data:`KINDS`: ``name → fn(path)``; each function imports the
``reports`` module it writes with, so ``--help`` does not.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.commands import output_file


def schools_template(path: Path) -> Any:
    from reports import cluster_sheets

    return cluster_sheets.write_template(cluster_sheets.SCHOOLS, path)


def clusters_template(path: Path) -> Any:
    from reports import cluster_sheets

    return cluster_sheets.write_template(cluster_sheets.CLUSTERS, path)


def visits_template(path: Path) -> Any:
    from reports import visit_tables

    return visit_tables.write_template(path)


def teachers_template(path: Path) -> Any:
    from reports import teacher_tables

    return teacher_tables.write_teacher_template(path)


def exemptions_template(path: Path) -> Any:
    from reports import exemption_tables

    return exemption_tables.write_template(path)


def needs_template(path: Path) -> Any:
    from reports import needs_tables

    return needs_tables.write_needs_template(path)


def duties_template(path: Path) -> Any:
    from reports import duty_tables

    return duty_tables.write_template(path)


def pairings_template(path: Path) -> Any:
    from reports import pairing_tables

    return pairing_tables.write_template(path)


def quality_template(path: Path) -> Any:
    from reports import quality_tables

    return quality_tables.write_template(path)


def training_template(path: Path) -> Any:
    from policy.profile import load_profile
    from reports import training_tables

    return training_tables.write_template(path, load_profile())


def designations_template(path: Path) -> Any:
    from policy.profile import load_profile
    from reports import training_tables

    return training_tables.write_designation_template(path, load_profile())


def exchanges_template(path: Path) -> Any:
    from policy.profile import load_profile
    from reports import exchange_sheets

    return exchange_sheets.write_template(path, load_profile())


KINDS: dict[str, Callable[[Path], Any]] = {
    "quality": quality_template,
    "duties": duties_template,
    "pairings": pairings_template,
    "schools": schools_template,
    "clusters": clusters_template,
    "visits": visits_template,
    "teachers": teachers_template,
    "exemptions": exemptions_template,
    "needs": needs_template,
    "exchanges": exchanges_template,
    "training": training_template,
    "designations": designations_template,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("template", help="生成 Excel 导入模板（含下拉列表、示例行和说明）")
    parser.add_argument("kind", choices=sorted(KINDS), help="模板种类")
    parser.add_argument("file", type=Path, help="要写入的 .xlsx 文件")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path = output_file(args.file, ".xlsx")
    KINDS[args.kind](path)
    print(f"已生成模板：{path}")
    return 0
