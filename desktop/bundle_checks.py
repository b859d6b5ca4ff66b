"""What ``edubridge selftest --frozen`` checks beyond the pages: that an installed copy is whole.

A frozen build (PyInstaller) fails in ways a source tree never does: a data file left out, a
native library not collected (OR-Tools, HiGHS), a Qt translation missing. Each check here
exercises the real code path a clerk would — migrate a fresh database, write a PDF and a
workbook, solve a plan with both solvers — and answers one line, or raises with the reason.
Nothing is written to the store under test; files go to a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class BundleProblem(Exception):
    """A part of the installation is missing or does not work; the message says which."""


@dataclass(frozen=True)
class BundleCheck:
    title: str
    run: Callable[[Any, Path], str]


def _resources(_store: Any, _folder: Path) -> str:
    from policy.profile import available_profiles, load_profile
    from resources import resource_path

    fonts = sorted(p.name for p in resource_path("fonts").glob("*.ttf"))
    if not fonts or not (resource_path("fonts") / "OFL.txt").is_file():
        raise BundleProblem(f"字体或其许可证缺失（{resource_path('fonts')}）")
    profiles = available_profiles()
    for profile_id in profiles:
        load_profile(profile_id)
    templates = sorted(p.name for p in resource_path("templates").iterdir() if p.is_file())
    icons = sorted(p.name for p in resource_path("icons").glob("*.png"))
    if not profiles or not templates or not icons:
        raise BundleProblem(f"政策方案 {len(profiles)} 个、文书模板 {len(templates)} 个、图标 {len(icons)} 个：有缺失")
    return f"字体 {len(fonts)} 个，政策方案 {len(profiles)} 个，文书模板 {len(templates)} 个，图标 {len(icons)} 个"


def _migrations(_store: Any, folder: Path) -> str:
    from db.migrate import HEAD_REVISION, current_revision, head_revision
    from db.store import Store

    store = Store.open(str(folder / "fresh.db"))
    try:
        revision = current_revision(store.engine)
    finally:
        store.dispose()
    scripts = head_revision()  # read from the revision files on disk, as Alembic does
    if not revision == scripts == HEAD_REVISION:
        raise BundleProblem(f"新数据库升级到 {revision}，迁移脚本最新为 {scripts}，程序需要 {HEAD_REVISION}")
    return f"新数据库已升级到最新版本 {revision}"


def _qt_translation(_store: Any, _folder: Path) -> str:
    from PySide6.QtCore import QLibraryInfo, QTranslator

    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator()
    if not translator.load("qtbase_zh_CN", folder):
        raise BundleProblem(f"找不到 Qt 中文翻译 qtbase_zh_CN.qm（{folder}）")
    sample = translator.translate("QPlatformTheme", "Cancel")
    return f"Qt 中文翻译可用（“Cancel”译为“{sample}”）"


def _pdf(store: Any, folder: Path) -> str:
    from reports import documents

    built = documents.statistics(store, folder / "统计表.pdf", on=dt.date.today())
    head = Path(built.path).read_bytes()[:5]
    if head != b"%PDF-" or built.pages < 1:
        raise BundleProblem(f"生成的 PDF 无效（{built.path}）")
    return f"统计表 PDF {built.pages} 页，{built.size / 1024:.0f} KB"


def _xlsx(store: Any, folder: Path) -> str:
    from openpyxl import load_workbook

    from reports import cluster_sheets

    path = folder / "统计表.xlsx"
    groups = cluster_sheets.write_statistics(store, path, dt.date.today())
    workbook = load_workbook(path, read_only=True)
    try:
        rows = sum(sheet.max_row or 0 for sheet in workbook.worksheets)
    finally:
        workbook.close()
    if rows < 2:
        raise BundleProblem(f"生成的 Excel 表没有内容（{path}）")
    return f"统计表 Excel {groups} 个集团，{rows} 行"


def _plan(store: Any, _folder: Path) -> str:
    from db.exchange_plans import make_plan
    from db.settings import active_profile
    from policy.calendar import school_year_of

    profile = active_profile(store)
    year = school_year_of(dt.date.today())
    parts = []
    for overrides in ({"exchange.per_sending_school": False}, {"exchange.per_sending_school": True}):
        started = time.perf_counter()
        plan = make_plan(store, profile.with_overrides(overrides), year)
        parts.append(f"{plan.solver} 安排 {len(plan.moves)} 人，{time.perf_counter() - started:.1f} 秒")
    return f"{year} 学年交流计划：" + "；".join(parts)


def _solver_libraries(_store: Any, _folder: Path) -> str:
    # The planner only reaches OR-Tools and HiGHS when someone is eligible; load both anyway.
    from ortools.graph.python import min_cost_flow
    from scipy.optimize import Bounds, milp

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arc_with_capacity_and_unit_cost(0, 1, 1, 1)
    flow.set_node_supply(0, 1)
    flow.set_node_supply(1, -1)
    if flow.solve() != flow.OPTIMAL:
        raise BundleProblem("OR-Tools 无法求解最小费用流")
    result = milp([1.0], integrality=[1], bounds=Bounds(1, 2))
    if not result.success:
        raise BundleProblem(f"HiGHS 无法求解：{result.message}")
    return "OR-Tools 与 HiGHS 的原生库均已加载"


CHECKS = (
    BundleCheck("程序文件", _resources),
    BundleCheck("数据库迁移", _migrations),
    BundleCheck("Qt 中文翻译", _qt_translation),
    BundleCheck("求解器", _solver_libraries),
    BundleCheck("交流计划", _plan),
    BundleCheck("PDF 文书", _pdf),
    BundleCheck("Excel 表格", _xlsx),
)


def run_checks(store: Any) -> list[str]:
    """Print one line per check; return the failures (empty when all passed)."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="edubridge-bundle-") as folder:
        for check in CHECKS:
            started = time.perf_counter()
            try:
                detail = check.run(store, Path(folder))
            except Exception as exc:  # noqa: BLE001 — the point is to report it
                detail = f"{type(exc).__name__}: {exc}"
                failures.append(f"{check.title}：{detail}")
                print(f"✗ {check.title}：{detail}")
                continue
            print(f"✓ {check.title}：{detail}（{(time.perf_counter() - started) * 1000:.0f} 毫秒）")
    return failures
