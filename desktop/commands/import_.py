"""``edubridge import KIND FILE.xlsx [--dry-run]``: load a clerk's spreadsheet, all or nothing.

The kinds are the rows of :data:`db.importers.IMPORTERS` (the GUI's Excel menus read the same
table). A bad file raises ``db.importing.ImportFailed`` (a UserError: every problem with row
and column, exit 2, nothing written).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from db.importers import IMPORTERS
from desktop.commands import open_store, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="从 Excel 导入学校名单、集团成员等（有错则全部不导入）")
    parser.add_argument("kind", choices=sorted(IMPORTERS),
                        help="导入什么：" + "、".join(f"{i.key}={i.label}" for i in IMPORTERS.values()))
    parser.add_argument("file", type=Path, help="Excel 工作簿（.xlsx；旧版 .xls 请先另存为 .xlsx）")
    parser.add_argument("--dry-run", action="store_true", help="只检查并列出将要做的改动，不写入")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出改动统计")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    importer = IMPORTERS[args.kind]
    importer.load()  # a kind's module before the store: a broken install fails without touching data
    store = open_store(args, create=True)
    try:
        plan = importer.run(store, args.file, args.dry_run)
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
