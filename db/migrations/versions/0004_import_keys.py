"""Unique keys behind the imports' duplicate checks.

Why: two imports of the same visits file at once both found nothing stored and doubled
every activity, and two roster or membership imports raced the same way. The imports now
take the write lock first (db.locks); these keys make the database refuse a second copy
even so.

- ``visit.import_key`` / ``visit_participant.import_key``: what the visit import treats as
  one activity (date, host school, type) and one visitor in it (name, home school). Only
  rows an import creates carry one; activities entered by hand (several a day may share
  date, host and type) and rows stored before this revision keep NULL, which a unique
  index allows any number of times.
- ``membership.copy_no`` and ``exemption.copy_no``: the import's identity of a membership
  (cluster, school, joined — with the role, as a role changed on the joining day closes one
  membership and opens another that day) and of an exemption (teacher, reason, start) becomes unique
  with ``copy_no`` 0. Copies already stored (the race above) are kept, not deleted —
  nothing a user entered is lost — and numbered 1, 2, … in the order they were entered,
  so the upgrade never fails on them and they stay visible for a clerk to clean up.

Revision ID: 0004
Revises: 0002
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NATURAL_KEYS = {
    "membership": ("cluster_id", "school_id", "joined", "role"),
    "exemption": ("teacher_id", "reason", "start"),
}


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_key", sa.String(length=96), nullable=True))
    op.create_index("uq_visit_import_key", "visit", ["import_key"], unique=True)
    with op.batch_alter_table("visit_participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_key", sa.String(length=112), nullable=True))
    op.create_index("uq_visit_participant_import_key", "visit_participant", ["visit_id", "import_key"], unique=True)
    connection = op.get_bind()
    for table, key in _NATURAL_KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("copy_no", sa.Integer(), server_default="0", nullable=False))
        _number_copies(connection, table, key)
        op.create_index(f"uq_{table}_{'_'.join(k.removesuffix('_id') for k in key)}", table, [*key, "copy_no"],
                        unique=True)


def _number_copies(connection: sa.Connection, table: str, key: tuple[str, ...]) -> None:
    """Give the second, third … row of each natural key copy_no 1, 2 … (oldest keeps 0)."""
    t = sa.table(table, sa.column("id"), sa.column("created_at"), sa.column("copy_no"), *map(sa.column, key))
    groups: dict[tuple, list] = defaultdict(list)
    for row in connection.execute(sa.select(t.c.id, *[t.c[k] for k in key]).order_by(t.c.created_at, t.c.id)):
        groups[tuple(row[1:])].append(row[0])
    numbered = [{"b_id": rid, "b_no": n} for ids in groups.values() if len(ids) > 1 for n, rid in enumerate(ids) if n]
    if numbered:
        connection.execute(t.update().where(t.c.id == sa.bindparam("b_id")).values(copy_no=sa.bindparam("b_no")),
                           numbered)


def downgrade() -> None:
    for table, key in _NATURAL_KEYS.items():
        op.drop_index(f"uq_{table}_{'_'.join(k.removesuffix('_id') for k in key)}", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("copy_no")
    op.drop_index("uq_visit_participant_import_key", table_name="visit_participant")
    with op.batch_alter_table("visit_participant", schema=None) as batch_op:
        batch_op.drop_column("import_key")
    op.drop_index("uq_visit_import_key", table_name="visit")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("import_key")
