"""Exchanges are carried out by their dates; every form of exchange can be recorded.

Why (issue 10): an approved plan changed nothing, so next year's eligibility and the annual
report kept reading the old roster; 驻教 (余教〔2020〕155号 五(二)1) could not be stored.

* ``exchange``: ``planned_end`` (the end as approved; ``end_on`` becomes the end in force),
  ``cancelled_on`` and ``days_per_week`` (走教); the form may be 驻教.
* ``posting``: the kind may be 驻教.
* ``uq_exchange_recorded``: one approved exchange per teacher, receiving school, form and
  start (concurrent imports of one sheet cannot both insert it).
* ``exchange_event``: the dated history of each exchange (approved, cancelled, ended early,
  extended), appended and never changed.
* Data: the stored status becomes the decision only (in_progress / done are approved; what an
  exchange is on a day follows from its dates), and an approved exchange that has no posting
  yet gets the postings it implies, dated (a personnel move closes the home posting the day
  before it starts) — approval now materialises them.

Revision ID: 0005
Revises: 0002
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_FORMS = ("轮岗", "柔性流动", "走教", "支教", "挂职", "跟岗")
OLD_KINDS = ("任职", "轮岗", "走教", "支教", "挂职", "跟岗")
EVENTS = ("批准", "登记", "取消", "提前结束", "延期")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("days_per_week", sa.Integer(), nullable=True))
        batch_op.alter_column("form", existing_type=_enum(OLD_FORMS, "exchange_form"),
                              type_=_enum(OLD_FORMS + ("驻教",), "exchange_form"), existing_nullable=False)
    with op.batch_alter_table("posting", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_enum(OLD_KINDS, "posting_kind"),
                              type_=_enum(OLD_KINDS + ("驻教",), "posting_kind"), existing_nullable=False)
    op.create_table(
        "exchange_event",
        sa.Column("exchange_id", sa.Uuid(), nullable=False),
        sa.Column("action", _enum(EVENTS, "exchange_event_action"), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("end_before", sa.Date(), nullable=True),
        sa.Column("end_after", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exchange_id"], ["exchange.id"], name=op.f("fk_exchange_event_exchange_id_exchange"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_event")),
    )
    with op.batch_alter_table("exchange_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_event_exchange_id"), ["exchange_id"], unique=False)
    _carry_out_approved()
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.create_index("uq_exchange_recorded", ["teacher_id", "to_school_id", "form", "start"], unique=True,
                              sqlite_where=sa.text("status = 'approved'"),
                              postgresql_where=sa.text("status = 'approved'"))


def _carry_out_approved() -> None:
    """Stored statuses become decisions; approved exchanges get their dated postings."""
    connection = op.get_bind()
    # Typed lightweight tables (not reflected: SQLite would reflect the UUID columns as text).
    exchange = sa.table("exchange", *[sa.column(n, sa.Uuid()) for n in ("id", "teacher_id", "to_school_id")],
                        *[sa.column(n, sa.Date()) for n in ("start", "end_on", "planned_end", "cancelled_on")],
                        sa.column("status", sa.String()), sa.column("form", sa.String()),
                        sa.column("moves_personnel", sa.Boolean()))
    posting = sa.table("posting", *[sa.column(n, sa.Uuid()) for n in ("id", "teacher_id", "school_id", "exchange_id")],
                       sa.column("start", sa.Date()), sa.column("end_on", sa.Date()), sa.column("kind", sa.String()),
                       sa.column("holds_personnel", sa.Boolean()), sa.column("created_at", sa.DateTime()),
                       sa.column("updated_at", sa.DateTime()))
    connection.execute(exchange.update().where(exchange.c.status.in_(("in_progress", "done")))
                       .values(status="approved"))
    connection.execute(exchange.update().values(planned_end=exchange.c.end_on))
    connection.execute(exchange.update().where(exchange.c.status == "cancelled", exchange.c.start.is_not(None))
                       .values(cancelled_on=exchange.c.start))
    linked = sa.select(posting.c.exchange_id).where(posting.c.exchange_id.is_not(None))
    pending = connection.execute(
        sa.select(exchange.c.id, exchange.c.teacher_id, exchange.c.to_school_id, exchange.c.form, exchange.c.start,
                  exchange.c.end_on, exchange.c.moves_personnel)
        .where(exchange.c.status == "approved", exchange.c.start.is_not(None), exchange.c.id.not_in(linked))).all()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for row in pending:
        kind = "轮岗" if row.form in ("轮岗", "柔性流动") else row.form
        if row.moves_personnel:
            connection.execute(
                posting.update().where(posting.c.teacher_id == row.teacher_id, posting.c.holds_personnel.is_(True),
                                       posting.c.start < row.start,
                                       sa.or_(posting.c.end_on.is_(None), posting.c.end_on >= row.start))
                .values(end_on=row.start - dt.timedelta(days=1), updated_at=now))
        connection.execute(posting.insert().values(
            id=uuid.uuid4(), teacher_id=row.teacher_id, school_id=row.to_school_id, kind=kind,
            holds_personnel=bool(row.moves_personnel), start=row.start,
            end_on=None if row.moves_personnel else row.end_on, exchange_id=row.id, created_at=now, updated_at=now))


def downgrade() -> None:
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index("uq_exchange_recorded")
    with op.batch_alter_table("exchange_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_event_exchange_id"))
    op.drop_table("exchange_event")
    with op.batch_alter_table("posting", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_enum(OLD_KINDS + ("驻教",), "posting_kind"),
                              type_=_enum(OLD_KINDS, "posting_kind"), existing_nullable=False)
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.alter_column("form", existing_type=_enum(OLD_FORMS + ("驻教",), "exchange_form"),
                              type_=_enum(OLD_FORMS, "exchange_form"), existing_nullable=False)
        batch_op.drop_column("days_per_week")
        batch_op.drop_column("cancelled_on")
        batch_op.drop_column("planned_end")
