"""交流轮岗公示名单 and one 交流通知书 per teacher, from the approved plan of a school year.

Dates on paper: the list and every letter are dated with the plan's approval date (the
day the decision was made, not the day the file is printed). A letter asks the teacher to
report by the exchange's start (the school year's first day when the exchange has none);
when that day is already past on the day of printing it says from when the exchange runs
(自2026年9月1日起) instead of asking to report before a past date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer

from db.agreements import bureau_name
from db.exchange_notice import ApprovedPlan, NoApprovedPlan, NoticeRow, approved_plan
from db.settings import active_profile
from db.store import Store
from policy.calendar import DEFAULT_DATES, CalendarDates, school_year_bounds, school_year_label
from policy.directions import clauses_of, describe
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    chinese_date,
    esc,
    heading,
    key_values,
    note,
    styles,
    table,
)

COLUMNS = [
    Col("序号", 0.45, numeric=True), Col("学校（原单位）", 2.2), Col("姓名", 0.8), Col("学科", 0.8),
    Col("职称/骨干", 1.2), Col("交流单位", 2.2), Col("形式", 0.7, align="center"), Col("期限", 1.55),
    Col("人事关系", 0.8, align="center"),
]


def term_text(row: NoticeRow, school_year: int) -> str:
    if row.start and row.end:
        return f"{row.start.isoformat()}至{row.end.isoformat()}"
    if row.start:
        return f"自{row.start.isoformat()}起"
    return school_year_label(school_year)


def _rank(row: NoticeRow) -> str:
    return "、".join(x for x in (row.title, row.backbone) if x)


def _counts(summary: dict[str, object]) -> dict[str, int]:
    counts = summary.get("directions")
    return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}


def notice_story(plan: ApprovedPlan, bureau: str, clause: str, today: dt.date, letters: bool,
                 progress: Any, dates: CalendarDates = DEFAULT_DATES,
                 direction_clauses: dict[str, str] | None = None) -> list[Flowable]:
    """The list and the letters; ``today`` is the day of printing (see the module docstring)."""
    st = styles()
    year_label = school_year_label(plan.school_year)
    dated = letter_date(plan, today)
    story: list[Flowable] = [
        Paragraph(esc(f"{bureau}{year_label}教师交流轮岗人员名单公示"), st["doc_title"]),
        Paragraph(esc(
            f"根据{clause}等规定，经学校推荐、教育局审核，{year_label}拟交流轮岗教师共{len(plan.rows)}人，"
            f"现将名单公示如下。公示期为5个工作日，如有异议，请在公示期内向{bureau}人事科反映。"), st["body"]),
        Spacer(1, 3 * mm),
        table(COLUMNS, [
            (i, r.from_school, r.name, r.subject, _rank(r), r.to_school, r.form, term_text(r, plan.school_year),
             "转入" if r.moves_personnel else "保留")
            for i, r in enumerate(plan.rows, start=1)
        ], font_size=8.5),
        Spacer(1, 3 * mm),
        note("人事关系：“转入”指人事关系随交流转入交流单位；“保留”指人事关系保留在原单位（走教、支教、挂职、跟岗、柔性流动）。"),
        *[note(line) for line in describe(_counts(plan.summary), direction_clauses)],
        Spacer(1, 8 * mm),
        Paragraph(esc(bureau), st["plain"]),
        Paragraph(esc(chinese_date(dated)), st["plain"]),
    ]
    if not letters:
        return story
    total = len(plan.rows) or 1
    for index, row in enumerate(plan.rows, start=1):
        if index % 50 == 0:
            progress(10 + int(60 * index / total), f"通知书 {index}/{total}")
        story += [PageBreak(), *letter(row, plan.school_year, bureau, clause, dated, today, dates)]
    return story


def letter_date(plan: ApprovedPlan, today: dt.date) -> dt.date:
    """The date a notice bears: the plan's approval date (today only if it has none)."""
    return plan.approved_at.date() if plan.approved_at is not None else today


