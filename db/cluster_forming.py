"""The county's schools as the cluster-forming optimiser sees them (issue 18): stage,
location, students, coordinates and today's cluster (its name, type and lead school)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.clusters import load
from db.models import School
from db.store import Store
from policy.cluster_forming import FormingSchool
from policy.clusters import members_by_cluster


def forming_schools(store: Store, on: dt.date) -> list[FormingSchool]:
    """Every school, by code, with the cluster it is in on ``on`` (the first by name if a
    school is, against the rules, in two)."""
    records = load(store, on)
    s = School.__table__
    with store.read() as session:
        where = {code: (lat, lon) for code, lat, lon in session.connection().execute(
            select(s.c.code, s.c.latitude, s.c.longitude))}
    code_of = {school.id: school.code for school in records.schools}
    today: dict[str, tuple[str, str, str | None]] = {}
    for cluster in sorted(records.clusters, key=lambda c: c.name, reverse=True):
        lead = code_of.get(cluster.lead_school_id) if cluster.lead_school_id else None
        for member in members_by_cluster(records.memberships, on).get(cluster.id, []):
            if lead is None and member.is_lead:
                lead = code_of.get(member.school_id)
        for member in members_by_cluster(records.memberships, on).get(cluster.id, []):
            today[code_of[member.school_id]] = (cluster.name, cluster.kind, lead)
    found = []
    for school in sorted(records.schools, key=lambda x: x.code):
        name, kind, lead = today.get(school.code, (None, None, None))
        lat, lon = where.get(school.code, (None, None))
        found.append(FormingSchool(school.code, school.name, school.stage, school.location, school.run_by,
                                   school.students, lat, lon, name, kind, lead))
    return found
