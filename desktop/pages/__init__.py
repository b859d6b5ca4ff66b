"""The pages of the main window, in sidebar order, built lazily (contract: ``base.py``).

To add a page, write ``desktop/pages/<module>.py`` with the class named here; until the
module exists the main window shows a placeholder saying the part is not built yet.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class PageSpec:
    """A sidebar entry: stable key, Chinese title, and ``"module:ClassName"`` of the page."""

    key: str
    title: str
    target: str

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def class_name(self) -> str:
        return self.target.partition(":")[2]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "概览", "desktop.pages.overview:OverviewPage"),
    PageSpec("schools", "学校", "desktop.pages.schools:SchoolsPage"),
    PageSpec("clusters", "集团与教共体", "desktop.pages.clusters:ClustersPage"),
    PageSpec("teachers", "教师与交流", "desktop.pages.teachers:TeachersPage"),
    PageSpec("map", "县域地图", "desktop.pages.county_map:CountyMapPage"),
    PageSpec("visits", "帮扶活动", "desktop.pages.visits:VisitsPage"),
    PageSpec("agreements", "协议", "desktop.pages.agreements:AgreementsPage"),
    PageSpec("reports", "报告", "desktop.pages.reports:ReportsPage"),
    PageSpec("audit", "审计日志", "desktop.pages.audit:AuditPage"),
    PageSpec("settings", "设置", "desktop.pages.settings:SettingsPage"),
)
