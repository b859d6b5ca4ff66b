"""交流轮岗公示名单 and one 交流通知书 per teacher, from the approved plan of a school year.

Dates on paper: the list and every letter are dated with the plan's approval date (the
day the decision was made, not the day the file is printed). A letter asks the teacher to
report by the exchange's start (the school year's first day when the exchange has none);
when that day is already past on the day of printing it says from when the exchange runs
(自2026年9月1日起) instead of asking to report before a past date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from collections.abc import Callable, Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from db.agreements import bureau_name
from db.exchange_notice import ApprovedPlan, NoApprovedPlan, NoticeRow, approved_plan
from db.models import Setting
from db.settings import active_profile
from db.store import Store
from policy.calendar import (
    DEFAULT_DATES,
    CalendarDates,
    chinese_date,
    school_year_bounds,
    school_year_label,
)
from policy.directions import clauses_of, describe
from policy.profile import Profile
from policy.progress import Progress, quiet
from reports.output import Built, ReportError, Target, finish
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    esc,
    heading,
    key_values,
    note,
    styles,
    table,
)
from resources import resource_path

CONTACT_KEY = "bureau_contact"

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


NOTICE_TEMPLATE = resource_path("templates", "notice.toml")


def load_notice_template() -> dict[str, Any]:
    with NOTICE_TEMPLATE.open("rb") as handle:
        return tomllib.load(handle)


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The last day of a period of ``days`` working days (Monday–Friday) starting on ``day``
    (or on the next working day when ``day`` falls on a weekend)."""
    current = day
    while current.weekday() >= 5:
        current += dt.timedelta(days=1)
    counted = 1
    while counted < days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            counted += 1
    return current


def publicity_period(profile: Profile, issued: dt.date) -> tuple[dt.date, dt.date, int, str]:
    """(first day, last day, working days, clause) of the 公示 issued on ``issued``."""
    days = int(profile.value("publicity.working_days") or 5) if "publicity.working_days" in profile.figures else 5
    clause = profile.clause("publicity.working_days") if "publicity.working_days" in profile.figures else ""
    start = add_working_days(issued, 1)
    return start, add_working_days(start, days), days, clause


@dataclasses.dataclass(frozen=True, slots=True)
class Contact:
    """Who to call and write to about a 公示 or a letter (blank lines when not recorded)."""

    department: str = ""
    phone: str = ""
    address: str = ""


def notice_story(plan: ApprovedPlan, bureau: str, basis: str, today: dt.date, profile: Profile,
                 contact: Contact, template: dict[str, Any] | None = None) -> list[Flowable]:
    """The 公示: title, body, period, objection route, contact, the list, 落款 with a seal place."""
    st = styles()
    text = (template or load_notice_template())["publicity"]
    year_label = school_year_label(plan.school_year)
    issued = letter_date(plan, today)
    start, end, days, days_clause = publicity_period(profile, issued)
    department = contact.department or text["default_department"]
    values = dict(bureau=bureau, year_label=year_label, basis=basis, count=len(plan.rows),
                  start=chinese_date(start), end=chinese_date(end), days=days, days_clause=days_clause,
                  department=department, phone=contact.phone or text["blank_phone"],
                  address=contact.address or text["blank_address"])
    return [
        Paragraph(esc(text["title"].format(**values)), st["doc_title"]),
        Paragraph(esc(text["body"].format(**values)), st["body"]),
        Paragraph(esc(text["period"].format(**values)), st["body"]),
        Paragraph(esc(text["objection"].format(**values)), st["body"]),
        Paragraph(esc(text["contact"].format(**values)), st["body"]),
        Spacer(1, 3 * mm),
        table(COLUMNS, [
            (i, r.from_school, r.name, r.subject, _rank(r), r.to_school, r.form, term_text(r, plan.school_year),
             "转入" if r.moves_personnel else "保留")
            for i, r in enumerate(plan.rows, start=1)
        ], font_size=8.5),
        Spacer(1, 3 * mm),
        note("人事关系：“转入”指人事关系随交流转入交流单位；“保留”指人事关系保留在原单位（走教、支教、挂职、跟岗、柔性流动）。"),
        *[note(line) for line in describe(_counts(plan.summary), clauses_of(profile))],
        KeepTogether([
            Spacer(1, 10 * mm),
            Paragraph(esc(f"{bureau}（盖章）"), st["sign_right"]),
            Paragraph(esc(chinese_date(issued)), st["sign_right"]),
        ]),
    ]


