"""``edubridge backup [-o FILE]``: a consistent copy of the SQLite data file.

Without ``-o`` the copy goes to the ``backups`` folder beside the data file, where the
automatic backups rotate (the newest ``EDUBRIDGE_BACKUP_KEEP``, default 10, are kept).
The file is checked with ``PRAGMA quick_check`` first: a damaged database is not copied
over good backups. PostgreSQL: the message points to ``pg_dump``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("backup", help="备份数据库文件（SQLite）")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="备份写到这个文件（默认：数据文件旁的 backups 文件夹，自动轮换）")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from db.backup import backup_now, copy_database
    from db.migrate import translated_faults
    from desktop.commands import sqlite_database

    database = sqlite_database(args, "备份")
    with translated_faults(database):
        _check(database)
        if args.output is None:
            target = backup_now(database)
        else:
            target = _output(args.output, database)
            copy_database(database, target)
    print(f"已备份到 {target}")
    return 0


def _check(database: Path) -> None:
    """Refuse a damaged file before copying it (quick_check through a fresh engine)."""
    from db.engine import make_engine
    from db.migrate import quick_check

    engine = make_engine(f"sqlite:///{database}")
    try:
        quick_check(engine, reuse=False)
    finally:
        engine.dispose()


def _output(path: Path, database: Path) -> Path:
    from desktop.commands import CliError

    path = path.expanduser()
    if path.is_dir():
        raise CliError(f"输出路径是一个文件夹，请给出文件名：{path}")
    if not path.parent.is_dir():
        raise CliError(f"输出文件夹不存在：{path.parent}")
    if path.resolve() == database.resolve():
        raise CliError(f"备份文件不能是数据库本身：{path}")
    return path
