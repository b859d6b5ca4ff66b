"""交流轮岗审批表 and 教师交流个人登记表, one page per teacher of the approved plan.

The 审批表 carries the exchange and four opinion boxes (本人 / 派出学校 / 接收学校 / 教育局),
each with its signature, seal and date line, as the exchange is approved on paper; the
登记表 is the teacher's own record with the full ID number (it goes into the personnel
file, never onto a notice board). Wording per exchange form comes from the letter template's table
(``resources/templates/notice.toml`` [forms]) so a new form slots in everywhere at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from db.exchange_notice import NoticeRow
from db.models import Exchange, Posting, Teacher
from db.store import Store
from policy.calendar import school_year_label
from policy.progress import Progress, quiet
from reports.fonts import SANS
from reports.notice import (
    _prepare,
    _rank,
    form_wording,
    load_notice_template,
    page_per_row,
    term_text,
)
from reports.output import Built, Target, finish
from reports.pdf import TABLE_GRID, TABLE_HEAD, DocInfo, ReportDocument, esc, styles

BLANK_SIGN = "签字（盖章）：＿＿＿＿＿＿＿＿　　＿＿＿＿年＿＿月＿＿日"


@dataclasses.dataclass(frozen=True, slots=True)
class TeacherFile:
    """What the forms need beyond the notice row: identity and career."""

    id_number: str
    birth: dt.date | None
    started: dt.date | None
    position: str
    years_here: int | None


def _files(store: Store, exchange_ids: list[Any], on: dt.date) -> dict[Any, TeacherFile]:
    """Exchange id → the teacher's file (years at the sending school counted to ``on``)."""
    with store.read() as session:
        rows = session.execute(
            select(Exchange.id, Exchange.from_school_id, Teacher.id, Teacher.id_number, Teacher.birth_date,
                   Teacher.started_teaching, Teacher.position)
            .join(Teacher, Teacher.id == Exchange.teacher_id).where(Exchange.id.in_(exchange_ids))).all()
        starts = {(p.teacher_id, p.school_id): p.start for p in session.scalars(
            select(Posting).where(Posting.teacher_id.in_([r[2] for r in rows]), Posting.holds_personnel.is_(True))
            .order_by(Posting.start))}
    result = {}
    for exchange_id, from_id, teacher_id, id_number, birth, started, position in rows:
        since = starts.get((teacher_id, from_id))
        years = None if since is None else on.year - since.year - ((on.month, on.day) < (since.month, since.day))
        result[exchange_id] = TeacherFile(id_number, birth, started, position or "教师", years)
    return result


def _grid(rows: list[list[Any]], widths: list[float], spans: Sequence[tuple[Any, ...]] = (),
          heights: list[float | None] | None = None) -> Table:
    table = Table(rows, colWidths=widths, rowHeights=heights)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("GRID", (0, 0), (-1, -1), 0.6, TABLE_GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        *spans,
    ]))
    return table


def _cell(text: object, head: bool = False) -> Paragraph:
    """A form cell: a label (bold, shaded column) or a value."""
    return Paragraph(esc(text), styles()["cell_head" if head else "cell"])


def approval_form(row: NoticeRow, file: TeacherFile, year: int, bureau: str, template: dict[str, Any],
                  width: float) -> list[Flowable]:
    """One 交流轮岗审批表: the exchange and the four opinion boxes."""
    st = styles()
    label = True
    verb, duty = form_wording(template, row.form, row.subject)
    p = _cell
    col = width / 6
    rows = [
        [p("姓名", label), p(row.name), p("性别", label), p(row.gender), p("出生年月", label),
         p(f"{file.birth:%Y年%m月}" if file.birth else "")],
        [p("任教学科", label), p(row.subject), p("职称/骨干", label), p(_rank(row) or "—"), p("本校任教年限", label),
         p(f"{file.years_here}年" if file.years_here is not None else "")],
        [p("原单位", label), p(row.from_school), "", "", p("职务", label), p(file.position)],
        [p("交流单位", label), p(f"{row.to_school}（{row.to_location}）"), "", "", p("交流形式", label), p(row.form)],
        [p("交流期限", label), p(term_text(row, year)), "", "", p("人事关系", label),
         p("随交流转入" if row.moves_personnel else "保留在原单位")],
        [p("工作安排", label), p(f"到{row.to_school}{verb}，{duty}。"), "", "", "", ""],
    ]
    opinions = [("本人意见", "本人服从组织安排。"), ("派出学校意见", ""), ("接收学校意见", ""),
                (f"{bureau}意见", "")]
    for head, text in opinions:
        rows.append([p(head, label), [p(text), Spacer(1, 14 * mm), Paragraph(BLANK_SIGN, st["cell_right"])],
                     "", "", "", ""])
    spans: list[tuple[Any, ...]] = [("SPAN", (1, r), (3, r)) for r in (2, 3, 4)] + [("SPAN", (1, 5), (5, 5))]
    spans += [("SPAN", (1, r), (5, r)) for r in range(6, 10)]
    spans += [("BACKGROUND", (0, 0), (0, -1), TABLE_HEAD), ("BACKGROUND", (2, 0), (2, 1), TABLE_HEAD),
              ("BACKGROUND", (4, 0), (4, 4), TABLE_HEAD)]
    return [
        Paragraph(esc(f"{school_year_label(year)}教师交流轮岗审批表"), st["doc_title"]),
        Paragraph("填表日期：＿＿＿＿年＿＿月＿＿日", st["cell_right"]),
        Spacer(1, 2 * mm),
        _grid(rows, [col * 0.9, col * 1.2, col * 0.8, col * 1.1, col * 0.9, col * 1.1], spans),
        Spacer(1, 3 * mm),
        Paragraph("注：本表一式三份，派出学校、接收学校、教育局人事科各存一份。", st["note"]),
    ]


