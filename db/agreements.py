"""Agreements (教共体建设协议书 / 帮扶协议) in the store: create from the template, edit, print, sign.

An agreement starts as the template ``resources/templates/agreement.toml`` filled for one
cluster: its parties (lead school = 甲方, members = 乙方, 丙方 … — every school that is a
member during the term and has not left by the day the agreement is drawn up, see
:func:`term_parties`; the clause text and the party list are filled from that one list),
its type's duties (余教〔2020〕155号 五), and measurable targets
whose figures and clauses come from the policy profile — the template never holds a
number of its own.

Life of a record (every step one audited :meth:`Store.write`):

* :func:`create_agreement` — version 1;
* :func:`edit_clauses` — the clerk's text; version + 1 (unchanged text → no new version);
* :func:`record_printing` — ``printed_version`` and ``printed_text`` keep exactly what went
  to paper, so a later edit never changes what was signed;
* :func:`record_signed` — the signing date;
* :func:`attach_scan` — the scanned signed copy, kept inside the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import tomllib
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import StoreError
from db.models import (
    Agreement,
    AgreementParty,
    Attachment,
    Cluster,
    Exchange,
    Membership,
    Region,
    School,
    Setting,
    Waiver,
)
from db.spans import holds_on
from db.store import Store
from db.versions import editing
from policy import vocab
from policy.calendar import Span, add_years, chinese_date, school_year_label, school_year_of
from policy.numerals import chinese_numeral
from policy.profile import Profile
from resources import resource_path

TEMPLATE = resource_path("templates", "agreement.toml")
PARTY_LABELS = ("甲方", "乙方", "丙方", "丁方", "戊方", "己方", "庚方", "辛方", "壬方", "癸方")
BUREAU_KEY = "bureau_name"
OFF = "（本方案未作规定）"
PERIODS = {"semester": "学期", "year": "学年"}
MEASURE_UNITS = {"count": "次", "lessons": "节"}


class AgreementError(StoreError):
    """An agreement that cannot be made or changed (unknown cluster, empty clause…)."""


def party_labels(count: int) -> tuple[str, ...]:
    """Labels of ``count`` parties: 甲方 … 癸方, then 第十一方, 第十二方 … (none is ever dropped)."""
    return tuple(PARTY_LABELS[i] if i < len(PARTY_LABELS) else f"第{chinese_numeral(i + 1)}方" for i in range(count))


def label_order(label: str) -> int:
    """Sort key of a party label (甲方 first, 第十一方 after 癸方)."""
    if label in PARTY_LABELS:
        return PARTY_LABELS.index(label)
    if label.startswith("第") and label.endswith("方"):
        for n in range(len(PARTY_LABELS) + 1, 100):
            if chinese_numeral(n) == label[1:-1]:
                return n - 1
    return 999


def area_phrase(area: str | None) -> str:
    """'，属东片区' for area '东片区' or '东' (area names may already end in 片区); '' without one."""
    text = (area or "").strip()
    if not text:
        return ""
    return f"，属{text if text.endswith('片区') else text + '片区'}"


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    heading: str
    text: str

    def as_json(self) -> dict[str, str]:
        return {"heading": self.heading, "text": self.text}


@dataclasses.dataclass(frozen=True, slots=True)
class Party:
    label: str  # 甲方 / 乙方 …
    school_id: uuid.UUID
    school_name: str
    role: str  # 牵头校 / 成员校 …
    signatory: str | None = None
    #: Schools this party signs for: a 融合型 法人's campuses, a 中心校's 教学点.
    represents: tuple[str, ...] = ()
    #: A 教学点 whose 中心校 is not a party: that school signs for it (its seal, not the point's).
    teaching_point: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Scan:
    id: uuid.UUID
    filename: str
    mime_type: str
    size: int
    sha256: str
    added: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class AgreementDoc:
    """An agreement as plain data: what the PDF and the 协议 page show."""

    id: uuid.UUID
    cluster_id: uuid.UUID
    cluster_name: str
    cluster_kind: str
    title: str
    preamble: str
    sections: tuple[Section, ...]
    parties: tuple[Party, ...]
    term_start: dt.date
    term_end: dt.date
    version: int
    printed_version: int | None
    signed_on: dt.date | None
    bureau: str
    scans: tuple[Scan, ...] = ()
    row_version: int | None = None  # as loaded: an edit based on it is refused once it moved on
    brand_fee: float | None = None  # 品牌费 the agreement charges, 元 (None: not stated)
    #: A template draft laid out for preview only: not in the database (``id`` is the nil UUID).
    draft: bool = False

    @property
    def printed_is_current(self) -> bool:
        return self.printed_version == self.version


# ---- the bureau's name ---------------------------------------------------------------


def bureau_name(store: Store, region_id: uuid.UUID | None = None) -> str:
    """The issuing bureau: the ``bureau_name`` setting, else the region's name + 教育局."""
    with store.read() as session:
        setting = session.get(Setting, BUREAU_KEY)
        if setting is not None and isinstance(setting.value, dict) and setting.value.get("name"):
            return str(setting.value["name"])
        rows = session.execute(select(Region.id, Region.name, Region.level)).all()
    chosen = next((r for r in rows if r.id == region_id), None)
    if chosen is None:
        counties = [r for r in rows if r.level == "县区"]
        cities = [r for r in rows if r.level == "市"]
        chosen = counties[0] if len(counties) == 1 else (cities[0] if cities else (rows[0] if rows else None))
    if chosen is None:
        return "教育局"
    return chosen.name if chosen.name.endswith("局") else f"{chosen.name}教育局"


