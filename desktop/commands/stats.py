"""``edubridge stats [--json]``: how many of each entity the store holds."""

from __future__ import annotations

import argparse

from desktop.commands import open_store, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("stats", help="统计各类记录的数量")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.set_defaults(run=run)


LABELS = {
    "regions": "县区", "schools": "学校", "teachers": "教师", "postings": "任职记录",
    "clusters": "集团/教共体", "memberships": "成员关系", "pairings": "结对", "exchanges": "交流轮岗",
    "visits": "帮扶活动", "visit_participants": "活动参与人次", "agreements": "协议",
    "evaluations": "评价", "users": "用户", "audit_entries": "审计记录",
}


def run(args: argparse.Namespace) -> int:
    from db.queries import entity_counts

    store = open_store(args)
    try:
        counts = entity_counts(store)
    finally:
        store.dispose()
    if args.json:
        print_json(counts)
    else:
        for key, value in counts.items():
            print(f"{LABELS.get(key, key)}\t{value}")
    return 0
