"""The Excel menu of a page: import (checked first, then confirmed), export and templates.

It drives the same registries as ``edubridge import / export / template`` (the
``KINDS`` of :mod:`desktop.commands.import_`, :mod:`~desktop.commands.export` and
:mod:`~desktop.commands.template`), so a kind added for the command line is one menu
entry away here, and both write through the same all-or-nothing importers.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from desktop import messages
from desktop.worker import run_in_background

EXCEL_FILES = "Excel 工作簿 (*.xlsx *.xlsm)"
PREVIEW_LINES = 15


class ExcelMenu(QToolButton):
    """“Excel ▼”: one entry per (kind, label) for import, export and the blank template.

    ``store`` gives the page's store; ``year`` the school year an export of a yearly table
    is for; ``done`` runs after a successful import (the page reloads). ``importers`` maps a
    kind to the page's own import flow where it has a richer preview than the generic one.
    """

    def __init__(self, parent: QWidget, store: Callable[[], Any], kinds: list[tuple[str, str]],
                 year: Callable[[], int], done: Callable[[], None],
                 importers: dict[str, Callable[[], None]] | None = None) -> None:
        super().__init__(parent)
        from desktop.commands import export, import_, template

        self.store, self.year, self.done = store, year, done
        self.importers = importers or {}
        self.setText("Excel ▼")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet("QToolButton::menu-indicator { image: none; }")  # the ▼ is in the text
        menu = QMenu(self)
        self.actions_by_name: dict[str, QAction] = {}
        groups = (("导入", import_.KINDS, self.import_kind), ("导出", export.KINDS, self.export_kind),
                  ("保存空白模板：", template.KINDS, self.save_template))
        for verb, registry, handler in groups:
            if menu.actions():
                menu.addSeparator()
            for kind, label in kinds:
                if kind in registry:
                    action = menu.addAction(f"{verb}{label}…")
                    action.triggered.connect(lambda _=False, k=kind, t=label, h=handler: h(k, t))
                    self.actions_by_name[f"{verb}{label}"] = action
        self.setMenu(menu)
        self._job: Any = None

    # ---- import: check everything (dry run), show what would change, then write
    def import_kind(self, kind: str, label: str, path: Path | None = None) -> None:
        from desktop.commands import import_

        if kind in self.importers:
            self.importers[kind]()
            return
        path = path or messages.open_file(self, f"导入{label}", EXCEL_FILES)
        if path is None:
            return
        module = importlib.import_module(import_.KINDS[kind])
        store = self.store()
        job = run_in_background(lambda _progress: module.import_file(store, path, True))
        job.finished.connect(lambda result: self._confirm(module, kind, label, path, result))
        job.failed.connect(lambda text: messages.error(self, f"无法导入{label}", text))
        self._job = job

    def _confirm(self, module: Any, kind: str, label: str, path: Path, result: Any) -> None:
        counts = result.counts()
        if not any(v for k, v in counts.items() if k not in ("rows", "unchanged") and not k.endswith("_present")):
            messages.info(self, f"导入{label}", f"{result.summary()}：没有需要写入的改动")
            return
        lines = list(result.changes[:PREVIEW_LINES])
        if len(result.changes) > PREVIEW_LINES:
            lines.append(f"……另有 {len(result.changes) - PREVIEW_LINES} 处改动")
        text = result.summary() + ("\n\n" + "\n".join(lines) if lines else "") + "\n\n确定写入吗？"
        if not messages.ask(self, f"导入{label}", text):
            return
        store = self.store()
        job = run_in_background(lambda _progress: module.import_file(store, path, False))
        def finished(done: Any) -> None:
            messages.info(self, "导入完成", done.summary())
            self.done()

        job.finished.connect(finished)
        job.failed.connect(lambda text: messages.error(self, f"导入{label}失败", text))
        self._job = job

    # ---- export and templates
    def export_kind(self, kind: str, label: str, path: Path | None = None) -> None:
        from desktop.commands import export

        path = path or messages.save_file(self, f"导出{label}", EXCEL_FILES, f"{label}.xlsx")
        if path is None:
            return
        store, args = self.store(), argparse.Namespace(year=self.year(), date=None)
        job = run_in_background(lambda _progress: export.KINDS[kind](store, path, args))
        job.finished.connect(lambda text: messages.exported(self, f"导出{label}", text, path))
        job.failed.connect(lambda text: messages.error(self, f"无法导出{label}", text))
        self._job = job

    def save_template(self, kind: str, label: str, path: Path | None = None) -> None:
        from desktop.commands import template

        path = path or messages.save_file(self, f"{label}模板", EXCEL_FILES, f"{label}模板.xlsx")
        if path is None:
            return
        try:
            template.KINDS[kind](path)
        except OSError as exc:
            messages.error(self, f"无法保存{label}模板", str(exc))
            return
        messages.exported(self, f"{label}模板", f"已保存：{path}", path)
