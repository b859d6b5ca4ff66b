"""Row versions for optimistic concurrency, and one draft exchange plan per year (issue 13).

Why: on a shared PostgreSQL server two clerks editing the same record overwrote each other
silently (80 edits of one agreement raised its version by 57), and two ``plan --save`` at
once left two drafts for one year. Every editable table gains ``row_version``, SQLAlchemy's
``version_id_col``: an UPDATE based on a stale row matches nothing and is refused
(db.versions). A partial unique index makes the database refuse a second draft of a year.

Years that already hold several drafts (the race above) keep the newest; the older drafts
and their planned exchanges are removed, as the next ``plan --save`` would have done —
a draft is replaced by design, and an approved plan is never touched.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

VERSIONED = ("region", "school", "cluster", "membership", "pairing", "teacher", "posting", "exemption",
             "exchange_plan", "exchange", "subject_need", "visit", "visit_participant", "duty_holder",
             "agreement", "agreement_party", "quality_indicator", "evaluation", "semester_summary", "waiver",
             "setting")
_DRAFT = sa.text("status = 'draft'")


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))
    _drop_older_drafts(op.get_bind())
    op.create_index("uq_exchange_plan_draft_year", "exchange_plan", ["school_year"], unique=True,
                    sqlite_where=_DRAFT, postgresql_where=_DRAFT)


def _drop_older_drafts(connection: sa.Connection) -> None:
    plans = sa.table("exchange_plan", sa.column("id"), sa.column("school_year"), sa.column("status"),
                     sa.column("created_at"))
    exchanges = sa.table("exchange", sa.column("id"), sa.column("plan_id"))
    events = sa.table("exchange_event", sa.column("exchange_id"))
    seen: set[int] = set()
    older = []
    for plan_id, year in connection.execute(sa.select(plans.c.id, plans.c.school_year).where(plans.c.status == "draft")
                                            .order_by(plans.c.school_year, plans.c.created_at.desc(), plans.c.id)):
        if year in seen:
            older.append(plan_id)
        seen.add(year)
    if not older:
        return
    doomed = sa.select(exchanges.c.id).where(exchanges.c.plan_id.in_(older)).scalar_subquery()
    connection.execute(events.delete().where(events.c.exchange_id.in_(doomed)))
    connection.execute(exchanges.delete().where(exchanges.c.plan_id.in_(older)))
    connection.execute(plans.delete().where(plans.c.id.in_(older)))


def downgrade() -> None:
    op.drop_index("uq_exchange_plan_draft_year", table_name="exchange_plan")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_version")
