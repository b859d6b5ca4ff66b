"""The ``edubridge`` command: the GUI without a subcommand, headless work with one.

Each subcommand lives in its own module under ``desktop.commands`` with two functions,
``register(subparsers)`` and ``run(args) -> int``. Expected failures (bad input, a store
that cannot be opened) print one clear line on stderr and exit with status 2 — never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from policy.version import __version__

# Module names under desktop.commands, in the order ``--help`` lists them.
COMMANDS = (
    "demo",
    "stats",
    "eligibility",
    "plan",
    "quota",
    "template",
    "import_",
    "export",
    "check",
    "selftest",
    "report",
)

EXIT_USAGE = 2


class CliError(Exception):
    """An expected failure of a command; its message is shown as is."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edubridge",
        description="EduBridge 城乡教共体管理。不带子命令时打开图形界面。",
    )
    parser.add_argument("--db", metavar="PATH|URL", help="数据库文件路径或 SQLAlchemy 地址（默认：用户数据文件夹）")
    parser.add_argument("--version", action="version", version=f"EduBridge {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"desktop.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    from db.engine import StoreError
    from policy.errors import PolicyError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from desktop.app import run_gui

            return run_gui(args.db)
        return int(args.run(args) or 0)
    except (CliError, StoreError, PolicyError, FileNotFoundError, PermissionError) as exc:
        print(f"edubridge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
