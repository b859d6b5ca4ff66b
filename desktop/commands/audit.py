"""``edubridge audit verify [--json]``: check the hash chain of the audit log."""

from __future__ import annotations

import argparse

from desktop.commands import open_store, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="审计日志：核对哈希链")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="逐条核对审计日志，指出第一条被改动的记录")
    verify.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the chain holds, 1 when it is broken (the entry is named)."""
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
