"""The main window: a navigation sidebar, lazily built pages, menus and a status bar.

Pages come from :data:`desktop.pages.PAGES`; each is built the first time it is shown
(``PageClass(context, parent=None)``, contract in ``desktop/pages/base.py``) and its
``refresh()`` runs every time it is shown. A page whose module is not written yet is
replaced by a :class:`~desktop.pages.placeholder.PlaceholderPage`; a page that raises
while being built is replaced by an error placeholder and the error is shown once.
"""

from __future__ import annotations

import importlib
import logging
import traceback

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from db.store import Store
from desktop import messages
from desktop.context import AppContext
from desktop.pages import PAGES, PageSpec
from desktop.pages.placeholder import PlaceholderPage
from policy.version import __version__

_log = logging.getLogger(__name__)

WINDOW_TITLE = "EduBridge 城乡教共体管理"
GEOMETRY_KEY = "main_window/geometry"
STATE_KEY = "main_window/state"
PAGE_KEY = "main_window/page"


def default_size() -> QSize:
    """90 % of the available screen (1280×800 without a screen): tables need the room."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(1280, 800)
    available = screen.availableGeometry().size()
    return QSize(int(available.width() * 0.9), int(available.height() * 0.9))


class MainWindow(QMainWindow):
    """The application window over one open store (another one through 文件 → 打开).

    Args:
        context: the open store and active profile, handed to every page.
        settings: where geometry is remembered (default ``QSettings()`` of the app;
            tests pass an INI file under ``tmp_path``).
    """

    #: Emitted with the new store after :meth:`switch_store` (the daily backup follows it).
    store_changed = Signal(object)

    def __init__(self, context: AppContext, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings if settings is not None else QSettings()
        self.setObjectName("mainWindow")
        self.setWindowTitle(WINDOW_TITLE)
        self.pages: dict[str, QWidget] = {}
        self.page_errors: dict[str, str] = {}

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setUniformItemSizes(True)
        self.sidebar.setSpacing(2)
        for spec in PAGES:
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setSizeHint(QSize(0, self.fontMetrics().height() + 18))
            self.sidebar.addItem(item)
        longest = max(self.sidebar.fontMetrics().horizontalAdvance(spec.title) for spec in PAGES)
        self.sidebar.setFixedWidth(longest + 56)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pageStack")
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self._show_row)

        self._build_menus()
        self.location_label = QLabel()
        self.location_label.setObjectName("statusLocation")
        self.profile_label = QLabel()
        self.profile_label.setObjectName("statusProfile")
        self.demo_label = QLabel("演示数据")
        self.demo_label.setObjectName("statusDemo")
        self.demo_label.setToolTip("当前数据是虚构的演示县，仅供试用；正式工作请打开或新建自己的数据文件（--db）。")
        self.demo_label.setStyleSheet(
            "color: #8a4b00; background: #fff1d6; border: 1px solid #e0b66a; border-radius: 3px; padding: 0 6px;")
        self.statusBar().addWidget(self.location_label, 1)
        self.statusBar().addPermanentWidget(self.demo_label)
        self.statusBar().addPermanentWidget(self.profile_label)
        from desktop import accounts

        self.user_label = accounts.install(self)  # 账户 menu, signed-in user in the status bar
        self.update_status()
        from desktop.database_actions import remember_store

        remember_store(self.settings, context.store)

        self._guide: QWidget | None = None
        self.resize(default_size())
        #: True when no geometry was saved yet: :meth:`show_first` then opens maximized.
        self.first_run = True
        self._restore()

    # ---- pages --------------------------------------------------------------------

    def spec(self, key: str) -> PageSpec:
        for spec in PAGES:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def page(self, key: str) -> QWidget:
        """The page of ``key``, built now if it was not yet."""
        if key not in self.pages:
            widget = self._build_page(self.spec(key))
            self.pages[key] = widget
            self.stack.addWidget(widget)
            signal = getattr(widget, "context_changed", None)
            if signal is not None:
                signal.connect(self.update_status)
            opener = getattr(widget, "open_page", None)
            if opener is not None:
                opener.connect(self.show_page)
            record_opener = getattr(widget, "open_record", None)
            if record_opener is not None:
                record_opener.connect(self.show_record)
        return self.pages[key]

    def _build_page(self, spec: PageSpec) -> QWidget:
        try:
            module = importlib.import_module(spec.module)
        except ModuleNotFoundError as exc:
            if exc.name != spec.module:  # the module exists but one of its imports is missing
                return self._broken(spec, exc)
            return PlaceholderPage(self.context, spec.title)
        except Exception as exc:  # noqa: BLE001 — one broken page must not take the window down
            return self._broken(spec, exc)
        try:
            page_class = getattr(module, spec.class_name)
            return page_class(self.context, None)
        except Exception as exc:  # noqa: BLE001
            return self._broken(spec, exc)

    def _broken(self, spec: PageSpec, exc: BaseException) -> QWidget:
        detail = "".join(traceback.format_exception(exc))
        _log.error("page %s failed to load:\n%s", spec.key, detail)
        self.page_errors[spec.key] = f"{type(exc).__name__}: {exc}"
        messages.error(self, "页面无法打开", f"“{spec.title}”页面出错：{exc}")
        page = PlaceholderPage(self.context, spec.title)
        label = page.findChild(QLabel, "placeholderText")
        if label is not None:  # PlaceholderPage names its label so
            label.setText(f"“{spec.title}”页面出错，暂时无法显示：\n{type(exc).__name__}: {exc}")
        return page

    def show_page(self, key: str) -> QWidget:
        """Select ``key`` in the sidebar (builds and refreshes the page)."""
        row = [spec.key for spec in PAGES].index(key)
        if self.sidebar.currentRow() != row:
            self.sidebar.setCurrentRow(row)
        else:
            self._show_row(row)
        return self.pages[key]

    def show_record(self, key: str, code: str) -> None:
        """Show page ``key`` with the record ``code`` selected (a school clicked on the map)."""
        page = self.show_page(key)
        shower = getattr(page, "show_record", None)
        if shower is not None:
            shower(code)

    def current_key(self) -> str | None:
        row = self.sidebar.currentRow()
        return PAGES[row].key if 0 <= row < len(PAGES) else None

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(PAGES):
            return
        spec = PAGES[row]
        widget = self.page(spec.key)
        self.stack.setCurrentWidget(widget)
        self._watch_print_button(widget)
        refresh = getattr(widget, "refresh", None)
        if refresh is not None:
            try:
                refresh()
            except Exception as exc:  # noqa: BLE001 — show it, keep the window usable
                _log.error("page %s failed to refresh:\n%s", spec.key, traceback.format_exc())
                self.page_errors[spec.key] = f"{type(exc).__name__}: {exc}"
                messages.error(self, "页面无法刷新", f"“{spec.title}”页面出错：{exc}")

    # ---- menus, status bar ----------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("文件(&F)")
        file_menu.setToolTipsVisible(True)
        from desktop.backup_actions import add_backup_actions
        from desktop.database_actions import add_database_actions, rebuild_recent
        from desktop.package_dialog import add_package_actions

        self.database_actions = add_database_actions(file_menu, self)
        rebuild_recent(self)
        self.print_action = QAction("打印(&P)…", self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.print_action.triggered.connect(self.print_current)
        file_menu.addAction(self.print_action)
        self.addAction(self.print_action)
        file_menu.addSeparator()
        self.backup_actions = add_backup_actions(file_menu, self, self.context)
        self.package_actions = add_package_actions(file_menu, self, self.context)
        quit_action = QAction("退出(&X)", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("视图(&V)")
        self.page_actions: list[QAction] = []
        for number, spec in enumerate(PAGES, start=1):
            action = QAction(spec.title, self)
            if number <= 9:  # Ctrl+1 … Ctrl+9; a tenth page is reached from the sidebar or the menu
                action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, key=spec.key: self.show_page(key))
            view_menu.addAction(action)
            self.addAction(action)
            self.page_actions.append(action)
        view_menu.addSeparator()
        self.find_action = QAction("查找(&F)", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self.find_in_page)
        view_menu.addAction(self.find_action)

        help_menu = self.menuBar().addMenu("帮助(&H)")
        self.guide_action = QAction("使用指南(&G)", self)
        self.guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.guide_action.triggered.connect(self.show_guide)
        help_menu.addAction(self.guide_action)
        self.about_action = QAction("关于 EduBridge(&A)", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def open_package(self, path: str) -> None:
        """A data package (.ebpkg) opened from the file manager or the command line: import it."""
        from desktop.package_dialog import import_package

        import_package(self, self.context, path)

    # ---- Ctrl+P ----------------------------------------------------------------------

    def _print_button(self) -> QPushButton | None:
        """The current page's ``print_button`` when it is on screen (a page's tab may hide it)."""
        page = self.stack.currentWidget()
        button = getattr(page, "print_button", None)
        if isinstance(button, QPushButton) and page is not None and button.isVisibleTo(page):
            return button
        return None

    def _watch_print_button(self, page: QWidget) -> None:
        """Keep 打印 (Ctrl+P) enabled exactly when the page's own print button is."""
        button = getattr(page, "print_button", None)
        if isinstance(button, QPushButton) and not button.property("watchedForPrint"):
            button.setProperty("watchedForPrint", True)
            button.installEventFilter(self)
        self.update_print_action()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.EnabledChange, QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self.update_print_action()
        return super().eventFilter(watched, event)

    def update_print_action(self) -> None:
        button = self._print_button()
        if button is None:
            self.print_action.setEnabled(False)
            self.print_action.setToolTip("这一页没有可打印的文档（报告、协议页可打印；帮扶活动页的指标看板可打印未达标名单）")
        elif not button.isEnabled():
            self.print_action.setEnabled(False)
            self.print_action.setToolTip(button.toolTip() or "请先生成要打印的文档")
        else:
            self.print_action.setEnabled(True)
            self.print_action.setToolTip(f"打印：{button.text().rstrip('…')}")

    def print_current(self) -> None:
        """Ctrl+P: what the page's own 打印 button prints, through the same path."""
        button = self._print_button()
        if button is None or not button.isEnabled():
            self.statusBar().showMessage(self.print_action.toolTip(), 4000)
            return
        button.click()

    # ---- another database ----------------------------------------------------------------

    def switch_store(self, store: Store) -> None:
        """Work on ``store`` from now on: every page is rebuilt over it (none keeps data of the
        old one), the account and status bar follow; the old store is closed.

        The caller has signed in to ``store`` and made sure nothing typed is lost
        (:mod:`desktop.database_actions`). Raises PolicyError when the new store's profile
        cannot be read; the window then still shows the old store.
        """
        from desktop.context import AppContext

        fresh = AppContext.for_store(store)  # raises before anything changes
        old = self.context.store
        key = self.current_key() or PAGES[0].key
        self.context.store, self.context.profile = fresh.store, fresh.profile
        for page in self.pages.values():
            self.stack.removeWidget(page)
            page.deleteLater()
        self.pages.clear()
        self.page_errors.clear()
        self.user_label.update_account()  # type: ignore[attr-defined]
        self.update_status()
        self.show_page(key)
        if old is not store:
            old.dispose()
        self.store_changed.emit(store)
        self._back_up_opened(store)

    def _back_up_opened(self, store: Store) -> None:
        """An automatic backup of a data file just opened, as at start (off the GUI thread)."""
        from db.backup import automatic_backup
        from db.engine import sqlite_file

        database = sqlite_file(store.engine.url)
        if database is None or not database.is_file() or database.stat().st_size == 0:
            return
        from desktop.worker import run_in_background

        url = store.engine.url
        self.backup_job = run_in_background(lambda _progress: automatic_backup(url, daily=False))

    def find_in_page(self) -> None:
        """Ctrl+F: the current page's search field (``search``), focused with its text selected."""
        page = self.stack.currentWidget()
        # the page's search field, or the one of the tab shown (教师与交流: roster or plan review)
        fields = [getattr(page, name, None) for name in ("search", "plan_search")]
        field = next((f for f in fields if f is not None and f.isVisibleTo(page)), None)
        if field is None:
            self.statusBar().showMessage("这一页没有查找框", 3000)
            return
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()

    def show_guide(self) -> None:
        """F1: the user guide shipped with the program (offline)."""
        from desktop.help import GuideDialog

        if self._guide is None:
            self._guide = GuideDialog(self)
        self._guide.show()
        self._guide.activateWindow()

    def show_about(self) -> None:
        messages.about(
            self,
            "关于 EduBridge",
            f"<h3>EduBridge 城乡教共体管理</h3>"
            f"<p>版本 {__version__}</p>"
            "<p>县区教育局城乡义务教育一体化工作：集团与教共体、教师交流轮岗、帮扶活动、协议与年度评价。</p>"
            "<p>中文字体：Noto Sans SC、Noto Serif SC、Noto Sans SC Supplement（SIL Open Font License 1.1）。</p>",
        )

    def update_status(self) -> None:
        """Show the data file and the active profile (call after either changed)."""
        from db.settings import demo_info

        self.location_label.setText(f"数据文件：{self.context.store.location}")
        self.profile_label.setText(f"政策方案：{self.context.profile.name}")
        demo = demo_info(self.context.store)
        self.demo_label.setVisible(demo is not None)
        if demo is not None:
            scale = {"county": "县", "city": "市"}.get(str(demo.get("scale")), str(demo.get("scale", "")))
            self.demo_label.setText(f"演示数据（虚构{scale}）")

    # ---- geometry ----------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.first_run = not self.restoreGeometry(geometry)
        state = self.settings.value(STATE_KEY)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        key = self.settings.value(PAGE_KEY, PAGES[0].key)
        keys = [spec.key for spec in PAGES]
        self.initial_key = key if key in keys else PAGES[0].key

    def save_settings(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(STATE_KEY, self.saveState())
        key = self.current_key()
        if key:
            self.settings.setValue(PAGE_KEY, key)
        self.settings.sync()

    def show_first(self) -> None:
        """Show the window: maximized on the first run (no saved geometry), else as it was left."""
        if self.first_run:
            self.showMaximized()
        else:
            self.show()

    def start(self, key: str | None = None) -> None:
        """Show the remembered page (or ``key``); call once after construction."""
        self.show_page(key or self.initial_key)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)
