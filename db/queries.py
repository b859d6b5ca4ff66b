"""Read-only questions about the whole store."""

from __future__ import annotations

from sqlalchemy import func, select

from db import models
from db.store import Store

COUNTED = {
    "regions": models.Region,
    "schools": models.School,
    "teachers": models.Teacher,
    "postings": models.Posting,
    "clusters": models.Cluster,
    "memberships": models.Membership,
    "pairings": models.Pairing,
    "exchanges": models.Exchange,
    "visits": models.Visit,
    "visit_participants": models.VisitParticipant,
    "agreements": models.Agreement,
    "evaluations": models.Evaluation,
    "users": models.User,
    "audit_entries": models.AuditEntry,
}


def entity_counts(store: Store) -> dict[str, int]:
    """Rows of each entity, keyed by the names ``edubridge stats --json`` prints."""
    with store.read() as session:
        return {key: session.scalar(select(func.count()).select_from(model)) or 0 for key, model in COUNTED.items()}
