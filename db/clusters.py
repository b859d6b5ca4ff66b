"""Clusters in the store: loading the plain records ``policy.clusters`` checks, and every edit.

Membership is dated history and is never overwritten or deleted:

* joining adds a :class:`~db.models.Membership` from a date;
* leaving sets its ``left_on`` (the school is out from that day on);
* moving is leave + join on the same date, in one transaction;
* a change of role (e.g. a new lead school) is leave + join with the new role;
* undoing a join records the reversal (``left_on = joined``: the record stays, and is in
  force on no day); undoing a leave restores the previous ``left_on``.

Each edit is one :meth:`Store.write` transaction (so one group of audit entries) and
returns an :class:`Edit` saying exactly what it changed, which :func:`undo` reverses —
the GUI's undo stack keeps these.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Label, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db import guard
from db.engine import StoreError
from db.ids import id_text
from db.models import (
    Agreement,
    Cluster,
    Membership,
    Pairing,
    QualityIndicator,
    Region,
    School,
    Waiver,
)
from db.store import Store
from db.versions import StaleRecord, describe, editing
from policy import vocab
from policy.balance import BalanceResult, QualityYear
from policy.calendar import Span
from policy.clusters import (
    AgreementRec,
    CheckResult,
    ClusterRec,
    MembershipRec,
    PairingRec,
    SchoolRec,
    WaiverRec,
    check,
)
from policy.profile import Profile
from policy.teacher_development import DevelopmentResult


class ClusterEditError(StoreError):
    """An edit that cannot be made (name taken, school already in a cluster, bad date)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Records:
    """Everything the cluster rules need, as plain records."""

    schools: list[SchoolRec]
    clusters: list[ClusterRec]
    memberships: list[MembershipRec]
    pairings: list[PairingRec]
    waivers: list[WaiverRec]
    agreements: list[AgreementRec] | None = None  # None: not loaded (the agreement rule is not checked)

    def school(self, school_id: uuid.UUID) -> SchoolRec | None:
        return next((s for s in self.schools if s.id == school_id), None)

    def check(self, profile: Profile, on: dt.date) -> CheckResult:
        return check(self.schools, self.clusters, self.memberships, self.pairings, self.waivers, profile, on,
                     self.agreements)


_UUIDS: dict[Any, uuid.UUID | None] = {None: None}


def _raw(column: InstrumentedAttribute[Any]) -> Label[str]:
    """A UUID column read as text (:func:`db.ids.id_text`: no per-row UUID processing), converted by :func:`_u`."""
    return id_text(column).label(column.key)


def _id(value: object) -> uuid.UUID:
    """A primary key (never NULL) as :func:`_u` reads it."""
    found = _u(value)
    if found is None:
        raise ValueError("an id column read as NULL")
    return found


def _u(value: object) -> uuid.UUID | None:
    """Stored UUID text → UUID, cached: ids are stable and converting thousands costs tens of ms."""
    try:
        return _UUIDS[value]
    except KeyError:
        result = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if len(_UUIDS) > 500_000:
            _UUIDS.clear()
            _UUIDS[None] = None
        _UUIDS[value] = result
        return result


