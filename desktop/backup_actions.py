"""The 文件 menu's 备份数据… and 从备份恢复… (SQLite stores; PostgreSQL is told to use pg_dump).

The copy and the checks run off the GUI thread (desktop.worker); a restore closes the
store's connections first, and the window closes afterwards so that nothing shown comes
from the replaced file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from db.backup import PG_DUMP_HINT, backup_folder, copy_database, restore
from db.engine import sqlite_file
from desktop import messages
from desktop.context import AppContext

FILTER = "EduBridge 数据文件 (*.db)"


def add_backup_actions(menu: QMenu, window: QMainWindow, context: AppContext) -> list[QAction]:
    """Append 备份数据… and 从备份恢复… to ``menu``; returns the two actions."""
    backup_action = QAction("备份数据(&B)…", window)
    backup_action.triggered.connect(lambda: back_up(window, context))
    restore_action = QAction("从备份恢复(&R)…", window)
    restore_action.triggered.connect(lambda: restore_from(window, context))
    menu.addAction(backup_action)
    menu.addAction(restore_action)
    menu.addSeparator()
    return [backup_action, restore_action]


def _database(window: QMainWindow, context: AppContext, action: str) -> Path | None:
    database = sqlite_file(context.store.engine.url)
    if database is None:
        messages.info(window, action, f"当前数据保存在数据库服务器上。{PG_DUMP_HINT}。")
    return database


def back_up(window: QMainWindow, context: AppContext) -> None:
    """Ask where, then copy the data file there through SQLite's backup API."""
    database = _database(window, context, "备份数据")
    if database is None:
        return
    backup_folder(database).mkdir(exist_ok=True)
    suggested = backup_folder(database) / f"{database.stem}-{dt.datetime.now():%Y%m%d-%H%M}-手动.db"
    target = messages.save_file(window, "备份数据到", FILTER, str(suggested))
    if target is None:
        return
    _run(window, "备份数据", lambda progress: copy_database(database, target, progress),
         lambda _: f"已备份到 {target}")


def restore_from(window: QMainWindow, context: AppContext) -> None:
    """Ask for a backup, confirm, check it and replace the data file; the window then closes."""
    from db.migrate import known_revisions

    database = _database(window, context, "从备份恢复")
    if database is None:
        return
    source = messages.open_file(window, "选择备份文件", FILTER, str(backup_folder(database)))
    if source is None:
        return
    if not messages.ask(window, "从备份恢复",
                        f"用 {source.name} 替换当前数据文件？\n当前文件会保留在 backups 文件夹中；恢复后程序将关闭，请重新打开。"):
        return
    context.store.dispose()  # this process lets go of the file before it is swapped
    done = _run(window, "从备份恢复", lambda progress: restore(source, database, known_revisions(), progress),
                lambda kept: f"已从 {source.name} 恢复。原数据文件保留为：{kept}。程序将关闭，请重新打开。")
    if done:
        window.close()


def _run(window: QMainWindow, title: str, work: Any, success: Any) -> bool:
    """``work(progress)`` in the background behind a modal progress dialog whose 取消 stops it
    (the copy is then discarded, the data file untouched), waited for; its result told by
    ``success(result)``, its error shown. True when it finished."""
    ok, result = run_waiting(window, title, work)
    if ok:
        messages.info(window, title, success(result))
    return ok


def run_waiting(window: QWidget, title: str, work: Any) -> tuple[bool, Any]:
    """``work(progress)`` off the GUI thread behind a modal progress dialog, waited for:
    (True, result), or (False, None) with the error or the cancel shown."""
    from desktop.progress_dialog import attach
    from desktop.worker import run_in_background

    job = run_in_background(work)
    attach(job, window, title, f"正在{title}…", modal=True)
    outcome: dict[str, Any] = {}
    job.finished.connect(lambda result: outcome.setdefault("ok", result))
    job.failed.connect(lambda message: outcome.setdefault("error", message))
    job.cancelled.connect(lambda: outcome.setdefault("cancelled", True))
    job.wait()
    if "error" in outcome:
        messages.error(window, title, outcome["error"])
        return False, None
    if "cancelled" in outcome:
        messages.info(window, title, f"已取消{title}，数据文件未作任何改动。")
        return False, None
    return True, outcome.get("ok")
