"""``edubridge clusters propose``: groupings of the county's schools that keep every cluster
rule of the profile, found by OR-Tools CP-SAT with the gap reported (policy.cluster_forming)."""

from __future__ import annotations

import argparse
import datetime as dt

from desktop.commands import CliError, iso_date, open_store, print_json


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为数字：{text}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"不能为负数：{text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("clusters", help="集团(学区)组建：按规则求解建议的分组")
    sub = parser.add_subparsers(dest="clusters_command", metavar="propose|accept", required=True)
    propose = sub.add_parser("propose", help="建议的分组（满足全部集团规则，牵头校距离最短、规模均衡、少改动）")
    propose.add_argument("--json", action="store_true", help="以 JSON 输出")
    propose.add_argument("--on", type=iso_date, help="按哪一天的集团成员比较（默认今天）")
    propose.add_argument("--keep", type=_number, default=20.0,
                         help="保留现有隶属关系的权重：每改动一所学校相当于多少公里（默认 20）")
    propose.add_argument("--balance", type=_number, default=1.0,
                         help="规模均衡的权重：集团间学生数每差 100 人相当于多少公里（默认 1）")
    propose.add_argument("--time-limit", type=_number, default=60.0, help="求解时间上限（秒，默认 60）")
    propose.add_argument("--nearest", type=int, help="每所学校只考虑最近的 N 所候选牵头校（缩小模型，结果中注明）")
    propose.set_defaults(run=run)
    accept = sub.add_parser("accept", help="按建议调整集团成员（全部或逐校），按日期记录隶属关系")
    accept.add_argument("proposal", metavar="建议.json", help="clusters propose --json 输出的文件")
    accept.add_argument("--on", type=iso_date, required=True, help="调整生效日期，如 2027-09-01")
    accept.add_argument("--school", action="append", metavar="学校代码", help="只调整这些学校（可重复；默认全部）")
    accept.add_argument("--json", action="store_true", help="以 JSON 输出")
    accept.set_defaults(run=run_accept)


def run(args: argparse.Namespace) -> int:
    from db.cluster_forming import check_proposal, follow_ups, forming_schools
    from db.settings import active_profile
    from policy.cluster_forming import propose

    if args.nearest is not None and args.nearest < 1:
        raise CliError("--nearest 应为正整数")
    on = args.on or dt.date.today()
    store = open_store(args)
    try:
        profile = active_profile(store)
        schools = forming_schools(store, on)
        proposal = propose(schools, profile, keep=args.keep, balance=args.balance, time_limit=args.time_limit,
                           nearest=args.nearest)
        violations = check_proposal(store, profile, proposal, on) if proposal.clusters else []
        to_do = follow_ups(store, profile, proposal, on) if proposal.clusters else []
    finally:
        store.dispose()
    if args.json:
        print_json({**proposal.to_json(), "on": on.isoformat(), "violations": [v.as_json() for v in violations],
                    "follow_ups": [v.as_json() for v in to_do]})
        return 0
    names = {s.code: s.name for s in schools}
    gap = proposal.gap
    print(f"求解状态：{proposal.status_label}（OR-Tools CP-SAT"
          + (f"，差距 {gap:.2%}" if gap is not None else "") + f"，{proposal.seconds:.1f} 秒）")
    for cluster in proposal.clusters:
        print(f"{names[cluster.lead]}（{cluster.kind}，{len(cluster.members)} 所，{cluster.students} 人，"
              f"{cluster.today or '新组建'}）：" + "、".join(names[c] for c in cluster.members[1:]))
    print(f"改动隶属关系 {len(proposal.changes)} 所学校；未纳入集团 {len(proposal.outside)} 所")
    for line in proposal.notes:
        print(f"说明：{line}")
    for v in violations:
        print(f"不符合规则：{v.subject}：{v.detail}（{v.clause}）")
    if proposal.clusters and not violations:
        print("按现行政策方案检查：建议的分组符合全部集团组建规则")
    for v in to_do:
        print(f"采纳后尚需办理：{v.detail}（{v.clause}）")
    return 0


def run_accept(args: argparse.Namespace) -> int:
    """Carry out a saved proposal, whole or school by school."""
    import json
    from pathlib import Path

    from db.cluster_forming import accept

    path = Path(args.proposal)
    try:
        proposal = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"找不到文件：{path}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"{path} 不是 clusters propose --json 输出的文件：{exc}") from None
    if not isinstance(proposal, dict) or "changes" not in proposal:
        raise CliError(f"{path} 不是 clusters propose --json 输出的文件（没有 changes）")
    store = open_store(args)
    try:
        done = accept(store, proposal, args.on, args.school)
    finally:
        store.dispose()
    if args.json:
        print_json({"on": args.on.isoformat(), "edits": done})
    else:
        for line in done:
            print(line)
        print(f"已完成 {len(done)} 项调整（{args.on.isoformat()} 起）")
    return 0
