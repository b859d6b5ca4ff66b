"""Teacher.position_since (任现职时间): a principal's terms count from taking office.

Why: the rotation rule for principals (two terms at one school) counted the years at the
school, so a teacher of twenty years who became principal last year was due to rotate.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position_since", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.drop_column("position_since")