# ---- template ------------------------------------------------------------------------


def load_template() -> dict[str, Any]:
    with TEMPLATE.open("rb") as handle:
        return tomllib.load(handle)


def figure_text(profile: Profile, figure_id: str) -> str:
    """A figure as a clause quotes it: 0.1 → '10%', 6 with unit 所 → '6所'."""
    if figure_id not in profile.figures:
        return OFF
    fig = profile.figures[figure_id]
    if not fig.enabled:
        return OFF
    value = fig.value
    if fig.unit == "比例" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value * 100:g}%"
    if isinstance(value, bool):
        return "是" if value else "否"
    if fig.unit in ("所", "人", "年", "届", "学时", "岁", "平方米", "节", "次"):
        return f"{value:,}{fig.unit}" if isinstance(value, int) and value >= 10000 else f"{value}{fig.unit}"
    return str(value)


class _Figures(dict[str, str]):
    def __init__(self, profile: Profile, clauses: bool) -> None:
        super().__init__()
        self.profile = profile
        self.clauses = clauses

    def __missing__(self, key: str) -> str:
        if self.clauses:
            return self.profile.figures[key].clause if key in self.profile.figures else ""
        return figure_text(self.profile, key)


ARTICLE_PREFIX = re.compile(r"^\s*第\s*[^条\s]{1,6}\s*条[\s　]*")


def article_heading(number: int, heading: str) -> str:
    """'第N条　heading' with N generated; a number typed into ``heading`` is dropped."""
    rest = ARTICLE_PREFIX.sub("", heading).strip()
    return f"第{chinese_numeral(number)}条" + (f"　{rest}" if rest else "")


def numbered(sections: list[Section] | tuple[Section, ...]) -> list[Section]:
    """The sections with continuous article numbers 第一条, 第二条 … (headless text stays unnumbered).

    Numbers are never typed: the clerk may insert, delete or reorder clauses and the
    printed agreement still counts without a gap (a number typed by hand is replaced).
    """
    result, number = [], 0
    for section in sections:
        if section.heading.strip():
            number += 1
            result.append(Section(article_heading(number, section.heading), section.text))
        else:
            result.append(section)
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class Signing:
    """Who signs an agreement and for whom (see :func:`signing_schools`)."""

    signers: tuple[uuid.UUID, ...]  # lead first
    #: Names a signer signs for: a 融合型 法人's campuses, a 中心校's 教学点.
    represents: dict[uuid.UUID, tuple[str, ...]]


def signing_schools(kind: str, schools: list[tuple[uuid.UUID, str, str, uuid.UUID | None]]) -> Signing:
    """The schools that sign, lead first. ``schools``: (id, name, stage, central school id), lead first.

    A 融合型 community is one 法人 for all its campuses (余教〔2020〕155号 三(一)): only the
    lead signs. A 教学点 has no seal of its own: its 中心校 signs for it when that school is
    in the agreement; otherwise the 教学点 stays a party and its block says the 中心校 signs.
    """
    if not schools:
        return Signing((), {})
    lead = schools[0][0]
    if kind == "融合型教共体":
        return Signing((lead,), {lead: tuple(name for _id, name, _stage, _c in schools[1:])})
    ids = {sid for sid, *_rest in schools}
    signers: list[uuid.UUID] = []
    represents: dict[uuid.UUID, list[str]] = {}
    for sid, name, stage, central in schools:
        if stage == vocab.TEACHING_POINT and central in ids and central != sid:
            represents.setdefault(central, []).append(name)
        else:
            signers.append(sid)
    return Signing(tuple(signers), {k: tuple(v) for k, v in represents.items()})


@dataclasses.dataclass(frozen=True, slots=True)
class MemberTarget:
    """One member school's line of the 目标任务 article."""

    label: str  # 乙方 / 丙方 …, or "" for a campus or a 教学点 signed for by another party
    school: str
    teachers: int  # exchanged to it in ``year`` by the plan (0: none recorded)
    year: int | None


