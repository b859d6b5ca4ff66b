"""集团(学区)基本情况统计表 as a landscape PDF beside the xlsx (银川2023方案 三(一)).

The rows are the xlsx's (``reports.cluster_sheets.statistics_table``, from
``policy.clusters.summarize``); this module only lays them out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from db.agreements import bureau_name
from db.store import Store
from reports.cluster_sheets import STATISTICS_HEADERS, statistics_clause, statistics_table
from reports.output import finish
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    chinese_date,
    esc,
    note,
    styles,
    table,
    with_footnote,
)

WIDTHS = (0.45, 2.0, 1.1, 0.8, 1.6, 3.6, 0.6, 0.8, 2.6, 0.8, 1.6)
NUMERIC = {"序号", "学校数", "其中乡村学校(含教学点)", "在校学生数"}


def statistics_story(rows: list[tuple[Any, ...]], total: tuple[Any, ...], bureau: str, on: dt.date,
                     width: float, clause: str) -> list[Flowable]:
    st = styles()
    columns = [Col(h, w, numeric=h in NUMERIC) for h, w in zip(STATISTICS_HEADERS, WIDTHS, strict=True)]
    body = [tuple(f"{v:,}" if isinstance(v, int) and i == 9 else v for i, v in enumerate(r)) for r in [*rows, total]]
    return [
        Paragraph("集团(学区)基本情况统计表", st["doc_title"]),
        Paragraph(esc(f"填报单位：{bureau}；统计日期：{chinese_date(on)}；共 {len(rows)} 个集团(学区)。"),
                  st["plain"]),
        Spacer(1, 2 * mm),
        # The footnote travels with the table's last rows: never a page holding only it.
        with_footnote(
            table(columns, body, width=width, font_size=8),
            Spacer(1, 2 * mm),
            note(f"依据：{clause}。按统计日期当日仍在集团(学区)中的学校统计；学校数含牵头学校；"
                 "乡村学校指城乡类别为乡村的学校及全部教学点。"),
        ),
    ]


def build_statistics(store: Store, target: Any, *, on: dt.date, progress: Any = None) -> Any:
    progress = progress or (lambda _p, _t: None)
    progress(10, "统计")
    rows, total = statistics_table(store, on)
    bureau = bureau_name(store)
    doc = ReportDocument(target, DocInfo(title="集团(学区)基本情况统计表", bureau=bureau, date=on),
                         cover_page=False, landscape=True)
    pages = doc.build_story(statistics_story(rows, total, bureau, on, doc.frame_width, statistics_clause(store)))
    progress(100, "完成")
    return finish(target, pages, f"，{len(rows)} 个集团(学区)", clusters=len(rows))
