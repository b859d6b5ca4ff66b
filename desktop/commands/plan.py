"""``edubridge plan --year Y [--json] [--save | --approve]``: the year's exchange plan, found by a
solver; ``--approve`` approves the saved draft and carries it out (db.exchange_plans.approve_plan)."""

from __future__ import annotations

import argparse

from desktop.commands import open_store, print_json, school_year


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="生成某学年的教师交流轮岗计划（求解最优方案）")
    parser.add_argument("--year", type=school_year, required=True, help="学年（起始年份，如 2025 表示 2025—2026学年）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--save", action="store_true", help="保存为该学年的计划草案（替换原草案）")
    action.add_argument("--approve", action="store_true",
                        help="批准该学年已保存的草案并按日期执行（名册在草案保存后有变动时拒绝）")
    parser.set_defaults(run=run)


def approve(args: argparse.Namespace) -> int:
    from db.exchange_plans import approve_saved

    store = open_store(args)
    try:
        count = approve_saved(store, args.year)
    finally:
        store.dispose()
    if args.json:
        print_json({"school_year": args.year, "approved": True, "exchanges": count})
    else:
        print(f"{args.year}—{args.year + 1}学年交流计划已批准（{count} 人），任职记录已按交流日期更新")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.approve:
        return approve(args)
    from db.exchange_plans import make_plan, save_plan
    from db.school_queries import names_by_code
    from db.settings import active_profile

    store = open_store(args, create=args.save)  # only --save writes
    try:
        profile = active_profile(store)
        plan = make_plan(store, profile, args.year)
        if args.save:
            save_plan(store, plan, profile)
        names = {} if args.json else names_by_code(store)
    finally:
        store.dispose()
    if args.json:
        print_json(plan.to_json())
        return 0
    from policy.directions import LABELS
    from policy.plan_outcomes import UNPLACED, explain

    for move in plan.moves:
        source, target = names.get(move.from_school, move.from_school), names.get(move.to_school, move.to_school)
        print(f"{move.entry.teacher.id_number}\t{move.entry.teacher.name}\t{source} → {target}\t"
              f"{move.form}\t{'骨干' if move.backbone else ''}\t{'调动人事关系' if move.moves_personnel else ''}\t"
              f"{LABELS.get(move.direction, '')}")
    for outcome in explain(plan):
        if outcome.outcome == UNPLACED:
            entry = outcome.entry
            print(f"须交流未安排：{entry.teacher.id_number}\t{entry.teacher.name}\t"
                  f"{names.get(entry.school, entry.school)}\t{entry.teacher.subject or ''}\t{outcome.reason}")
    print(f"交流 {len(plan.moves)} 人（应不少于 {plan.required_moves}），其中骨干 {plan.backbone_moves} 人"
          f"（应不少于 {plan.required_backbone}）；符合条件 {plan.base} 人；"
          f"{'最优解' if plan.optimal else '未证明最优'}（{plan.solver}，{plan.seconds:.2f} 秒）")
    for line in plan.unmet:
        print(f"未满足：{line}")
    if args.save:
        print("已保存为计划草案")
    return 0
