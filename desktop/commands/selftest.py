"""``edubridge selftest``: open the main window offscreen, visit every page, check it.

For each page of the sidebar it checks that the page was built (or is a placeholder),
refreshed without error, painted something (its grab is not one flat colour) and that
every character of its visible text has a glyph in the bundled Chinese font (without it
Qt silently draws empty boxes). One line per page; exit 0, or 1 naming what failed.
``--frozen`` adds the checks an installed copy needs (``desktop.bundle_checks``): resources,
a fresh database migrated, Qt's Chinese translation, both solvers, one PDF and one workbook.

Data: the store named by ``--db`` when it holds schools; otherwise (no ``--db``, or an
empty store) a temporary store filled with the demo county, deleted afterwards — the
given store is never written to. Window settings go to a temporary file too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.commands import CliError

EXIT_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "selftest", help="自检：在后台打开主窗口，逐页检查能否显示",
        description="在不显示窗口的情况下打开主窗口，逐页检查：页面能打开、有内容、中文有字形。",
    )
    parser.add_argument("--keep-screenshots", metavar="DIR", help="把每页截图保存到此文件夹（PNG）")
    parser.add_argument("--frozen", action="store_true",
                        help="同时检查安装是否完整：资源文件、数据库迁移、Qt 中文翻译、求解器、生成 PDF 与 Excel")
    parser.set_defaults(run=run)


def ensure_platform() -> None:
    """Without a display, Qt must run offscreen (else it aborts the process)."""
    if "QT_QPA_PLATFORM" in os.environ:
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


@contextmanager
def _store_for(db: str | None) -> Iterator[tuple[object, str]]:
    """The store to test and a description of it; a temporary demo store when needed."""
    from db.store import Store
    from desktop.app import store_is_empty

    if db is not None:
        store = Store.open(db, create=False)  # a mistyped --db is an error, not a new file
        if not store_is_empty(store):
            try:
                yield store, f"数据文件 {store.location}"
            finally:
                store.dispose()
            return
        store.dispose()
    try:
        from db.demo import build_demo
    except ImportError:
        raise CliError("自检需要示范数据生成模块 db.demo，但它不可用") from None
    with tempfile.TemporaryDirectory(prefix="edubridge-selftest-") as folder:
        store = Store.open(str(Path(folder) / "selftest.db"))
        try:
            started = time.perf_counter()
            counts = build_demo(store, scale="county")
            took = time.perf_counter() - started
            schools = counts.get("school", "?") if isinstance(counts, dict) else "?"
            yield store, f"临时示范县数据（{schools} 所学校，生成用时 {took:.1f} 秒）"
        finally:
            store.dispose()


def blank_reason(image: object) -> str | None:
    """Why a grabbed QImage counts as blank (None when it shows content)."""
    from PySide6.QtGui import QImage

    assert isinstance(image, QImage)
    if image.isNull() or image.width() < 10 or image.height() < 10:
        return "截图为空"
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    data = bytes(gray.constBits())
    sample = data[:: max(1, len(data) // 20000)]
    background = max(set(sample), key=sample.count)
    share = 1 - data.count(background) / len(data)
    if share < 0.002:
        return f"页面几乎空白（非背景像素 {share:.2%}）"
    return None


def visible_text(widget: object) -> str:
    """Every piece of text a person sees on ``widget``: labels, buttons, fields, table headers and first rows."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QGroupBox,
        QLabel,
        QLineEdit,
        QTableView,
        QTabWidget,
        QWidget,
    )

    assert isinstance(widget, QWidget)
    parts: list[str] = []
    for child in [widget, *widget.findChildren(QWidget)]:
        if not child.isVisibleTo(widget) and child is not widget:
            continue
        if isinstance(child, QLabel):
            parts.append(child.text())
        elif isinstance(child, QAbstractButton):
            parts.append(child.text().replace("&", ""))
        elif isinstance(child, QLineEdit):
            parts.extend((child.text(), child.placeholderText()))
        elif isinstance(child, QComboBox):
            parts.append(child.currentText())
        elif isinstance(child, QGroupBox):
            parts.append(child.title())
        elif isinstance(child, QTabWidget):
            parts.extend(child.tabText(i) for i in range(child.count()))
        elif isinstance(child, QAbstractItemView) and child.model() is not None:
            model, root = child.model(), child.rootIndex()
            try:
                columns = model.columnCount(root)
            except TypeError:  # QAbstractListModel keeps columnCount() private: one column
                columns = 1
            header_visible = isinstance(child, QTableView) and child.horizontalHeader().isVisible()
            for column in range(columns):
                if header_visible:
                    parts.append(str(model.headerData(column, Qt.Orientation.Horizontal) or ""))
                for row in range(min(20, model.rowCount(root))):
                    value = model.index(row, column, root).data()
                    if isinstance(value, str):
                        parts.append(value)
    return "\n".join(p for p in parts if p)


