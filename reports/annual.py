"""The annual evaluation report (年度评价报告) of the county or one community, school year Y.

Lays out :class:`db.annual.AnnualData` — every figure and verdict in it was computed by
``policy`` (rules, quotas, eligibility, the evaluation scheme) and gathered by ``db``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from db.annual import AnnualData, UnknownCluster, annual_data
from db.county_map import load_map
from db.report_texts import load_text
from db.settings import active_profile
from db.store import Store
from policy.calendar import chinese_date, school_year_label
from policy.clusters import RULE_LABELS
from policy.county_map import MapData
from policy.evaluation import (
    FAILED_GRADE,
    NOT_RATED,
    PART_LABELS,
    PARTS,
    ShareCheck,
    change_unit,
    grade_lines,
    point_change,
)
from policy.progress import Progress, quiet
from reports.annual_conclusions import draft_conclusions, merged, write_conclusions
from reports.county_map import map_section
from reports.output import Built, ReportError, Target, finish
from reports.pdf import (
    Col,
    DocInfo,
    ReportDocument,
    bar_chart,
    body,
    contents,
    cover,
    esc,
    fmt_percent,
    heading,
    keep,
    line_chart,
    note,
    ranked_bars,
    styles,
    table,
)

RED = colors.HexColor("#fbe3e3")
AMBER = colors.HexColor("#fff4d6")


def _verdict(check: ShareCheck) -> str:
    if check.met is None:
        return "未作规定"
    return "达标" if check.met else "未达标"


def _check_row(check: ShareCheck) -> tuple[Any, ...]:
    return (check.label, f"{check.numerator}/{check.denominator}", fmt_percent(check.share),
            fmt_percent(check.target, 0) if check.target is not None else "—", _verdict(check), check.clause)


def rule_label(rule: str) -> str:
    """The rule's Chinese name for paper (its id stays in the JSON exports)."""
    return RULE_LABELS.get(rule, rule)


CHECK_COLS = [Col("指标", 2.2), Col("人数", 0.9, True), Col("实际比例", 0.9, True), Col("要求", 0.7, True),
              Col("结论", 0.7, align="center"), Col("依据", 2.2)]


def _points(value: float | None) -> str:
    return "不评" if value is None else f"{value:.1f}"


def _signed(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:+.{digits}f}"


def _method(d: AnnualData) -> str:
    """How the scores were made, with the profile's weights, grade lines and their source."""
    weights = d.profile.evaluation.get("weights", {})
    lines = "、".join(f"{g}{line:g}分" for g, line in grade_lines(d.profile))
    return (f"评分方法：各项满分取自政策方案“{d.profile.name}”——"
            + "；".join(f"{PART_LABELS[p]}{weights.get(p, 0)}分" for p in PARTS)
            + f"（依据 {d.profile.full_citation(str(d.profile.evaluation.get('clause', '')))}）。"
            f"等级线：{lines}，低于最低一档为不合格。没有可评价内容的项目记“不评”，不给分也不扣分，"
            "总分按已评项目的得分折算为百分制；全部项目均不评的为不参评。"
            + ("支援校（牵头校）按其受援校的质量增值计分（捆绑考核，余教〔2020〕155号 六(四)）。"
               if d.profile.evaluation.get("bundled") else ""))


def _coverage_row(d: AnnualData, area: str) -> tuple[str, str, str]:
    """One community's own rural schools with an urban partner; the county's coverage otherwise."""
    if d.scope_cluster and len(d.clusters) == 1:
        own = d.clusters[0].coverage_check
        return ("乡村学校有城镇结对", f"{own.numerator}/{own.denominator}", f"{area}乡村学校（含教学点）")
    return ("乡村学校纳入集团", f"{d.check.coverage.rural_in_cluster}/{d.check.coverage.rural_schools}",
            f"{area}乡村学校（含教学点）")


