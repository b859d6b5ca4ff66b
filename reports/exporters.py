"""The spreadsheet exports and the blank import templates, one typed row per kind.

``edubridge export`` / ``edubridge template`` (their choices and help), the GUI's Excel
menus (desktop.spreadsheets) and the welcome page's blank county read these tables; a kind
added here is on all of them. Only the standard library (and the equally light
:mod:`db.importers`) is imported at module level — the command line builds its parser from
these tables — and each writer imports the ``reports`` module it writes with when it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.importers import EXCEL_PATTERN, IMPORTERS
from policy.progress import Progress, quiet

if TYPE_CHECKING:
    from db.store import Store

#: The options an export may accept (``edubridge export --year/--date/--all/--mask-id``).
YEAR, DATE, INCLUDE_ALL, MASK_ID = "year", "date", "include_all", "mask_id"


@dataclass(frozen=True)
class ExportOptions:
    """What the caller chose; an exporter reads only the options it lists.

    ``year`` is a school year's start year; ``on`` the day a dated table is for (today when
    None); ``include_all`` lists every cluster in the statistics form; ``mask_id`` hides the
    middle of ID numbers (a file for circulation, not for importing back).
    """

    year: int | None = None
    on: dt.date | None = None
    include_all: bool = False
    mask_id: bool = False

    @property
    def day(self) -> dt.date:
        return self.on or dt.date.today()

    def school_year(self) -> int:
        """``year``, else the school year ``on`` (today) falls in."""
        from policy.calendar import school_year_of

        return self.year if self.year else school_year_of(self.day)


Write = Callable[["Store", Path, ExportOptions], str]


@dataclass(frozen=True)
class Exporter:
    """One workbook the store can be written as: ``edubridge export KEY FILE``."""

    key: str
    #: What the file holds, as the menus name it; the importer's label when it imports back.
    label: str
    #: ``write(store, path, options) -> message`` (one Chinese line naming the file).
    write: Write
    #: The :class:`ExportOptions` fields it reads (YEAR, DATE, INCLUDE_ALL, MASK_ID).
    options: frozenset[str] = frozenset()
    pattern: str = EXCEL_PATTERN

    def run(self, store: Store, path: Path, options: ExportOptions = ExportOptions(),
            progress: Progress = quiet) -> str:
        """Write the workbook; ``progress`` is asked first, so a cancel leaves no file.

        Raises:
            reports.output.ReportError: nothing to export (e.g. no saved plan for the year).
            policy.errors.Cancelled: ``progress`` stopped the work before anything was written.
        """
        progress(f"正在导出{self.label}…", 0.0)
        return self.write(store, path, options)


@dataclass(frozen=True)
class Template:
    """The blank import template of an importer: header, drop-downs, notes, an example row."""

    key: str
    write: Callable[[Path], Any]

    @property
    def label(self) -> str:
        return IMPORTERS[self.key].label


# ---- the writers (each imports its reports module when it runs) --------------------------


def _schools(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import cluster_sheets

    return f"已导出 {cluster_sheets.write_export(cluster_sheets.SCHOOLS, store, path)} 所学校：{path}"


def _clusters(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import cluster_sheets

    return f"已导出 {cluster_sheets.write_export(cluster_sheets.CLUSTERS, store, path)} 条集团成员记录：{path}"


def _statistics(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import cluster_sheets

    on = options.day
    count = cluster_sheets.write_statistics(store, path, on, include_all=options.include_all)
    return f"已导出集团(学区)基本情况统计表（{count} 个集团，{on.isoformat()}）：{path}"


def _visits(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import visit_tables

    return f"已导出 {visit_tables.write_export(store, path)} 行帮扶活动记录（每位来访人员一行）：{path}"


def _teachers(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import teacher_tables

    teacher_tables.export_teachers(store, path)
    return f"已导出教师名册：{path}"


def _plan(store: Store, path: Path, options: ExportOptions) -> str:
    from db.exchange_plans import draft_for_year
    from reports import exchange_tables
    from reports.output import ReportError

    year = options.school_year()
    plan = draft_for_year(store, year)
    if plan is None:
        raise ReportError(f"{year}—{year + 1}学年还没有保存的交流计划（先运行 edubridge plan --year {year} --save）")
    count = exchange_tables.write_plan(store, plan.id, path)
    return f"已导出 {year}—{year + 1}学年交流计划（{count} 人）：{path}"


def _national(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import exchange_tables

    count = exchange_tables.write_national(store, path, options.year)
    return f"已导出 {count} 条交流轮岗记录（全国教师管理信息系统格式）：{path}"


def _exchanges(store: Store, path: Path, options: ExportOptions) -> str:
    from db.settings import active_profile
    from reports import exchange_sheets

    count = exchange_sheets.write_export(store, path, active_profile(store))
    return f"已导出 {count} 条交流记录（导入模板格式，可修改后导回）：{path}"


def _exemptions(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import exemption_tables

    count = exemption_tables.write_export(store, path, masked=options.mask_id)
    masked = "（身份证号已部分隐藏，仅供传阅，不能再导入）" if options.mask_id else ""
    return f"已导出 {count} 条免交流登记{masked}：{path}"


def _needs(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import needs_tables

    year = options.school_year()
    sheet = needs_tables.write_needs(store, year, path)
    return (f"已导出 {year}—{year + 1}学年学科需求表（{sheet.stored_schools + sheet.derived_schools} 所学校，"
            f"{len(sheet.rows)} 行；其中 {sheet.derived_schools} 所按师生比推算）：{path}")


def _duties(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import duty_tables

    return f"已导出 {duty_tables.write_export(store, path)} 位帮扶责任人：{path}"


def _pairings(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import pairing_tables

    return f"已导出 {pairing_tables.write_export(store, path)} 个结对：{path}"


def _quality(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import quality_tables

    return f"已导出 {quality_tables.write_export(store, path)} 个学校学年的质量数据（含达标情况）：{path}"


def _training(store: Store, path: Path, options: ExportOptions) -> str:
    from db.settings import active_profile
    from reports import training_tables

    return f"已导出 {training_tables.write_export(store, path, active_profile(store))} 条培训记录：{path}"


def _designations(store: Store, path: Path, options: ExportOptions) -> str:
    from db.settings import active_profile
    from reports import training_tables

    count = training_tables.write_designation_export(store, path, active_profile(store))
    return f"已导出 {count} 条种子教师、榜样教师记录：{path}"


def _pairing_list(store: Store, path: Path, options: ExportOptions) -> str:
    from reports import quota_report

    on = options.day
    return f"已导出 {quota_report.write_pairings_xlsx(store, on, path)} 对结对（{on.isoformat()}）：{path}"


def _imported(key: str) -> str:
    """The label of a kind that imports back: one name on the import and export menus."""
    return IMPORTERS[key].label


_EXPORTERS: Sequence[Exporter] = (
    Exporter("pairing_list", "结对帮扶及包片包抓名单", _pairing_list, frozenset({DATE})),
    Exporter("quality", _imported("quality"), _quality),
    Exporter("training", _imported("training"), _training),
    Exporter("designations", _imported("designations"), _designations),
    Exporter("duties", _imported("duties"), _duties),
    Exporter("pairings", _imported("pairings"), _pairings),
    Exporter("schools", _imported("schools"), _schools),
    Exporter("clusters", _imported("clusters"), _clusters),
    Exporter("statistics", "集团(学区)基本情况统计表", _statistics, frozenset({DATE, INCLUDE_ALL})),
    Exporter("visits", _imported("visits"), _visits),
    Exporter("teachers", _imported("teachers"), _teachers),
    Exporter("plan", "交流计划", _plan, frozenset({YEAR, DATE})),
    Exporter("exchanges", _imported("exchanges"), _exchanges),
    Exporter("national", "交流记录（全国教师管理信息系统格式）", _national, frozenset({YEAR})),
    Exporter("exemptions", _imported("exemptions"), _exemptions, frozenset({MASK_ID})),
    Exporter("needs", _imported("needs"), _needs, frozenset({YEAR, DATE})),
)

#: Every export by key.
EXPORTERS: Mapping[str, Exporter] = {exporter.key: exporter for exporter in _EXPORTERS}


# ---- blank templates ---------------------------------------------------------------------


def _cluster_sheet(name: str) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        from reports import cluster_sheets

        return cluster_sheets.write_template(getattr(cluster_sheets, name), path)

    return write


def _module_template(module: str, function: str) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        import importlib

        template: Callable[[Path], Path] = getattr(importlib.import_module(module), function)
        return template(path)

    return write


def _profiled(function: str) -> Callable[[Path], Path]:
    """A template whose drop-downs come from the default profile."""
    def write(path: Path) -> Path:
        from policy.profile import Profile, load_profile
        from reports import training_tables

        template: Callable[[Path, Profile], Path] = getattr(training_tables, function)
        return template(path, load_profile())

    return write


def _exchanges_template(path: Path) -> Path:
    from policy.profile import load_profile
    from reports import exchange_sheets

    return exchange_sheets.write_template(path, load_profile())


_TEMPLATES: Sequence[Template] = (
    Template("quality", _module_template("reports.quality_tables", "write_template")),
    Template("duties", _module_template("reports.duty_tables", "write_template")),
    Template("pairings", _module_template("reports.pairing_tables", "write_template")),
    Template("schools", _cluster_sheet("SCHOOLS")),
    Template("clusters", _cluster_sheet("CLUSTERS")),
    Template("visits", _module_template("reports.visit_tables", "write_template")),
    Template("teachers", _module_template("reports.teacher_tables", "write_teacher_template")),
    Template("exemptions", _module_template("reports.exemption_tables", "write_template")),
    Template("needs", _module_template("reports.needs_tables", "write_needs_template")),
    Template("exchanges", _exchanges_template),
    Template("training", _profiled("write_template")),
    Template("designations", _profiled("write_designation_template")),
)

#: Every blank import template by key (the importer's key and label).
TEMPLATES: Mapping[str, Template] = {template.key: template for template in _TEMPLATES}
