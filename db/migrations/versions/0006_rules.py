"""Duty register and per-stage school figures (issue 11).

Why: who owes visits comes from their role, not from whether they logged one, so duty
holders (帮扶责任人) get a table of their own; a 一贯制 school's class size and size limit are
judged per stage (保山2022方案 2), so the school list may carry per-stage students and classes.
The stored quota tallies are cleared so the first read rebuilds them and fills the register
from the activities already logged.

Revision ID: 0006
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_STAGE_COLUMNS = ("primary_students", "primary_classes", "junior_students", "junior_classes")


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        for name in _STAGE_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    roles = ("校级干部", "名师工作室主持人", "学科带头人", "骨干教师", "市级教研员", "县级教研员",
             "片区长学校", "局领导", "机关干部", "教师")
    op.create_table(
        "duty_holder",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.Enum(*roles, name="duty_role", native_enum=False, create_constraint=True,
                                  length=16), nullable=False),
        sa.Column("home_school_id", sa.Uuid(), nullable=True),
        sa.Column("teacher_id", sa.Uuid(), nullable=True),
        sa.Column("county_id", sa.Uuid(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("source", sa.Enum("登记", "活动记录", name="duty_source", native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["region.id"], name=op.f("fk_duty_holder_county_id_region")),
        sa.ForeignKeyConstraint(["home_school_id"], ["school.id"], name=op.f("fk_duty_holder_home_school_id_school")),
        sa.ForeignKeyConstraint(["teacher_id"], ["teacher.id"], name=op.f("fk_duty_holder_teacher_id_teacher")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_holder")),
        sa.UniqueConstraint("key", name=op.f("uq_duty_holder_key")),
    )
    with op.batch_alter_table("duty_holder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_holder_home_school_id"), ["home_school_id"], unique=False)
    op.execute("DELETE FROM visit_tally_period")  # rebuilt on the next read, which fills the register


def downgrade() -> None:
    with op.batch_alter_table("duty_holder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_holder_home_school_id"))
    op.drop_table("duty_holder")
    with op.batch_alter_table("school", schema=None) as batch_op:
        for name in reversed(_STAGE_COLUMNS):
            batch_op.drop_column(name)