def annual_story(d: AnnualData, info: DocInfo, progress: Progress,
                 conclusions: dict[str, list[str]] | None = None, county_map: MapData | None = None) -> list[Flowable]:
    """The report's flowables; ``county_map``: the schools, clusters, pairings and the year's
    exchange flows drawn in section 三 (none: no map)."""
    year_label = school_year_label(d.year)
    story: list[Flowable] = [*cover(info), *contents()]
    clusters = d.clusters
    schools = {m.school_id for c in clusters for m in c.members}
    met = sum(1 for r in d.quota_rows if r.met)
    scope = f"“{d.scope_cluster}”" if d.scope_cluster else d.scope
    area = "本教共体" if d.scope_cluster else d.scope

    # 一、总体情况
    story += [heading("一、总体情况"), body(
        f"本报告评价{year_label}（{d.first.isoformat()}至{d.last.isoformat()}）"
        f"{scope}城乡教共体帮扶工作：学年内存续的集团(学区)/教共体{len(clusters)}个，学年内涉及学校{len(schools)}所；"
        f"交流轮岗教师{d.county_exchange.moved}人，其中骨干教师{d.county_exchange.backbone}人、到乡村学校"
        f"{d.county_exchange.to_rural}人；帮扶活动指标{len(d.quota_rows)}项，达标{met}项。"
        f"规则检查日期为{d.checked_on.isoformat()}。")]
    grades: dict[str, int] = defaultdict(int)
    for c in clusters:
        grades[c.evaluation.grade] += 1
    order = [g for g, _line in grade_lines(d.profile)] + [FAILED_GRADE, NOT_RATED]
    story.append(table([Col("项目", 2), Col("数值", 1, True), Col("说明", 3)], [
        ("集团(学区)/教共体", len(clusters), "学年内存续的（学年结束后成立的不计）"),
        ("涉及学校", len(schools), "学年内任一天在集团(学区)中的学校"),
        ("交流轮岗教师", d.county_exchange.moved, "不含已取消的交流"),
        ("交流比例", fmt_percent(d.county_exchange_check.share), d.county_exchange_check.clause),
        ("骨干教师比例", fmt_percent(d.county_backbone_check.share), d.county_backbone_check.clause),
        ("帮扶指标达标", f"{met}/{len(d.quota_rows)}", "按政策方案的每项帮扶指标逐人/逐结对统计"),
        _coverage_row(d, area),
        ("评价等级分布", "", "；".join(f"{g}{grades[g]}个" for g in order if grades.get(g)) or "—"),
    ], zebra=True))

    # 二、成效、问题、建议
    progress("成效与问题", 0.2)
    text = conclusions or draft_conclusions(d)
    story.append(heading("二、主要成效、存在问题和整改建议"))
    for number, key in enumerate(("主要成效", "存在问题", "整改建议"), start=1):
        story.append(heading(f"（{'一二三'[number - 1]}）{key}", 2))
        story += [body(f"{n}. {para}") for n, para in enumerate(text.get(key, []), start=1)]

    # 三、交流
    progress("交流轮岗", 0.35)
    story += [heading("三、教师交流轮岗"), heading("（一）对照比例要求", 2),
              table(CHECK_COLS, [_check_row(d.county_exchange_check), _check_row(d.county_backbone_check)],
                    highlight=lambda _i, row: RED if row[4] == "未达标" else None),
              note("符合条件人数按政策方案的交流年限、免交流情形计算（教师在一校任职满规定年限、不含免交流人员）。"),
              heading("（二）各集团(学区)", 2)]
    story.append(table([Col("集团(学区)", 2.4), Col("符合条件", 0.8, True), Col("交流", 0.6, True),
                        Col("交流比例", 0.8, True), Col("骨干", 0.6, True), Col("骨干比例", 0.8, True),
                        Col("到乡村", 0.7, True), Col("结论", 0.9, align="center")],
                       [(c.name, c.exchange.eligible, c.exchange.moved, fmt_percent(c.exchange_check.share),
                         c.exchange.backbone, fmt_percent(c.backbone_check.share), c.exchange.to_rural,
                         "无须交流" if not c.exchange.eligible else
                         "达标" if c.exchange_check.met and c.backbone_check.met is not False else "未达标")
                        for c in clusters],
                       highlight=lambda _i, row: RED if row[-1] == "未达标" else None))
    target = d.county_exchange_check.target
    if clusters:
        story.append(keep(Spacer(1, 4 * mm), ranked_bars(
            [c.name for c in clusters], [round(100 * (c.exchange_check.share or 0), 1) for c in clusters],
            title="各集团(学区)交流轮岗比例(%)", target=100 * target if target else None,
            target_label=f"要求 {fmt_percent(target, 0)}" if target else "", value_format="{:.1f}")))
    forms = d.county_exchange.by_form
    if forms:
        story.append(bar_chart(list(forms), {"人数": list(forms.values())}, title="交流形式（人）", height=55 * mm))
    if county_map is not None:
        story += map_section(county_map, f"（三）{'本教共体' if d.scope_cluster else d.scope[1:] + '域'}学校、结对与交流流向图", 2)

    # 四、帮扶活动
    progress("帮扶活动", 0.55)
    story += [heading("四、帮扶活动对照指标")]
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for r in d.quota_rows:
        by_rule[r.rule].append(r)
    story.append(table([Col("指标", 3.2), Col("周期", 0.6, align="center"), Col("要求", 0.6, True),
                        Col("应达", 0.5, True), Col("达标", 0.5, True), Col("达标率", 0.7, True), Col("依据", 1.6)],
                       [(rows[0].label, "学期" if "-" in rows[0].period else "学年", rows[0].required, len(rows),
                         sum(1 for r in rows if r.met), fmt_percent(sum(1 for r in rows if r.met) / len(rows)),
                         rows[0].clause) for rows in by_rule.values()]))
    assessed = [c for c in clusters if c.evaluation.scores["visits"] is not None and c.evaluation.weights["visits"]]
    if assessed:
        story.append(keep(Spacer(1, 4 * mm), ranked_bars(
            [c.name for c in assessed],
            [round(100 * (c.evaluation.scores["visits"] or 0) / c.evaluation.weights["visits"], 1) for c in assessed],
            title="各集团(学区)帮扶指标达标率(%)", value_format="{:.0f}")))
    behind = [r for r in d.quota_rows if not r.met]
    if behind:
        story.append(note(f"未达标的{len(behind)}项按人、按结对列在附录二。"))

    # 五、覆盖
    progress("覆盖", 0.65)
    coverage = [v for v in d.check.violations if v.rule in ("coverage.rural", "partner.rural_has_urban")]
    own = clusters[0].coverage_check if d.scope_cluster and len(clusters) == 1 else None
    story += [heading("五、乡村学校覆盖"), body(
        f"截至{d.checked_on.isoformat()}，{area}乡村学校（含教学点）{own.denominator}所，"
        f"有城镇学校结对帮扶的{own.numerator}所。" if own is not None else
        f"截至{d.checked_on.isoformat()}，{area}乡村学校（含教学点）{d.check.coverage.rural_schools}所，"
        f"已纳入集团(学区){d.check.coverage.rural_in_cluster}所，覆盖率{fmt_percent(d.check.coverage.ratio)}。"),
        table([Col("集团(学区)", 2.4), Col("乡村学校", 0.8, True), Col("有城镇结对", 0.8, True),
               Col("比例", 0.8, True), Col("依据", 2.0)],
              [(c.name, c.coverage_check.denominator, c.coverage_check.numerator, fmt_percent(c.coverage_check.share),
                c.coverage_check.clause) for c in clusters]),
        heading("未覆盖或无结对的学校", 2),
        table([Col("学校", 2.5), Col("问题", 4), Col("依据", 1.8)],
              [(v.subject, v.detail, v.clause) for v in coverage])]

    # 六、质量与增值
    progress("质量", 0.75)
    full = d.profile.evaluation.get("value_added_full_points", 5)
    story += [heading("六、受援校质量与增值评价"), note(
        f"增值计算：变化 = 本学年 − 上学年（以本校上学年为基线）；比率类指标（名称以“率”结尾）单位为百分点，"
        f"均分类指标单位为分。县均变化为{area}所有两学年都有数据的学校该指标变化的平均数；相对县均 = 变化 − 县均变化。"
        f"集团的增值为其受援校各指标相对县均的平均数；与县均持平得质量分的一半，高出{full}个单位得满分，低{full}个单位不得分。"
        f"依据 {d.profile.full_citation(str(d.profile.evaluation.get('clause', '')))}。")]
    qrows = []
    for c in clusters:
        for school, indicators in c.quality.items():
            for ind, (before, after) in indicators.items():
                change = point_change(before, after)
                county = d.county_changes.get(ind)
                qrows.append((c.name, school, ind, "" if before is None else f"{before:.1f}",
                              "" if after is None else f"{after:.1f}", _signed(change), _signed(county),
                              _signed(None if change is None else change - (county or 0.0)), change_unit(ind)))
    story.append(table([Col("集团(学区)", 2.4), Col("受援校", 0.7, True), Col("有两学年数据", 0.9, True),
                        Col("增值（相对县均）", 1.1, True), Col("质量得分", 0.8, True)],
                       [(c.name, len(c.assisted), sum(1 for a in c.assisted if a.value_added is not None),
                         _signed(c.evaluation.value_added, 2), _points(c.evaluation.scores["quality_value_added"]))
                        for c in clusters]))
    story.append(note(f"各受援校逐项指标（基线、本学年、变化、县均变化、相对县均）见附录三，共{len(qrows)}行。"))
    if d.indicator_trend:
        years = sorted({y for values in d.indicator_trend.values() for y in values})
        story.append(keep(Spacer(1, 4 * mm), line_chart(
            [school_year_label(y) for y in years],
            {ind: [values.get(y) for y in years] for ind, values in d.indicator_trend.items()},
            title="受援校质量指标均值（各学年）", value_format="{:.0f}", label_chars=14)))

    # 七、捆绑考核
    progress("评价", 0.85)
    story += [heading("七、评价结果（捆绑考核）"), body(_method(d))]
    story.append(table(
        [Col("集团(学区)", 2.2), Col("支援校", 1.8)] + [Col(PART_LABELS[p], 0.8, True) for p in PARTS]
        + [Col("增值", 0.6, True), Col("总分", 0.6, True), Col("等级", 0.6, align="center")],
        [(c.name, next((m.name for m in c.members if m.is_lead), "—"),
          *(_points(c.evaluation.scores[p]) for p in PARTS), _signed(c.evaluation.value_added, 2),
          _points(c.evaluation.total), c.evaluation.grade) for c in clusters],
        highlight=lambda _i, row: RED if row[-1] == FAILED_GRADE else None, font_size=8))
    rated = [c for c in clusters if c.evaluation.total is not None]
    if rated:
        story.append(keep(Spacer(1, 4 * mm), ranked_bars(
            [c.name for c in rated], [c.evaluation.total or 0.0 for c in rated],
            title="各集团(学区)评价总分（不参评的不列）", value_format="{:.1f}")))

    # 八、协议
    progress("协议", 0.88)
    story += [heading("八、教共体建设协议签订情况"), note(
        f"依据 {d.profile.full_citation('余教〔2020〕155号 六(二)')}：各教共体支援学校和受援学校签订教共体建设协议书；"
        f"状态为{d.checked_on.isoformat()}的情况。")]
    story.append(table([Col("集团(学区)/教共体", 2.6), Col("类型", 1.1), Col("协议期限", 2.0, True),
                        Col("状态", 1.6)],
                       [(a.cluster_name, a.cluster_kind,
                         f"{a.agreement.term_start.isoformat()}至{a.agreement.term_end.isoformat()}" if a.agreement else "",
                         a.status) for a in d.agreements],
                       highlight=lambda _i, row: AMBER if str(row[3]).startswith(("无协议", "已到期", "草稿")) else None))

    # 九、违规与豁免
    progress("违规", 0.92)
    ids = {c.id for c in clusters} | schools
    violations = [v for v in (*d.check.violations, *d.check.part_violations())
                  if d.scope_cluster is None or v.subject_id in ids]
    story += [heading("九、违规与豁免"), note("豁免的违规照常列出，注明理由与批准人；依据为政策方案所引文件条款。"
                                          "含教师培训学时、种子教师与榜样教师、师徒结对和优质均衡推进计划的检查结果。"),
              table([Col("规则", 1.4), Col("对象", 1.2), Col("情况", 3.2), Col("依据", 1.6), Col("豁免", 1.6)],
                    [(rule_label(v.rule), d.school_names.get(v.subject_id, v.subject)
                      if v.subject_kind == "school" and v.subject_id is not None else v.subject, v.detail, v.clause,
                      f"已豁免：{v.waiver_reason}（{v.waiver_approver}）" if v.waived else "")
                     for v in violations],
                    highlight=lambda _i, row: AMBER if row[4] else None, font_size=8)]
    story.append(KeepTogether([Spacer(1, 12 * mm), Paragraph(esc(f"{d.bureau}（盖章）"), styles()["sign_right"]),
                               Paragraph(esc(chinese_date(info.date)), styles()["sign_right"])]))

    # 附录: the school and person lists (an evaluator reads the body; names are for follow-up)
    story += [PageBreak(), heading("附录一　学年内集团(学区)成员"),
              note("含学年内加入或退出的学校；退出日期为空表示仍在集团中。"),
              table([Col("集团(学区)", 2.2), Col("学校", 2.6), Col("角色", 0.8, align="center"),
                     Col("城乡", 0.6, align="center"), Col("学生", 0.7, True), Col("加入", 1.0, True),
                     Col("退出", 1.0, True)],
                    [(c.name, m.name, m.role, m.location, m.students, m.joined.isoformat(),
                      m.left_on.isoformat() if m.left_on else "") for c in clusters for m in c.members], font_size=8),
              heading("附录二　帮扶活动未达标明细"),
              table([Col("对象", 2.0), Col("角色", 0.9), Col("指标", 2.6), Col("周期", 0.9),
                     Col("完成/要求", 0.8, True)],
                    [(r.who, r.role, r.label, r.period_label, f"{r.done}/{r.required}") for r in behind], font_size=8),
              heading("附录三　受援校质量指标增值明细"),
              table([Col("集团(学区)", 1.6), Col("受援校", 1.9), Col("指标", 1.4),
                     Col(f"{d.year - 1}学年(基线)", 0.85, True), Col(f"{d.year}学年", 0.75, True),
                     Col("变化", 0.6, True), Col("县均变化", 0.7, True), Col("相对县均", 0.7, True),
                     Col("单位", 0.6, align="center")], qrows, font_size=7.5)]
    return story