def register_form(row: NoticeRow, file: TeacherFile, year: int, template: dict[str, Any], width: float) -> list[Flowable]:
    """One 教师交流个人登记表: identity, career and this exchange, signed by the teacher."""
    st = styles()
    label = True
    verb, duty = form_wording(template, row.form, row.subject)
    p = _cell
    col = width / 4
    rows = [
        [p("姓名", label), p(row.name), p("性别", label), p(row.gender)],
        [p("身份证号", label), p(file.id_number), p("出生年月", label), p(f"{file.birth:%Y年%m月}" if file.birth else "")],
        [p("参加工作时间", label), p(f"{file.started:%Y年%m月}" if file.started else ""), p("职务", label),
         p(file.position)],
        [p("任教学科", label), p(row.subject), p("职称/骨干", label), p(_rank(row) or "—")],
        [p("原单位", label), p(row.from_school), p("本校任教年限", label),
         p(f"{file.years_here}年" if file.years_here is not None else "")],
        [p("交流单位", label), p(f"{row.to_school}（{row.to_location}）"), p("交流形式", label), p(row.form)],
        [p("交流期限", label), p(term_text(row, year)), p("人事关系", label),
         p("随交流转入" if row.moves_personnel else "保留在原单位")],
        [p("工作安排", label), p(f"{verb}：{duty}。"), "", ""],
        [p("交流期间主要工作及成效（交流结束时填写）", label), p(""), "", ""],
        [p("本人签名", label), p("＿＿＿＿＿＿＿＿　　＿＿＿＿年＿＿月＿＿日"), "", ""],
    ]
    spans = [("SPAN", (1, 7), (3, 7)), ("SPAN", (1, 8), (3, 8)), ("SPAN", (1, 9), (3, 9)),
             ("BACKGROUND", (0, 0), (0, -1), TABLE_HEAD), ("BACKGROUND", (2, 0), (2, 6), TABLE_HEAD)]
    heights: list[float | None] = [None] * 10
    heights[8] = 60 * mm
    return [
        Paragraph(esc(f"{school_year_label(year)}教师交流个人登记表"), st["doc_title"]),
        Spacer(1, 3 * mm),
        _grid(rows, [col * 0.9, col * 1.3, col * 0.8, col * 1.0], spans, heights),
        Spacer(1, 3 * mm),
        Paragraph("注：本表存入教师个人业务档案；交流结束时由交流单位填写工作及成效并盖章。", st["note"]),
    ]


def build_forms(store: Store, year: int, target: Target, *, kind: str, progress: Progress = quiet,
                today: dt.date | None = None) -> Built:
    """``kind`` "approval" (审批表) or "register" (个人登记表): one page per teacher of the approved plan."""
    plan, _profile, bureau, _basis, today = _prepare(store, year, today)
    template = load_notice_template()
    files = _files(store, [r.exchange_id for r in plan.rows], today)
    title = f"{school_year_label(year)}教师交流轮岗" + ("审批表" if kind == "approval" else "个人登记表")
    doc = ReportDocument(target, DocInfo(title=title, bureau=bureau, date=today), cover_page=False,
                         page_furniture=False)
    empty = TeacherFile("", None, None, "教师", None)

    def page(_number: int, row: NoticeRow) -> list[Flowable]:
        file = files.get(row.exchange_id, empty)
        return (approval_form(row, file, year, bureau, template, doc.frame_width) if kind == "approval"
                else register_form(row, file, year, template, doc.frame_width))

    story = page_per_row(plan.rows, page, progress)
    pages = doc.build_story(story)
    progress("完成", 1.0)
    return finish(target, pages, f"，{len(plan.rows)} 人", teachers=len(plan.rows))


__all__ = ["approval_form", "build_forms", "register_form"]
