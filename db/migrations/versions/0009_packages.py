"""Data packages between laptops and the bureau (issue 13).

Why: a package carries its origin's identity and a sequence number per (origin →
destination), verified against a registered key; the peers and their keys, the log of
packages written and applied (its unique key refuses a replay at the database), and the
incoming versions of records changed on both sides (kept until the clerk chooses) need
tables of their own.

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "package_peer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_package_peer_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_peer")),
    )
    op.create_table(
        "package_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("peer_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("watermark", sa.Integer(), nullable=False),
        sa.Column("ack", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["peer_id"], ["package_peer.id"], name=op.f("fk_package_log_peer_id_package_peer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_log")),
        sa.UniqueConstraint("direction", "peer_id", "seq", name=op.f("uq_package_log_direction")),
    )
    op.create_table(
        "package_conflict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("peer_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("mine", sa.JSON(), nullable=True),
        sa.Column("theirs", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["peer_id"], ["package_peer.id"],
                                name=op.f("fk_package_conflict_peer_id_package_peer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_conflict")),
    )
    op.create_index(op.f("ix_package_conflict_entity_id"), "package_conflict", ["entity_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_package_conflict_entity_id"), table_name="package_conflict")
    op.drop_table("package_conflict")
    op.drop_table("package_log")
    op.drop_table("package_peer")