def load(store: Store, on: dt.date | None = None, reuse: Records | None = None) -> Records:
    """Load schools, clusters (those standing on ``on`` when given), memberships, pairings, waivers.

    ``reuse``: keep that load's schools and pairings (cluster edits never change them) and
    re-read only clusters, memberships and waivers — what the page does after each edit.
    """
    with store.read() as session:
        connection = session.connection()  # Core rows: no ORM identity work for plain tuples
        schools = reuse.schools if reuse is not None else [
            SchoolRec(_id(r.id), r.code, r.name, r.stage, r.location, r.run_by,
                      r.students or 0, r.classes or 0, _u(r.region_id), bool(r.is_weak), r.land_area,
                      r.primary_students, r.primary_classes, r.junior_students, r.junior_classes)
            for r in connection.execute(select(
                _raw(School.id), School.code, School.name, School.stage, School.location, School.run_by,
                School.students, School.classes, _raw(School.region_id), School.is_weak, School.land_area,
                School.primary_students, School.primary_classes, School.junior_students, School.junior_classes,
            ))
        ]
        clusters = [
            ClusterRec(_id(r.id), r.name, r.kind, _u(r.lead_school_id), r.area, _u(r.region_id))
            for r in connection.execute(select(
                _raw(Cluster.id), Cluster.name, Cluster.kind, _raw(Cluster.lead_school_id), Cluster.area,
                _raw(Cluster.region_id), Cluster.founded, Cluster.dissolved,
            ))
            if standing_on(r.founded, r.dissolved, on)
        ]
        memberships = [
            MembershipRec(_id(r.id), _id(r.cluster_id), _id(r.school_id), r.role, r.joined, r.left_on)
            for r in connection.execute(select(
                _raw(Membership.id), _raw(Membership.cluster_id), _raw(Membership.school_id), Membership.role,
                Membership.joined, Membership.left_on,
            ))
        ]
        pairings = reuse.pairings if reuse is not None else [
            PairingRec(r.id, r.kind, r.start, r.end, r.supporter_school_id, r.cluster_id, r.target_school_id)
            for r in connection.execute(select(
                Pairing.id, Pairing.kind, Pairing.start, Pairing.end, Pairing.supporter_school_id,
                Pairing.cluster_id, Pairing.target_school_id,
            ))
        ]
        agreements = [
            AgreementRec(_id(r.cluster_id), r.term_start, r.term_end, r.signed_on, r.brand_fee)
            for r in connection.execute(select(
                _raw(Agreement.cluster_id), Agreement.term_start, Agreement.term_end, Agreement.signed_on,
                Agreement.brand_fee))
        ]
        waivers = [
            WaiverRec(r.id, r.rule, r.subject_kind, r.subject_id, r.reason, r.approver, r.start, r.end_on)
            for r in connection.execute(select(
                Waiver.id, Waiver.rule, Waiver.subject_kind, Waiver.subject_id, Waiver.reason,
                Waiver.approver, Waiver.start, Waiver.end_on,
            ))
        ]
    if on is not None:
        standing = {c.id for c in clusters}
        memberships = [m for m in memberships if m.cluster_id in standing]
    return Records(schools, clusters, memberships, pairings, waivers, agreements)


def standing_on(founded: dt.date | None, dissolved: dt.date | None, on: dt.date | None) -> bool:
    """Whether a cluster founded and dissolved on these days stands on ``on`` (any day: None)."""
    if dissolved is not None and founded is not None and dissolved <= founded:
        return False  # withdrawn (an undone creation): never stood
    if on is None:
        return True
    return (founded is None or founded <= on) and (dissolved is None or on < dissolved)


def check_store(store: Store, profile: Profile, on: dt.date) -> CheckResult:
    """Every rule of ``profile`` over the whole store as it stood on ``on``: the cluster and
    school rules, then the teacher-development duties (``policy.teacher_development``)."""
    return full_check(store, load(store, on), profile, on)


def full_check(store: Store, records: Records, profile: Profile, on: dt.date,
               found: DevelopmentResult | None = None,
               quality: dict[uuid.UUID, QualityYear] | None = None) -> CheckResult:
    """The cluster and school rules over ``records`` with the teacher-development and 优质均衡
    parts; ``found`` and ``quality``: those parts' reads kept from before (a cluster edit
    changes neither the teachers nor the quality figures)."""
    result = with_development(store, records, records.check(profile, on), profile, on, found)
    return result.with_part("balance", balance(store, records, result, profile, on, quality))


def quality_years(store: Store, profile: Profile, on: dt.date) -> dict[uuid.UUID, QualityYear]:
    """Each school's latest school year of quality figures up to the one holding ``on``."""
    from policy.calendar import school_year_of

    latest: dict[uuid.UUID, QualityYear] = {}
    with store.read() as session:
        for raw_id, year, indicator, value in session.connection().execute(
            select(_raw(QualityIndicator.school_id), QualityIndicator.school_year, QualityIndicator.indicator,
                   QualityIndicator.value)
            .where(QualityIndicator.school_year <= school_year_of(on, profile.calendar))
            .order_by(QualityIndicator.school_year)
        ):
            school_id = _id(raw_id)
            if school_id not in latest or latest[school_id].school_year < year:
                latest[school_id] = QualityYear(year, {})
            latest[school_id].values[indicator] = value
    return latest


def balance(store: Store, records: Records, result: CheckResult, profile: Profile, on: dt.date,
            quality: dict[uuid.UUID, QualityYear] | None = None) -> BalanceResult:
    """The 优质均衡 schedule's rows and findings (``policy.balance``) on ``on``."""
    from policy import balance as rules

    if quality is None:
        quality = quality_years(store, profile, on)
    return rules.check(records.schools, result.violations, quality, profile, on, records.waivers)