def fill_template(
    template: dict[str, Any],
    *,
    cluster: str,
    kind: str,
    area: str | None,
    lead: str,
    members: list[str],
    term_start: dt.date,
    term_end: dt.date,
    term_years: int,
    bureau: str,
    profile: Profile,
    signers: int | None = None,
    teaching_points: list[str] | None = None,
    member_targets: list[MemberTarget] | None = None,
    size_note: str = "",
) -> tuple[str, str, list[Section]]:
    """(title, preamble, sections) of the template filled for one cluster.

    ``members``: the schools that sign besides the lead (for a 融合型 community: its
    campuses); ``signers``: how many sign (default lead + members); ``member_targets``:
    one line per member school in 目标任务 (default: one per member, no plan figure).
    Article numbers are generated, continuous (:func:`numbered`).
    """
    fusion = kind == "融合型教共体"
    party_count = signers if signers is not None else (1 if fusion else 1 + len(members))
    party_names = [lead, *members][:party_count]
    labels = party_labels(max(party_count, 1))
    member_labels = list(labels[1:party_count])
    values: dict[str, Any] = {
        "cluster": cluster,
        "kind": kind,
        "area": area or "",
        "area_text": area_phrase(area),
        "lead": lead,
        "members": "、".join(members) if members else "（暂无）",
        "party_list": "、".join(f"{label}{name}" for label, name in zip(labels, party_names, strict=False)),
        "term_start": chinese_date(term_start),
        "term_end": chinese_date(term_end),
        "term_years": term_years,
        "bureau": bureau,
        "party_count": chinese_numeral(party_count),
        "copies": chinese_numeral(party_count + 1),  # one per party and one for the bureau
        "holders": f"{labels[0]}执一份" if party_count == 1 else f"协议{chinese_numeral(party_count)}方各执一份",
        "size_note": size_note,
        "lead_label": labels[0],
        "member_label": _label_range(member_labels),
        "fig": _Figures(profile, clauses=False),
        "clause": _Figures(profile, clauses=True),
    }

    def fill(text: str, **extra: Any) -> str:
        return text.format(**values, **extra)

    texts = template.get("parties_text", {})
    values["parties_text"] = fill(texts.get(kind) or texts.get("default", ""))
    if teaching_points and texts.get("teaching_points") and not fusion:
        values["parties_text"] += texts["teaching_points"].format(points="、".join(teaching_points))

    sections: list[Section] = []
    for block in template.get("common_head", []):
        sections.append(Section(fill(block["heading"]), fill(block["text"])))
    kind_blocks = template.get("kinds", {}).get(kind) or template.get("kinds", {}).get("共建型教共体", [])
    for block in kind_blocks:
        sections.append(Section(fill(block["heading"]), fill(block["text"])))
    duties = template.get("duties", {}).get(kind)
    if duties:
        for who in ("lead", "member"):
            if who == "member" and not fusion and not member_labels:
                continue
            sections.append(Section(fill(duties[f"{who}_heading"]), _numbered_lines(fill(duties[who]))))
    projects = template.get("projects", {})
    if projects.get(kind):
        sections.append(Section(fill(projects["heading"]),
                                fill(projects["intro"]) + "\n" + _numbered_lines("\n".join(projects[kind]))))
    targets = template.get("targets")
    if targets:
        sections.append(Section(fill(targets["heading"]), _targets_text(
            targets, fill, profile, kind, member_targets
            if member_targets is not None else [MemberTarget(label, name, 0, None)
                                                for label, name in zip(member_labels, members, strict=False)])))
    for block in template.get("common_tail", []):
        sections.append(Section(fill(block["heading"]), fill(block["text"])))
    # The preamble cites, in full, exactly the papers the clauses quote.
    cited = profile.cited_documents(*(f"{x.heading}\n{x.text}" for x in sections))
    values["documents"] = "、".join(d.citation for d in cited) if cited else f"{bureau}有关文件"
    return fill(template["title"]), fill(template["preamble"]), numbered(sections)


def _label_range(labels: list[str]) -> str:
    """乙方 / 乙方、丙方 / 乙方至戊方 (more than two)."""
    if len(labels) <= 2:
        return "、".join(labels)
    return f"{labels[0]}至{labels[-1]}"


def _numbered_lines(text: str) -> str:
    """One duty a line → （一）…；（二）…。 (the last line ends the article)."""
    lines = [line.strip().rstrip("；;。") for line in text.splitlines() if line.strip()]
    return "\n".join(f"（{chinese_numeral(i)}）{line}{'。' if i == len(lines) else '；'}"
                     for i, line in enumerate(lines, start=1))


def _targets_text(targets: dict[str, Any], fill: Callable[..., str], profile: Profile, kind: str,
                  member_targets: list[MemberTarget]) -> str:
    lines = []
    if "exchange.min_share" in profile.figures and profile.figures["exchange.min_share"].enabled:
        lines.append(fill(targets["exchange"]))
    sync = fill(targets["sync"]) if _enabled(profile, "agreement.sync_lessons") else ""
    research = fill(targets["research"]) if _enabled(profile, "agreement.joint_research") else ""
    if member_targets and (sync or research):
        lines.append(fill(targets["per_member"], what="、".join(x for x in (sync, research) if x)))
    for target in member_targets:
        teachers = (targets["teachers_planned"].format(year=school_year_label(target.year), count=target.teachers)
                    if target.teachers and target.year else targets["teachers_unplanned"])
        short = "，".join(x for x in (
            teachers,
            fill(targets["sync_short"]) if sync else "",
            fill(targets["research_short"]) if research else "") if x)
        lines.append(f"对{target.label}{target.school}：{short}")
    wanted = targets.get("quota_ids", {})
    ids = wanted.get(kind, wanted.get("default", []))
    for quota in profile.quotas:
        if quota.enabled and quota.id in ids:
            lines.append(targets["quota"].format(
                label=quota.label, minimum=quota.minimum, unit=MEASURE_UNITS.get(quota.measure, "次"),
                period=PERIODS.get(quota.period, quota.period), clause=quota.clause,
            ))
    return fill(targets["intro"]) + "\n" + _numbered_lines("\n".join(lines))


