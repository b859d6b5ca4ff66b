"""``edubridge user add|list|passwd``: accounts and passwords (issue 12)."""

from __future__ import annotations

import argparse
import os
import sys

from desktop.commands import open_store, print_json

ROLES = ("admin", "clerk", "principal", "evaluator")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="用户账户：新增、列出、修改密码")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="新增用户（新密码取自 EDUBRIDGE_NEW_PASSWORD 或终端提示）")
    add.add_argument("name", metavar="NAME", help="用户名")
    add.add_argument("--role", required=True, choices=ROLES,
                     help="角色：admin 管理员 / clerk 业务员 / principal 校长（本校）/ evaluator 评估人员（只读）")
    add.add_argument("--school", metavar="CODE", help="校长所在学校的代码")
    add.add_argument("--display-name", metavar="TEXT", help="显示名称（默认同用户名）")
    listing = actions.add_parser("list", help="列出用户")
    listing.add_argument("--json", action="store_true", help="以 JSON 输出")
    passwd = actions.add_parser("passwd", help="修改密码（自己的须输入原密码；管理员可重设他人的）")
    passwd.add_argument("name", metavar="NAME", help="用户名")
    parser.set_defaults(run=run)


def new_password(prompt: str) -> str:
    """The new password: EDUBRIDGE_NEW_PASSWORD, or typed twice on a terminal."""
    import getpass

    from desktop.commands import CliError

    password = os.environ.get("EDUBRIDGE_NEW_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise CliError("需要新密码：请设置环境变量 EDUBRIDGE_NEW_PASSWORD，或在终端中运行以输入密码")
    first = getpass.getpass(prompt)
    if getpass.getpass("再次输入：") != first:
        raise CliError("两次输入的密码不一致")
    return first


def run(args: argparse.Namespace) -> int:
    from db import users
    from db.guard import ROLE_NAMES

    store = open_store(args, create=args.action == "add")
    try:
        if args.action == "add":
            info = users.add_user(store, args.name, args.role, new_password(f"用户 {args.name} 的新密码："),
                                  args.school, args.display_name)
            where = f"，学校 {info.school_name}" if info.school_name else ""
            print(f"已新增用户 {info.username}（{ROLE_NAMES[info.role]}{where}）")
        elif args.action == "list":
            found = users.list_users(store)
            if args.json:
                print_json([u.as_json() for u in found])
            for u in [] if args.json else found:
                state = "已停用" if not u.active else "已锁定" if u.locked_until else "正常"
                print(f"{u.username}\t{ROLE_NAMES[u.role]}\t{u.school_name or ''}\t{state}")
        else:
            old = None
            if store.actor.username == args.name and not store.actor.setup:
                old = os.environ.get("EDUBRIDGE_PASSWORD")
            users.change_password(store, args.name, old, new_password(f"用户 {args.name} 的新密码："))
            print(f"已修改用户 {args.name} 的密码")
    finally:
        store.dispose()
    return 0
