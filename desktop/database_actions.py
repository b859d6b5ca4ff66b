"""The 文件 menu's 新建数据库…, 打开…, 最近打开 and 另存为…: working on another county's data
without restarting the program.

Switching database (:func:`open_database`) first makes sure nothing typed is lost silently
(pages with unsaved input and open dialogs are named and the clerk confirms), then opens and
migrates the new store, asks for a name and password when that database has accounts, and
only then hands it to the window (``MainWindow.switch_store``), which rebuilds every page
over it. A failure at any step leaves the current database open and untouched.

The recent list holds SQLite files only (a server is reached through the welcome page and
its saved address); it lives in the user's QSettings, newest first. A file that has gone
is shown greyed out with “（文件不存在）” and can be cleared from the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QWidget,
)

from db.engine import StoreError, sqlite_file
from db.store import Store, local_actor
from desktop import messages
from desktop.form_dialog import ERROR_STYLE, FormDialog

FILTER = "EduBridge 数据文件 (*.db)"
RECENT_KEY = "recent_databases"
RECENT_LIMIT = 8
MISSING = "（文件不存在）"


# ---- the recent list ---------------------------------------------------------------------


def recent_files(settings: QSettings) -> list[Path]:
    """The remembered data files, newest first (missing ones included: the menu greys them)."""
    value: Any = settings.value(RECENT_KEY, [])
    if isinstance(value, str):  # QSettings gives a lone entry back as a string
        value = [value]
    return [Path(str(item)) for item in (value or []) if str(item)]


def _save_recent(settings: QSettings, paths: list[Path]) -> None:
    settings.setValue(RECENT_KEY, [str(p) for p in paths[:RECENT_LIMIT]])
    settings.sync()


def remember(settings: QSettings, path: Path) -> None:
    """Put ``path`` at the top of the recent list."""
    path = path.resolve()
    _save_recent(settings, [path, *(p for p in recent_files(settings) if p != path)])


def forget_missing(settings: QSettings) -> list[Path]:
    """Drop the files that no longer exist from the list; returns those dropped."""
    kept: list[Path] = []
    gone: list[Path] = []
    for path in recent_files(settings):
        (kept if path.is_file() else gone).append(path)
    _save_recent(settings, kept)
    return gone


def remember_store(settings: QSettings, store: Store) -> None:
    """Remember ``store``'s file (a server database is not listed)."""
    path = sqlite_file(store.engine.url)
    if path is not None:
        remember(settings, path)


# ---- a new county --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCounty:
    """What the 新建数据库 dialog asks for; :func:`check` says what is wrong, per field."""

    path: Path
    name: str
    code: str
    profile_id: str
    templates: Path | None


def check(county: NewCounty) -> dict[str, str]:
    """Field name → what is wrong with it (empty: the county can be created)."""
    problems: dict[str, str] = {}
    if not str(county.path).strip() or county.path.name in ("", "."):
        problems["path"] = "请选择新数据文件的位置和文件名"
    elif county.path.suffix.lower() != ".db":
        problems["path"] = f"数据文件名应以 .db 结尾：{county.path.name}"
    elif county.path.exists():
        problems["path"] = f"文件 {county.path} 已存在；请换一个文件名，或用“打开…”打开它"
    elif not county.path.parent.is_dir():
        problems["path"] = f"文件夹 {county.path.parent} 不存在"
    if not county.name.strip():
        problems["name"] = "请填写县区名称，例如：某某县"
    if not re.fullmatch(r"\d{6}", county.code.strip()):
        problems["code"] = f"行政区划代码应为 6 位数字（如 640121），而不是“{county.code.strip()}”"
    return problems