def letters_story(plan: ApprovedPlan, bureau: str, basis: str, today: dt.date, contact: Contact,
                  progress: Progress, dates: CalendarDates = DEFAULT_DATES,
                  template: dict[str, Any] | None = None) -> list[Flowable]:
    """One letter a page, each on its own letterhead (no list header, no list page numbers)."""
    template = template or load_notice_template()
    dated = letter_date(plan, today)
    return page_per_row(plan.rows, lambda number, row: letter(
        row, plan.school_year, bureau, basis, dated, today, dates, number=number, contact=contact,
        template=template), progress)


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


def reporting_text(row: NoticeRow, school_year: int, today: dt.date, dates: CalendarDates = DEFAULT_DATES,
                   template: dict[str, Any] | None = None) -> str:
    """Report by the exchange's start (else the school year's first day, from the profile's
    calendar); a start already past on ``today`` → from when the exchange runs."""
    text = (template or load_notice_template())["letter"]
    start = row.start or school_year_bounds(school_year, dates)[0]
    wording: str = text["report_before" if start >= today else "report_running"]
    return wording.format(day=chinese_date(start), to_school=row.to_school)


def form_wording(template: dict[str, Any], form: str, subject: str) -> tuple[str, str]:
    """(verb, duty) of an exchange form from the template's table; unknown forms → default."""
    forms = template.get("forms", {})
    wording = forms.get(form) or forms.get("default", {"verb": "交流", "duty": "按交流单位的安排开展工作"})
    return wording["verb"], wording["duty"].format(subject=subject or "相应学科")


def letter(row: NoticeRow, school_year: int, bureau: str, basis: str, dated: dt.date,
           today: dt.date | None = None, dates: CalendarDates = DEFAULT_DATES, *, number: int = 1,
           contact: Contact | None = None, template: dict[str, Any] | None = None) -> list[Flowable]:
    """One teacher's notice on its own letterhead, dated ``dated`` (the approval); ``today`` =
    the day of printing (a 报到 date already past becomes "自…起执行")."""
    st = styles()
    template = template or load_notice_template()
    text = template["letter"]
    contact = contact or Contact()
    term = term_text(row, school_year)
    keeps = "人事关系随交流转入交流单位" if row.moves_personnel else "人事关系保留在原单位"
    verb, duty = form_wording(template, row.form, row.subject)
    start = row.start or school_year_bounds(school_year, dates)[0]
    department = contact.department or template["publicity"]["default_department"]
    return [
        Paragraph(esc(bureau), st["letterhead"]),
        Paragraph(esc(text["heading"]), st["serif_title"]),
        Paragraph(esc(text["number"].format(year=school_year, number=number)), st["serif_center"]),
        Spacer(1, 4 * mm),
        Paragraph(esc(text["salutation"].format(name=row.name)), st["serif_plain"]),
        Paragraph(esc(text["body"].format(
            basis=basis, year_label=school_year_label(school_year), period=period_text(row, school_year),
            form=row.form, to_school=row.to_school, verb=verb, duty=duty, keeps=keeps)), st["serif_body"]),
        Paragraph(esc(reporting_text(row, school_year, today or dt.date.today(), dates, template)), st["serif_body"]),
        Paragraph(esc(text["closing"]), st["serif_body"]),
        Spacer(1, 4 * mm),
        key_values([
            ("姓名", row.name), ("性别", row.gender), ("学科", row.subject), ("职称/骨干", _rank(row) or "—"),
            ("原单位", row.from_school), ("交流单位", f"{row.to_school}（{row.to_location}）"),
            ("交流形式", row.form), ("交流期限", term), ("人事关系", keeps),
            ("报到时间", chinese_date(start)), ("报到地点", text["place"].format(to_school=row.to_school)),
            ("联系电话", f"{contact.phone or '＿＿＿＿＿＿＿＿'}（{department}）"),
        ]),
        Spacer(1, 14 * mm),
        Paragraph(esc(f"{bureau}（盖章）"), st["sign_right"]),
        Paragraph(esc(chinese_date(dated)), st["sign_right"]),
    ]