def build_annual(store: Store, year: int, target: Target, *, cluster: str | None = None, progress: Progress = quiet,
                 today: dt.date | None = None, conclusions: dict[str, list[str]] | None = None,
                 draft_to: str | Path | None = None) -> Built:
    """The report; ``conclusions``: the clerk's edited 主要成效/存在问题/整改建议 (sections left
    out keep the draft; None: the text stored on the 报告 page, :mod:`db.report_texts`);
    ``draft_to``: also write the drafted text there as TOML to edit."""
    progress("统计数据", 0.02)
    profile = active_profile(store)
    try:
        data = annual_data(store, profile, year, cluster, today=today)
    except UnknownCluster as exc:
        raise ReportError(str(exc)) from None
    name = "城乡教共体年度评价报告"
    title = f"{school_year_label(year)}{name}"
    info = DocInfo(title=title, bureau=data.bureau, subtitle=cluster or data.scope,
                   cover_title=(school_year_label(year), name),
                   cover_lines=(f"评价期间：{data.first.isoformat()}至{data.last.isoformat()}",
                                f"政策方案：{profile.name}"))
    progress("排版", 0.15)
    draft = draft_conclusions(data)
    if draft_to is not None:
        write_conclusions(draft, draft_to)
    if conclusions is None:  # the text the clerk stored on the 报告 page, if any
        stored = load_text(store, "annual", year, data.clusters[0].id if cluster and data.clusters else None)
        conclusions = stored.sections if stored is not None else None
    county_map = load_map(store, data.checked_on, pairs=data.exchange_pairs)
    if cluster:
        county_map = county_map.of_clusters({c.name for c in data.clusters},
                                            {m.name for c in data.clusters for m in c.members})
    pages = ReportDocument(target, info).build_story(annual_story(data, info, progress, merged(draft, conclusions),
                                                                  county_map))
    progress("完成", 1.0)
    return finish(target, pages, f"，{len(data.clusters)} 个集团(学区)", clusters=len(data.clusters))
