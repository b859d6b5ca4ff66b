"""The county's schools as the cluster-forming optimiser sees them (issue 18): stage,
location, students, coordinates and today's cluster (its name, type and lead school)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from db import clusters as edits
from db.clusters import load, standing_on
from db.models import Cluster, Membership, School
from db.store import Store
from policy.calendar import Span
from policy.cluster_forming import FormingSchool, Proposal
from policy.clusters import (
    ClusterRec,
    MembershipRec,
    Violation,
    check,
    members_by_cluster,
)
from policy.profile import Profile


def forming_schools(store: Store, on: dt.date) -> list[FormingSchool]:
    """Every school, by code, with the cluster it is in on ``on`` (none for a school that is,
    against the rules, in two: the proposal places it in one)."""
    records = load(store, on)
    s = School.__table__
    with store.read() as session:
        where = {code: (lat, lon) for code, lat, lon in session.connection().execute(
            select(s.c.code, s.c.latitude, s.c.longitude))}
    code_of = {school.id: school.code for school in records.schools}
    today: dict[str, tuple[str, str, str | None]] = {}
    seen: dict[str, int] = {}
    for cluster in sorted(records.clusters, key=lambda c: c.name, reverse=True):
        lead = code_of.get(cluster.lead_school_id) if cluster.lead_school_id else None
        for member in members_by_cluster(records.memberships, on).get(cluster.id, []):
            if lead is None and member.is_lead:
                lead = code_of.get(member.school_id)
        for member in members_by_cluster(records.memberships, on).get(cluster.id, []):
            today[code_of[member.school_id]] = (cluster.name, cluster.kind, lead)
            seen[code_of[member.school_id]] = seen.get(code_of[member.school_id], 0) + 1
    found = []
    for school in sorted(records.schools, key=lambda x: x.code):
        # in two clusters (against the rules): in none as far as keeping goes, so it is moved
        name, kind, lead = today.get(school.code, (None, None, None)) if seen.get(school.code, 0) < 2 else \
            (None, None, None)
        lat, lon = where.get(school.code, (None, None))
        found.append(FormingSchool(school.code, school.name, school.stage, school.location, school.run_by,
                                   school.students, lat, lon, name, kind, lead))
    return found


#: The rules a grouping decides; the others (pairings, agreements, school sizes) do not change with it.
GROUPING_RULES = frozenset({"cluster.max_schools", "cluster.max_students", "membership.overlap", "coverage.rural",
                            "coverage.community", "fusion.size"})


def check_proposal(store: Store, profile: Profile, proposal: Proposal, on: dt.date) -> list[Violation]:
    """The proposal as if carried out on ``on``, checked by the county's own cluster rules
    (:func:`policy.clusters.check`); only the rules a grouping decides are kept."""
    return [v for v in _as_carried_out(store, profile, proposal, on) if v.rule in GROUPING_RULES]


def follow_ups(store: Store, profile: Profile, proposal: Proposal, on: dt.date) -> list[Violation]:
    """What accepting the proposal leaves to do: the findings of the other rules (a new cluster
    with rural schools and no 市属 school under 包片包抓, 银川2023方案 二(一)1) that the proposal
    brings and today's clusters do not have. On a held-out county the dialog said the proposal
    kept every rule, and once accepted the check found 15 such clusters."""
    records = load(store, on)
    today = check(records.schools, records.clusters, records.memberships, records.pairings, [], profile, on)
    known = {(v.rule, v.subject) for v in today.violations}
    return [v for v in _as_carried_out(store, profile, proposal, on)
            if v.rule not in GROUPING_RULES and v.subject_kind == "cluster" and (v.rule, v.subject) not in known]


def _as_carried_out(store: Store, profile: Profile, proposal: Proposal, on: dt.date) -> list[Violation]:
    records = load(store, on)
    by_code = {s.code: s for s in records.schools}
    existing = {c.name: c for c in records.clusters}
    names = {c.lead: c.today or f"{by_code[c.lead].name}{c.kind}" for c in proposal.clusters}
    clusters, memberships = [], []
    for proposed in proposal.clusters:
        lead = by_code[proposed.lead]
        known = existing.get(proposed.today) if proposed.today else None
        cluster_id = known.id if known else uuid.uuid4()
        clusters.append(ClusterRec(cluster_id, names[proposed.lead], proposed.kind, lead.id, None, lead.region_id))
        for code in proposed.members:
            memberships.append(MembershipRec(uuid.uuid4(), cluster_id, by_code[code].id,
                                             "牵头校" if code == proposed.lead else "成员校", on))
    return list(check(records.schools, clusters, memberships, records.pairings, [], profile, on).violations)


def accept(store: Store, proposal: Mapping[str, Any], on: dt.date, only: Iterable[str] | None = None) -> list[str]:
    """Carry out the proposal's changes (all, or the schools in ``only``) as dated
    memberships from ``on``, all in one :meth:`Store.write`: every edit is made, or none
    (a school the proposal names is gone, an edit is refused: nothing is written). Each
    edit is audited under its own note; the school leaves its cluster the day before ``on``
    ends and joins the proposed one.

    A change whose lead school has no cluster yet founds one on ``on``, named after the
    lead ("<lead>共建型教共体"), with the lead moved into it first. Returns what was done, one
    line per edit.

    Raises:
        db.clusters.ClusterEditError: a school the proposal names is gone, or an edit is
            refused; nothing of the acceptance is written.
    """
    chosen = None if only is None else set(only)
    changes = [c for c in proposal.get("changes", ()) if chosen is None or c["school"] in chosen]
    if chosen is not None:
        unknown = chosen - {c["school"] for c in proposal.get("changes", ())}
        if unknown:
            raise edits.ClusterEditError(f"建议中没有这些学校的改动：{'、'.join(sorted(unknown))}")
    kinds = {c["lead"]: c["kind"] for c in proposal.get("clusters", ())}
    done: list[str] = []
    with store.write(f"采纳集团组建建议（{on.isoformat()}起，{len(changes)} 所学校）") as session:
        by_code = {school.code: school for school in session.scalars(select(School))}

        def standing() -> list[Cluster]:
            return [c for c in session.scalars(select(Cluster)) if standing_on(c.founded, c.dissolved, on)]

        def current(school_id: uuid.UUID) -> list[Membership]:
            return [m for m in session.scalars(select(Membership).where(Membership.school_id == school_id))
                    if Span.left(m.joined, m.left_on).contains(on)]

        for change in sorted(changes, key=lambda c: c["role"] != "牵头校"):  # leads first
            school, lead_code = by_code.get(change["school"]), change["to_lead"]
            if school is None or (lead_code is not None and lead_code not in by_code):
                raise edits.ClusterEditError(f"建议中的学校已不在学校名单中：{change['school']}")
            if lead_code is None:
                for m in current(school.id):
                    done.append(edits.leave_in(session, m.cluster_id, school.id, on).note)
                continue
            lead = by_code[lead_code]
            target = next((c for c in standing() if c.lead_school_id == lead.id), None)
            if target is None:
                kind = kinds.get(lead_code, "共建型教共体")
                created = edits.create_cluster_in(session, f"{lead.name}{kind}", kind, region_id=lead.region_id,
                                                  on=on)
                done.append(created.note)
                assert created.cluster_id is not None
                done.append(edits.move_in(session, lead.id, created.cluster_id, on, role="牵头校").note)
                done.append(edits.change_lead_in(session, created.cluster_id, lead.id, on).note)
                if school.id == lead.id:
                    continue
                target_id = created.cluster_id
            else:
                target_id = target.id
                if school.id == lead.id:
                    continue  # already its lead
            memberships = current(school.id)
            if any(m.cluster_id == target_id for m in memberships):  # in two clusters today: leave the other
                for m in memberships:
                    if m.cluster_id != target_id:
                        done.append(edits.leave_in(session, m.cluster_id, school.id, on).note)
                continue
            done.append(edits.move_in(session, school.id, target_id, on).note)
        # A continued cluster whose type no longer fits (a 融合型 grown past its members) changes type.
        touched = {c["to_lead"] for c in changes} if chosen is not None else set(kinds)
        code_of = {school.id: code for code, school in by_code.items()}
        for cluster in standing():
            lead_code = code_of.get(cluster.lead_school_id) if cluster.lead_school_id else None
            kind = kinds.get(lead_code) if lead_code in touched else None
            if kind is not None and kind != cluster.kind:
                done.append(edits.change_kind_in(session, cluster, kind).note)
    return done