def _enabled(profile: Profile, figure_id: str) -> bool:
    return figure_id in profile.figures and profile.figures[figure_id].enabled


# ---- records -------------------------------------------------------------------------


def find_cluster(store: Store, name: str) -> tuple[uuid.UUID, str]:
    """(id, name) of the cluster called ``name``.

    Raises:
        AgreementError: no cluster of that name (the message names it).
    """
    with store.read() as session:
        row = session.execute(select(Cluster.id, Cluster.name).where(Cluster.name == name)).first()
    if row is None:
        raise AgreementError(f"没有名为“{name}”的集团(学区)/教共体")
    return row.id, row.name


def term_parties(memberships: list[Any], lead_id: uuid.UUID | None, start: dt.date, end: dt.date,
                 drawn_up: dt.date) -> list[tuple[uuid.UUID, str]]:
    """(school id, role) of an agreement's parties, lead first, then members in input order.

    A member is a party when its membership overlaps the term (joined on or before
    ``end``) and it has not left by the later of ``start`` and ``drawn_up`` (the day the
    agreement is made) — so a school that joined after the term began still signs, a school
    that already left does not, and a school with two membership rows (left and rejoined,
    a role change) appears once. ``memberships`` need ``school_id``, ``role``, ``joined``
    and ``left_on``.
    """
    check = min(max(start, drawn_up), end)
    chosen: dict[uuid.UUID, str] = {}
    for m in memberships:
        if Span.left(m.joined, m.left_on).overlaps(Span(check, end)):
            chosen.setdefault(m.school_id, m.role)
    if lead_id is None:
        lead_id = next((sid for sid, role in chosen.items() if role in vocab.LEAD_ROLES), None)
    result: list[tuple[uuid.UUID, str]] = []
    if lead_id is not None:
        result.append((lead_id, chosen.get(lead_id, "牵头校")))
    result += [(sid, role) for sid, role in chosen.items() if sid != lead_id]
    return result


def _parties_for(session: Session, cluster: Cluster, start: dt.date, end: dt.date
                 ) -> tuple[list[tuple[School, str]], list[tuple[School, str]], Signing]:
    """(every member school over [start, end] lead first then by name, the signing parties, who signs for whom)."""
    memberships = session.scalars(select(Membership).where(Membership.cluster_id == cluster.id)
                                  .order_by(Membership.joined)).all()
    picked = term_parties(list(memberships), cluster.lead_school_id, start, end, dt.date.today())
    schools = {s.id: s for s in session.scalars(select(School).where(School.id.in_([sid for sid, _ in picked])))}
    result = [(schools[sid], role) for sid, role in picked if sid in schools]
    result = result[:1] + sorted(result[1:], key=lambda pair: pair[0].name)
    signing = signing_schools(cluster.kind, [(s.id, s.name, s.stage, s.central_school_id) for s, _ in result])
    parties = [pair for pair in result if pair[0].id in signing.signers]
    return result, parties, signing


def _size_note(session: Session, cluster: Cluster, count: int, profile: Profile, on: dt.date) -> str:
    """The school-count sentence for an over-limit cluster with its waiver; '' within the limit.

    Raises:
        AgreementError: over the limit with no waiver in force — the agreement would sign
            a breach of the clause it quotes.
    """
    limit = profile.value("cluster.max_schools") if "cluster.max_schools" in profile.figures else None
    if cluster.kind not in ("学区", "教育集团") or limit is None or count <= int(limit):
        return ""
    waiver = session.scalars(select(Waiver).where(
        Waiver.rule == "cluster.max_schools", Waiver.subject_kind == "cluster", Waiver.subject_id == cluster.id,
        holds_on(Waiver.start, on, last=Waiver.end_on))).first()
    clause = profile.clause("cluster.max_schools")
    if waiver is None:
        raise AgreementError(f"“{cluster.name}”有{count}所学校，超过上限{limit}所（{clause}），且没有批准的例外；"
                             "请先调整成员或在“集团”页登记例外，再生成协议")
    return (f"。本{cluster.kind}现有学校{count}所，超过上限，经{waiver.approver}批准暂按现状运行"
            f"（{waiver.reason.rstrip('。')}）")


