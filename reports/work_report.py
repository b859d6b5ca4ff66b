"""学年度工作报告 of one 教共体 (余教〔2020〕155号 五(一)4: "形成教共体学年度工作报告").

What a community lead signs and files at the end of a school year: the members, the work
done (activities by kind, exchanges), the quotas against their requirements, the assisted
schools' quality figures, then 主要成效 / 存在问题 / 下一学年工作计划, and a 落款 with the
lead school's seal, the responsible person's signature and the date.

Every figure comes from :func:`db.annual.annual_data` (computed by ``policy``) and the
activities recorded on the 帮扶活动 page; the four text sections are drafted from those
figures and the community's two 学期总结, and replaced by what the clerk wrote on the 报告
page (:mod:`db.report_texts`) section by section.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from db.annual import AnnualData, ClusterYear, UnknownCluster, annual_data
from db.report_texts import DOCUMENTS, load_text, merged
from db.settings import active_profile
from db.store import Store
from db.visits import list_summaries, load_visits
from policy.calendar import Semester, chinese_date, school_year_label
from policy.evaluation import change_unit, point_change
from policy.progress import Progress, quiet
from reports.annual_conclusions import draft_conclusions
from reports.output import Built, ReportError, Target, finish
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    body,
    esc,
    fmt_percent,
    heading,
    note,
    styles,
    table,
)

DOCUMENT = "work_report"
SECTIONS = DOCUMENTS[DOCUMENT]


def report_title(year: int) -> str:
    return f"{school_year_label(year)}度工作报告"  # 2025—2026学年度工作报告


def _activities(store: Store, d: AnnualData) -> Counter[str]:
    """Activities at the community's schools in the year, by kind (lessons under '听课节数')."""
    cluster = d.clusters[0]
    hosts = {m.school_id.hex for m in cluster.members}
    counts: Counter[str] = Counter()
    for visit in load_visits(store, d.first, d.last, hosts):
        counts[visit.activity_type] += 1
        counts["听课节数"] += visit.lessons
    return counts


def _semester_texts(store: Store, cluster_id: uuid.UUID, year: int) -> list[tuple[Semester, Any]]:
    """The community's recorded 学期总结 of the school year's two semesters."""
    found = []
    for semester in (Semester(year, 1), Semester(year, 2)):
        view = next((s for s in list_summaries(store, semester) if s.cluster_id == cluster_id), None)
        if view is not None and view.recorded:
            found.append((semester, view))
    return found


def draft_work_report(d: AnnualData, activities: Counter[str],
                      semesters: list[tuple[Semester, Any]]) -> dict[str, list[str]]:
    """The four sections drafted from the figures and the semester summaries."""
    c = d.clusters[0]
    conclusions = draft_conclusions(d, violations_at="详见年度评价报告")
    lead = next((m.name for m in c.members if m.is_lead), "（未设牵头校）")
    kinds = [(k, n) for k, n in activities.most_common() if k != "听课节数"]
    work = [f"本学年本教共体由{lead}牵头，成员学校{len(c.members)}所，按协议和学年度工作计划开展帮扶工作。"]
    if kinds:
        work.append(f"在成员学校开展帮扶活动{sum(n for _k, n in kinds)}次，其中"
                    + "、".join(f"{k}{n}次" for k, n in kinds[:6]) + f"；听评课{activities['听课节数']}节。")
    else:
        work.append("本学年没有登记在成员学校开展的帮扶活动。")
    ex = c.exchange
    if ex.moved:
        forms = "、".join(f"{form}{n}人" for form, n in ex.by_form.items())
        work.append(f"成员学校教师交流轮岗{ex.moved}人（{forms}），其中骨干教师{ex.backbone}人、到乡村学校{ex.to_rural}人。")
    elif ex.eligible:
        work.append(f"成员学校符合交流条件的教师{ex.eligible}人，本学年尚无交流轮岗。")
    for semester, view in semesters:
        if view.attainment.strip():
            work.append(f"{semester.label}：{view.attainment.strip()}")
    good = list(conclusions["主要成效"])
    problems = list(conclusions["存在问题"])
    plan = list(conclusions["整改建议"])
    for semester, view in semesters:
        if view.achievements.strip():
            good.append(f"{semester.label}：{view.achievements.strip()}")
        if view.problems.strip():
            problems.append(f"{semester.label}：{view.problems.strip()}")
    if semesters and semesters[-1][1].next_steps.strip():
        plan.append(semesters[-1][1].next_steps.strip())
    plan.append(f"按{d.profile.full_citation('余教〔2020〕155号 六(一)')}制定下一学年工作计划，"
                "细化活动目标、内容、步骤、人员安排和措施要求，报教育局备案。")
    return {"主要工作": work, "主要成效": good, "存在问题": problems, "下一学年工作计划": plan}


