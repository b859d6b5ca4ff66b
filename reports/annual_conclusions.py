"""主要成效 / 存在问题 / 整改建议 of the annual report, drafted from its figures.

The draft is a starting point the bureau edits before printing: ``edubridge report annual
--draft-conclusions FILE.toml`` writes it, the clerk rewrites any paragraph, and
``--conclusions FILE.toml`` prints the edited text instead (a section left out of the file
keeps the draft). Every sentence here is computed from :class:`db.annual.AnnualData`.
"""

from __future__ import annotations

import tomllib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from db.annual import AnnualData
from policy.evaluation import FAILED_GRADE, NOT_RATED
from reports.output import ReportError
from reports.pdf import fmt_percent

SECTIONS = ("主要成效", "存在问题", "整改建议")


def draft_conclusions(d: AnnualData, violations_at: str = "详见第九部分") -> dict[str, list[str]]:
    """Paragraphs per section, each a sentence or two built from the figures;
    ``violations_at`` says where the document lists the rule violations."""
    scope = "本教共体" if d.scope_cluster else d.scope
    clusters = d.clusters
    ex, ex_check, bb_check = d.county_exchange, d.county_exchange_check, d.county_backbone_check
    met_rows = sum(1 for r in d.quota_rows if r.met)
    coverage = d.check.coverage
    grades = Counter(c.evaluation.grade for c in clusters)
    rated = [c for c in clusters if c.evaluation.total is not None]
    good: list[str] = []
    problems: list[str] = []
    advice: list[str] = []

    if ex.moved:
        line = (f"{scope}交流轮岗教师{ex.moved}人，占符合条件教师的{fmt_percent(ex_check.share)}"
                + (f"（要求不低于{fmt_percent(ex_check.target, 0)}）" if ex_check.target is not None else "")
                + f"，其中骨干教师{ex.backbone}人、到乡村学校{ex.to_rural}人。")
        (good if ex_check.met is not False else problems).append(line)
    if ex_check.met is False:
        advice.append(f"按{ex_check.clause}的比例补足交流人数，下一学年交流计划优先安排未达比例的集团(学区)。")
    if bb_check.met is False:
        problems.append(f"骨干教师占交流人数的{fmt_percent(bb_check.share)}，低于{fmt_percent(bb_check.target, 0)}"
                        f"（{bb_check.clause}）。")
        advice.append("在交流计划中提高骨干教师比例，向乡村学校和薄弱学校倾斜。")
    if d.quota_rows:
        share = met_rows / len(d.quota_rows)
        good.append(f"帮扶活动指标{len(d.quota_rows)}项（按人、按结对逐项统计），达标{met_rows}项，"
                    f"达标率{fmt_percent(share)}。")
        by_label: dict[str, list[bool]] = defaultdict(list)
        for r in d.quota_rows:
            by_label[r.label].append(r.met)
        weakest = sorted(((sum(v) / len(v), label, len(v) - sum(v)) for label, v in by_label.items()))[:3]
        for rate, label, missing in weakest:
            if rate < 1:
                problems.append(f"“{label}”达标率{fmt_percent(rate)}，{missing}项未达标。")
        if any(rate < 1 for rate, _l, _m in weakest):
            advice.append("对帮扶活动未达标的人员和结对逐一通报（名单见附录），下学期开学一个月内制定补足计划。")
    own = d.clusters[0].coverage_check if d.scope_cluster and len(clusters) == 1 else None
    if own is not None:  # one community: its own rural schools, not the county's coverage
        if own.denominator:
            line = f"本教共体乡村学校（含教学点）{own.denominator}所，有城镇学校结对帮扶的{own.numerator}所。"
            (good if own.numerator == own.denominator else problems).append(line)
    elif coverage.rural_schools:
        line = (f"乡村学校（含教学点）{coverage.rural_schools}所，纳入集团(学区){coverage.rural_in_cluster}所，"
                f"覆盖率{fmt_percent(coverage.ratio)}。")
        (good if coverage.rural_in_cluster == coverage.rural_schools else problems).append(line)
        if coverage.rural_in_cluster < coverage.rural_schools:
            advice.append("将尚未纳入的乡村学校（含教学点）全部纳入集团(学区)管理（银川2023方案 三(一)）。")
    if own is not None and rated:
        grade = clusters[0].evaluation.grade
        (problems if grade == FAILED_GRADE else good).append(
            f"本教共体本学年评价总分{clusters[0].evaluation.total:.1f}分，等级为{grade}。")
        if grade == FAILED_GRADE:
            advice.append("对照评价各项得分逐项整改，由牵头校提交整改报告。")
    elif rated:
        top = [g for g in ("优秀", "良好") if grades.get(g)]
        if top:
            good.append("评价等级为" + "、".join(f"{g}的{grades[g]}个" for g in top) + "。")
        failed = [c.name for c in rated if c.evaluation.grade == FAILED_GRADE]
        if failed:
            problems.append(f"评价不合格的集团(学区){len(failed)}个：{'、'.join(failed[:6])}"
                            + ("等" if len(failed) > 6 else "") + "。")
            advice.append("评价不合格的集团(学区)由牵头校提交整改报告，教育局下学期开展专项督查。")
    unrated = [c.name for c in clusters if c.evaluation.grade == NOT_RATED]
    if unrated:
        problems.append(f"{len(unrated)}个集团(学区)本学年没有可评价的内容（无受援校、无交流与帮扶任务），未参评。")
    unsigned = [a for a in d.agreements if a.agreement is None or a.agreement.signed_on is None or a.expired]
    communities = [a for a in d.agreements if a.cluster_kind.endswith("教共体")]
    if communities:
        signed = [a for a in communities if a not in unsigned]
        (good if len(signed) == len(communities) else problems).append(
            f"教共体{len(communities)}个，建设协议书在有效期内且已签订的{len(signed)}个。")
        if len(signed) < len(communities):
            advice.append("尚无协议、协议未签订或已到期的教共体，一个月内完成签订或续签（余教〔2020〕155号 六(二)）。")
    scoped = [v for c in clusters for v in c.violations] if own is not None else d.check.violations
    open_violations = [v for v in scoped if not v.waived]
    if open_violations:
        kinds = Counter(v.rule for v in open_violations)
        problems.append(f"规则检查发现未豁免的问题{len(open_violations)}项（涉及{len(kinds)}类规则），{violations_at}。")
        advice.append("逐项整改规则检查发现的问题；确需保留的，报局长办公会批准例外并注明理由。")
    return {"主要成效": good or ["本学年各项指标暂无可总结的成效数据。"],
            "存在问题": problems or ["本学年未发现明显问题。"],
            "整改建议": advice or ["保持现有做法，继续做好帮扶工作。"]}