def development(store: Store, records: Records, profile: Profile, on: dt.date) -> DevelopmentResult:
    """The teacher-development findings of ``on`` (they read teachers, not clusters: a page may
    keep them across cluster edits)."""
    from db import teacher_development as loaded
    from policy.teacher_development import check as check_development

    return check_development(records.schools, loaded.load(store, profile, on, records.schools), profile, on, records.waivers)


def with_development(store: Store, records: Records, result: CheckResult, profile: Profile, on: dt.date,
                     found: DevelopmentResult | None = None) -> CheckResult:
    """``result`` with the teacher-development findings of ``on`` as a part of their own."""
    if found is None:
        found = development(store, records, profile, on)
    return result.with_part("teacher_development", found)


# ---- Edits ---------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Edit:
    """What one edit changed, enough for :func:`undo` to record the reversal."""

    note: str
    joined: list[uuid.UUID] = dataclasses.field(default_factory=list)  # memberships created
    ended: list[tuple[uuid.UUID, dt.date | None]] = dataclasses.field(default_factory=list)  # (id, previous left_on)
    cluster_before: dict[str, Any] = dataclasses.field(default_factory=dict)  # field → old value
    cluster_id: uuid.UUID | None = None
    others_before: dict[uuid.UUID, dict[str, Any]] = dataclasses.field(default_factory=dict)  # other clusters
    created_cluster: bool = False


def _say(session: Session, note: str) -> None:
    """Audit what follows under ``note`` (the write was opened before the edit knew its
    names); several edits in one write each flush under their own note."""
    state = guard.state_of(session.connection())
    if state is not None:
        state.note = note


def _cluster(session: Session, cluster_id: uuid.UUID) -> Cluster:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise ClusterEditError("找不到该集团")
    return cluster


def _school(session: Session, school_id: uuid.UUID) -> School:
    school = session.get(School, school_id)
    if school is None:
        raise ClusterEditError("找不到该学校")
    return school


def _active_memberships(session: Session, school_id: uuid.UUID, on: dt.date) -> list[Membership]:
    rows = session.scalars(select(Membership).where(Membership.school_id == school_id)).all()
    return [m for m in rows if Span.left(m.joined, m.left_on).contains(on)]


def _later_memberships(session: Session, school_id: uuid.UUID, on: dt.date) -> list[Membership]:
    rows = session.scalars(select(Membership).where(Membership.school_id == school_id)).all()
    return [m for m in rows if m.joined > on and not Span.left(m.joined, m.left_on).empty]


def _join(session: Session, edit: Edit, cluster: Cluster, school: School, role: str, on: dt.date) -> Membership:
    if role not in vocab.MEMBERSHIP_ROLES:
        raise ClusterEditError(f"“{role}”不是成员角色，可选：{'、'.join(vocab.MEMBERSHIP_ROLES)}")
    current = _active_memberships(session, school.id, on)
    if current:
        other = session.get_one(Cluster, current[0].cluster_id)
        raise ClusterEditError(f"{school.name}在{on.isoformat()}已属于“{other.name}”，请先退出或使用“调动”")
    later = _later_memberships(session, school.id, on)
    if later:
        raise ClusterEditError(f"{school.name}在{later[0].joined.isoformat()}另有加入记录，不能在其之前加入")
    membership = Membership(id=uuid.uuid4(), cluster_id=cluster.id, school_id=school.id, role=role, joined=on)
    session.add(membership)
    edit.joined.append(membership.id)
    return membership


def _leave(session: Session, edit: Edit, membership: Membership, on: dt.date) -> None:
    if on < membership.joined:
        raise ClusterEditError(f"退出日期{on.isoformat()}早于加入日期{membership.joined.isoformat()}")
    if membership.left_on is not None and membership.left_on <= on:
        raise ClusterEditError(f"该校已于{membership.left_on.isoformat()}退出")
    edit.ended.append((membership.id, membership.left_on))
    membership.left_on = on


def create_cluster(
    store: Store, name: str, kind: str, *, region_id: uuid.UUID | None = None, area: str | None = None,
    lead_school_id: uuid.UUID | None = None, on: dt.date, lead_role: str = "牵头校",
) -> Edit:
    """A new cluster founded on ``on``; its lead school (if any) joins with ``lead_role``."""
    with store.write() as session:
        return create_cluster_in(session, name, kind, region_id=region_id, area=area,
                                 lead_school_id=lead_school_id, on=on, lead_role=lead_role)


