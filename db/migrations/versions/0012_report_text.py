"""Report text a clerk writes in the GUI (issue 15).

Why: the annual report's 主要成效 / 存在问题 / 整改建议 and a community's 学年度工作报告 are
edited by the clerk before printing; until now the text lived in a TOML file next to the
PDF, so it was lost with the file and never audited. One row per document, school year
and scope (a cluster or the whole area) keeps it in the database.

Revision ID: 0012
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_text",
        sa.Column("document", sa.String(length=16), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=36), nullable=False),
        sa.Column("cluster_id", sa.Uuid(), nullable=True),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.id"], name=op.f("fk_report_text_cluster_id_cluster")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_text")),
        sa.UniqueConstraint("document", "school_year", "scope", name="document_year_scope"),
    )


def downgrade() -> None:
    op.drop_table("report_text")