def _member_targets(session: Session, cluster_kind: str, members: list[tuple[School, str]],
                    labels: dict[uuid.UUID, str], year: int) -> list[MemberTarget]:
    """One 目标任务 line per member school: teachers the year's plan sends to it."""
    ids = [s.id for s, _ in members]
    counts: dict[uuid.UUID, int] = {}
    if ids:
        from sqlalchemy import func

        rows = session.execute(select(Exchange.to_school_id, func.count()).where(
            Exchange.to_school_id.in_(ids), Exchange.school_year == year, Exchange.status != "cancelled",
        ).group_by(Exchange.to_school_id)).all()
        counts = {sid: n for sid, n in rows}
    suffix = "校区" if cluster_kind == "融合型教共体" else ""
    return [MemberTarget(labels.get(s.id, ""), s.name + (suffix if suffix and not s.name.endswith("校区") else ""),
                         counts.get(s.id, 0), year) for s, _ in members]


def _template_draft(store: Store, cluster_id: uuid.UUID, profile: Profile, term_start: dt.date | None,
                    term_years: int | None) -> tuple[AgreementDoc, dict[str, Any]]:
    template = load_template()
    years = term_years or int(template.get("default_term_years", 3))
    start = term_start or dt.date.today()
    end = add_years(start, years) - dt.timedelta(days=1)
    with store.read() as session:
        cluster = session.get(Cluster, cluster_id)
        if cluster is None:
            raise AgreementError("找不到该集团(学区)/教共体")
        everyone, parties, signing = _parties_for(session, cluster, start, end)
        region_id = cluster.region_id
        name, kind, area = cluster.name, cluster.kind, cluster.area
        if len(everyone) < 2:
            raise AgreementError(f"“{name}”没有牵头校和成员校，无法生成协议（至少需要两方）")
        size_note = _size_note(session, cluster, len(everyone), profile, max(start, dt.date.today()))
        labels = dict(zip((s.id for s, _ in parties), party_labels(len(parties)), strict=True))
        year = school_year_of(start, profile.calendar)
        targets = _member_targets(session, kind, everyone[1:], {k: v for k, v in labels.items()
                                                                if v != labels[parties[0][0].id]}, year)
    bureau = bureau_name(store, region_id)
    fusion = kind == "融合型教共体"
    points = [s.name for s, _ in everyone if s.stage == vocab.TEACHING_POINT and s.id not in signing.signers]
    # The clause text and the party list come from the same list: they cannot disagree.
    title, preamble, sections = fill_template(
        template, cluster=name, kind=kind, area=area, lead=parties[0][0].name,
        members=[s.name for s, _ in (everyone[1:] if fusion else parties[1:])], term_start=start, term_end=end,
        term_years=years, bureau=bureau, profile=profile, signers=len(parties), teaching_points=points,
        member_targets=targets, size_note=size_note,
    )
    doc = AgreementDoc(
        id=uuid.UUID(int=0), cluster_id=cluster_id, cluster_name=name, cluster_kind=kind, title=title,
        preamble=preamble, sections=tuple(sections),
        parties=tuple(Party(label, school.id, school.name, role, represents=signing.represents.get(school.id, ()),
                            teaching_point=school.stage == vocab.TEACHING_POINT)
                      for label, (school, role) in zip(party_labels(len(parties)), parties, strict=True)),
        term_start=start, term_end=end, version=1, printed_version=None, signed_on=None, bureau=bureau,
        draft=True,
    )
    return doc, template


def draft_agreement(
    store: Store,
    cluster_id: uuid.UUID,
    profile: Profile,
    *,
    term_start: dt.date | None = None,
    term_years: int | None = None,
) -> AgreementDoc:
    """The template filled for the cluster, laid out as an agreement but NOT stored.

    What :func:`create_agreement` would store, for a preview (``draft`` is True, ``id`` is
    the nil UUID). Nothing is written.

    Raises:
        AgreementError: unknown cluster, or a cluster with no lead school and no members.
    """
    return _template_draft(store, cluster_id, profile, term_start, term_years)[0]


def create_agreement(
    store: Store,
    cluster_id: uuid.UUID,
    profile: Profile,
    *,
    term_start: dt.date | None = None,
    term_years: int | None = None,
) -> uuid.UUID:
    """A new agreement of the cluster from the template (version 1); returns its id.

    Raises:
        AgreementError: unknown cluster, or a cluster with no lead school and no members.
    """
    doc, template = _template_draft(store, cluster_id, profile, term_start, term_years)
    agreement_id = uuid.uuid4()
    with store.write(f"生成协议：{doc.cluster_name}") as session:
        agreement = Agreement(
            id=agreement_id, cluster_id=cluster_id, title=doc.title, term_start=doc.term_start,
            term_end=doc.term_end,
            clauses={"preamble": doc.preamble, "sections": [s.as_json() for s in doc.sections],
                     "profile": profile.id, "template": str(template.get("source", ""))},
            version=1,
        )
        for party in doc.parties:
            agreement.parties.append(AgreementParty(label=party.label, school_id=party.school_id))
        session.add(agreement)
    return agreement_id


def _agreement(session: Session, agreement_id: uuid.UUID) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise AgreementError("找不到该协议")
    return agreement


