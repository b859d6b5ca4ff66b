"""集团(学区)基本情况统计表 as a bureau's report form (银川2023方案 三(一)): the figures.

One :class:`StatisticsForm` feeds both the xlsx (``reports.cluster_sheets.write_statistics``)
and the PDF (``reports.statistics``), so the two never disagree.

Rules stated on the form itself:

* only clusters that contain a rural school or 教学点 (000 三(一): "包含农村学校(含教学点)的
  集团(学区)基本情况统计表"), unless the clerk asks for all;
* a school in two clusters on the day is shown in BOTH rows and counted in both; 合计 is the
  sum of the rows, and a footnote names each such school and gives the distinct count — so
  the 合计 always equals its rows and no school disappears silently;
* at city scale (clusters of more than one 县(市)区) a 县(市)区 column and a 小计 per 县(市)区;
* every open rule breach of a cluster or of one of its schools is marked in 存在问题 with its
  clause (a waived one says so).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from db.agreements import bureau_name, cluster_agreements
from db.clusters import load
from db.models import Cluster, Posting, Region
from db.settings import active_profile
from db.spans import holds_on
from db.store import Store
from policy.clusters import counts_as_rural, summarize
from policy.vocab import scope_word

CLAUSE = "银川2023方案 三(一)"
TITLE = "集团(学区)基本情况统计表"
COUNTY = "县(市)区"
NUMERIC = ("学校数", "其中乡村学校(含教学点)", "在校学生数", "班级数", "专任教师数")
HEADERS = ("序号", COUNTY, "集团(学区)名称", "类型", "成立时间", "牵头学校", "成员学校", *NUMERIC[:2],
           "乡村学校名称", *NUMERIC[2:], "包片包抓市属学校", "是否签订帮扶协议", "存在问题（依据）")
FOOTER = ("填报单位（盖章）：", "填表人：", "审核人：", "联系电话：", "填报日期：")


@dataclasses.dataclass(frozen=True, slots=True)
class StatisticsForm:
    """The form as laid out: header, rows (小计 rows included), 合计, footnotes."""

    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    subtotal_rows: frozenset[int]  # indexes into ``rows``
    total: tuple[Any, ...]
    notes: tuple[str, ...]
    bureau: str
    on: dt.date
    clusters: int
    scope: str  # 全县 / 全市 / 全区

    def column(self, header: str) -> int:
        return self.headers.index(header)

    @property
    def cluster_rows(self) -> list[tuple[Any, ...]]:
        return [row for n, row in enumerate(self.rows) if n not in self.subtotal_rows]

    @property
    def footer(self) -> tuple[str, ...]:
        """填报单位（盖章）… as lines under the table (blank lines to fill by hand)."""
        return (f"{FOOTER[0]}{self.bureau}", f"{FOOTER[1]}＿＿＿＿＿＿　　{FOOTER[2]}＿＿＿＿＿＿　　"
                f"{FOOTER[3]}＿＿＿＿＿＿＿＿　　{FOOTER[4]}{self.on.year}年{self.on.month}月{self.on.day}日")


def _teachers(store: Store, on: dt.date) -> dict[uuid.UUID, int]:
    """专任教师数 per school: teachers whose 人事关系 posting there is current on ``on``."""
    p = Posting.__table__
    query = (select(p.c.school_id, func.count(func.distinct(p.c.teacher_id)))
             .where(p.c.holds_personnel.is_(True), holds_on(p.c.start, on, last=p.c.end_on))
             .group_by(p.c.school_id))
    with store.read() as session:
        return {uuid.UUID(str(sid)) if not isinstance(sid, uuid.UUID) else sid: n
                for sid, n in session.execute(query)}


def statistics_form(store: Store, on: dt.date, *, include_all: bool = False) -> StatisticsForm:
    """The form for every cluster standing on ``on`` (only those with rural schools unless ``include_all``)."""
    records = load(store, on)
    summaries = summarize(records.schools, records.clusters, records.memberships, records.pairings, on)
    with store.read() as session:
        founded = dict(session.execute(select(Cluster.id, Cluster.founded)).all())
        regions = {r.id: r for r in session.execute(select(Region.id, Region.name, Region.level, Region.parent_id))}
    teachers = _teachers(store, on)
    signed = {}
    for pact in cluster_agreements(store, on):
        agreement = pact.agreement
        if agreement is None:
            signed[pact.cluster_id] = "否（无协议）"
        elif pact.expired:
            signed[pact.cluster_id] = f"否（{agreement.term_end.isoformat()}到期）"
        elif agreement.signed_on is None:
            signed[pact.cluster_id] = "否（未签订）"
        else:
            signed[pact.cluster_id] = f"是（{agreement.signed_on.isoformat()}）"
    breaches: dict[uuid.UUID, list[str]] = defaultdict(list)
    school_clusters: dict[Any, list[Any]] = defaultdict(list)
    for s in summaries:
        for _m, school in s.members:
            school_clusters[school.id].append(s.cluster.id)
    by_name = {s.cluster.name: s.cluster.id for s in summaries}
    codes = {school.code: school.id for school in records.schools}
    result = records.check(active_profile(store), on)
    for v in result.violations:
        text = f"{v.detail}（{v.clause}）" + ("［已批准例外］" if v.waived else "")
        targets = [by_name[v.subject]] if v.subject_kind == "cluster" and v.subject in by_name else \
            school_clusters.get(v.subject_id or codes.get(v.subject), [])
        for cluster_id in targets:
            if text not in breaches[cluster_id]:
                breaches[cluster_id].append(text)

    listed = [s for s in summaries if include_all or s.rural_schools > 0]
    left_out = len(summaries) - len(listed)

    def county_of(region_id: uuid.UUID | None) -> str:
        region = regions.get(region_id)
        while region is not None and region.level not in ("县区",) and region.parent_id in regions:
            region = regions[region.parent_id]
        return region.name if region is not None else ""

    counties = {s.cluster.id: county_of(s.cluster.region_id) for s in listed}
    by_county = len(set(counties.values())) > 1
    listed.sort(key=lambda s: (counties[s.cluster.id], s.cluster.name) if by_county else (s.cluster.name,))

    rows: list[tuple[Any, ...]] = []
    subtotals: set[int] = set()
    group: list[tuple[Any, ...]] = []

    def figures(values: list[tuple[Any, ...]]) -> dict[str, int]:
        return {h: sum(int(r[HEADERS.index(h)]) for r in values) for h in NUMERIC}

    def subtotal(county: str) -> None:
        sums = figures(group)
        subtotals.add(len(rows))
        label = {COUNTY: county, "集团(学区)名称": f"小计（{len(group)}个集团(学区)）"}
        rows.append(tuple(sums[h] if h in sums else label.get(h, "") for h in HEADERS))

    for number, s in enumerate(listed, start=1):
        county = counties[s.cluster.id]
        if by_county and group and county != group[-1][1]:
            subtotal(group[-1][1])
            group = []
        distinct = {school.id: school for _m, school in s.members}
        row = (
            number, county, s.cluster.name, s.cluster.kind,
            started.isoformat() if (started := founded.get(s.cluster.id)) else "",
            s.lead.name if s.lead else "", s.member_names, s.schools, s.rural_schools, s.rural_member_names,
            s.students, sum(school.classes for school in distinct.values()),
            sum(teachers.get(school.id, 0) for school in distinct.values()),
            s.city_partner_names, signed.get(s.cluster.id, "否（无协议）"), "；".join(breaches.get(s.cluster.id, [])),
        )
        rows.append(row)
        group.append(row)
    if by_county and group:
        subtotal(group[-1][1])
    cluster_rows = [r for n, r in enumerate(rows) if n not in subtotals]
    sums = figures(cluster_rows)
    total = tuple(sums.get(h, "合计" if h == "序号" else "") for h in HEADERS)

    notes = [f"依据：{CLAUSE}。统计日期：{on.year}年{on.month}月{on.day}日，按当日仍在集团(学区)中的学校统计。",
             "学校数含牵头学校；乡村学校指城乡类别为乡村的学校及全部教学点；专任教师数为人事关系在该校的教师；"
             "班级数、在校学生数取学校基本信息。"]
    notes.append("列入范围：" + ("全部集团(学区)。" if include_all else
                 f"包含乡村学校(含教学点)的集团(学区)（{CLAUSE}）" +
                 (f"，另有{left_out}个不含乡村学校的集团(学区)未列入。" if left_out else "。")))
    in_listed: dict[Any, list[str]] = defaultdict(list)
    names = {school.id: school for school in records.schools}
    for s in listed:
        for _m, school in s.members:
            if s.cluster.name not in in_listed[school.id]:
                in_listed[school.id].append(s.cluster.name)
    doubles = {sid: clusters for sid, clusters in in_listed.items() if len(clusters) > 1}
    if doubles:
        distinct_count = len(in_listed)
        rural = sum(1 for sid in in_listed if counts_as_rural(names[sid], False))
        listing = "；".join(f"{names[sid].name}（{'、'.join(c)}）" for sid, c in sorted(
            doubles.items(), key=lambda pair: names[pair[0]].code))
        notes.append(f"同时属于两个集团(学区)的学校在各自一行中都计入，合计为各行相加：{listing}。"
                     f"不重复计算时学校共{distinct_count}所，其中乡村学校{rural}所。")
    if by_county:
        notes.append(f"按{COUNTY}分组，各{COUNTY}后为小计行；合计为全部集团(学区)行相加（不含小计行）。")
    breached = sum(1 for r in cluster_rows if r[HEADERS.index("存在问题（依据）")])
    if breached:
        notes.append(f"存在问题：{breached}个集团(学区)有不符合规定的情况，已在“存在问题（依据）”列注明所依据的条款。")
    region_rows = list(regions.values())
    return StatisticsForm(
        headers=HEADERS if by_county else tuple(h for h in HEADERS if h != COUNTY),
        rows=[r if by_county else r[:1] + r[2:] for r in rows],
        subtotal_rows=frozenset(subtotals),
        total=total if by_county else total[:1] + total[2:],
        notes=tuple(notes),
        bureau=bureau_name(store),
        on=on,
        clusters=len(listed),
        scope=scope_word([r.level for r in region_rows], [r.name for r in region_rows]),
    )


__all__ = ["CLAUSE", "HEADERS", "NUMERIC", "StatisticsForm", "TITLE", "scope_word", "statistics_form"]
