"""The Excel menu of a page: import (checked first, then confirmed), export and templates.

It reads the same registries as ``edubridge import / export / template``
(:data:`db.importers.IMPORTERS`, :data:`reports.exporters.EXPORTERS` and
:data:`~reports.exporters.TEMPLATES`), so a kind added there is on the menu of every page
that lists its key, under the same label, and both write through the same all-or-nothing
importers. Every import and export runs as a background job with a cancellable progress
dialog (desktop.worker): a cancelled import writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from db.importers import IMPORTERS, Importer, ImportOutcome
from desktop import messages
from desktop.progress_dialog import run_with_progress
from reports.exporters import EXPORTERS, TEMPLATES, ExportOptions

PREVIEW_LINES = 15


class ExcelMenu(QToolButton):
    """“Excel ▼”: for each kind key, an entry to import, export and save the blank template,
    as far as the registries have that kind, each under the registry's label.

    ``store`` gives the page's store; ``year`` the school year an export of a yearly table
    is for; ``done`` runs after a successful import (the page reloads). ``importers`` maps a
    kind to the page's own import flow where it has a richer preview than the generic one.
    """

    def __init__(self, parent: QWidget, store: Callable[[], Any], kinds: Sequence[str],
                 year: Callable[[], int], done: Callable[[], None],
                 importers: dict[str, Callable[[], None]] | None = None) -> None:
        super().__init__(parent)
        self.store, self.year, self.done = store, year, done
        self.importers = importers or {}
        self.setText("Excel ▼")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet("QToolButton::menu-indicator { image: none; }")  # the ▼ is in the text
        menu = QMenu(self)
        self.actions_by_name: dict[str, QAction] = {}
        groups: tuple[tuple[str, Any, Callable[..., Any]], ...] = (
            ("导入", IMPORTERS, self.import_kind), ("导出", EXPORTERS, self.export_kind),
            ("保存空白模板：", TEMPLATES, self.save_template))
        for verb, registry, handler in groups:
            if menu.actions():
                menu.addSeparator()
            for kind in kinds:
                if kind in registry:
                    label = registry[kind].label
                    action = menu.addAction(f"{verb}{label}…")
                    action.triggered.connect(lambda _=False, k=kind, h=handler: h(k))
                    self.actions_by_name[f"{verb}{label}"] = action
        self.setMenu(menu)
        self._job: Any = None

    # ---- import: check everything (dry run), show what would change, then write
    def import_kind(self, kind: str, path: Path | None = None) -> None:
        if kind in self.importers:
            self.importers[kind]()
            return
        importer = IMPORTERS[kind]
        path = path or messages.open_file(self, f"导入{importer.label}", importer.pattern)
        if path is None:
            return
        store = self.store()
        job = run_with_progress(self, f"导入{importer.label}", "正在检查…",
                                lambda progress: importer.run(store, path, True, progress))
        job.finished.connect(lambda result: self._confirm(importer, path, result))
        job.failed.connect(lambda text: messages.error(self, f"无法导入{importer.label}", text))
        self._job = job

    def _confirm(self, importer: Importer, path: Path, result: ImportOutcome) -> None:
        label = importer.label
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
        job = run_with_progress(self, f"导入{label}", "正在写入…",
                                lambda progress: importer.run(store, path, False, progress))
        job.finished.connect(self._imported)
        job.failed.connect(lambda text: messages.error(self, f"导入{label}失败", text))
        job.cancelled.connect(lambda: messages.info(self, f"导入{label}", "已取消，未写入任何数据"))
        self._job = job

    def _imported(self, outcome: ImportOutcome) -> None:
        messages.info(self, "导入完成", outcome.summary())
        self.done()

    # ---- export and templates
    def export_kind(self, kind: str, path: Path | None = None) -> None:
        exporter = EXPORTERS[kind]
        label = exporter.label
        path = path or messages.save_file(self, f"导出{label}", exporter.pattern, f"{label}.xlsx")
        if path is None:
            return
        store, options = self.store(), ExportOptions(year=self.year())
        job = run_with_progress(self, f"导出{label}", "正在导出…",
                                lambda progress: exporter.run(store, path, options, progress))
        job.finished.connect(lambda text: messages.exported(self, f"导出{label}", text, path))
        job.failed.connect(lambda text: messages.error(self, f"无法导出{label}", text))
        self._job = job

    def save_template(self, kind: str, path: Path | None = None) -> None:
        template = TEMPLATES[kind]
        label = template.label
        path = path or messages.save_file(self, f"{label}模板", IMPORTERS[kind].pattern, f"{label}模板.xlsx")
        if path is None:
            return
        try:
            template.write(path)
        except OSError as exc:
            messages.error(self, f"无法保存{label}模板", str(exc))
            return
        messages.exported(self, f"{label}模板", f"已保存：{path}", path)
