"""``edubridge exchange list|cancel|end|extend``: exchanges as of a day, and their changes.

``list`` filters by school year, school (code or name, either side), teacher (ID number or
name) and status on ``--date`` (default today): planned / approved / in_progress / done /
ended_early / cancelled. ``cancel``, ``end`` and ``extend`` change one exchange, chosen by
teacher and (when he has several) school year or form; each is one audited write that
also adjusts the teacher's postings (db.exchanges).
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from desktop.commands import CliError, iso_date, open_store, print_json, school_year
from policy.exchange_forms import STATES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("exchange", help="交流记录：按日期查看状态，取消、提前结束或延期")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="列出交流记录及其在某日的状态")
    listing.add_argument("--year", type=school_year, help="学年（起始年份）")
    listing.add_argument("--school", help="原单位或交流单位（学校代码或名称）")
    listing.add_argument("--teacher", help="教师（身份证号或姓名）")
    listing.add_argument("--status", choices=STATES, help="在 --date 当日的状态")
    listing.add_argument("--date", type=iso_date, help="按哪一天的情况（默认今天）")
    listing.add_argument("--json", action="store_true", help="以 JSON 输出")
    listing.set_defaults(run=run_list)
    for name, help_text, date_help in (
        ("cancel", "取消一项交流（开始前或进行中）", "取消生效的日期（默认今天）"),
        ("end", "提前结束一项交流", "交流的最后一天"),
        ("extend", "延长一项交流", "新的结束日期"),
    ):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("--teacher", required=True, help="教师（身份证号或姓名）")
        sub.add_argument("--year", type=school_year, help="学年（该教师有多项交流时用于区分）")
        sub.add_argument("--form", help="交流形式（该教师有多项交流时用于区分）")
        sub.add_argument("--on" if name != "extend" else "--until", dest="day", type=iso_date,
                         required=name != "cancel", help=date_help)
        sub.add_argument("--reason", help="原因（记入交流历史与审计日志）")
        sub.add_argument("--json", action="store_true", help="以 JSON 输出改动后的记录")
        sub.set_defaults(run=run_change, change=name)


def _shown(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("id_number", "name", "from_code", "from_name", "to_code", "to_name", "form", "school_year", "start",
            "end_on", "planned_end", "cancelled_on", "moves_personnel", "days_per_week", "notes", "state",
            "state_label")
    return {**{k: record[k] for k in keys}, "id": str(record["id"]), "moves_personnel": bool(record["moves_personnel"])}


def run_list(args: argparse.Namespace) -> int:
    from db.exchanges import exchange_list

    store = open_store(args)
    try:
        rows = exchange_list(store, args.date or dt.date.today(), year=args.year, school=args.school,
                             teacher=args.teacher, status=args.status)
    finally:
        store.dispose()
    if args.json:
        print_json([_shown(r) for r in rows])
        return 0
    for r in rows:
        print(f"{r['id_number']}\t{r['name']}\t{r['from_name']} → {r['to_name']}\t{r['form']}\t"
              f"{r['start'] or ''} 至 {r['end_on'] or ''}\t{'调动人事关系' if r['moves_personnel'] else ''}\t"
              f"{r['state_label']}")
    print(f"共 {len(rows)} 项交流")
    return 0


def run_change(args: argparse.Namespace) -> int:
    from db.exchanges import (
        cancel_exchange,
        end_exchange,
        exchange_list,
        extend_exchange,
    )
    from db.settings import active_profile

    store = open_store(args)
    today = dt.date.today()
    try:
        found = [r for r in exchange_list(store, today, year=args.year, teacher=args.teacher)
                 if r["state"] not in ("planned", "cancelled") and (not args.form or r["form"] == args.form)]
        if not found:
            raise CliError(f"没有找到教师“{args.teacher}”可修改的交流记录（已取消或仍在草案中的不能修改）")
        if len(found) > 1:
            listed = "；".join(f"{r['school_year']}学年 {r['form']} → {r['to_name']}" for r in found[:5])
            raise CliError(f"教师“{args.teacher}”有 {len(found)} 项交流（{listed}）：请用 --year 或 --form 指定")
        record = found[0]
        note = None
        if args.change == "cancel":
            cancel_exchange(store, record["id"], args.day or today, args.reason)
        elif args.change == "end":
            end_exchange(store, record["id"], args.day, args.reason)
        else:
            note = extend_exchange(store, record["id"], args.day, active_profile(store), args.reason)
        after = next(r for r in exchange_list(store, today, teacher=record["id_number"]) if r["id"] == record["id"])
    finally:
        store.dispose()
    if args.json:
        print_json({**_shown(after), "note": note})
        return 0
    verb = {"cancel": "已取消", "end": "已提前结束", "extend": "已延期"}[args.change]
    print(f"{verb}：{after['name']}（{after['id_number']}）{after['from_name']} → {after['to_name']} {after['form']}，"
          f"{after['start'] or ''} 至 {after['end_on'] or ''}，今天的状态：{after['state_label']}")
    if note:
        print(f"注意：{note}")
    return 0
