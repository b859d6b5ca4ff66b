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
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from desktop import startup_probe  # noqa: F401 (first: it notes the start time)
from policy.version import __version__

# Module names under desktop.commands, in the order ``--help`` lists them.
COMMANDS = (
    "demo",
    "stats",
    "eligibility",
    "plan",
    "exchange",
    "quota",
    "template",
    "import_",
    "export",
    "check",
    "clusters",
    "map",
    "selftest",
    "report",
    "user",
    "audit",
    "backup",
    "restore",
    "package",
)

EXIT_USAGE = 2
#: What a shell reports for a process killed by SIGPIPE (128 + 13): ``edubridge stats | head``.
EXIT_BROKEN_PIPE = 141


class _State:
    """What main() must know about how _main() ended."""

    out_of_memory = False


def build_parser() -> argparse.ArgumentParser:
    from desktop import cli_text

    cli_text.install()  # before the first parser: argparse translates "-h" and group titles at construction
    parser = cli_text.ArgumentParser(
        prog="edubridge",
        description="EduBridge 城乡教共体管理。不带子命令时打开图形界面。",
    )
    parser.add_argument("--db", metavar="PATH|URL", help="数据库文件路径或 SQLAlchemy 地址（默认：用户数据文件夹）")
    parser.add_argument("--user", metavar="NAME",
                        help="以该用户登录（密码取自环境变量 EDUBRIDGE_PASSWORD，或在终端提示输入）；数据库尚无用户时不需要")
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
        status = _main(argv)
        if _State.out_of_memory:
            # Said in one line; an ordinary shutdown would now fail again in finalizers and
            # print English noise. The transaction has rolled back; SQLite's WAL is crash-safe.
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(status)
        return status
    except SystemExit:
        # argparse's --help and usage errors exit here with their text still buffered: flush
        # it now, so a closed pipe is met inside main and not in the interpreter's last flush.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        raise
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
    # After parsing: ``--help`` and usage errors need neither (db.faults loads SQLAlchemy).
    from db import faults
    from policy.errors import UserError

    try:
        if args.command is None:
            from desktop.app import run_gui

            return run_gui(args.db, args.user)
        database = _sqlite_file(args.db)
        faults.set_database(database)
        with faults.waiting_notice(database, lambda line: print(f"edubridge: {line}", file=sys.stderr)):
            status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside main, not at interpreter exit
        return status
    except UserError as exc:
        return _fail(_with_restore_hint(exc))
    except OSError as exc:
        message = _os_error_message(exc) or faults.describe(exc)
        if message is None:
            raise
        output = getattr(args, "file", None) or getattr(args, "output", None)
        if exc.filename is None and output is not None and "：" not in message:
            message = f"{message}：{output}"  # a write that failed without naming its file
        return _fail(message)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # driver faults: locked, disk full, read-only, corrupt, out of memory
        message = faults.describe(exc)
        if message is None:
            raise
        _State.out_of_memory = faults.is_out_of_memory(exc)
        return _fail(message)


def _sqlite_file(target: str | None) -> str | None:
    """The SQLite file ``--db`` names, for fault messages; None for a server or a bad path."""
    from db.engine import StoreError, database_url, sqlite_file

    try:
        path = sqlite_file(database_url(target, create=True))
    except StoreError:
        return None
    return str(path) if path is not None else None


def _with_restore_hint(exc: Exception) -> str:
    """A corrupt file's message, plus the restore command for its newest good backup."""
    from db.migrate import DatabaseCorrupt

    if not isinstance(exc, DatabaseCorrupt):
        return str(exc)
    from db.backup import backup_folder, newest_good_backup
    from db.migrate import known_revisions

    good = newest_good_backup(exc.database, known_revisions())
    if good is None:
        return f"{exc}；{backup_folder(exc.database)} 中没有完好的自动备份"
    return f"{exc}；恢复最近的完好备份：edubridge --db {exc.database} restore {good}"


def _fail(message: str) -> int:
    print(f"edubridge: {message}", file=sys.stderr)
    # The failure is told; objects dropped on the way out (an unfinished ZipFile on a full
    # disk) would print a second, English report of the same fault at interpreter exit.
    sys.unraisablehook = _ignore_unraisable
    return EXIT_USAGE


def _ignore_unraisable(_unraisable: object) -> None:
    """Say nothing more after the one line: see :func:`_fail`."""


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
    sys.exit(main())
