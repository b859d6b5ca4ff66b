"""``edubridge package export|import|conflicts|resolve|keys|trust``: data packages (issue 13)."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.commands import integer, open_store, output_file, print_json

SUFFIX = ".ebpkg"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("package", help="数据包：笔记本与教育局之间交换数据（导出、导入、冲突处理、密钥）")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="写出自上一个数据包以来的变化（发往已登记的对方）")
    export.add_argument("-o", "--output", required=True, metavar="FILE.ebpkg", help="数据包文件")
    export.add_argument("--since", type=integer, metavar="N",
                        help="从发往对方的第 N 号数据包之后开始（重发；0 表示全部），默认从上一个开始")
    export.add_argument("--school", metavar="CODE", help="只含该校的记录；教育局用它选择该校的笔记本")
    export.add_argument("--to", metavar="ID|NAME", help="接收方（登记了多个时）")
    export.add_argument("--setup", action="store_true",
                        help="为 --school 学校的新笔记本制作初始化数据包（全县学校、集团，该校教师与活动，双方密钥）")
    export.add_argument("--name", metavar="TEXT", help="新笔记本的名称（--setup）")
    export.add_argument("--json", action="store_true", help="以 JSON 输出")
    apply = actions.add_parser("import", help="导入数据包；损坏、被改动、来源未登记或顺序不对时整个拒绝")
    apply.add_argument("file", metavar="FILE.ebpkg", help="数据包文件")
    apply.add_argument("--json", action="store_true", help="以 JSON 输出（含冲突，逐字段）")
    listing = actions.add_parser("conflicts", help="列出两边都改过、等待选择的记录")
    listing.add_argument("--json", action="store_true", help="以 JSON 输出")
    resolve = actions.add_parser("resolve", help="处理一条冲突：保留本机版本或采用对方版本")
    resolve.add_argument("id", type=integer, metavar="ID", help="冲突编号（package conflicts 列出）")
    resolve.add_argument("--keep", required=True, choices=("mine", "theirs"), help="mine 保留本机 / theirs 采用对方")
    keys = actions.add_parser("keys", help="本机的数据库编号与公钥（--export 写出密钥文件交给对方登记）")
    keys.add_argument("--export", metavar="FILE.json", help="写出本机的密钥文件（不含私钥）")
    keys.add_argument("--name", metavar="TEXT", help="首次使用时本机的名称，如“某某县教育局”")
    keys.add_argument("--json", action="store_true", help="以 JSON 输出")
    trust = actions.add_parser("trust", help="登记对方的密钥文件，此后接受其数据包")
    trust.add_argument("card", metavar="FILE.json", help="对方 package keys --export 写出的密钥文件")
    trust.add_argument("--school", metavar="CODE", help="对方是某校的笔记本：其数据包只能含该校的记录")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    store = open_store(args, create=args.action == "import")  # a new laptop's first package makes its file
    try:
        return _ACTIONS[args.action](store, args)
    finally:
        store.dispose()


def _export(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from desktop.commands import CliError

    path = output_file(args.output, SUFFIX)
    if args.setup:
        from db.packages.outgoing import export_setup

        if not args.school:
            raise CliError("制作初始化数据包须用 --school 指明新笔记本所属的学校")
        written = export_setup(store, path, args.school, args.name)
    else:
        from db.packages.outgoing import export

        written = export(store, path, to=args.to, since=args.since, school=args.school)
    print_json(written.as_json()) if args.json else print(written.message())
    return 0


def _import(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from db.packages.incoming import apply

    done = apply(store, Path(args.file))
    if args.json:
        print_json(done.as_json())
        return 0
    print(done.message())
    for conflict in done.conflicts:
        _print_conflict(conflict)
    return 0


def _print_conflict(conflict: dict) -> None:
    print(f"  冲突 {conflict['id']}：{conflict['summary']}（{conflict['record_id']}）")
    for field in conflict["fields"]:
        print(f"    {field['label']}：本机 {field['mine']!s} ｜ 对方 {field['theirs']!s}")


def _conflicts(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from db.packages.conflicts import open_conflicts

    found = open_conflicts(store)
    if args.json:
        print_json(found)
        return 0
    if not found:
        print("没有待处理的冲突")
    for conflict in found:
        _print_conflict(conflict)
    return 0


def _resolve(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from db.packages.conflicts import resolve

    print(resolve(store, args.id, args.keep))
    return 0


def _keys(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    import json

    from db.packages.keys import key_card

    card = key_card(store, args.name)
    if args.export:
        target = output_file(args.export, ".json")
        target.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print_json(card)
    else:
        print(f"本机：{card['name']}\n编号：{card['id']}\n公钥指纹：{card['fingerprint']}")
        if args.export:
            print(f"密钥文件已写出：{args.export}（交给对方用 package trust 登记；请电话核对指纹）")
    return 0


def _trust(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from db.packages.keys import trust

    peer = trust(store, args.card, school_code=args.school)
    print(f"已登记“{peer.name}”（{peer.id}），公钥指纹 {peer.fingerprint}；此后接受其数据包")
    return 0


_ACTIONS = {"export": _export, "import": _import, "conflicts": _conflicts, "resolve": _resolve, "keys": _keys,
            "trust": _trust}
