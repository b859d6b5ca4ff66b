"""Starting the GUI: ``edubridge [--db PATH|URL]`` without a subcommand."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from db.engine import StoreError
from db.faults import describe as describe_fault
from db.store import Store, local_actor
from desktop import messages
from policy.errors import PolicyError

ORGANIZATION = "EduBridge"
APPLICATION = "EduBridge"
EXIT_STORE = 2


def make_app(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication (created once) with names set so ``QSettings()`` works."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("EduBridge 城乡教共体管理")
    # The taskbar finds the installed menu entry (and its icon) by this name: installer/build_deb.py.
    app.setDesktopFileName("cn.edubridge.app")
    if app.windowIcon().isNull():
        from PySide6.QtGui import QIcon

        from resources import resource_path

        icon = QIcon()
        for png in sorted(resource_path("icons").glob("edubridge-*.png")):
            icon.addFile(str(png))
        app.setWindowIcon(icon)
    from desktop.translations import install_chinese
    from policy.version import __version__

    install_chinese(app)

    app.setApplicationVersion(__version__)
    return app


def store_is_empty(store: Store) -> bool:
    """True when the store holds no school (a first run)."""
    from db.school_queries import school_count

    return school_count(store) == 0


ASK_DEMO_TITLE = "空数据库"
ASK_DEMO_TEXT = "这是一个空数据库。是否载入演示县（虚构数据，仅供试用）？"


def prepare_store(store: Store, explicit: bool, parent: Any = None) -> bool:
    """Offer or load the demo county into an empty store before the window opens.

    The default data file (``explicit`` False: no ``--db``) is filled on its first run; a
    database the clerk named (a path or a server URL) is filled only when the clerk says
    so (default 否) and otherwise opens empty. Returns True when the demo was loaded.
    """
    if not store_is_empty(store):
        return False
    if explicit and not messages.ask(parent, ASK_DEMO_TITLE, ASK_DEMO_TEXT):
        return False
    from desktop.demo_dialog import fill_demo_with_dialog

    if fill_demo_with_dialog(store, parent):
        return True
    if store_is_empty(store):
        messages.info(parent, "EduBridge", "未生成演示数据，将打开空白数据文件。")
    return False


RESTORE_TITLE = "数据文件已损坏"


def open_or_recover(db: str | None) -> Store:
    """Open the store; a file failing ``PRAGMA quick_check`` is offered its newest good backup.

    Raises:
        StoreError: the store cannot be opened and no restore was made (declined, or no
            good backup); the message says where the backups are looked for.
    """
    from db.migrate import DatabaseCorrupt

    try:
        return Store.open(db, actor=local_actor())
    except DatabaseCorrupt as exc:
        from db.backup import backup_folder, newest_good_backup, restore
        from db.migrate import known_revisions

        good = newest_good_backup(exc.database, known_revisions())
        if good is None:
            raise StoreError(f"{exc}；{backup_folder(exc.database)} 中没有完好的自动备份") from None
        taken = dt.datetime.fromtimestamp(good.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        if not messages.ask(None, RESTORE_TITLE, f"{exc}\n\n是否用最近的完好备份（{taken}）恢复？\n"
                                                 f"备份文件：{good}\n损坏的文件会保留在 backups 文件夹中。"):
            raise
        kept = restore(good, exc.database, known_revisions())
        messages.info(None, "已从备份恢复", f"已用 {taken} 的备份恢复数据文件。损坏的文件保留为：{kept}")
        return Store.open(db, actor=local_actor())


#: Automatic backups while the window is open: one at start, then one a day.
BACKUP_EVERY_MS = 24 * 60 * 60 * 1000


def start_automatic_backups(store: Store | Callable[[], Store]) -> None:
    """A backup of the data file now and then daily, each off the GUI thread (SQLite only).

    ``store`` may be a callable giving the store in use when the day comes round (the
    window's, which 文件 → 打开 can replace).
    """
    from PySide6.QtCore import QTimer

    from db.backup import automatic_backup
    from desktop.worker import run_in_background

    current = store if callable(store) else (lambda: store)

    def back_up(daily: bool) -> None:
        url = current().engine.url
        run_in_background(lambda _progress: automatic_backup(url, daily=daily))

    back_up(daily=False)
    timer = QTimer(QApplication.instance())
    timer.setInterval(BACKUP_EVERY_MS)
    timer.timeout.connect(lambda: back_up(daily=True))
    timer.start()


def open_package(window: Any, path: str) -> None:
    """Hand a double-clicked data package to the window; say so plainly when this build cannot import it."""
    opener = getattr(window, "open_package", None)
    if opener is not None:
        opener(path)
    else:
        messages.warn(window, "无法打开数据包", f"此版本的 EduBridge 还不能导入数据包：{path}")


def run_gui(db: str | None, user: str | None = None, package: str | None = None) -> int:
    """Open the main window on ``db`` (None: the default store); returns the exit status.

    A database with users asks for a name and password first (``user`` pre-fills the name);
    one without stays in set-up mode (see ``desktop.accounts``). ``package``: a data package
    (.ebpkg) the clerk opened from the file manager; handed to the window's ``open_package``
    once it is shown.
    """
    app = make_app()
    from desktop.fonts import install_app_fonts

    try:
        install_app_fonts(app)
    except RuntimeError as exc:
        messages.error(None, "EduBridge 无法启动", f"字体缺失，中文无法显示：{exc}")
        return EXIT_STORE
    from db.backup import holds_data as file_holds_data
    from db.settings import county_started
    from desktop.welcome import first_run, forget_server, saved_server

    server = saved_server() if db is None else None
    target = db if db is not None else server  # no --db: the bureau server chosen on the welcome page
    holds_data = file_holds_data(target)
    try:
        store = open_or_recover(target)
    except (StoreError, PolicyError, OSError) as exc:
        if server is not None and forget_server(str(exc)):
            return run_gui(None, user, package)  # the local data file from now on
        messages.error(None, "EduBridge 无法打开数据", describe_fault(exc) or str(exc))
        return EXIT_STORE
    live = {"store": store}  # 文件 → 打开 may replace it; the daily backup follows
    if holds_data:
        start_automatic_backups(lambda: live["store"])
    try:
        from desktop.accounts import sign_in_at_start, warn_if_audit_broken

        if not sign_in_at_start(store, user):
            return 0
        warn_if_audit_broken(store)
        if db is None and server is None and store_is_empty(store) and not county_started(store):
            opened = first_run(store)  # the welcome page: demo, blank county or server
            if opened is None:
                return 0
            store = opened
        else:
            prepare_store(store, explicit=db is not None)
        from desktop.context import AppContext
        from desktop.main_window import MainWindow

        try:
            context = AppContext.for_store(store)
        except PolicyError as exc:
            messages.error(None, "EduBridge 无法读取政策方案", str(exc))
            return EXIT_STORE
        window = MainWindow(context)
        window.store_changed.connect(lambda opened: live.__setitem__("store", opened))
        window.show_first()
        window.start()
        from desktop import startup_probe

        if startup_probe.wanted():
            startup_probe.quit_after_first_paint(window)
        if package is not None:
            open_package(window, package)
        return app.exec()
    finally:
        store.dispose()
