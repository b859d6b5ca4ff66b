"""Which tables travel in packages, in what order, and which rows belong to one school.

A laptop is registered for one school: the bureau sends it the county's schools and
clusters and that school's teachers and activities; the laptop's own packages may carry
only its school's activities (checked again on arrival, see :mod:`.incoming`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, or_, select

from db.guard import as_uuid
from db.models import Base, Cluster, Membership, Posting, Teacher, Visit

#: Never carried: accounts, local settings, derived tallies, the audit log, package bookkeeping.
LOCAL_ONLY = frozenset({"app_user", "setting", "visit_tally", "visit_school_tally", "visit_tally_period",
                        "audit_entry", "audit_head", "alembic_version", "package_peer", "package_log",
                        "package_conflict"})
#: Tables in foreign-key order (parents first).
TABLES: list[Table] = [t for t in Base.metadata.sorted_tables if t.name not in LOCAL_ONLY]
BY_NAME = {t.name: t for t in TABLES}
ORDER = {t.name: i for i, t in enumerate(TABLES)}
#: What the whole county shares with every laptop.
COUNTY = ("region", "school", "cluster", "membership")
#: A principal's package may carry only these (db.guard's principal permissions).
PRINCIPAL = frozenset({"visit", "visit_participant", "attachment", "semester_summary"})


class SchoolScope:
    """The ids of one school's rows, read once, to filter records by school."""

    def __init__(self, connection: Connection, school_id: uuid.UUID) -> None:
        self.school_id = school_id
        self.teachers = set(connection.execute(select(Posting.teacher_id).where(Posting.school_id == school_id))
                            .scalars())
        self.visits = set(connection.execute(select(Visit.id).where(Visit.host_school_id == school_id)).scalars())
        self.clusters = set(connection.execute(select(Membership.cluster_id).where(
            Membership.school_id == school_id)).scalars())
        self.clusters |= set(connection.execute(select(Cluster.id).where(
            Cluster.lead_school_id == school_id)).scalars())

    def holds(self, table: str, row: dict[str, Any]) -> bool:
        """True when ``row`` (current, or a deleted row's last image) belongs with this school."""
        get = row.get
        if table in COUNTY:
            return True
        if table == "teacher":
            return as_uuid(get("id")) in self.teachers
        if table in ("posting", "exemption"):
            return as_uuid(get("teacher_id")) in self.teachers or as_uuid(get("school_id")) == self.school_id
        if table == "visit":
            return as_uuid(get("host_school_id")) == self.school_id
        if table in ("visit_participant", "attachment"):
            return as_uuid(get("visit_id")) in self.visits
        if table == "semester_summary":
            return as_uuid(get("cluster_id")) in self.clusters
        return False


def school_rows(connection: Connection, scope: SchoolScope) -> Iterable[tuple[Table, list[dict[str, Any]]]]:
    """Every current row a new laptop of this school starts with (the set-up package)."""
    for name in COUNTY:
        table = BY_NAME[name]
        yield table, [dict(r) for r in connection.execute(select(table)).mappings()]
    teachers = list(scope.teachers)
    for table, where in (
        (Teacher.__table__, lambda t: t.c.id.in_(teachers)),
        (Posting.__table__, lambda t: or_(t.c.teacher_id.in_(teachers), t.c.school_id == scope.school_id)),
        (BY_NAME["exemption"], lambda t: t.c.teacher_id.in_(teachers)),
        (Visit.__table__, lambda t: t.c.host_school_id == scope.school_id),
        (BY_NAME["visit_participant"], lambda t: t.c.visit_id.in_(list(scope.visits))),
        (BY_NAME["attachment"], lambda t: t.c.visit_id.in_(list(scope.visits))),
        (BY_NAME["semester_summary"], lambda t: t.c.cluster_id.in_(list(scope.clusters))),
    ):
        yield table, [dict(r) for r in connection.execute(select(table).where(where(table))).mappings()]
