"""Starting the GUI: ``edubridge [--db PATH|URL]`` without a subcommand."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QProgressDialog

from db.engine import StoreError
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
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
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
    from policy.version import __version__

    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def store_is_empty(store: Store) -> bool:
    """True when the store holds no school (a first run)."""
    from sqlalchemy import func, select

    from db.models import School

    with store.read() as session:
        return not session.scalar(select(func.count()).select_from(School))


#: The ``Setting`` key ``db.demo.build_demo`` writes: ``{"scale": ..., "seed": ...}``.
DEMO_KEY = "demo"
ASK_DEMO_TITLE = "空数据库"
ASK_DEMO_TEXT = "这是一个空数据库。是否载入演示县（虚构数据，仅供试用）？"


def demo_info(store: Store) -> dict[str, Any] | None:
    """What the demo marker says (scale, seed) when the store holds the demo data, else None."""
    from db.models import Setting

    with store.read() as session:
        setting = session.get(Setting, DEMO_KEY)
        return dict(setting.value) if setting is not None and setting.value else None


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
    if fill_demo_with_dialog(store, parent):
        return True
    if store_is_empty(store):
        messages.info(parent, "EduBridge", "未生成演示数据，将打开空白数据文件。")
    return False


def demo_progress_adapter(report: Any) -> Any:
    """Turn ``db.demo.build_demo``'s progress calls into ``report(message, fraction)``."""

    def progress(*args: Any, **kwargs: Any) -> None:
        message = next((a for a in args if isinstance(a, str)), kwargs.get("message", ""))
        fraction = next((float(a) for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)),
                        kwargs.get("fraction", 0.0))
        report(message, fraction)

    return progress


def fill_demo_with_dialog(store: Store, parent: Any = None) -> bool:
    """Build the demo county off the GUI thread behind a progress dialog.

    Returns True when the demo was built; False when it failed or was cancelled (the
    failure has been shown through ``desktop.messages``).
    """
    from db.demo import build_demo
    from desktop.worker import run_in_background

    dialog = QProgressDialog("正在生成演示县数据（虚构）…", "取消", 0, 1000, parent)
    dialog.setWindowTitle("载入演示数据")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(420)
    dialog.setValue(0)
    job = run_in_background(lambda report: build_demo(store, scale="county", progress=demo_progress_adapter(report)))
    job.progress.connect(lambda message, fraction: (dialog.setLabelText(message or "正在生成演示县数据（虚构）…"),
                                                    dialog.setValue(int(fraction * 1000))))
    dialog.canceled.connect(job.cancel)
    outcome: dict[str, Any] = {}
    job.finished.connect(lambda result: outcome.setdefault("ok", result))
    job.failed.connect(lambda message: outcome.setdefault("error", message))
    job.wait()
    dialog.reset()
    dialog.close()
    if "error" in outcome:
        messages.error(parent, "无法生成演示数据", outcome["error"])
        return False
    return "ok" in outcome


def open_package(window: Any, path: str) -> None:
    """Hand a double-clicked data package to the window; say so plainly when this build cannot import it."""
    opener = getattr(window, "open_package", None)
    if opener is not None:
        opener(path)
    else:
        messages.warn(window, "无法打开数据包", f"此版本的 EduBridge 还不能导入数据包：{path}")


def run_gui(db: str | None, package: str | None = None) -> int:
    """Open the main window on ``db`` (None: the default store); returns the exit status.

    ``package``: a data package (.ebpkg) the clerk opened from the file manager; handed to the
    window's ``open_package`` once it is shown.
    """
    app = make_app()
    from desktop.fonts import install_app_fonts

    try:
        install_app_fonts(app)
    except RuntimeError as exc:
        messages.error(None, "EduBridge 无法启动", f"字体缺失，中文无法显示：{exc}")
        return EXIT_STORE
    from desktop.welcome import county_started, first_run, forget_server, saved_server

    server = saved_server() if db is None else None
    try:
        # No --db: the bureau server chosen on the welcome page, else the default data file.
        store = Store.open(db if db is not None else server, actor=local_actor())
    except (StoreError, PolicyError, OSError) as exc:
        if server is not None and forget_server(str(exc)):
            return run_gui(None, package)  # the local data file from now on
        messages.error(None, "EduBridge 无法打开数据", str(exc))
        return EXIT_STORE
    try:
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
        window.show_first()
        window.start()
        if package is not None:
            open_package(window, package)
        return app.exec()
    finally:
        store.dispose()
