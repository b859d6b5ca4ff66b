"""每学期总结 of one 教共体 (余教〔2020〕155号 六(二): "每学期总结项目的实施情况、目标达成度、
主要成效和经验，分析实施过程中的问题，修正工作目标和内容").

The figures — the community's quota rows of the semester (目标达成度) and its members'
exchanges of the school year — come from ``policy`` through ``db``; the four text sections
are what the community recorded on the 帮扶活动 page (``db.visits.save_summary``). A section
not recorded yet is printed as a blank to write in by hand, never invented.
"""

from __future__ import annotations

import datetime as dt

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer
from sqlalchemy import func, select

from db.agreements import AgreementError, bureau_name, find_cluster
from db.models import Exchange, Membership
from db.settings import active_profile
from db.store import Store
from db.visits import SUMMARY_FIELDS, list_summaries, load_quota_inputs, quota_rows
from policy.calendar import Semester, chinese_date, school_year_label, semester_bounds
from reports.output import Built, ReportError, Target, finish
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    body,
    esc,
    fmt_percent,
    heading,
    styles,
    table,
)

BLANK = "（尚未填写，请手写）" + "＿" * 30


def summary_story(store: Store, cluster: str, semester: Semester, width: float) -> tuple[list[Flowable], str]:
    try:
        cluster_id, name = find_cluster(store, cluster)
    except AgreementError as exc:
        raise ReportError(str(exc)) from None
    profile = active_profile(store)
    first, last = semester_bounds(semester, profile.calendar)
    rows = [r for r in quota_rows(store, profile, semester, load_quota_inputs(store, profile, semester.year))
            if cluster_id.hex in r.clusters or str(cluster_id) in r.clusters]
    met = sum(1 for r in rows if r.met)
    with store.read() as session:
        members = set(session.scalars(select(Membership.school_id).where(
            Membership.cluster_id == cluster_id, Membership.joined <= last,
            (Membership.left_on.is_(None)) | (Membership.left_on > first))))
        moved = session.scalar(select(func.count()).select_from(Exchange).where(
            Exchange.school_year == semester.year, Exchange.status != "cancelled",
            (Exchange.from_school_id.in_(members)) | (Exchange.to_school_id.in_(members)))) or 0
    recorded = next((s for s in list_summaries(store, semester) if s.cluster_id == cluster_id), None)
    st = styles()
    story: list[Flowable] = [
        Paragraph(esc(name), st["doc_title"]),  # two lines: a long name never leaves 总结 alone
        Paragraph(esc(f"{semester.label}工作总结"), st["doc_title"]),
        Paragraph(esc(f"总结期间：{chinese_date(first)}至{chinese_date(last)}"), st["cell_center"]),
        heading("一、目标达成度"),
        body(f"本学期帮扶活动指标{len(rows)}项，达标{met}项"
             + (f"，达成率{fmt_percent(met / len(rows))}" if rows else "") +
             f"；{school_year_label(semester.year)}涉及本教共体成员学校的教师交流轮岗{moved}人次。"),
        table([Col("指标", 3.0), Col("对象", 1.6), Col("完成/要求", 0.8, True), Col("状态", 0.7, align="center"),
               Col("依据", 1.6)],
              [(r.label, r.who, f"{r.done}/{r.required}", r.status_label, r.clause) for r in rows],
              width=width, font_size=8, empty_text="本学期没有适用于本教共体的帮扶指标"),
    ]
    for number, key in enumerate(("attainment", "achievements", "problems", "next_steps"), start=2):
        text = getattr(recorded, key, "") if recorded is not None else ""
        story += [heading(f"{'一二三四五'[number - 1]}、{SUMMARY_FIELDS[key]}"),
                  *[body(line) for line in (text.splitlines() if text.strip() else [BLANK]) if line.strip()]]
    story.append(KeepTogether([Spacer(1, 14 * mm), Paragraph(esc(f"{name}（牵头学校盖章）"), st["sign_right"]),
                               Paragraph("＿＿＿＿年＿＿月＿＿日", st["sign_right"])]))
    return story, name


def build_summary(store: Store, cluster: str, semester: Semester, target: Target) -> Built:
    doc = ReportDocument(target, DocInfo(title=f"{cluster}{semester.label}工作总结", bureau=bureau_name(store),
                                         date=dt.date.today()), cover_page=False)
    story, name = summary_story(store, cluster, semester, doc.frame_width)
    pages = doc.build_story(story)
    return finish(target, pages, f"，{name}")
