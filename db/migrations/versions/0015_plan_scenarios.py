"""Plan scenarios: several named drafts of one year's exchange plan (issue 18).

Why: a bureau decides between drafts ("only 10 %", "no moves over 40 km", "pin the three
principals") and must be able to show later what it chose from. ``exchange_plan`` allows
one draft a year (0008); a scenario keeps its settings, pins and result side by side with
the others, and points at the plan it became once approved. The others stay, frozen.

Revision ID: 0015
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_scenario",
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Enum("draft", "approved", "frozen", name="scenario_status", native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("pins", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["exchange_plan.id"],
                                name=op.f("fk_plan_scenario_plan_id_exchange_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_scenario")),
        sa.UniqueConstraint("school_year", "name", name="uq_plan_scenario_year_name"),
    )
    with op.batch_alter_table("plan_scenario", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_scenario_school_year"), ["school_year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_scenario", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_scenario_school_year"))
    op.drop_table("plan_scenario")
