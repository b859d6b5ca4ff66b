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


def _icu(_store: Any, _folder: Path) -> str:
    # Qt's ICU data is trimmed to the Chinese and English locales on Linux (installer/trim_icu.py):
    # what Qt asks of it must still be there — pinyin collation (the file dialogs sort with
    # it), the Chinese text codecs, Chinese time-zone names.
    import sys

    from PySide6.QtCore import QCollator, QDateTime, QLocale, QStringDecoder, QTimeZone

    if not sys.platform.startswith("linux"):
        return "不适用：只有 Linux 版自带 ICU（Windows 版的 Qt 用系统的排序与编码）"
    collator = QCollator(QLocale("zh_CN"))
    names = sorted(["张三", "阿明", "李四", "王五"], key=collator.sortKey)
    if names != ["阿明", "李四", "王五", "张三"]:
        raise BundleProblem(f"ICU 中文排序不正确：{'、'.join(names)}")
    broken = [name for name in ("GB18030", "GBK", "Big5") if not QStringDecoder(name).isValid()]
    if broken:
        raise BundleProblem(f"ICU 缺少字符编码：{'、'.join(broken)}")
    zone = QTimeZone(b"Asia/Shanghai").displayName(QDateTime.currentDateTime(), QTimeZone.NameType.LongName,
                                                  QLocale("zh_CN"))
    return f"ICU：拼音排序、GB18030/GBK/Big5 编码、时区名称（{zone}）可用"


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
    # The planner only reaches OR-Tools' flow, GLOP and HiGHS when someone is eligible; load them anyway.
    from ortools.graph.python import min_cost_flow
    from ortools.linear_solver import pywraplp

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arc_with_capacity_and_unit_cost(0, 1, 1, 1)
    flow.set_node_supply(0, 1)
    flow.set_node_supply(1, -1)
    if flow.solve() != flow.OPTIMAL:
        raise BundleProblem("OR-Tools 无法求解最小费用流")
    solver = pywraplp.Solver.CreateSolver("HIGHS")
    if solver is None:
        raise BundleProblem("OR-Tools 中没有 HiGHS 求解器")
    solver.SetSolverSpecificParametersAsString("output_flag=false")
    x = solver.IntVar(1.0, 2.0, "x")
    solver.Minimize(x)
    if solver.Solve() != solver.OPTIMAL or x.solution_value() != 1.0:
        raise BundleProblem("HiGHS 无法求解整数规划")
    lp = pywraplp.Solver.CreateSolver("GLOP")  # the per-school plan prices columns with its duals
    if lp is None:
        raise BundleProblem("OR-Tools 中没有 GLOP 求解器")
    y = lp.NumVar(0.0, 10.0, "y")
    row = lp.Add(y >= 3.0)
    lp.Minimize(2.0 * y)
    if lp.Solve() != lp.OPTIMAL or abs(row.dual_value() - 2.0) > 1e-9:
        raise BundleProblem("GLOP 无法求解线性规划")
    return "OR-Tools 与 HiGHS、GLOP 的原生库均已加载"


def _cluster_forming(store: Any, _folder: Path) -> str:
    # 组建建议 is CP-SAT (ortools.sat), whose Python module imports pandas at load; the frozen
    # build leaves pandas out and serves a stand-in (installer/pandas_stand_in.py): propose
    # for the county, briefly, as the clusters page does.
    from db.cluster_forming import forming_schools
    from db.settings import active_profile
    from policy.cluster_forming import propose

    schools = forming_schools(store, dt.date.today())
    proposal = propose(schools, active_profile(store), time_limit=2.0, workers=2)
    if not proposal.clusters:
        raise BundleProblem(f"CP-SAT 没有给出分组（{proposal.status_label}）")
    return f"CP-SAT 为 {len(schools)} 所学校给出 {len(proposal.clusters)} 个集团（{proposal.status_label}）"


#: Names with rare characters (CJK Unified Ideographs: 堃 喆 犇 淼 昇; Extension A: 䶮 㛃;
#: 通用规范汉字表 beyond U+FFFF: 𫖯) that every bundled face must draw, in the GUI and in PDFs.
RARE_NAMES = "王堃 张喆 李犇 赵淼 刘昇 刘䶮 王㛃 赵孟𫖯"
#: 𠮷 U+20BB7: in the supplement (NotoSansSC-Supplement.ttf), which the four faces fall back to.
EXTENSION_B = "\U00020BB7"


def _rare_characters(_store: Any, _folder: Path) -> str:
    from reportlab.pdfbase import pdfmetrics

    from desktop.fonts import has_glyphs
    from reports.fonts import SANS, SANS_BOLD, SERIF, SERIF_BOLD, SUPPLEMENT, register_fonts

    register_fonts()
    missing = []
    for name in (SANS, SANS_BOLD, SERIF, SERIF_BOLD):
        face = pdfmetrics.getFont(name).face
        missing += [f"{name} {char}" for char in RARE_NAMES if not char.isspace() and ord(char) not in face.charToGlyph]
    if SUPPLEMENT not in pdfmetrics.getRegisteredFontNames() or \
            ord(EXTENSION_B) not in pdfmetrics.getFont(SUPPLEMENT).face.charToGlyph:
        missing.append(f"{SUPPLEMENT} {EXTENSION_B}")
    for family, text in (("Noto Sans SC", RARE_NAMES), ("Noto Serif SC", RARE_NAMES),
                         ("Noto Sans SC Supplement", EXTENSION_B)):
        if not has_glyphs(text, family):
            missing.append(f"{family}（界面）")
    if missing:
        raise BundleProblem(f"字体缺少生僻字：{'，'.join(missing)}")
    return f"四种字体均有生僻字（{RARE_NAMES}），补充字体有 {EXTENSION_B}"