def create_cluster_in(
    session: Session, name: str, kind: str, *, region_id: uuid.UUID | None = None, area: str | None = None,
    lead_school_id: uuid.UUID | None = None, on: dt.date, lead_role: str = "牵头校",
) -> Edit:
    """:func:`create_cluster` inside a write the caller holds (several edits, one transaction)."""
    name = name.strip()
    if not name:
        raise ClusterEditError("集团名称不能为空")
    if kind not in vocab.CLUSTER_KINDS:
        raise ClusterEditError(f"“{kind}”不是集团类型，可选：{'、'.join(vocab.CLUSTER_KINDS)}")
    edit = Edit(note=f"新建集团“{name}”", created_cluster=True)
    _say(session, edit.note)
    if session.scalar(select(Cluster.id).where(Cluster.name == name)) is not None:
        raise ClusterEditError(f"已有名为“{name}”的集团")
    lead = _school(session, lead_school_id) if lead_school_id else None
    if region_id is None:
        region_id = lead.region_id if lead else session.scalar(select(Region.id).order_by(Region.code))
    if region_id is None:
        raise ClusterEditError("请先建立县区（导入学校名单时会自动建立）")
    cluster = Cluster(id=uuid.uuid4(), name=name, kind=kind, area=area, region_id=region_id,
                      lead_school_id=lead.id if lead else None, founded=on)
    session.add(cluster)
    session.flush()
    edit.cluster_id = cluster.id
    if lead is not None:
        _join(session, edit, cluster, lead, lead_role, on)
    session.flush()
    return edit


def rename_cluster(store: Store, cluster_id: uuid.UUID, name: str, shown: str | None = None) -> Edit:
    """``shown``: the name the page showed; refused (StaleRecord) when it changed since."""
    return _set_fields(store, cluster_id, None if shown is None else {"name": shown}, name=name.strip())


def change_kind(store: Store, cluster_id: uuid.UUID, kind: str, shown: str | None = None) -> Edit:
    if kind not in vocab.CLUSTER_KINDS:
        raise ClusterEditError(f"“{kind}”不是集团类型，可选：{'、'.join(vocab.CLUSTER_KINDS)}")
    return _set_fields(store, cluster_id, None if shown is None else {"kind": shown}, kind=kind)


def change_area(store: Store, cluster_id: uuid.UUID, area: str | None, shown: str | None = None) -> Edit:
    return _set_fields(store, cluster_id, None if shown is None else {"area": shown or None},
                       area=(area or "").strip() or None)


def change_kind_in(session: Session, cluster: Cluster, kind: str) -> Edit:
    """Change a cluster's type inside a write the caller holds (it read ``cluster`` there)."""
    if kind not in vocab.CLUSTER_KINDS:
        raise ClusterEditError(f"“{kind}”不是集团类型，可选：{'、'.join(vocab.CLUSTER_KINDS)}")
    edit = Edit(note=f"修改集团“{cluster.name}”类型：{cluster.kind} → {kind}", cluster_id=cluster.id,
                cluster_before={"kind": cluster.kind})
    _say(session, edit.note)
    cluster.kind = kind
    session.flush()
    return edit


def _set_fields(store: Store, cluster_id: uuid.UUID, shown: dict[str, Any] | None, **values: Any) -> Edit:
    """Set fields of a cluster. ``shown``: their values as the page showed them; when another
    user changed one since, nothing is written and :class:`StaleRecord` says who and when
    (compared under the write lock, so no save slips in between)."""
    edit = Edit(note="修改集团", cluster_id=cluster_id)
    with editing(store, Cluster, cluster_id, None, "修改集团", missing="找不到该集团") as (session, cluster):
        if shown is not None and any(getattr(cluster, key) != value for key, value in shown.items()):
            raise StaleRecord(describe(session, "cluster", str(cluster_id)))
        if "name" in values:
            if not values["name"]:
                raise ClusterEditError("集团名称不能为空")
            taken = session.scalar(select(Cluster.id).where(Cluster.name == values["name"], Cluster.id != cluster_id))
            if taken is not None:
                raise ClusterEditError(f"已有名为“{values['name']}”的集团")
        labels = {"name": "名称", "kind": "类型", "area": "片区"}
        parts = []
        for key, value in values.items():
            edit.cluster_before[key] = getattr(cluster, key)
            parts.append(f"{labels.get(key, key)}：{getattr(cluster, key) or '（空）'} → {value or '（空）'}")
            setattr(cluster, key, value)
        edit.note = f"修改集团“{cluster.name}”" + "；".join(parts)
        _say(session, edit.note)
    return edit