def edit_clauses(
    store: Store,
    agreement_id: uuid.UUID,
    sections: list[Section],
    *,
    preamble: str | None = None,
    title: str | None = None,
    term: tuple[dt.date, dt.date] | None = None,
    expected: int | None = None,
) -> int:
    """Replace the clause text (and the term, when given) as ONE new version; returns it.

    ``expected``: the ``row_version`` of the agreement the editor showed; a save after
    someone else's is refused (:class:`db.versions.StaleRecord`, naming who and when).
    Two saves at once each get their own version number, never the same one.

    Unchanged text and term → same version, nothing written. A new ``term`` also rewrites
    the old start and end dates where the clauses quote them (see :func:`retarget_term`).

    Raises:
        AgreementError: no sections, a section with neither heading nor text, or a term
            ending before it starts.
    """
    if not sections:
        raise AgreementError("协议至少应有一条条款")
    for number, section in enumerate(sections, start=1):
        if not section.heading.strip() and not section.text.strip():
            raise AgreementError(f"第{number}条条款为空")
    if term is not None and term[1] < term[0]:
        raise AgreementError("协议期限的结束日期早于开始日期")
    with editing(store, Agreement, agreement_id, expected, "修改协议条款", missing="找不到该协议") as (_s, agreement):
        new = dict(agreement.clauses)
        new["sections"] = [s.as_json() for s in sections]
        if preamble is not None:
            new["preamble"] = preamble
        new_term = (agreement.term_start, agreement.term_end) if term is None else term
        if new_term != (agreement.term_start, agreement.term_end):
            new = retarget_term(new, (agreement.term_start, agreement.term_end), new_term)
        changed = (new != agreement.clauses or (title is not None and title != agreement.title)
                   or new_term != (agreement.term_start, agreement.term_end))
        if not changed:
            return agreement.version
        agreement.clauses = new
        agreement.term_start, agreement.term_end = new_term
        if title is not None:
            agreement.title = title
        agreement.version = agreement.version + 1
        return agreement.version


def retarget_term(clauses: dict[str, Any], old: tuple[dt.date, dt.date],
                  new: tuple[dt.date, dt.date]) -> dict[str, Any]:
    """``clauses`` with the old term's dates (as 2025年9月1日) replaced by the new term's.

    Only exact quotations of the old start and end dates change; any other wording the
    clerk wrote about the term (e.g. "合作期限为3年") stays as it is.
    """
    pairs = [(chinese_date(o), chinese_date(n)) for o, n in zip(old, new, strict=True) if o != n]

    def swap(text: str) -> str:
        marks = {}
        for number, (before, _after) in enumerate(pairs):  # two steps: start and end may trade places
            mark = f"\x00{number}\x00"
            marks[mark] = _after
            text = text.replace(before, mark)
        for mark, after in marks.items():
            text = text.replace(mark, after)
        return text

    result = dict(clauses)
    result["preamble"] = swap(str(clauses.get("preamble", "")))
    result["sections"] = [{**s, "heading": swap(str(s.get("heading", ""))), "text": swap(str(s.get("text", "")))}
                          for s in clauses.get("sections", [])]
    return result


def set_term(store: Store, agreement_id: uuid.UUID, start: dt.date, end: dt.date) -> int:
    """Change the term (a change of what is signed: version + 1); clause dates follow it."""
    if end < start:
        raise AgreementError("协议期限的结束日期早于开始日期")
    with editing(store, Agreement, agreement_id, None, "修改协议期限", missing="找不到该协议") as (_s, agreement):
        if (agreement.term_start, agreement.term_end) != (start, end):
            agreement.clauses = retarget_term(agreement.clauses, (agreement.term_start, agreement.term_end),
                                              (start, end))
            agreement.term_start, agreement.term_end = start, end
            agreement.version += 1
        return agreement.version


def set_signatory(store: Store, agreement_id: uuid.UUID, label: str, signatory: str | None) -> None:
    with store.write("协议签字人") as session:
        agreement = _agreement(session, agreement_id)
        party = next((p for p in agreement.parties if p.label == label), None)
        if party is None:
            raise AgreementError(f"协议没有{label}")
        party.signatory = signatory or None