def read_conclusions(path: str | Path) -> dict[str, list[str]]:
    """The clerk's edited text: a TOML file with 主要成效 / 存在问题 / 整改建议 as lists of paragraphs.

    Raises:
        ReportError: the file is not TOML or a section is not a list of text (the message
            names the file and the section).
    """
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReportError(f"无法读取结论文件“{path}”：{exc}") from None
    result: dict[str, list[str]] = {}
    for key, value in data.items():
        if key not in SECTIONS:
            raise ReportError(f"结论文件“{path}”中的“{key}”不是 {'/'.join(SECTIONS)} 之一")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ReportError(f"结论文件“{path}”中的“{key}”应为文字段落的列表")
        result[key] = [v.strip() for v in value if v.strip()]
    return result


def write_conclusions(conclusions: dict[str, list[str]], path: str | Path) -> None:
    """The draft as an editable TOML file (one list of paragraphs per section)."""
    lines = ["# 年度评价报告的主要成效、存在问题和整改建议（草稿，按数据生成）。",
             "# 修改后用 edubridge report annual … --conclusions 本文件 打印；删去的部分仍按数据生成。", ""]
    for key in SECTIONS:
        lines.append(f"\"{key}\" = [")
        lines += [f"  {_toml_string(p)}," for p in conclusions.get(key, [])]
        lines += ["]", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def merged(draft: dict[str, list[str]], edited: dict[str, Any] | None) -> dict[str, list[str]]:
    return {key: list((edited or {}).get(key) or draft[key]) for key in SECTIONS}
