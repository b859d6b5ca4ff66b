"""``edubridge audit verify|list``: check the hash chain of the audit log; read it as the
GUI's 审计日志 page does (a bulk load's batch entry as its records, in Chinese, ID numbers
masked), filtered by person, table, record and dates, on screen, as JSON or a workbook."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from desktop.commands import CliError, open_store, print_json


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写作 YYYY-MM-DD：{text}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="审计日志：核对哈希链、查看修改记录")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="逐条核对审计日志，指出第一条被改动的记录")
    verify.add_argument("--json", action="store_true", help="以 JSON 输出")
    listing = actions.add_parser("list", help="列出修改记录（最新的在前），每条记录的修改前与修改后")
    listing.add_argument("--actor", help="只看此人（用户名）的修改")
    listing.add_argument("--table", help="只看此数据表，例如 teacher、visit")
    listing.add_argument("--record", help="只看此记录（记录编号），批量导入中的也能找到")
    listing.add_argument("--since", type=_date, help="自此日期（含），YYYY-MM-DD")
    listing.add_argument("--until", type=_date, help="至此日期（含），YYYY-MM-DD")
    listing.add_argument("--limit", type=int, default=200, help="最多列出多少条（默认 200）")
    listing.add_argument("-o", "--output", type=Path, help="导出为 Excel 工作簿（.xlsx）")
    listing.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """verify: exit 0 when the chain holds, 1 when it is broken (the entry is named)."""
    if args.action == "list":
        return run_list(args)
    from db.audit import verify

    store = open_store(args)
    try:
        verdict = verify(store.engine)
    finally:
        store.dispose()
    if args.json:
        print_json(verdict.as_json())
    else:
        print(verdict.message())
    return 0 if verdict.ok else 1


def run_list(args: argparse.Namespace) -> int:
    from db import audit
    from reports.audit_log import values_text, write_audit

    if args.limit < 1:
        raise CliError("--limit 应为正整数")
    store = open_store(args)
    try:
        shown, total = audit.search(store.engine, actor=args.actor, entity=args.table, entity_id=args.record,
                                    since=args.since, until=args.until, limit=args.limit)
        names = audit.referenced_names(store.engine, shown)
    finally:
        store.dispose()
    path = None
    if args.output is not None:
        path = args.output if args.output.suffix.lower() == ".xlsx" else args.output.with_suffix(".xlsx")
        filters = "，".join(f"{label} {value}" for label, value in (
            ("人员", args.actor), ("数据表", args.table), ("记录", args.record), ("自", args.since),
            ("至", args.until)) if value)
        try:
            write_audit(path, shown, filters, names)
        except OSError as exc:
            raise CliError(f"无法写入 {path}：{exc.strerror or exc}") from None
    rows: list[dict[str, Any]] = [{"id": e.id, "at": e.at.strftime("%Y-%m-%d %H:%M:%S"), "actor": e.actor, "action": e.action_label,
             "table": e.entity_label, "record": e.entity_id, "before": values_text(e.before, e.entity, names),
             "after": values_text(e.after, e.entity, names), "note": e.note} for e in shown]
    if args.json:
        print_json({"total": total, "shown": len(rows), "entries": rows})
        return 0
    for row in rows:
        change = " → ".join(part for part in (row["before"], row["after"]) if part)
        print(f"#{row['id']} {row['at']} {row['actor']} {row['action']}{row['table']} {row['record'] or ''}"
              f"{'：' + change if change else ''}{'（' + row['note'] + '）' if row['note'] else ''}")
    shown_text = f"，显示最新的 {len(rows)} 条" if total > len(rows) else ""
    print(f"符合条件的审计记录 {total} 条{shown_text}（时间为 UTC）" + (f"；已导出到 {path}" if path else ""))
    return 0