def change_lead(store: Store, cluster_id: uuid.UUID, school_id: uuid.UUID, on: dt.date,
                lead_role: str = "牵头校") -> Edit:
    """Make ``school_id`` the lead from ``on``: the old lead continues as 成员校, the new one
    joins (or changes role) with ``lead_role`` — each role change is leave + join."""
    with store.write() as session:
        return change_lead_in(session, cluster_id, school_id, on, lead_role)


def change_lead_in(session: Session, cluster_id: uuid.UUID, school_id: uuid.UUID, on: dt.date,
                   lead_role: str = "牵头校") -> Edit:
    """:func:`change_lead` inside a write the caller holds."""
    edit = Edit(note="更换牵头校", cluster_id=cluster_id)
    cluster = _cluster(session, cluster_id)
    school = _school(session, school_id)
    edit.note = f"“{cluster.name}”牵头校改为{school.name}（{on.isoformat()}起）"
    _say(session, edit.note)
    for m in session.scalars(select(Membership).where(Membership.cluster_id == cluster_id)).all():
        if not Span.left(m.joined, m.left_on).contains(on):
            continue
        if m.school_id == school_id and m.role != lead_role:
            _leave(session, edit, m, on)
        elif m.school_id != school_id and m.role in vocab.LEAD_ROLES:
            _leave(session, edit, m, on)
            session.flush()
            _join(session, edit, cluster, _school(session, m.school_id), "成员校", on)
    session.flush()
    if not any(m.cluster_id == cluster_id and m.role == lead_role for m in _active_memberships(session, school_id, on)):
        _join(session, edit, cluster, school, lead_role, on)
    edit.cluster_before["lead_school_id"] = cluster.lead_school_id
    cluster.lead_school_id = school_id
    session.flush()
    return edit


def join(store: Store, cluster_id: uuid.UUID, school_id: uuid.UUID, on: dt.date, role: str = "成员校") -> Edit:
    """Add a school to a cluster from ``on``.

    Raises:
        ClusterEditError: the school is in a cluster on that date (use :func:`move`).
    """
    edit = Edit(note="加入集团", cluster_id=cluster_id)
    with store.write() as session:
        cluster = _cluster(session, cluster_id)
        school = _school(session, school_id)
        edit.note = f"{school.name}加入“{cluster.name}”（{role}，{on.isoformat()}）"
        _say(session, edit.note)
        _join(session, edit, cluster, school, role, on)
    return edit


def leave(store: Store, cluster_id: uuid.UUID, school_id: uuid.UUID, on: dt.date) -> Edit:
    """The school leaves the cluster on ``on`` (not a member from that day)."""
    with store.write() as session:
        return leave_in(session, cluster_id, school_id, on)


def leave_in(session: Session, cluster_id: uuid.UUID, school_id: uuid.UUID, on: dt.date) -> Edit:
    """:func:`leave` inside a write the caller holds."""
    edit = Edit(note="退出集团", cluster_id=cluster_id)
    cluster = _cluster(session, cluster_id)
    school = _school(session, school_id)
    edit.note = f"{school.name}退出“{cluster.name}”（{on.isoformat()}）"
    _say(session, edit.note)
    current = [m for m in _active_memberships(session, school_id, on) if m.cluster_id == cluster_id]
    if not current:
        raise ClusterEditError(f"{school.name}在{on.isoformat()}不是“{cluster.name}”的成员")
    for m in current:
        _leave(session, edit, m, on)
    if cluster.lead_school_id == school_id:
        edit.cluster_before["lead_school_id"] = school_id
        cluster.lead_school_id = None
    session.flush()
    return edit


def move(store: Store, school_id: uuid.UUID, to_cluster_id: uuid.UUID, on: dt.date, role: str = "成员校") -> Edit:
    """Leave whatever cluster the school is in and join ``to_cluster_id``, both on ``on``."""
    with store.write() as session:
        return move_in(session, school_id, to_cluster_id, on, role)


