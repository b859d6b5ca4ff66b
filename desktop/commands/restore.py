"""``edubridge restore FILE``: replace the SQLite data file with a checked backup.

The backup must be an EduBridge database that passes ``PRAGMA integrity_check`` and is not
newer than this program; the replaced file is kept in ``backups/`` (its name is printed).
Refused while another program has the database open. PostgreSQL: use ``pg_restore``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("restore", help="用备份文件恢复数据库（SQLite），原文件保留")
    parser.add_argument("file", type=Path, help="备份文件（.db）")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from db.backup import restore
    from db.migrate import known_revisions, translated_faults
    from desktop.commands import sqlite_database

    database = sqlite_database(args, "恢复", must_exist=False)
    with translated_faults(database):
        kept = restore(args.file.expanduser(), database, known_revisions())
    print(f"已用 {args.file} 恢复数据库 {database}")
    if kept is not None:
        print(f"原数据库文件保留在 {kept}")
    return 0
