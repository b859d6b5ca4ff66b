"""``edubridge demo --scale county|city [--seed N]``: fill an empty store with demo data."""

from __future__ import annotations

import argparse
import time

from desktop.commands import integer, open_store

#: db.demo.SCALES with their names; kept here so ``--help`` need not import db.demo
#: (tests/desktop/test_cli_startup.py checks the two agree).
SCALE_LABELS = {"county": "青禾县", "city": "青岚市，8个县区"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="向空数据库写入演示数据（虚构的县或市）")
    parser.add_argument(
        "--scale",
        choices=tuple(SCALE_LABELS),
        default="county",
        help="规模：county 约120所学校、5000名教师；city 约1000所学校、5万名教师",
    )
    parser.add_argument(
        "--seed", type=integer, default=2026, help="随机种子（相同种子生成相同数据，默认 2026）"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from db.demo import build_demo

    store = open_store(args, create=True)
    try:
        started = time.perf_counter()
        counts = build_demo(store, args.scale, args.seed)
        seconds = time.perf_counter() - started
    finally:
        store.dispose()
    print(
        f"已生成演示数据（{SCALE_LABELS[args.scale]}，种子 {args.seed}）："
        f"学校 {counts['school']} 所，教师 {counts['teacher']} 人，任职记录 {counts['posting']} 条，"
        f"集团/教共体 {counts['cluster']} 个，交流轮岗 {counts['exchange']} 条，"
        f"帮扶活动 {counts['visit']} 次（{counts['visit_participant']} 人次），用时 {seconds:.1f} 秒"
    )
    return 0
