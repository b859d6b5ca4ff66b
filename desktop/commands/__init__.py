"""One module per ``edubridge`` subcommand; see ``desktop.cli``.

Every command module is imported for every ``edubridge`` run, ``--help`` included, so at
module level it imports only the standard library, this package,
``policy`` modules that themselves need only the standard library and the registries of
kinds (:mod:`db.importers`, :mod:`reports.exporters`, equally light); what its ``run()``
needs from ``db`` and ``reports`` (SQLAlchemy, openpyxl, reportlab, the solver) is imported
inside ``run()``. This package keeps the same rule; tests/desktop/test_cli_startup.py
checks it.

Shared here: opening the store (:func:`open_store`), checking an output file before any
work (:func:`output_file`), argparse types for school years and whole numbers, and JSON
output (:func:`print_json`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy.errors import UserError

if TYPE_CHECKING:
    from db.store import Store


class CliError(UserError):
    """An expected failure of a command (bad argument, unusable output path); shown as is."""

#: School years the commands accept (start years). Sanity bounds against typos such as
#: 1850 or 20255, not a policy figure.
FIRST_YEAR, LAST_YEAR = 2000, 2100

_YEAR = re.compile(r"^\s*(\d{4})\s*(?:[-—–~至到/]\s*(\d{4}))?\s*(?:学年)?\s*$")


def open_store(args: argparse.Namespace, create: bool = False) -> Store:
    """The store named by ``--db`` (or the default one), migrated.

    Commands that only read keep ``create=False``: a mistyped ``--db`` path is refused
    instead of quietly becoming a new, empty database. Commands that load data (demo,
    import) pass ``create=True``. The default database (no ``--db``) is always creatable.
    """
    from db.backup import automatic_backup, holds_data
    from db.store import Store, local_actor

    existed = holds_data(args.db)
    store = Store.open(args.db, actor=local_actor(), create=create)
    try:
        sign_in(store, getattr(args, "user", None))
        warn_if_audit_broken(store)
    except BaseException:
        store.dispose()
        raise
    if existed:  # a daily backup of a file that held data before this run, never of a new one
        automatic_backup(store.engine.url, daily=True)
    return store


def sign_in(store: Store, username: str | None) -> None:
    """Work as ``--user`` (password from EDUBRIDGE_PASSWORD or a terminal prompt).

    A database without any user stays in set-up mode (the local administrator) and needs
    no ``--user``; once a user exists, a command without ``--user`` is refused.

    Raises:
        CliError: no ``--user`` where one is needed, or no password available.
        db.users.SignInError: wrong name or password, locked account.
    """
    import getpass
    import os

    if username is None:
        if store.has_users():
            raise CliError("该数据库已设置用户，请用 --user 用户名 登录（密码取自环境变量 EDUBRIDGE_PASSWORD 或终端提示）")
        return
    password = os.environ.get("EDUBRIDGE_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise CliError(f"需要用户“{username}”的密码：请设置环境变量 EDUBRIDGE_PASSWORD，或在终端中运行以输入密码")
        password = getpass.getpass(f"用户 {username} 的密码：")
    from db.users import sign_in as check

    check(store, username, password)


def warn_if_audit_broken(store: Store) -> None:
    """One line on stderr when the audit chain appended since this computer's last check
    (or, the first time, its end) does not verify; see :func:`db.audit.startup_check`."""
    from db.audit import ANCHORS_FILE, startup_check
    from db.engine import default_database_path

    verdict = startup_check(store.engine, default_database_path().with_name(ANCHORS_FILE), store.location)
    if not verdict.ok:
        print(f"edubridge: 警告：{verdict.message()}；请运行 edubridge audit verify 并报告管理员", file=sys.stderr)


def sqlite_database(args: argparse.Namespace, action: str, must_exist: bool = True) -> Path:
    """The SQLite file ``--db`` names, for backup and restore; PostgreSQL is refused with a pg_dump hint.

    Raises:
        db.backup.BackupError: a server database, or (``must_exist``) a missing file.
    """
    from db.backup import PG_DUMP_HINT, BackupError
    from db.engine import database_url, sqlite_file

    url = database_url(args.db, create=not must_exist)
    path = sqlite_file(url)
    if path is None:
        raise BackupError(f"只能{action} SQLite 数据文件；{PG_DUMP_HINT}")
    return path


def output_file(path: str | Path, suffix: str) -> Path:
    """``path`` checked before any work is done: right suffix, existing folder, not a folder.

    Raises:
        CliError: with one Chinese line naming the path.
    """
    path = Path(path).expanduser()
    if path.suffix.lower() != suffix:
        raise CliError(f"输出文件应以 {suffix} 结尾：{path}")
    if not path.parent.is_dir():
        raise CliError(f"输出文件夹不存在：{path.parent}")
    if path.is_dir():
        raise CliError(f"输出路径是一个文件夹：{path}")
    return path


def school_year(text: str) -> int:
    """argparse ``type=`` for ``--year``: a school year's start year, 2025 or "2025-2026" or "2025—2026学年"."""
    match = _YEAR.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"学年应写起始年份，如 2025（表示 2025—2026学年）：{text}")
    year = int(match.group(1))
    if match.group(2) is not None and int(match.group(2)) != year + 1:
        raise argparse.ArgumentTypeError(f"学年应为相邻两年，如 2025-2026：{text}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"学年 {year} 超出范围（应在 {FIRST_YEAR}—{LAST_YEAR} 之间）")
    return year


def iso_date(text: str) -> dt.date:
    """argparse ``type=`` for a day written 2026-09-01, with a Chinese message."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写作 2026-09-01：{text}") from None


def integer(text: str) -> int:
    """argparse ``type=`` for whole numbers, with a Chinese message."""
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数：{text}") from None


def print_json(data: Any) -> None:
    """Machine-readable output on stdout, UTF-8, Chinese unescaped."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
