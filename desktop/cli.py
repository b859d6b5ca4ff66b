"""The ``edubridge`` command: the GUI without a subcommand, headless work with one.

Each subcommand lives in its own module under ``desktop.commands`` with two functions,
``register(subparsers)`` and ``run(args) -> int``. Expected failures (bad input, a store
that cannot be opened) print one clear line on stderr and exit with status 2 — never a
traceback.

Start-up: building the parser imports every command module, so each must be cheap to
import — its heavy imports (SQLAlchemy models, openpyxl, reportlab, the solver) live inside
``run()``; see ``desktop.commands``. Then ``--help`` and argument errors answer at once,
and a command pays only for what it uses.
"""

from __future__ import annotations

import argparse
import importlib
import os
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
#: What a shell reports for a process killed by SIGPIPE (128 + 13): ``edubridge stats | head``.
EXIT_BROKEN_PIPE = 141


class CliError(Exception):
    """An expected failure of a command; its message is shown as is."""


def build_parser() -> argparse.ArgumentParser:
    from desktop import cli_text

    cli_text.install()  # before the first parser: argparse translates "-h" and group titles at construction
    parser = cli_text.ArgumentParser(
        prog="edubridge",
        description="EduBridge 城乡教共体管理。不带子命令时打开图形界面。",
    )
    parser.add_argument("--db", metavar="PATH|URL", help="数据库文件路径或 SQLAlchemy 地址（默认：用户数据文件夹）")
    parser.add_argument("--version", action="version", version=f"EduBridge {__version__}",
                        help="显示程序版本号并退出")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"desktop.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (``edubridge stats | head``): stop quietly. Point stdout at
        # devnull so the interpreter's final flush does not complain again (Python docs,
        # "Note on SIGPIPE").
        _silence_stdout()
        return EXIT_BROKEN_PIPE


#: Data packages; the installers associate the extension with ``edubridge FILE``.
PACKAGE_SUFFIX = ".ebpkg"


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if len(given) == 1 and given[0].lower().endswith(PACKAGE_SUFFIX):
        # A data package opened from the file manager: the GUI on the default store, handed the file.
        from desktop.app import run_gui

        return run_gui(None, package=given[0])
    parser = build_parser()
    args = parser.parse_args(argv)
    # After parsing: ``--help`` and usage errors need neither (db.engine loads SQLAlchemy).
    from db.engine import StoreError
    from policy.errors import PolicyError

    try:
        if args.command is None:
            from desktop.app import run_gui

            return run_gui(args.db)
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside main, not at interpreter exit
        return status
    except (CliError, StoreError, PolicyError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        message = _os_error_message(exc)
        if message is None:
            raise
        return _fail(message)
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    print(f"edubridge: {message}", file=sys.stderr)
    return EXIT_USAGE


def _os_error_message(exc: OSError) -> str | None:
    """One Chinese line for the file-system failures a person can fix; None for the rest."""
    where = exc.filename if exc.filename is not None else ""
    if isinstance(exc, BrokenPipeError):
        return None
    if isinstance(exc, FileNotFoundError):
        return f"文件或文件夹不存在：{where}" if where else f"文件或文件夹不存在（{exc.strerror or exc}）"
    if isinstance(exc, PermissionError):
        return f"没有权限读写：{where}" if where else f"没有权限（{exc.strerror or exc}）"
    if isinstance(exc, IsADirectoryError):
        return f"这是一个文件夹，不是文件：{where}"
    if isinstance(exc, NotADirectoryError):
        return f"路径中有一段不是文件夹：{where}"
    return None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced by something without a file descriptor
        pass


if __name__ == "__main__":
    # ``python -m desktop.cli``: run the imported module, not this ``__main__`` copy, so the
    # CliError that commands raise (desktop.cli.CliError) is the class main() catches.
    from desktop.cli import main as _imported_main

    sys.exit(_imported_main())