def _quota_table(c: ClusterYear, width: float) -> Flowable:
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for r in c.quotas:
        by_rule[r.rule].append(r)
    return table([Col("指标", 3.2), Col("周期", 0.6, align="center"), Col("要求", 0.6, True), Col("应达", 0.5, True),
                  Col("达标", 0.5, True), Col("达标率", 0.7, True), Col("依据", 1.6)],
                 [(rows[0].label, "学期" if "-" in rows[0].period else "学年", rows[0].required, len(rows),
                   sum(1 for r in rows if r.met), fmt_percent(sum(1 for r in rows if r.met) / len(rows)),
                   rows[0].clause) for rows in by_rule.values()],
                 width=width, font_size=8.5, empty_text="本学年没有适用于本教共体的帮扶指标")


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}"


def work_report_story(d: AnnualData, text: dict[str, list[str]], activities: Counter[str], width: float,
                      agreement_status: str, day: dt.date) -> list[Flowable]:
    c = d.clusters[0]
    st = styles()
    lead = next((m.name for m in c.members if m.is_lead), "—")
    story: list[Flowable] = [
        Paragraph(esc(c.name), st["doc_title"]),  # two lines: a long name never leaves the title alone
        Paragraph(esc(report_title(d.year)), st["doc_title"]),
        Paragraph(esc(f"报告期间：{chinese_date(d.first)}至{chinese_date(d.last)}　　牵头学校：{lead}"),
                  st["cell_center"]),
        Spacer(1, 4 * mm),
        heading("一、基本情况"),
        body(f"本教共体为{c.kind}" + (f"（{c.area}）" if c.area else "")
             + f"，学年内成员学校{len(c.members)}所，在校学生{sum(m.students for m in c.members)}人。"
             + f"建设协议：{agreement_status}。"),
        table([Col("学校", 3.0), Col("角色", 1.0, align="center"), Col("城乡", 0.7, align="center"),
               Col("学段", 1.0, align="center"), Col("学生", 0.7, True), Col("加入", 1.0, True),
               Col("退出", 1.0, True)],
              [(m.name, m.role, m.location, m.stage, m.students, m.joined.isoformat(),
                m.left_on.isoformat() if m.left_on else "") for m in c.members], width=width, font_size=8.5),
        heading("二、主要工作"),
        *[body(p) for p in text["主要工作"]],
    ]
    kinds = [(k, n) for k, n in activities.most_common() if k != "听课节数"]
    story.append(table([Col("活动类型", 3.0), Col("次数", 1.0, True)],
                       [*kinds, ("合计", sum(n for _k, n in kinds))] if kinds else [], width=width * 0.6,
                       empty_text="本学年没有登记帮扶活动"))
    met = sum(1 for r in c.quotas if r.met)
    story += [heading("三、帮扶活动对照指标"),
              body(f"本学年适用于本教共体的帮扶指标{len(c.quotas)}项（按人、按结对逐项统计），达标{met}项"
                   + (f"，达标率{fmt_percent(met / len(c.quotas))}。" if c.quotas else "。")),
              _quota_table(c, width)]
    behind = [r for r in c.quotas if not r.met]
    if behind:
        story.append(note(f"未达标的{len(behind)}项按人、按结对列在附表。"))
    ex = c.exchange
    story += [heading("四、教师交流轮岗"),
              table([Col("指标", 2.2), Col("人数", 0.9, True), Col("实际比例", 0.9, True), Col("要求", 0.7, True),
                     Col("结论", 0.7, align="center"), Col("依据", 2.2)],
                    [(k.label, f"{k.numerator}/{k.denominator}", fmt_percent(k.share),
                      fmt_percent(k.target, 0) if k.target is not None else "—",
                      "未作规定" if k.met is None else "达标" if k.met else "未达标", k.clause)
                     for k in (c.exchange_check, c.backbone_check)], width=width, font_size=8.5),
              note(f"交流形式：{'、'.join(f'{f}{n}人' for f, n in ex.by_form.items()) or '无'}；"
                   f"到乡村学校{ex.to_rural}人。计入比例的交流形式按政策方案“{d.profile.name}”。")]
    qrows = []
    for school, indicators in c.quality.items():
        for ind, (before, after) in indicators.items():
            change = point_change(before, after)
            county = d.county_changes.get(ind)
            qrows.append((school, ind, "" if before is None else f"{before:.1f}",
                          "" if after is None else f"{after:.1f}", _signed(change), _signed(county), change_unit(ind)))
    grade = c.evaluation.grade
    total = "不评" if c.evaluation.total is None else f"{c.evaluation.total:.1f}分"
    story += [heading("五、受援校教育教学质量"),
              table([Col("受援校", 2.4), Col("指标", 1.6), Col("上学年", 0.8, True), Col("本学年", 0.8, True),
                     Col("变化", 0.7, True), Col(f"{d.scope[-1]}均变化", 0.8, True), Col("单位", 0.6, align="center")],
                    qrows, width=width, font_size=8, empty_text="受援校本学年没有质量指标数据"),
              note(f"变化 = 本学年 − 上学年（以本校上学年为基线）；比率类指标单位为百分点，均分类指标单位为分。"
                   f"{d.scope[-1]}均变化为{d.scope}两学年都有数据的学校该指标变化的平均数。"),
              body(f"按年度评价方案，本教共体本学年评价总分{total}，等级：{grade}。")]
    for number, key in enumerate(("主要成效", "存在问题", "下一学年工作计划"), start=6):
        story += [heading(f"{'六七八'[number - 6]}、{key}"),
                  *[body(f"{n}. {p}") for n, p in enumerate(text[key], start=1)]]
    story.append(KeepTogether([
        Spacer(1, 12 * mm),
        Paragraph(esc(f"{c.name}（牵头学校{lead}盖章）"), st["sign_right"]),
        Paragraph("教共体负责人（签字）：＿＿＿＿＿＿＿＿", st["sign_right"]),
        Paragraph("填报人：＿＿＿＿＿＿　联系电话：＿＿＿＿＿＿＿＿", st["sign_right"]),
        Paragraph(esc(chinese_date(day)), st["sign_right"]),
    ]))
    if behind:
        story += [heading("附表　帮扶活动未达标明细"),
                  table([Col("对象", 2.0), Col("角色", 0.9), Col("指标", 2.6), Col("周期", 0.9),
                         Col("完成/要求", 0.8, True)],
                        [(r.who, r.role, r.label, r.period_label, f"{r.done}/{r.required}") for r in behind],
                        width=width, font_size=8)]
    return story


