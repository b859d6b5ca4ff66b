"""Data packages in the GUI: the 文件 menu's 导出数据包… / 导入数据包… / 处理数据包冲突…, a package
opened from the file manager (``MainWindow.open_package``), and the conflict dialog that
shows a record changed on both sides field by field until the clerk chooses.

Export and import run off the GUI thread (desktop.worker); the dialogs only show results.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import messages
from desktop.context import AppContext
from desktop.form_dialog import ok_cancel

if TYPE_CHECKING:
    from desktop.worker import Job
    from policy.progress import Progress

FILTER = "EduBridge 数据包 (*.ebpkg)"
SETUP = "setup"


def add_package_actions(menu: QMenu, window: QMainWindow, context: AppContext) -> list[QAction]:
    """Append the three package actions and a separator to ``menu``."""
    actions = []
    for text, slot in (("导出数据包(&E)…", lambda: export_package(window, context)),
                       ("导入数据包(&I)…", lambda: choose_and_import(window, context)),
                       ("处理数据包冲突(&C)…", lambda: ConflictDialog(context, window).exec())):
        action = QAction(text, window)
        action.triggered.connect(slot)
        menu.addAction(action)
        actions.append(action)
    menu.addSeparator()
    return actions


def _background(window: QWidget, title: str, work: Any, done: Any) -> Job:
    """``work(progress)`` off the GUI thread behind a cancellable progress dialog; ``done(result)``
    in it, or the error shown; a cancel says that nothing was written."""
    from desktop.progress_dialog import run_with_progress

    job = run_with_progress(window, title, f"正在{title}…", work)
    job.finished.connect(done)
    job.failed.connect(lambda message: messages.error(window, title, message))
    job.cancelled.connect(lambda: messages.info(window, title, f"已取消{title}，未写入任何数据。"))
    return job


class ExportDialog(QDialog):
    """Where the package goes: a registered peer, or a new laptop of a school (set-up package)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from db.packages.keys import export_choices

        self.setWindowTitle("导出数据包")
        choices = export_choices(context.store)
        self.target = QComboBox()
        for peer_id, name, kind in choices.peers:
            self.target.addItem(f"{name}（{kind}）", peer_id)
        self.target.addItem("新笔记本：初始化数据包", SETUP)
        self.school = QComboBox()
        self.school.addItem("（全部）", "")
        for code, name in choices.schools:
            self.school.addItem(f"{name}（{code}）", code)
        self.target.currentIndexChanged.connect(self._changed)
        form = QFormLayout()
        form.addRow("发往", self.target)
        form.addRow("学校", self.school)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        buttons = ok_cancel("导出…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self._changed()

    def _changed(self) -> None:
        setup = self.target.currentData() == SETUP
        self.hint.setText("初始化数据包含全县学校与集团、该校教师与活动、本局公钥和新笔记本的密钥，请当面交给校长。"
                          if setup else "数据包含自上一个数据包以来的全部变化（删除也在内）。")
        if setup and not self.school.currentData() and self.school.count() > 1:
            self.school.setCurrentIndex(1)

    def choice(self) -> tuple[str, str | None]:
        """(peer id or SETUP, school code or None)."""
        return self.target.currentData(), self.school.currentData() or None


def export_package(window: QMainWindow, context: AppContext) -> None:
    dialog = ExportDialog(context, window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    target, school = dialog.choice()
    if target == SETUP and not school:
        messages.warn(window, "导出数据包", "初始化数据包须选择新笔记本所属的学校")
        return
    path = messages.save_file(window, "保存数据包", FILTER, "数据包.ebpkg")
    if path is None:
        return
    if path.suffix.lower() != ".ebpkg":
        path = path.with_name(path.name + ".ebpkg")
    store = context.store

    def work(progress: Progress) -> Any:
        from db.packages.outgoing import export, export_setup

        if target == SETUP:
            return export_setup(store, path, school, progress=progress)  # type: ignore[arg-type]  # the set-up package is only offered with a school chosen
        return export(store, path, to=target, school=school, progress=progress)

    _background(window, "导出数据包", work, lambda written: messages.info(window, "导出数据包", written.message()))


def choose_and_import(window: QMainWindow, context: AppContext) -> None:
    path = messages.open_file(window, "选择数据包", FILTER)
    if path is not None:
        import_package(window, context, path)


def import_package(window: QMainWindow, context: AppContext, path: str | Path) -> Job:
    """Apply the package in the background; tell the outcome and open the conflicts, if any."""
    store = context.store
    path = Path(path)

    def work(progress: Progress) -> Any:
        from db.packages.incoming import apply

        return apply(store, path, progress)

    def done(applied: Any) -> None:
        messages.info(window, "导入数据包", applied.message())
        key = window.current_key() if hasattr(window, "current_key") else None
        show_page = getattr(window, "show_page", None)
        if key and show_page is not None:
            show_page(key)  # the page on show re-reads what the package changed
        if applied.conflicts:
            ConflictDialog(context, window).exec()

    return _background(window, "导入数据包", work, done)


class ConflictDialog(QDialog):
    """Records changed on both sides: pick one, see both versions field by field, choose."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("数据包冲突：两边都改过的记录")
        self.resize(820, 460)
        self.list = QListWidget()
        self.fields = QTableWidget(0, 3)
        self.fields.setHorizontalHeaderLabels(["字段", "本机的版本", "对方的版本"])
        self.fields.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.fields.verticalHeader().setVisible(False)
        self.fields.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.keep_mine = QPushButton("保留本机版本")
        self.keep_theirs = QPushButton("采用对方版本")
        close = QPushButton("关闭")
        self.keep_mine.clicked.connect(lambda: self._choose("mine"))
        self.keep_theirs.clicked.connect(lambda: self._choose("theirs"))
        close.clicked.connect(self.accept)
        right = QVBoxLayout()
        right.addWidget(self.note)
        right.addWidget(self.fields)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.keep_mine, self.keep_theirs, close):
            row.addWidget(button)
        right.addLayout(row)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(right, 2)
        self.list.currentRowChanged.connect(self._show)
        self.conflicts: list[dict[str, Any]] = []
        self.reload()

    def reload(self) -> None:
        from db.packages.conflicts import open_conflicts

        self.conflicts = open_conflicts(self.context.store)
        self.list.clear()
        for conflict in self.conflicts:
            self.list.addItem(f"{conflict['id']}. {conflict['summary']}")
        if self.conflicts:
            self.list.setCurrentRow(0)
        else:
            self._show(-1)

    def _show(self, row: int) -> None:
        has = 0 <= row < len(self.conflicts)
        self.keep_mine.setEnabled(has)
        self.keep_theirs.setEnabled(has)
        self.fields.setRowCount(0)
        if not has:
            self.note.setText("没有待处理的冲突。")
            return
        conflict = self.conflicts[row]
        self.note.setText(f"来自“{conflict['origin']}”第 {conflict['seq']} 号数据包。选择之前两个版本都保留："
                          "本机的仍在使用，对方的暂存。")
        rows = conflict["fields"]
        self.fields.setRowCount(len(rows))
        for i, field in enumerate(rows):
            mine = "（已删除）" if conflict["mine_deleted"] else _text(field["mine"])
            theirs = "（已删除）" if conflict["theirs_deleted"] else _text(field["theirs"])
            for j, text in enumerate((field["label"], mine, theirs)):
                self.fields.setItem(i, j, QTableWidgetItem(text))

    def _choose(self, keep: str) -> None:
        from db.packages.conflicts import resolve
        from policy.errors import UserError

        row = self.list.currentRow()
        if not 0 <= row < len(self.conflicts):
            return
        try:
            resolve(self.context.store, self.conflicts[row]["id"], keep)
        except UserError as exc:
            messages.error(self, "处理冲突", str(exc))
        self.reload()


def _text(value: Any) -> str:
    if value is None:
        return "（空）"
    if value is True or value is False:
        return "是" if value else "否"
    return str(value)