def record_printing(store: Store, agreement_id: uuid.UUID, *, expected_version: int | None = None) -> int:
    """Remember the version sent to paper and its full text; returns that version.

    ``expected_version``: the version the caller laid out (a preview built earlier). When
    the agreement has moved on since — another clerk saved an edit — nothing is recorded
    and :class:`AgreementError` says so, so the record never claims a text that was not
    printed.
    """
    doc = load_agreement(store, agreement_id)
    if expected_version is not None and doc.version != expected_version:
        raise AgreementError(f"协议已改为第{doc.version}版，打印的是第{expected_version}版；请重新预览后再打印")
    snapshot = {
        "title": doc.title, "preamble": doc.preamble,
        "sections": [s.as_json() for s in doc.sections],
        "parties": [{"label": p.label, "school": p.school_name, "signatory": p.signatory} for p in doc.parties],
        "term_start": doc.term_start.isoformat(), "term_end": doc.term_end.isoformat(),
        "version": doc.version, "printed_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    with store.write("打印协议") as session:
        agreement = _agreement(session, agreement_id)
        if agreement.version != doc.version:
            raise AgreementError("协议刚被修改，请重新预览后再打印")
        agreement.printed_version = agreement.version
        agreement.printed_text = snapshot
        return agreement.version


def record_signed(store: Store, agreement_id: uuid.UUID, signed_on: dt.date | None) -> None:
    """The date all parties signed (None clears it).

    Raises:
        AgreementError: the agreement was never printed, or was edited after printing
            (what was signed must be a printed version).
    """
    with store.write("协议签订日期") as session:
        agreement = _agreement(session, agreement_id)
        if signed_on is not None and agreement.printed_version is None:
            raise AgreementError("协议尚未打印，不能登记签订日期")
        agreement.signed_on = signed_on


def record_brand_fee(store: Store, agreement_id: uuid.UUID, amount: float | None) -> None:
    """The 品牌费 the agreement charges the assisted schools, in 元 (0: none; None: not stated).

    Recorded as it is, even when the profile forbids it: the check reports it with the clause
    (银川2023方案 四(一)) rather than the data hiding it.

    Raises:
        AgreementError: a negative amount.
    """
    if amount is not None and amount < 0:
        raise AgreementError(f"品牌费 {amount:g} 元不能为负数")
    with store.write("协议品牌费") as session:
        _agreement(session, agreement_id).brand_fee = amount


def attach_scan(store: Store, agreement_id: uuid.UUID, filename: str, data: bytes, mime_type: str | None = None) -> uuid.UUID:
    """Keep the scanned signed copy inside the database; returns the attachment id."""
    if not data:
        raise AgreementError(f"扫描件“{filename}”是空文件")
    mime = mime_type or _guess_mime(filename)
    attachment_id = uuid.uuid4()
    with store.write(f"协议扫描件：{filename}") as session:
        _agreement(session, agreement_id)
        session.add(Attachment(id=attachment_id, agreement_id=agreement_id, filename=filename, mime_type=mime,
                               sha256=hashlib.sha256(data).hexdigest(), data=data))
    return attachment_id


def scan_bytes(store: Store, attachment_id: uuid.UUID) -> tuple[str, bytes]:
    with store.read() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise AgreementError("找不到该扫描件")
        return attachment.filename, attachment.data


def _guess_mime(filename: str) -> str:
    lower = filename.lower()
    for suffix, mime in ((".pdf", "application/pdf"), (".png", "image/png"), (".jpg", "image/jpeg"),
                         (".jpeg", "image/jpeg"), (".tif", "image/tiff"), (".tiff", "image/tiff")):
        if lower.endswith(suffix):
            return mime
    return "application/octet-stream"


def load_agreement(store: Store, agreement_id: uuid.UUID) -> AgreementDoc:
    with store.read() as session:
        agreement = _agreement(session, agreement_id)
        cluster = session.get(Cluster, agreement.cluster_id)
        assert cluster is not None
        school_ids = [p.school_id for p in agreement.parties]
        schools = {s.id: s for s in session.scalars(select(School).where(School.id.in_(school_ids)))}
        roles = {m.school_id: m.role for m in session.scalars(
            select(Membership).where(Membership.cluster_id == cluster.id).order_by(Membership.joined))}
        represents = _represented(session, cluster, agreement.term_start, agreement.term_end)
        parties = tuple(
            Party(p.label, p.school_id, schools[p.school_id].name if p.school_id in schools else "（已删除）",
                  roles.get(p.school_id, "牵头校" if p.school_id == cluster.lead_school_id else "成员校"),
                  p.signatory, represents.get(p.school_id, ()),
                  p.school_id in schools and schools[p.school_id].stage == vocab.TEACHING_POINT)
            for p in sorted(agreement.parties, key=lambda p: label_order(p.label))
        )
        scans = tuple(
            Scan(a.id, a.filename, a.mime_type, len(a.data), a.sha256, a.created_at)
            for a in session.scalars(select(Attachment).where(Attachment.agreement_id == agreement.id)
                                     .order_by(Attachment.created_at))
        )
        clauses = agreement.clauses or {}
        region_id = cluster.region_id
        doc = AgreementDoc(
            id=agreement.id, cluster_id=cluster.id, cluster_name=cluster.name, cluster_kind=cluster.kind,
            title=agreement.title, preamble=str(clauses.get("preamble", "")),
            sections=tuple(Section(str(s.get("heading", "")), str(s.get("text", "")))
                           for s in clauses.get("sections", [])),
            parties=parties, term_start=agreement.term_start, term_end=agreement.term_end,
            version=agreement.version, printed_version=agreement.printed_version,
            signed_on=agreement.signed_on, bureau="", scans=scans, row_version=agreement.row_version,
            brand_fee=agreement.brand_fee,
        )
    return dataclasses.replace(doc, bureau=bureau_name(store, region_id))


def _represented(session: Session, cluster: Cluster, start: dt.date, end: dt.date) -> dict[uuid.UUID, tuple[str, ...]]:
    """Who each party signs for over the term (campuses of a 融合型 法人, a 中心校's 教学点)."""
    picked = term_parties(list(session.scalars(select(Membership).where(Membership.cluster_id == cluster.id)
                                               .order_by(Membership.joined))),
                          cluster.lead_school_id, start, end, max(start, min(end, dt.date.today())))
    schools = {s.id: s for s in session.scalars(select(School).where(School.id.in_([sid for sid, _ in picked])))}
    ordered = [schools[sid] for sid, _ in picked if sid in schools]
    ordered = ordered[:1] + sorted(ordered[1:], key=lambda school: school.name)
    return signing_schools(cluster.kind, [(x.id, x.name, x.stage, x.central_school_id) for x in ordered]).represents


def printed_snapshot(store: Store, agreement_id: uuid.UUID) -> dict[str, Any] | None:
    with store.read() as session:
        return _agreement(session, agreement_id).printed_text


@dataclasses.dataclass(frozen=True, slots=True)
class AgreementRow:
    """One line of the 协议 page's list."""

    id: uuid.UUID
    cluster_id: uuid.UUID
    cluster_name: str
    title: str
    term_start: dt.date
    term_end: dt.date
    version: int
    printed_version: int | None
    signed_on: dt.date | None
    scans: int


def list_agreements(store: Store, cluster_id: uuid.UUID | None = None) -> list[AgreementRow]:
    """Agreements by cluster name, newest term first within a cluster."""
    from sqlalchemy import func

    scans = (select(Attachment.agreement_id, func.count().label("n"))
             .where(Attachment.agreement_id.is_not(None)).group_by(Attachment.agreement_id).subquery())
    query = (select(Agreement.id, Agreement.cluster_id, Cluster.name, Agreement.title, Agreement.term_start,
                    Agreement.term_end, Agreement.version, Agreement.printed_version, Agreement.signed_on,
                    func.coalesce(scans.c.n, 0))
             .join(Cluster, Cluster.id == Agreement.cluster_id)
             .outerjoin(scans, scans.c.agreement_id == Agreement.id)
             .order_by(Cluster.name, Agreement.term_start.desc(), Agreement.created_at.desc()))
    if cluster_id is not None:
        query = query.where(Agreement.cluster_id == cluster_id)
    with store.read() as session:
        return [AgreementRow(*row) for row in session.execute(query)]


def latest_for_cluster(store: Store, cluster_id: uuid.UUID) -> uuid.UUID | None:
    rows = list_agreements(store, cluster_id)
    return rows[0].id if rows else None


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterAgreement:
    """A cluster and its latest agreement (None: no agreement yet) — a line of the 协议 page."""

    cluster_id: uuid.UUID
    cluster_name: str
    cluster_kind: str
    lead_name: str | None
    agreement: AgreementRow | None
    #: The day the status is told for (None: today).
    as_of: dt.date | None = None

    @property
    def expired(self) -> bool:
        """The latest agreement's term ended before ``as_of`` (it needs renewing)."""
        row = self.agreement
        return row is not None and row.term_end < (self.as_of or dt.date.today())

    @property
    def status(self) -> str:
        """无协议 / 草稿 v2 / 已打印 v2 / 草稿 v3（已打印 v2） / 已签订 2025-09-10 / 已到期 2026-08-31.

        已到期 (the term ended before ``as_of``) wins over every other state: a signed
        agreement whose term is over no longer binds anyone.
        """
        row = self.agreement
        if row is None:
            return "无协议"
        if self.expired:
            return f"已到期 {row.term_end.isoformat()}"
        if row.signed_on is not None:
            return f"已签订 {row.signed_on.isoformat()}"
        if row.printed_version is None:
            return f"草稿 v{row.version}"
        if row.printed_version == row.version:
            return f"已打印 v{row.version}"
        return f"草稿 v{row.version}（已打印 v{row.printed_version}）"


def cluster_agreements(store: Store, on: dt.date | None = None) -> list[ClusterAgreement]:
    """Every cluster standing on ``on`` (default today) by name, with its latest agreement."""
    day = on or dt.date.today()
    with store.read() as session:
        rows = session.execute(
            select(Cluster.id, Cluster.name, Cluster.kind, School.name.label("lead"), Cluster.founded,
                   Cluster.dissolved)
            .outerjoin(School, School.id == Cluster.lead_school_id)
            .order_by(Cluster.name)
        ).all()
    latest: dict[uuid.UUID, AgreementRow] = {}
    for row in list_agreements(store):
        latest.setdefault(row.cluster_id, row)  # newest term first within a cluster
    result = []
    for r in rows:
        withdrawn = r.dissolved is not None and r.founded is not None and r.dissolved <= r.founded
        if withdrawn or (r.dissolved is not None and r.dissolved <= day and r.id not in latest):
            continue  # a dissolved cluster stays listed only for the agreement it had
        result.append(ClusterAgreement(r.id, r.name, r.kind, r.lead, latest.get(r.id), day))
    return result
