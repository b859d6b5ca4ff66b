"""``edubridge plan --year Y [--json] [--save | --approve]``: the year's exchange plan, found by a
solver; ``--approve`` approves the saved draft and carries it out (db.exchange_plans.approve_plan).

Scenarios (issue 18, db.scenarios): ``--scenario NAME [--set KEY=VALUE …] [--pin ID=CODE …]``
plans with the scenario's settings and pins (``--save`` keeps it among the year's scenarios,
``--approve`` approves the year's plan from it); ``plan compare --year Y [--json] [-o F.pdf]
[--rerun]`` puts the year's scenarios side by side (``--rerun``: planned again first)."""

from __future__ import annotations

import argparse

from desktop.commands import CliError, open_store, print_json, school_year


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="生成某学年的教师交流轮岗计划（求解最优方案）")
    parser.add_argument("--year", type=school_year, help="学年（起始年份，如 2025 表示 2025—2026学年；必填）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--save", action="store_true", help="保存为该学年的计划草案（替换原草案）")
    action.add_argument("--approve", action="store_true",
                        help="批准该学年已保存的草案并按日期执行（名册在草案保存后有变动时拒绝）")
    parser.add_argument("--scenario", metavar="NAME",
                        help="按方案计算：该方案的设置与指定（--save 保存为该学年的一个方案，--approve 按该方案批准）")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                        help="方案的政策指标设置，如 exchange.min_share=0.15、exchange.max_distance_km=40"
                             "（off 关闭该规则；可重复；与已保存的设置合并）")
    parser.add_argument("--pin", action="append", default=[], metavar="身份证号=学校代码",
                        help="方案中指定某教师交流到某校（=stay 指定留任；=  取消指定；可重复）")
    parser.add_argument("--delete", action="store_true", help="删除 --scenario 指定的方案草案")
    parser.set_defaults(run=run)
    sub = parser.add_subparsers(dest="plan_command", metavar="compare")
    compare = sub.add_parser("compare", help="并列比较某学年的各个方案")
    # SUPPRESS: `plan --year Y compare` keeps the year given before the word, too
    compare.add_argument("--year", type=school_year, default=argparse.SUPPRESS, help="学年（起始年份；必填）")
    compare.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="以 JSON 输出")
    compare.add_argument("--scenario", action="append", default=[], metavar="NAME", dest="names",
                         help="只比较这些方案（可重复；默认该学年全部方案）")
    compare.add_argument("-o", "--output", metavar="FILE.pdf", help="输出可打印的比较表（PDF）")
    compare.add_argument("--rerun", action="store_true",
                         help="先按各方案保存的设置与指定重新计算并保存（名册、学科需求变动后；只读一次名册）")
    compare.set_defaults(run=run_compare)


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
    if args.year is None:
        raise CliError("请用 --year 指定学年，如 --year 2027")
    if args.scenario is not None:
        return run_scenario(args)
    if args.settings or args.pin or args.delete:
        raise CliError("--set、--pin 与 --delete 须与 --scenario 方案名称一起使用")
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


def run_scenario(args: argparse.Namespace) -> int:
    """Plan one scenario of the year; ``--save`` keeps it, ``--approve`` approves from it."""
    from db.scenarios import (
        ScenarioError,
        approve_scenario,
        delete_scenario,
        find,
        run_scenario,
        save_scenario,
    )
    from db.settings import active_profile
    from policy.scenarios import apply_pins, apply_settings, parse_setting

    year, name = args.year, args.scenario
    store = open_store(args, create=args.save)
    try:
        if args.delete:
            delete_scenario(store, year, name)
            print(f"已删除方案“{name}”")
            return 0
        profile = active_profile(store)
        if args.approve:
            if args.settings or args.pin:
                raise CliError("批准时不能再改设置：先用 --save 保存方案并比较，再 --approve")
            count = approve_scenario(store, profile, year, name)
            if args.json:
                print_json({"school_year": year, "scenario": name, "approved": True, "exchanges": count})
            else:
                print(f"已按方案“{name}”批准{year}—{year + 1}学年交流计划（{count} 人），其余方案已冻结")
            return 0
        try:
            saved = find(store, year, name)
            settings, pins = dict(saved.settings), dict(saved.pins)
        except ScenarioError:
            settings, pins = {}, {}
        for text in args.settings:
            key, value = parse_setting(text)
            if value == "":
                settings.pop(key, None)
            else:
                settings[key] = value
        pins = apply_pins(args.pin, pins)
        apply_settings(profile, settings)  # a bad figure is refused before any planning
        plan, result = run_scenario(store, profile, year, settings, pins)
        if args.save:
            save_scenario(store, profile, year, name, settings, pins, result)
    finally:
        store.dispose()
    if args.json:
        print_json({"school_year": year, "scenario": name, "settings": settings, "pins": pins, "saved": args.save,
                    **{k: v for k, v in result.items() if k != "roster"}})
        return 0
    from policy.scenarios import FIGURES, figure_text

    figures = result["figures"]
    print(f"方案“{name}”（{year}—{year + 1}学年）"
          + (f"设置：{'，'.join(f'{k}={v}' for k, v in settings.items())}" if settings else "：按政策方案原值")
          + (f"；指定 {len(pins)} 人" if pins else ""))
    for key, label, unit in FIGURES:
        print(f"  {label}：{figure_text(key, figures.get(key))}{'' if unit == '%' else ' ' + unit}")
    for line in result["unmet"]:
        print(f"  未满足：{line}")
    print(f"  {'最优解' if result['optimal'] else '未证明最优'}（{result['solver']}，{result['seconds']:.2f} 秒）"
          + ("；已保存" if args.save else "；未保存（加 --save 保存为方案）"))
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """``plan compare``: the year's scenarios side by side (JSON, text or a PDF)."""
    from desktop.commands import output_file

    if args.year is None:
        raise CliError("请用 --year 指定学年，如 plan compare --year 2027")
    output = output_file(args.output, ".pdf") if args.output else None
    from db.scenarios import comparison, flows_map, rerun_scenarios

    store = open_store(args)
    try:
        if args.rerun:
            from db.settings import active_profile

            rerun = rerun_scenarios(store, active_profile(store), args.year, args.names or None)
            if not args.json:
                print(f"已重新计算并保存 {len(rerun)} 个方案：{'、'.join(rerun) or '无（没有方案草案）'}")
        data = comparison(store, args.year, args.names or None)
        if not data["scenarios"]:
            raise CliError(f"{args.year}—{args.year + 1}学年还没有保存的方案"
                           f"（edubridge plan --year {args.year} --scenario 名称 --save）")
        county_map = None
        if output is not None:  # the printout's map: the reference scenario's moves
            from reports.scenario_comparison import reference

            county_map = flows_map(store, args.year, str(reference(data)))
    finally:
        store.dispose()
    if output is not None:
        from reports.scenario_comparison import write_comparison

        write_comparison(data, output, county_map=county_map)
    if args.json:
        print_json(data)
        return 0
    names = [s["name"] for s in data["scenarios"]]
    print("指标\t" + "\t".join(f"{n}（{s['status_label']}）" for n, s in zip(names, data["scenarios"])))
    for row in data["figures"]:
        print(f"{row['label']}\t" + "\t".join(row["texts"]))
    for pair in data["differences"]:
        print(f"“{pair['a']}”与“{pair['b']}”结果不同的教师：{pair['count']} 人")
    if output is not None:
        print(f"已输出比较表：{output}")
    return 0
