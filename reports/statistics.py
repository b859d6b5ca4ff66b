"""集团(学区)基本情况统计表 as a landscape PDF beside the xlsx (银川2023方案 三(一)).

The figures are the xlsx's (``reports.statistics_form.statistics_form``); this module only
lays them out: breaches on a light red ground, 小计 / 合计 on blue, the form's footer
(填报单位（盖章）/ 填表人 / 审核人 / 联系电话 / 填报日期) and its numbered notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from db.store import Store
from policy.calendar import chinese_date
from policy.progress import Progress, quiet
from reports.fonts import SANS
from reports.output import Built, Target, finish
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    esc,
    note,
    styles,
    table,
    with_footnote,
)
from reports.statistics_form import NUMERIC, TITLE, StatisticsForm, statistics_form

#: Relative column widths by header (the 县(市)区 column only at city scale).
WIDTHS = {"序号": 0.45, "县(市)区": 0.9, "集团(学区)名称": 1.7, "类型": 0.95, "成立时间": 1.25, "牵头学校": 1.4,
          "成员学校": 2.6, "学校数": 0.55, "其中乡村学校(含教学点)": 0.75, "乡村学校名称": 2.2, "在校学生数": 0.8,
          "班级数": 0.55, "专任教师数": 0.65, "包片包抓市属学校": 1.2, "是否签订帮扶协议": 1.3,
          "存在问题（依据）": 2.4}
BREACH_FILL = colors.HexColor("#fbe3e3")
SUBTOTAL_FILL = colors.HexColor("#e8eef7")


def statistics_story(form: StatisticsForm, width: float) -> list[Flowable]:
    st = styles()
    columns = [Col(h, WIDTHS[h], numeric=h in NUMERIC or h in ("序号", "成立时间")) for h in form.headers]
    money = {form.column(h) for h in ("在校学生数",)}
    body = [tuple(f"{v:,}" if isinstance(v, int) and i in money else v for i, v in enumerate(r))
            for r in [*form.rows, form.total]]
    breach = form.column("存在问题（依据）")
    subtotals = {n + 1 for n in form.subtotal_rows} | {len(body)}

    def highlight(number: int, row: Sequence[object]) -> colors.Color | None:
        if number in subtotals:
            return SUBTOTAL_FILL
        return BREACH_FILL if row[breach] else None

    footer = Table([[Paragraph(esc(line), st["plain"])] for line in form.footer], colWidths=[width])
    footer.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                                ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return [
        Paragraph(TITLE, st["doc_title"]),
        Paragraph(esc(f"统计日期：{chinese_date(form.on)}　　共 {form.clusters} 个集团(学区)"), st["cell_center"]),
        Spacer(1, 2 * mm),
        # The footer and notes travel with the table's last rows: never a page holding only them.
        with_footnote(
            table(columns, body, width=width, font_size=7.5, zebra=False, highlight=highlight),
            Spacer(1, 2 * mm), footer, Spacer(1, 1 * mm),
            *(note(("注：" if n == 0 else "") + f"{n + 1}. {line}") for n, line in enumerate(form.notes)),
        ),
    ]


def build_statistics(store: Store, target: Target, *, on: dt.date, include_all: bool = False,
                     progress: Progress = quiet) -> Built:
    progress("统计", 0.1)
    form = statistics_form(store, on, include_all=include_all)
    doc = ReportDocument(target, DocInfo(title=TITLE, bureau=form.bureau, date=on),
                         cover_page=False, landscape=True)
    pages = doc.build_story(statistics_story(form, doc.frame_width))
    progress("完成", 1.0)
    return finish(target, pages, f"，{form.clusters} 个集团(学区)", clusters=form.clusters)
