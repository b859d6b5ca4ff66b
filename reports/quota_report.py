"""帮扶活动指标完成情况 (who is behind) and 结对名单 as print-ready xlsx and PDF.

Figures come from ``policy.quotas`` through ``db.visits.quota_rows`` (the same rows as
``edubridge quota`` and the 帮扶活动 page); pairings from the store. Nothing is recomputed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from db.agreements import bureau_name
from db.models import Cluster, Pairing, School, Teacher
from db.settings import active_profile
from db.store import Store
from db.visits import load_quota_inputs, quota_rows
from policy.calendar import Semester, chinese_date
from policy.quotas import BEHIND, MET, NOT_STARTED, QuotaRow, tally
from reports.output import Built, Target, finish
from reports.pdf import Col, DocInfo, ReportDocument, esc, note, styles, table
from reports.xlsx import Column, Sheet, write_table

QUOTA_HEADERS = ("序号", "状态", "对象", "角色", "指标", "周期", "完成", "要求", "差额", "依据")
PAIRING_HEADERS = ("序号", "结对类型", "帮扶方", "帮扶方学校", "受援集团(学区)", "受援学校", "受援教师",
                   "开始日期", "结束日期")


def quota_table_rows(rows: list[QuotaRow]) -> list[tuple[Any, ...]]:
    """Behind first (largest gap first), then not started, then met — who needs a call first."""
    order = {BEHIND: 0, NOT_STARTED: 1, MET: 2}
    ranked = sorted(rows, key=lambda r: (order.get(r.status, 3), -(r.required - r.done), r.label, r.who))
    return [(n, r.status_label, r.who, r.role, r.label, r.period_label, r.done, r.required,
             max(0, r.required - r.done), r.clause) for n, r in enumerate(ranked, start=1)]


def _quota(store: Store, semester: Semester) -> list[QuotaRow]:
    profile = active_profile(store)
    return quota_rows(store, profile, semester, load_quota_inputs(store, profile, semester.year))


def behind(rows: list[QuotaRow]) -> list[QuotaRow]:
    """The rows not met (behind or not started): who needs a call."""
    return [r for r in rows if r.status != MET]


def write_quota_xlsx(store: Store, semester: Semester, path: Path, rows: list[QuotaRow] | None = None,
                     scope: str = "") -> int:
    """The quota table as a print-ready workbook; ``rows`` (default: every row of the semester)
    lets the 帮扶活动 page write what it shows (one cluster, only those behind), named by ``scope``."""
    rows = _quota(store, semester) if rows is None else rows
    counts = tally(rows)
    caption = f"{semester.label}帮扶活动指标完成情况{scope}"
    columns = [Column(h) for h in QUOTA_HEADERS]
    footer = (f"已达标{counts.met}项，未达标{counts.behind}项，未开展{counts.not_started}项；"
              f"统计日期：{dt.date.today().isoformat()}。",)
    write_table(Path(path), [Sheet("指标完成情况", columns, quota_table_rows(rows), caption=caption, footer=footer)],
                (caption, "未达标在前（差额大的在前），其次未开展，最后已达标；依据为政策方案所引文件条款。"))
    return len(rows)


def quota_story(rows: list[QuotaRow], semester: Semester, bureau: str, on: dt.date, width: float,
                scope: str = "") -> list[Flowable]:
    st = styles()
    counts = tally(rows)
    open_rows = [r for r in quota_table_rows(rows) if r[1] != "已达标"]
    return [
        Paragraph(esc(f"{semester.label}帮扶活动指标完成情况{scope}"), st["doc_title"]),
        Paragraph(esc(f"统计日期：{chinese_date(on)}。指标{len(rows)}项：已达标{counts.met}项，未达标{counts.behind}项，"
                      f"未开展{counts.not_started}项。下表列出未达标和未开展的各项（差额大的在前）。"), st["body"]),
        Spacer(1, 4),
        table([Col("序号", 0.45, True), Col("状态", 0.7, align="center"), Col("对象", 1.5), Col("角色", 1.0),
               Col("指标", 3.0), Col("周期", 1.3), Col("完成", 0.5, True), Col("要求", 0.5, True),
               Col("差额", 0.5, True), Col("依据", 1.6)],
              [(n, *rest) for n, (_old, *rest) in enumerate(open_rows, start=1)], font_size=7.5,
              empty_text="全部达标", width=width),
        note("依据为政策方案所引文件条款；已达标的各项见同名 Excel 表。"),
        KeepTogether([Spacer(1, 24), Paragraph(esc(f"{bureau}（盖章）"), st["sign_right"]),
                      Paragraph(esc(chinese_date(on)), st["sign_right"])]),
    ]


def build_quota_pdf(store: Store, semester: Semester, target: Target, rows: list[QuotaRow] | None = None,
                    scope: str = "") -> Built:
    """The PDF of who is behind; ``rows`` and ``scope`` as for :func:`write_quota_xlsx`."""
    rows = _quota(store, semester) if rows is None else rows
    bureau, on = bureau_name(store), dt.date.today()
    doc = ReportDocument(target, DocInfo(title=f"{semester.label}帮扶活动指标完成情况{scope}", bureau=bureau, date=on),
                         cover_page=False, landscape=True)
    pages = doc.build_story(quota_story(rows, semester, bureau, on, doc.frame_width, scope))
    return finish(target, pages, f"，{len(rows)} 项指标", rows=len(rows))


# ---- 结对 / 包片包抓 名单 -----------------------------------------------------------------


def pairing_rows(store: Store, on: dt.date) -> list[tuple[Any, ...]]:
    """Pairings in force on ``on`` by kind, then supporter."""
    supporter, target = aliased(School), aliased(School)
    helper, helped = aliased(Teacher), aliased(Teacher)
    query = (select(Pairing.kind, Pairing.supporter_name, helper.name, supporter.name, Cluster.name, target.name,
                    helped.name, Pairing.start, Pairing.end)
             .outerjoin(supporter, supporter.id == Pairing.supporter_school_id)
             .outerjoin(target, target.id == Pairing.target_school_id)
             .outerjoin(helper, helper.id == Pairing.supporter_teacher_id)
             .outerjoin(helped, helped.id == Pairing.target_teacher_id)
             .outerjoin(Cluster, Cluster.id == Pairing.cluster_id)
             .where(Pairing.start <= on, or_(Pairing.end.is_(None), Pairing.end >= on)))
    with store.read() as session:
        found = list(session.execute(query).all())
    found.sort(key=lambda r: (r[0], r[3] or r[1] or r[2] or "", r[4] or "", r[5] or ""))
    return [(n, kind, name or teacher or "", school or "", cluster or "", target_school or "", target_teacher or "",
             start.isoformat(), end.isoformat() if end else "")
            for n, (kind, name, teacher, school, cluster, target_school, target_teacher, start, end)
            in enumerate(found, start=1)]


def write_pairings_xlsx(store: Store, on: dt.date, path: Path) -> int:
    rows = pairing_rows(store, on)
    caption = f"结对帮扶及包片包抓名单（{on.year}年{on.month}月{on.day}日）"
    write_table(Path(path), [Sheet("结对名单", [Column(h) for h in PAIRING_HEADERS], rows, caption=caption,
                                   footer=(f"填报单位（盖章）：{bureau_name(store)}",))],
                (caption, "列出统计日期当日有效的结对：包片包抓（银川2023方案 二(一)1）、手拉手、局领导联系薄弱学校等。"))
    return len(rows)


def build_pairings_pdf(store: Store, on: dt.date, target: Target) -> Built:
    rows = pairing_rows(store, on)
    bureau = bureau_name(store)
    st = styles()
    title = "结对帮扶及包片包抓名单"
    doc = ReportDocument(target, DocInfo(title=title, bureau=bureau), cover_page=False, landscape=True)
    story: list[Flowable] = [
        Paragraph(title, st["doc_title"]),
        Paragraph(esc(f"统计日期：{chinese_date(on)}，共{len(rows)}对。"), st["cell_center"]),
        Spacer(1, 6),
        table([Col(h, w, numeric=h in ("序号", "开始日期", "结束日期")) for h, w in zip(
            PAIRING_HEADERS, (0.45, 1.1, 1.2, 1.8, 1.8, 1.8, 0.9, 0.95, 0.95), strict=True)],
            [tuple(r) for r in rows], font_size=8, width=doc.frame_width),
        KeepTogether([Spacer(1, 24), Paragraph(esc(f"{bureau}（盖章）"), st["sign_right"]),
                      Paragraph(esc(chinese_date(dt.date.today())), st["sign_right"])]),
    ]
    pages = doc.build_story(story)
    return finish(target, pages, f"，{len(rows)} 对", pairings=len(rows))