def _postgres_driver(_store: Any, _folder: Path) -> str:
    # The bureau-server mode: psycopg and its libpq. The Linux build leaves psycopg's own libpq
    # out and loads the system's (libpq5, a Depends of the .deb); without it psycopg fails to import.
    try:
        import psycopg
    except ImportError as exc:
        raise BundleProblem(f"PostgreSQL 驱动无法载入（Linux 需要系统的 libpq5）：{exc}") from None
    number = psycopg.pq.version()
    return f"psycopg {psycopg.__version__}（{psycopg.pq.__impl__}），libpq {number // 10000}.{number % 10000}"


def _signatures(_store: Any, folder: Path) -> str:
    # Data packages are signed with Ed25519 (cryptography's Rust extension and its OpenSSL):
    # write one as db.packages does, read it back, verify it, and see a wrong key refused.
    from db.packages import archive, keys

    private, public = keys.new_key_pair()
    _other, stranger = keys.new_key_pair()
    path = folder / "自检.ebpkg"
    archive.write(path, {"origin": {"id": "selftest"}}, [{"table": "t", "id": "1", "op": "upsert", "row": {}}],
                  [], {}, lambda data: keys.sign(private, data))
    opened = archive.read(path)
    try:
        if not keys.verify(public, opened.signature, opened.head) or len(opened.records) != 1:
            raise BundleProblem("数据包签名无法验证（cryptography 不完整）")
        if keys.verify(stranger, opened.signature, opened.head):
            raise BundleProblem("数据包签名验证失效：错误的密钥也通过了")
    finally:
        opened.close()
    return "数据包 Ed25519 签名与验证正常"


def _passwords(_store: Any, _folder: Path) -> str:
    # Passwords are argon2id hashes (argon2-cffi: a C extension loaded through cffi). The same
    # hasher as db.users, with a 1 MiB, one-pass cost: the native code is what is checked here,
    # and the real 64 MiB cost three times over would add seconds to every smoke test.
    from argon2.exceptions import VerifyMismatchError

    from db.users import HASHER

    hasher = type(HASHER)(time_cost=1, memory_cost=1024, parallelism=1, type=HASHER.type)
    digest = hasher.hash("自检-Passw0rd")
    if not digest.startswith("$argon2id$") or not HASHER.verify(digest, "自检-Passw0rd"):
        raise BundleProblem(f"argon2 密码散列异常：{digest[:20]}…")
    try:
        HASHER.verify(digest, "wrong-Passw0rd")
    except VerifyMismatchError:
        return "argon2id 密码散列与校验正常"
    raise BundleProblem("argon2 校验失效：错误的密码也通过了")


#: The keyring backend that keeps the server password on each system (entry-point names).
KEYRING_BACKENDS = {"win32": "Windows", "darwin": "macOS"}


def _keyring(_store: Any, _folder: Path) -> str:
    # keyring finds its backends through its package metadata's entry points, which a frozen
    # build loses unless collected: the password would then silently never be kept. Load this
    # system's backend by that path (without touching the clerk's keyring) and see it whole.
    import sys
    from importlib import metadata

    import keyring

    wanted = KEYRING_BACKENDS.get(sys.platform, "SecretService")
    found = {ep.name: ep for ep in metadata.entry_points(group="keyring.backends")}
    if wanted not in found:
        raise BundleProblem(f"keyring 找不到后端 {wanted}（已知：{', '.join(sorted(found)) or '无'}）")
    module = found[wanted].load()
    backend = module.Keyring if hasattr(module, "Keyring") else module.WinVaultKeyring
    try:
        backend.priority  # noqa: B018 — raises when the backend cannot work here
    except Exception as exc:  # noqa: BLE001 — which reasons are fine is decided below
        reason = str(exc)
        if "requir" in reason.lower():  # "SecretStorage required", "Requires … pywin32": not bundled
            raise BundleProblem(f"keyring 后端 {wanted} 缺少依赖：{reason}") from None
        return f"keyring 后端 {wanted} 已载入（本机暂不可用：{reason}；当前：{keyring.get_keyring().name}）"
    return f"keyring 后端 {wanted} 可用（当前：{keyring.get_keyring().name}）"


CHECKS = (
    BundleCheck("程序文件", _resources),
    BundleCheck("数据库迁移", _migrations),
    BundleCheck("Qt 中文翻译", _qt_translation),
    BundleCheck("ICU 数据", _icu),
    BundleCheck("求解器", _solver_libraries),
    BundleCheck("交流计划", _plan),
    BundleCheck("组建建议", _cluster_forming),
    BundleCheck("生僻字", _rare_characters),
    BundleCheck("PostgreSQL 驱动", _postgres_driver),
    BundleCheck("PDF 文书", _pdf),
    BundleCheck("Excel 表格", _xlsx),
    BundleCheck("数据包签名", _signatures),
    BundleCheck("密码散列", _passwords),
    BundleCheck("密码保管（keyring）", _keyring),
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