def create_county(county: NewCounty) -> tuple[Store, list[Path]]:
    """A new data file holding only the county, its policy profile and the blank-county mark;
    the numbered import templates are written into ``county.templates`` (if given).

    Raises:
        StoreError: the file cannot be created or written (nothing is left half made: the
            county is one write, and a failed file is removed).
    """
    from db.settings import set_active_profile, start_county
    from desktop.welcome import write_templates

    problems = check(county)
    if problems:
        raise StoreError("；".join(problems.values()))
    store = Store.open(str(county.path), actor=local_actor())
    try:
        start_county(store, str(county.templates or ""), name=county.name.strip(), code=county.code.strip(),
                     profile_id=county.profile_id)
        set_active_profile(store, county.profile_id)
        written = write_templates(county.templates) if county.templates is not None else []
    except Exception:
        store.dispose()
        for leftover in (county.path, *(county.path.with_name(county.path.name + x) for x in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)  # ours: check() refused an existing file
        raise
    return store, written


class NewDatabaseDialog(FormDialog):
    """新建数据库: file, county name, 行政区划代码, policy profile, templates folder.

    A mistake keeps everything typed and marks the field in error (red border, the reason
    under the form); :attr:`result_store` holds the created store once accepted.
    """

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__("新建数据库", "新建一个空白县的数据文件。建好后程序切换到它，并在所选文件夹中放好按顺序编号的 "
                         "Excel 导入模板（学校、集团与教共体、教师……），按编号填好后在各页面导入。", parent,
                         ok_text="新建", width=560)
        from policy.profile import available_profiles

        self.result_store: Store | None = None
        self.written: list[Path] = []
        form = self.form
        self.path_edit = QLineEdit(str((folder or Path.home()) / "新县区.db"))
        self.path_edit.setObjectName("newPath")
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("newName")
        self.name_edit.setPlaceholderText("例如：某某县")
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("newCode")
        self.code_edit.setPlaceholderText("6 位数字，例如 640121")
        self.code_edit.setMaxLength(6)
        self.profile_combo = QComboBox()
        for profile_id, name in available_profiles().items():
            self.profile_combo.addItem(name, profile_id)
        self.templates_edit = QLineEdit()
        self.templates_edit.setObjectName("newTemplates")
        self.templates_edit.setPlaceholderText("留空则不生成模板（以后可在各页面的 Excel 菜单中保存）")
        templates_browse = QPushButton("浏览…")
        templates_browse.clicked.connect(self._browse_templates)
        templates_row = QHBoxLayout()
        templates_row.addWidget(self.templates_edit, 1)
        templates_row.addWidget(templates_browse)
        form.addRow("数据文件", path_row)
        form.addRow("县区名称", self.name_edit)
        form.addRow("行政区划代码", self.code_edit)
        form.addRow("政策方案", self.profile_combo)
        form.addRow("导入模板文件夹", templates_row)
        self.fields = {"path": self.path_edit, "name": self.name_edit, "code": self.code_edit}
        self.name_edit.textChanged.connect(self._suggest_templates)

    def _browse(self) -> None:
        path = messages.save_file(self, "新数据文件保存到", FILTER, self.path_edit.text())
        if path is not None:
            self.path_edit.setText(str(path if path.suffix else path.with_suffix(".db")))

    def _browse_templates(self) -> None:
        folder = messages.choose_folder(self, "选择存放 Excel 导入模板的文件夹", self.templates_edit.text())
        if folder is not None:
            self.templates_edit.setText(str(folder))

    def _suggest_templates(self, name: str) -> None:
        """Templates next to the data file, in a folder named after the county (until edited)."""
        if self.templates_edit.isModified():
            return
        folder = Path(self.path_edit.text()).parent
        self.templates_edit.setText(str(folder / f"{name.strip()}导入模板") if name.strip() else "")

    def county(self) -> NewCounty:
        templates = self.templates_edit.text().strip()
        return NewCounty(Path(self.path_edit.text().strip()), self.name_edit.text(), self.code_edit.text(),
                         str(self.profile_combo.currentData()), Path(templates) if templates else None)

    def attempt(self) -> None:
        """Create the county; on a mistake mark the fields and say why (the dialog stays open)."""
        county = self.county()
        problems = check(county)
        for key, edit in self.fields.items():
            edit.setStyleSheet(ERROR_STYLE if key in problems else "")
        if problems:
            self.fields[next(iter(problems))].setFocus()
            raise StoreError("\n".join(problems.values()))
        try:
            self.result_store, self.written = create_county(county)
        except (StoreError, OSError) as exc:
            raise StoreError(f"无法新建：{exc}") from None


# ---- switching ------------------------------------------------------------------------------


def unsaved_input(window: Any) -> list[str]:
    """What would be lost by leaving the current database: pages' typed input, open dialogs."""
    lines = []
    for key, page in window.pages.items():
        describe = getattr(page, "unsaved_input", None)
        text = describe() if describe is not None else ""
        if text:
            lines.append(f"“{window.spec(key).title}”页：{text}")
    for dialog in open_dialogs(window):
        lines.append(f"打开的窗口“{dialog.windowTitle()}”")
    return lines


def open_dialogs(window: QWidget) -> list[QDialog]:
    """The window's visible dialogs that may hold input (the user guide holds none)."""
    from desktop.help import GuideDialog

    return [d for d in window.findChildren(QDialog)
            if d.isVisible() and not isinstance(d, GuideDialog)]


def confirm_leaving(window: Any, what: str) -> bool:
    """True when nothing typed would be lost, or the clerk agrees to drop it (dialogs close)."""
    lines = unsaved_input(window)
    if not lines:
        return True
    if not messages.ask(window, what, "以下内容尚未保存，切换数据库后将丢失：\n"
                        + "\n".join(f"· {line}" for line in lines) + "\n\n仍要切换吗？（选“否”可先回去保存）"):
        return False
    for dialog in open_dialogs(window):
        dialog.reject()
    return True


def sign_in(store: Store, parent: QWidget | None) -> bool:
    """The sign-in dialog for a database with accounts; True when signed in (or none needed)."""
    if not store.has_users():
        return True
    from desktop.accounts import SignInDialog

    return SignInDialog(store, None, parent).exec() == QDialog.DialogCode.Accepted


def open_store(window: Any, store: Store, title: str) -> bool:
    """Hand an opened ``store`` to the window after sign-in; disposed when not taken."""
    from policy.errors import PolicyError

    if not sign_in(store, window):
        store.dispose()
        return False
    try:
        window.switch_store(store)
    except PolicyError as exc:
        store.dispose()
        messages.error(window, title, f"无法读取该数据库的政策方案：{exc}")
        return False
    remember_store(window.settings, store)
    rebuild_recent(window)
    return True


def open_database(window: Any, target: Path, title: str = "打开数据库") -> bool:
    """Open the SQLite file ``target`` in ``window``; False (nothing changed) when refused."""
    from db.faults import describe as describe_fault
    from policy.errors import PolicyError

    if not target.is_file():
        messages.error(window, title, f"文件 {target} 不存在（可能已被移动或删除）。")
        return False
    current = sqlite_file(window.context.store.engine.url)
    if current is not None and current.resolve() == target.resolve():
        messages.info(window, title, f"{target} 就是当前打开的数据文件。")
        return False
    if not confirm_leaving(window, title):
        return False
    try:
        store = Store.open(str(target), actor=local_actor(), create=False)
    except (StoreError, PolicyError, OSError) as exc:
        messages.error(window, title, f"无法打开 {target}：{describe_fault(exc) or exc}")
        return False
    return open_store(window, store, title)


def choose_and_open(window: Any) -> bool:
    path = messages.open_file(window, "打开数据库", FILTER, _folder(window))
    return path is not None and open_database(window, path)


def new_database(window: Any) -> bool:
    """新建数据库…: the dialog, then the new county is opened (templates named in a message)."""
    if not confirm_leaving(window, "新建数据库"):
        return False
    dialog = NewDatabaseDialog(window, Path(_folder(window)) if _folder(window) else None)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.result_store is None:
        return False
    county = dialog.county()
    if not open_store(window, dialog.result_store, "新建数据库"):
        return False
    lines = [f"已新建 {county.name.strip()} 的数据文件：{county.path}"]
    if dialog.written:
        lines.append(f"已在 {county.templates} 中放好 {len(dialog.written)} 张导入模板：")
        lines += [p.name for p in dialog.written]
        lines.append("请按编号顺序填写，然后在相应页面用“Excel ▼ → 导入”读入。")
    messages.info(window, "新建数据库", "\n".join(lines))
    return True


def save_as(window: Any) -> bool:
    """另存为…: a consistent copy through SQLite's backup API, then work goes on in the copy."""
    from db.backup import PG_DUMP_HINT, copy_database

    current = sqlite_file(window.context.store.engine.url)
    if current is None:
        messages.info(window, "另存为", f"当前数据保存在数据库服务器上，不能另存为文件。{PG_DUMP_HINT}。")
        return False
    target = messages.save_file(window, "另存为", FILTER, str(current.with_name(f"{current.stem}-副本.db")))
    if target is None:
        return False
    if target.suffix.lower() != ".db":
        target = target.with_name(target.name + ".db")
    if target.resolve() == current.resolve():
        messages.warn(window, "另存为", "请选择另一个文件名（不能另存为当前数据文件本身）。")
        return False
    if not confirm_leaving(window, "另存为"):
        return False
    from desktop.backup_actions import run_waiting

    copied, _ = run_waiting(window, "另存为", lambda progress: copy_database(current, target, progress))
    if not copied:
        return False
    if open_database(window, target, "另存为"):
        messages.info(window, "另存为", f"已另存为 {target}，现在打开的是这份新文件；原文件 {current} 未改动。")
        return True
    return False


def _folder(window: Any) -> str:
    current = sqlite_file(window.context.store.engine.url)
    return str(current.parent) if current is not None else ""


def rebuild_recent(window: Any) -> None:
    """Refill the 最近打开 submenu from the settings (missing files greyed out)."""
    menu: QMenu = window.recent_menu
    menu.clear()
    paths = recent_files(window.settings)
    current = sqlite_file(window.context.store.engine.url)
    shown = [p for p in paths if current is None or p != current.resolve()]
    if not shown:
        empty = menu.addAction("（无）")
        empty.setEnabled(False)
    for number, path in enumerate(shown, start=1):
        exists = path.is_file()
        action = menu.addAction(f"&{number} {path.name}" + ("" if exists else f" {MISSING}"))
        action.setToolTip(str(path))
        action.setEnabled(exists)
        action.setData(str(path))
        action.triggered.connect(lambda _checked=False, p=path: _open_recent(window, p))
    if any(not p.is_file() for p in shown):
        menu.addSeparator()
        clear = menu.addAction("清除不存在的文件")
        clear.triggered.connect(lambda: _clear_missing(window))


def _open_recent(window: Any, path: Path) -> None:
    if not path.is_file():  # gone since the menu was built
        forget_missing(window.settings)
        rebuild_recent(window)
        messages.warn(window, "最近打开", f"文件 {path} 已不存在，已从“最近打开”中移除。")
        return
    open_database(window, path)


def _clear_missing(window: Any) -> None:
    gone = forget_missing(window.settings)
    rebuild_recent(window)
    messages.info(window, "最近打开", "已从列表中移除：\n" + "\n".join(str(p) for p in gone))


def add_database_actions(menu: QMenu, window: QMainWindow) -> list[QAction]:
    """新建数据库…, 打开…, 最近打开 ▸, 另存为… at the top of ``menu``; returns the actions."""
    from PySide6.QtGui import QKeySequence

    actions = []
    for text, shortcut, slot in (("新建数据库(&N)…", QKeySequence.StandardKey.New, new_database),
                                 ("打开(&O)…", QKeySequence.StandardKey.Open, choose_and_open)):
        action = QAction(text, window)
        action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False, s=slot: s(window))
        menu.addAction(action)
        actions.append(action)
    recent = QMenu("最近打开(&R)", window)
    recent.setToolTipsVisible(True)
    window.recent_menu = recent  # type: ignore[attr-defined]
    menu.addMenu(recent)
    save = QAction("另存为(&A)…", window)
    save.setShortcut(QKeySequence.StandardKey.SaveAs)
    save.triggered.connect(lambda: save_as(window))
    menu.addAction(save)
    actions.append(save)
    menu.addSeparator()
    return actions