def work_report_parts(store: Store, cluster: str, year: int, today: dt.date | None = None
                      ) -> tuple[AnnualData, Counter[str], dict[str, list[str]]]:
    """The community's figures, its activities and the drafted sections (for the editor too).

    Raises:
        ReportError: no community of that name existed in the school year.
    """
    profile = active_profile(store)
    try:
        data = annual_data(store, profile, year, cluster, today=today)
    except UnknownCluster:
        raise ReportError(f"没有名为“{cluster}”、在{school_year_label(year)}存续的集团(学区)/教共体") from None
    activities = _activities(store, data)
    return data, activities, draft_work_report(data, activities, _semester_texts(store, data.clusters[0].id, year))


def build_work_report(store: Store, cluster: str, year: int, target: Target, *, progress: Progress = quiet,
                      today: dt.date | None = None) -> Built:
    """The PDF; the text is the clerk's where stored, the draft elsewhere."""
    progress("统计数据", 0.05)
    data, activities, draft = work_report_parts(store, cluster, year, today)
    c = data.clusters[0]
    text = merged(draft, load_text(store, DOCUMENT, year, c.id), SECTIONS)
    agreement = next((a for a in data.agreements if a.cluster_id == c.id), None)
    day = today or dt.date.today()
    doc = ReportDocument(target, DocInfo(title=f"{c.name}{report_title(year)}", bureau=data.bureau, date=day),
                         cover_page=False)
    progress("排版", 0.5)
    pages = doc.build_story(work_report_story(data, text, activities, doc.frame_width,
                                              agreement.status if agreement is not None else "无协议", day))
    progress("完成", 1.0)
    return finish(target, pages, f"，{c.name}")
