"""One module per ``edubridge`` subcommand; see ``desktop.cli``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from db.store import Store, local_actor


def open_store(args: argparse.Namespace) -> Store:
    """The store named by ``--db`` (or the default one), migrated."""
    return Store.open(args.db, actor=local_actor())


def print_json(data: Any) -> None:
    """Machine-readable output on stdout, UTF-8, Chinese unescaped."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
