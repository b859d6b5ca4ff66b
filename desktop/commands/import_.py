"""``edubridge import KIND FILE.xlsx [--dry-run]``: load a clerk's spreadsheet, all or nothing.

Kinds register in :data:`KINDS`: ``name → module`` whose ``import_file(store, path, dry_run)``
returns a plan (the module is imported only when that kind is imported), where the plan has ``summary() -> str``, ``counts() -> dict`` and ``changes: list[str]`` (see
``db.school_import.ImportPlan``). A bad file raises ``db.importing.ImportFailed`` (a
StoreError: every problem with row and column, exit 2, nothing written).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from desktop.commands import open_store, print_json

KINDS: dict[str, str] = {
    "schools": "db.school_import",
    "clusters": "db.cluster_import",
    "visits": "db.visit_import",
    "teachers": "db.teacher_import",
    "exemptions": "db.exemption_import",
    "needs": "db.needs_import",
    "duties": "db.duty_import",
    "pairings": "db.pairing_import",
    "quality": "db.quality_import",
    "exchanges": "db.exchange_import",
    "training": "db.training_import",
    "designations": "db.designation_import",
}
LABELS = {"schools": "学校名单", "clusters": "集团(学区)成员", "visits": "帮扶活动记录", "teachers": "教师名册", "exemptions": "免交流登记",
          "needs": "学科需求表", "duties": "帮扶责任人", "pairings": "结对登记", "quality": "质量数据", "exchanges": "交流记录",
          "training": "培训记录", "designations": "种子教师榜样教师"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="从 Excel 导入学校名单、集团成员等（有错则全部不导入）")
    parser.add_argument("kind", choices=sorted(KINDS), help="导入什么：" + "、".join(f"{k}={v}" for k, v in LABELS.items()))
    parser.add_argument("file", type=Path, help="Excel 工作簿（.xlsx；旧版 .xls 请先另存为 .xlsx）")
    parser.add_argument("--dry-run", action="store_true", help="只检查并列出将要做的改动，不写入")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出改动统计")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import_file = importlib.import_module(KINDS[args.kind]).import_file
    store = open_store(args, create=True)
    try:
        plan = import_file(store, args.file, args.dry_run)
    finally:
        store.dispose()
    if args.json:
        print_json({"dry_run": args.dry_run, **plan.counts(), "changes": plan.changes})
        return 0
    for line in plan.changes[:200]:
        print(line)
    if len(plan.changes) > 200:
        print(f"……另有 {len(plan.changes) - 200} 处改动")
    print(("试运行（未写入）：" if args.dry_run else "已导入：") + plan.summary())
    return 0