def period_text(row: NoticeRow, school_year: int) -> str:
    """'自2026年9月1日至2027年8月31日' / '自2026年9月1日起' / '在2026—2027学年' (letter wording)."""
    if row.start and row.end:
        return f"自{chinese_date(row.start)}至{chinese_date(row.end)}"
    if row.start:
        return f"自{chinese_date(row.start)}起"
    return f"在{school_year_label(school_year)}"


def reporting_text(row: NoticeRow, school_year: int, today: dt.date, dates: CalendarDates = DEFAULT_DATES) -> str:
    """Report by the exchange's start (else the school year's first day, from the profile's
    calendar); a start already past on ``today`` → from when the exchange runs."""
    start = row.start or school_year_bounds(school_year, dates)[0]
    if start >= today:
        return f"请于{chinese_date(start)}前到{row.to_school}报到。"
    return f"本次交流自{chinese_date(start)}起执行，请按{row.to_school}的安排开展工作。"


def letter(row: NoticeRow, school_year: int, bureau: str, clause: str, dated: dt.date,
           today: dt.date | None = None, dates: CalendarDates = DEFAULT_DATES) -> list[Flowable]:
    """One teacher's notice, dated ``dated`` (the approval); ``today`` = the day of printing."""
    st = styles()
    term = term_text(row, school_year)
    keeps = "人事关系随交流转入交流单位" if row.moves_personnel else "人事关系保留在原单位"
    return [
        Spacer(1, 12 * mm),
        Paragraph("教师交流轮岗通知书", st["serif_title"]),
        Paragraph(esc(f"{row.name}老师："), st["serif_plain"]),
        Paragraph(esc(
            f"根据{clause}和{school_year_label(school_year)}教师交流轮岗方案，经研究决定，你{period_text(row, school_year)}"
            f"以“{row.form}”形式到{row.to_school}任教（{row.subject or '相应学科'}），{keeps}。"
            f"{reporting_text(row, school_year, today or dt.date.today(), dates)}"), st["serif_body"]),
        Spacer(1, 5 * mm),
        key_values([
            ("姓名", row.name), ("性别", row.gender), ("学科", row.subject), ("职称/骨干", _rank(row) or "—"),
            ("原单位", row.from_school), ("交流单位", f"{row.to_school}（{row.to_location}）"),
            ("交流形式", row.form), ("交流期限", term), ("人事关系", keeps),
        ]),
        Spacer(1, 18 * mm),
        Paragraph(esc(f"{bureau}（盖章）"), st["serif_plain"]),
        Paragraph(esc(chinese_date(dated)), st["serif_plain"]),
    ]


def build_notice(store: Store, year: int, target: Any, *, letters: bool = True, progress: Any = None,
                 today: dt.date | None = None) -> Any:
    from reports.documents import ReportError, _finish

    progress = progress or (lambda _p, _t: None)
    try:
        plan = approved_plan(store, year)
    except NoApprovedPlan as exc:
        raise ReportError(str(exc)) from None
    profile = active_profile(store)
    clause = profile.clause("exchange.min_share") if "exchange.min_share" in profile.figures else "有关文件"
    bureau = bureau_name(store)
    today = today or dt.date.today()
    progress(5, "读取方案")
    title = f"{school_year_label(year)}教师交流轮岗公示名单"
    doc = ReportDocument(target, DocInfo(title=title, bureau=bureau, date=letter_date(plan, today)), cover_page=False)
    pages = doc.build_story(notice_story(plan, bureau, f"《{clause}》", today, letters, progress, profile.calendar,
                                               clauses_of(profile)))
    progress(100, "完成")
    return _finish(target, pages, f"，{len(plan.rows)} 人", teachers=len(plan.rows))


__all__ = ["build_notice", "heading", "letter", "notice_story"]
