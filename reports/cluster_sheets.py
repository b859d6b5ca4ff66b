"""Workbooks of the cluster registry: templates, exports and the city's statistics table.

The column lists and rows come from ``db.school_import`` / ``db.cluster_import`` (so an
export reads back through the same importer unchanged) and the statistics figures from
``policy.clusters.summarize`` — nothing here recomputes a rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from db import cluster_import, school_import
from db.store import Store
from reports.xlsx import Column, Sheet, write_table

DATE_FORMAT = "yyyy-mm-dd"


@dataclasses.dataclass(frozen=True, slots=True)
class TableKind:
    sheet_title: str
    headers: Sequence[str]
    choices: Mapping[str, Sequence[str]]
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

#: Wide text columns of the form (characters; the rest size from their content).
STATISTICS_WIDTHS = {"集团(学区)名称": 22, "牵头学校": 18, "成员学校": 40, "乡村学校名称": 34, "包片包抓市属学校": 18,
                     "存在问题（依据）": 40, "县(市)区": 10}


def write_statistics(store: Store, path: Path, on: dt.date, *, include_all: bool = False) -> int:
    """The form as the PDF prints it: title, header, rows, 小计 / 合计, footer, notes; returns clusters."""
    from reports.statistics_form import TITLE, statistics_form

    form = statistics_form(store, on, include_all=include_all)
    columns = [Column(h, width=STATISTICS_WIDTHS.get(h)) for h in form.headers]
    caption = f"{TITLE}（截至{on.year}年{on.month}月{on.day}日）"
    notes = (f"{TITLE}说明", *form.notes)
    body = [*form.rows, form.total]
    footer = (*form.footer, *(f"注：{line}" for line in form.notes))
    bold = [*sorted(form.subtotal_rows), len(body) - 1]
    write_table(Path(path), [Sheet("统计表", columns, body, caption=caption, footer=footer, landscape=True,
                                   bold_rows=bold)], notes)
    return form.clusters
