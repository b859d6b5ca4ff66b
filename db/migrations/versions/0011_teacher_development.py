"""Teacher development records and the brand fee (issue 11, items 1-3 and 5).

Why: the seeds' teacher-development duties need data of their own — training hours per
teacher over a five-year cycle (training_record), the 种子教师 / 榜样教师 of each rural school
(teacher_designation) and 师徒结对 as a pairing kind (its three years are the pairing's
dates); an agreement states the 品牌费 it charges so the rule "never" can be checked.

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_PAIRING_KINDS = ("包片包抓", "手拉手", "局领导联系薄弱学校", "名师工作室结对乡村学校", "学科带头人结对乡村教师",
                     "干部挂职蹲点")
NEW_PAIRING_KINDS = OLD_PAIRING_KINDS + ("师徒结对",)


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "training_record",
        sa.Column("teacher_id", sa.Uuid(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("course", sa.String(length=128), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("special", sa.Boolean(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("hours > 0", name=op.f("ck_training_record_hours_positive")),
        sa.ForeignKeyConstraint(["teacher_id"], ["teacher.id"], name=op.f("fk_training_record_teacher_id_teacher"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_record")),
        sa.UniqueConstraint("teacher_id", "completed_on", "course", name="teacher_day_course"),
    )
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_record_teacher_id"), ["teacher_id"], unique=False)
    op.create_table(
        "teacher_designation",
        sa.Column("teacher_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum(("种子教师", "榜样教师"), "designation_kind"), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["teacher_id"], ["teacher.id"], name=op.f("fk_teacher_designation_teacher_id_teacher"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teacher_designation")),
        sa.UniqueConstraint("teacher_id", "kind", "start", name="teacher_kind_start"),
    )
    with op.batch_alter_table("teacher_designation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teacher_designation_teacher_id"), ["teacher_id"], unique=False)
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_enum(OLD_PAIRING_KINDS, "pairing_kind"),
                              type_=_enum(NEW_PAIRING_KINDS, "pairing_kind"), existing_nullable=False)
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_fee", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("brand_fee")
    op.execute("DELETE FROM pairing WHERE kind = '师徒结对'")
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_enum(NEW_PAIRING_KINDS, "pairing_kind"),
                              type_=_enum(OLD_PAIRING_KINDS, "pairing_kind"), existing_nullable=False)
    op.drop_table("teacher_designation")
    op.drop_table("training_record")