def missing_glyphs(text: str, family: str) -> str:
    """The characters of ``text`` the font lacks (each once, in order)."""
    from desktop.fonts import has_glyphs

    if has_glyphs(text, family):
        return ""
    seen: list[str] = []
    for char in text:
        if char.isspace() or char in seen:
            continue
        if not has_glyphs(char, family):
            seen.append(char)
    return "".join(seen)


#: Qt warnings of the offscreen platform that say nothing about EduBridge.
HARMLESS_QT_MESSAGES = ("This plugin does not support propagateSizeHints",)


def _quiet_offscreen_noise() -> None:
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind: object, _context: object, message: str) -> None:
        if not any(noise in message for noise in HARMLESS_QT_MESSAGES):
            sys.stderr.write(message + "\n")

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" and "pytest" not in sys.modules:
        qInstallMessageHandler(handler)


def run(args: argparse.Namespace) -> int:
    ensure_platform()
    _quiet_offscreen_noise()
    from desktop import messages

    was_headless = messages.headless
    messages.set_headless(True)
    try:
        with _store_for(args.db) as (store, description):
            status = _check_window(store, description, args.keep_screenshots)
            if args.frozen:
                from desktop.bundle_checks import run_checks

                failures = run_checks(store)
                if failures:
                    print(f"安装检查失败（{len(failures)} 项）")
                    status = EXIT_FAILED
                else:
                    print("安装检查通过。")
            return status
    finally:
        messages.set_headless(was_headless)


def _check_window(store: object, description: str, screenshots: str | None) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop import messages
    from desktop.app import make_app
    from desktop.context import AppContext
    from desktop.fonts import SANS_FAMILY, install_app_fonts
    from desktop.main_window import MainWindow
    from desktop.pages import PAGES
    from desktop.pages.placeholder import PlaceholderPage

    print(f"EduBridge 自检：{description}")
    failures: list[str] = []
    app = make_app()
    try:
        install_app_fonts(app)
    except RuntimeError as exc:
        print(f"✗ 字体：{exc}")
        return EXIT_FAILED
    shots = Path(screenshots) if screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edubridge-selftest-ini-") as folder:
        settings = QSettings(str(Path(folder) / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(AppContext.for_store(store), settings=settings)  # type: ignore[arg-type]  # selftest passes its own QSettings file
        window.resize(1280, 800)
        window.show()
        QApplication.processEvents()
        title_missing = missing_glyphs(window.windowTitle(), SANS_FAMILY)
        if title_missing:
            failures.append(f"窗口标题缺字形：{title_missing}")
        for number, spec in enumerate(PAGES, start=1):
            logged = len(messages.log)
            started = time.perf_counter()
            problems: list[str] = []
            try:
                page = window.show_page(spec.key)
                QApplication.processEvents()
            except Exception as exc:  # noqa: BLE001 — the point is to report it
                problems.append(f"打开出错：{type(exc).__name__}: {exc}")
                page = None
            took = time.perf_counter() - started
            if spec.key in window.page_errors:
                problems.append(f"页面出错：{window.page_errors[spec.key]}")
            for shown in messages.log[logged:]:
                if shown.kind in ("error", "warn"):
                    problems.append(f"弹出{shown.title}：{shown.text}")
            kind = "占位页" if isinstance(page, PlaceholderPage) else "页面"
            chars = 0
            if page is not None:
                try:
                    chars = _check_page(window, page, problems, shots, number, spec.key)
                except Exception as exc:  # noqa: BLE001 — report, then go on with the next page
                    problems.append(f"检查出错：{type(exc).__name__}: {exc}")
            mark = "✗" if problems else "✓"
            line = f"{mark} {number} {spec.title}（{kind}）：{chars} 字，{took * 1000:.0f} 毫秒"
            if problems:
                line += "；" + "；".join(problems)
                failures.append(f"{spec.title}：" + "；".join(problems))
            print(line)
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    if failures:
        print(f"自检失败（{len(failures)} 项）：")
        for failure in failures:
            print(f"  - {failure}")
        return EXIT_FAILED
    print(f"自检通过：{len(PAGES)} 个页面均能显示。")
    return 0


def _check_page(window: object, page: object, problems: list[str], shots: Path | None, number: int,
                key: str) -> int:
    """Append what is wrong with the shown ``page`` to ``problems``; return its character count."""
    from desktop.fonts import SANS_FAMILY

    if window.stack.currentWidget() is not page:  # type: ignore[attr-defined]  # window is a MainWindow, typed loosely here
        problems.append("切换后显示的不是此页")
    image = page.grab().toImage()  # type: ignore[attr-defined]  # page is a QWidget, typed loosely here
    if shots:
        window.grab().save(str(shots / f"{number}_{key}.png"))  # type: ignore[attr-defined]  # (as above)
    reason = blank_reason(image)
    if reason:
        problems.append(reason)
    text = visible_text(page)
    chars = len("".join(text.split()))
    if not chars:
        problems.append("页面上没有文字")
    lacking = missing_glyphs(text, SANS_FAMILY)
    if lacking:
        problems.append(f"字体缺字形（会显示为方框）：{lacking}")
    return chars