def move_in(session: Session, school_id: uuid.UUID, to_cluster_id: uuid.UUID, on: dt.date,
            role: str = "成员校") -> Edit:
    """:func:`move` inside a write the caller holds."""
    edit = Edit(note="调动", cluster_id=to_cluster_id)
    target = _cluster(session, to_cluster_id)
    school = _school(session, school_id)
    current = _active_memberships(session, school_id, on)
    if any(m.cluster_id == to_cluster_id for m in current):
        raise ClusterEditError(f"{school.name}已在“{target.name}”中")
    names = [_cluster(session, m.cluster_id).name for m in current]
    origin = f"由“{'、'.join(names)}”" if names else ""  # a school in no cluster joins one
    edit.note = f"{school.name}{origin}调入“{target.name}”（{on.isoformat()}）"
    _say(session, edit.note)
    for m in current:
        old = _cluster(session, m.cluster_id)
        _leave(session, edit, m, on)
        if old.lead_school_id == school_id:
            edit.others_before.setdefault(old.id, {})["lead_school_id"] = school_id
            old.lead_school_id = None
    session.flush()
    _join(session, edit, target, school, role, on)
    session.flush()
    return edit


def undo(store: Store, edit: Edit) -> Edit:
    """Record the reversal of ``edit``; returns the reversal (itself undoable by :func:`undo`).

    Joins are revoked (``left_on = joined``), leaves get their previous ``left_on`` back,
    cluster fields their old values, a created cluster is withdrawn (``dissolved = founded``).
    ``undo(undo(edit))`` is the redo: it records the restoration, again audited.
    """
    reverse = Edit(note=f"撤销：{edit.note}", cluster_id=edit.cluster_id)
    with store.write(reverse.note) as session:
        for membership_id in edit.joined:
            m = session.get(Membership, membership_id)
            if m is not None and m.left_on != m.joined:
                reverse.ended.append((m.id, m.left_on))
                m.left_on = m.joined
        for membership_id, previous in edit.ended:
            m = session.get(Membership, membership_id)
            if m is not None:
                reverse.ended.append((m.id, m.left_on))
                m.left_on = previous
        if edit.cluster_id is not None:
            cluster = session.get(Cluster, edit.cluster_id)
            if cluster is not None:
                for key, value in edit.cluster_before.items():
                    reverse.cluster_before[key] = getattr(cluster, key)
                    setattr(cluster, key, value)
                if edit.created_cluster:
                    reverse.cluster_before["dissolved"] = cluster.dissolved
                    cluster.dissolved = cluster.founded
        for other_id, fields in edit.others_before.items():
            other = session.get(Cluster, other_id)
            if other is not None:
                for key, value in fields.items():
                    reverse.others_before.setdefault(other_id, {})[key] = getattr(other, key)
                    setattr(other, key, value)
    return reverse


# ---- Waivers -------------------------------------------------------------------------


def add_waiver(
    store: Store, rule: str, subject_kind: str, subject_id: uuid.UUID, reason: str, approver: str,
    start: dt.date, end_on: dt.date | None = None,
) -> uuid.UUID:
    """Record that ``rule`` is knowingly not applied to one cluster or school."""
    reason, approver = reason.strip(), approver.strip()
    if not reason or not approver:
        raise ClusterEditError("豁免须填写理由和批准人")
    if subject_kind not in ("cluster", "school"):
        raise ClusterEditError("豁免对象应为集团或学校")
    if end_on is not None and end_on < start:
        raise ClusterEditError("豁免结束日期早于开始日期")
    waiver_id = uuid.uuid4()
    with store.write(f"豁免规则 {rule}：{reason}（批准人：{approver}）") as session:
        session.add(Waiver(id=waiver_id, rule=rule, subject_kind=subject_kind, subject_id=subject_id,
                           reason=reason, approver=approver, start=start, end_on=end_on))
    return waiver_id


def list_waivers(store: Store) -> list[WaiverRec]:
    return load(store).waivers


def memberships_of_cluster(store: Store, cluster_id: uuid.UUID) -> list[MembershipRec]:
    """Every membership record of a cluster, including ended and revoked ones, by join date."""
    with store.read() as session:
        rows = session.execute(select(
            Membership.id, Membership.cluster_id, Membership.school_id, Membership.role,
            Membership.joined, Membership.left_on,
        ).where(Membership.cluster_id == cluster_id).order_by(Membership.joined))
        return [MembershipRec(*r) for r in rows]