def _prepare(store: Store, year: int, today: dt.date | None) -> tuple[ApprovedPlan, Profile, str, str, dt.date]:
    try:
        plan = approved_plan(store, year)
    except NoApprovedPlan as exc:
        raise ReportError(str(exc)) from None
    profile = active_profile(store)
    clause = profile.clause("exchange.min_share") if "exchange.min_share" in profile.figures else ""
    basis = profile.full_citation(clause) if clause else "有关文件"
    return plan, profile, bureau_name(store), basis, today or dt.date.today()


def stored_contact(store: Store, override: Contact | None = None) -> Contact:
    """The bureau's contact (setting ``bureau_contact``), each field overridable for one print."""
    with store.read() as session:
        setting = session.get(Setting, CONTACT_KEY)
        value: dict[str, Any] = dict(setting.value) if setting is not None and isinstance(setting.value, dict) else {}
    base = Contact(str(value.get("department", "")), str(value.get("phone", "")), str(value.get("address", "")))
    if override is None:
        return base
    return Contact(override.department or base.department, override.phone or base.phone,
                   override.address or base.address)


def build_notice(store: Store, year: int, target: Target, *, progress: Progress = quiet, today: dt.date | None = None,
                 contact: Contact | None = None) -> Built:
    """The 公示 (list, period, contact, 落款) as its own document."""
    return _build(store, year, target, False, progress, today, contact)


def build_letters(store: Store, year: int, target: Target, *, progress: Progress = quiet, today: dt.date | None = None,
                  contact: Contact | None = None) -> Built:
    """One 教师交流轮岗通知书 a page, each with its own letterhead and no running header or page numbers."""
    return _build(store, year, target, True, progress, today, contact)


def _build(store: Store, year: int, target: Target, letters: bool, progress: Progress, today: dt.date | None,
           contact: Contact | None) -> Built:
    plan, profile, bureau, basis, today = _prepare(store, year, today)
    progress("读取方案", 0.05)
    title = f"{school_year_label(year)}教师交流轮岗" + ("通知书" if letters else "人员名单公示")
    doc = ReportDocument(target, DocInfo(title=title, bureau=bureau, date=letter_date(plan, today)), cover_page=False,
                         page_furniture=not letters)
    who = stored_contact(store, contact)
    story = (letters_story(plan, bureau, basis, today, who, progress, profile.calendar) if letters
             else notice_story(plan, bureau, basis, today, profile, who))
    pages = doc.build_story(story)
    progress("完成", 1.0)
    return finish(target, pages, f"，{len(plan.rows)} " + ("份通知书" if letters else "人"), teachers=len(plan.rows))


def page_per_row(rows: Sequence[Any], make: Callable[[int, Any], list[Flowable]], progress: Progress) -> list[Flowable]:
    """One page per row (a letter, a form): ``make(number, row)`` its flowables; progress every 50."""
    story: list[Flowable] = []
    total = len(rows) or 1
    for index, row in enumerate(rows, start=1):
        if index % 50 == 0:
            progress(f"{index}/{total}", 0.1 + 0.8 * index / total)
        if story:
            story.append(PageBreak())
        story += make(index, row)
    return story


__all__ = ["Contact", "build_letters", "build_notice", "heading", "letter", "letters_story", "notice_story",
           "page_per_row"]
