"""Workbooks of the cluster registry: templates, exports and the city's statistics table.

The column lists and rows come from ``db.school_import`` / ``db.cluster_import`` (so an
export reads back through the same importer unchanged) and the statistics figures from
``policy.clusters.summarize`` — nothing here recomputes a rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from db import cluster_import, school_import
from db.clusters import load
from db.settings import active_profile
from db.store import Store
from policy.clusters import ClusterSummary, summarize, summary_totals
from reports.xlsx import Column, Sheet, write_table

DATE_FORMAT = "yyyy-mm-dd"


@dataclasses.dataclass(frozen=True, slots=True)
class TableKind:
    sheet_title: str
    headers: Sequence[str]
    choices: dict[str, Sequence[str]]
    date_headers: Sequence[str]
    notes: Sequence[str]
    example: Callable[[], Sequence[Sequence[Any]]]
    rows: Callable[[Store], Sequence[Sequence[Any]]]

    def columns(self) -> list[Column]:
        return [
            Column(h, tuple(self.choices.get(h, ())), number_format=DATE_FORMAT if h in self.date_headers else None,
                   width=14 if h in self.date_headers else None)
            for h in self.headers
        ]


SCHOOLS = TableKind("学校名单", school_import.HEADERS, school_import.CHOICES, (), school_import.NOTES,
                    school_import.example_rows, school_import.export_rows)
CLUSTERS = TableKind("集团成员", cluster_import.HEADERS, cluster_import.CHOICES, cluster_import.DATE_HEADERS,
                     cluster_import.NOTES, cluster_import.example_rows, cluster_import.export_rows)


def write_template(kind: TableKind, path: Path) -> Path:
    """Headers, drop-downs for coded columns, the importer's example row (grey italics,
    skipped on import while unchanged) and the 说明 sheet."""
    (example,) = kind.example()
    return write_table(Path(path), [Sheet(kind.sheet_title, kind.columns(), example=example)], kind.notes)


def write_export(kind: TableKind, store: Store, path: Path) -> int:
    """Everything in the store in the template's layout (imports back unchanged); returns rows written."""
    rows = list(kind.rows(store))
    write_table(Path(path), [Sheet(kind.sheet_title, kind.columns(), rows)], kind.notes)
    return len(rows)


# ---- 集团(学区)基本情况统计表 (银川2023方案 三(一)) -----------------------------------------

STATISTICS_HEADERS = (
    "序号", "集团(学区)名称", "类型", "片区", "牵头学校", "成员学校", "学校数", "其中乡村学校(含教学点)",
    "乡村学校名称", "在校学生数", "包片包抓市属学校",
)


def statistics_clause(store: Store) -> str:
    """The clause the statistics table rests on, from the store's active profile."""
    return active_profile(store).clause("statistics.table")


def statistics_rows(summaries: Sequence[ClusterSummary]) -> list[tuple[Any, ...]]:
    """One row per cluster for the statistics table (also used by the PDF report)."""
    return [
        (
            number, s.cluster.name, s.cluster.kind, s.cluster.area or "", s.lead.name if s.lead else "",
            s.member_names, s.schools, s.rural_schools, s.rural_member_names, s.students, s.city_partner_names,
        )
        for number, s in enumerate(summaries, start=1)
    ]


def statistics_table(store: Store, on: dt.date) -> tuple[list[tuple[Any, ...]], tuple[Any, ...]]:
    """The statistics rows of every cluster standing on ``on``, and the 合计 row."""
    r = load(store, on)
    summaries = summarize(r.schools, r.clusters, r.memberships, r.pairings, on)
    schools, rural, students = summary_totals(summaries)
    return statistics_rows(summaries), ("合计", "", "", "", "", "", schools, rural, "", students, "")


def write_statistics(store: Store, path: Path, on: dt.date) -> int:
    rows, total = statistics_table(store, on)
    widths = {"集团(学区)名称": 24, "牵头学校": 22, "成员学校": 48, "乡村学校名称": 40, "包片包抓市属学校": 22}
    columns = [Column(h, width=widths.get(h)) for h in STATISTICS_HEADERS]
    caption = f"集团(学区)基本情况统计表（截至{on.year}年{on.month}月{on.day}日）"
    notes = (
        "集团(学区)基本情况统计表说明",
        f"依据：{statistics_clause(store)}。统计日期：{on.isoformat()}，按当日仍在集团(学区)中的学校统计。",
        "学校数含牵头学校；乡村学校指城乡类别为乡村的学校及全部教学点。",
    )
    write_table(Path(path), [Sheet("统计表", columns, [*rows, total], caption=caption)], notes)
    return len(rows)
