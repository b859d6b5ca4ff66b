"""Users sign in and the audit log is hash-chained.

Why: anyone who opened EduBridge was an admin and the audit log could be rewritten without
trace (issue 12). Users get an argon2id password hash, a failed-attempt counter and a
lock-out time; the role "viewer" becomes "evaluator" (评估人员, read-only). Audit entries get
``prev_hash``/``hash`` and the one-row ``audit_head`` records the chain's end; the entries
already there are chained now, in id order, so ``audit verify`` covers them too.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "clerk", "principal", "viewer")
NEW_ROLES = ("admin", "clerk", "principal", "evaluator")


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="user_role", native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("role", type_=sa.String(16), existing_type=_role(OLD_ROLES), existing_nullable=False)
    op.execute("UPDATE app_user SET role = 'evaluator' WHERE role = 'viewer'")
    with op.batch_alter_table("app_user", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("role", type_=_role(NEW_ROLES), existing_type=sa.String(16), existing_nullable=False)
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    last_id, last_hash = _chain_existing(op.get_bind())
    op.bulk_insert(head, [{"id": 1, "last_id": last_id, "last_hash": last_hash}])


def _chain_existing(connection: sa.Connection) -> tuple[int, str]:
    """Hash the entries written before this revision, in id order; returns the chain's end."""
    import json

    from db.audit import canonical, digest

    table = sa.table("audit_entry", sa.column("id"), sa.column("at", sa.DateTime()), sa.column("actor"),
                     sa.column("action"), sa.column("entity"), sa.column("entity_id"), sa.column("before"),
                     sa.column("after"), sa.column("note"), sa.column("prev_hash"), sa.column("hash"))
    rows = connection.execute(sa.select(
        table.c.id, table.c.at, table.c.actor, table.c.action, table.c.entity, table.c.entity_id,
        sa.cast(table.c.before, sa.Text), sa.cast(table.c.after, sa.Text), table.c.note).order_by(table.c.id)).all()
    prev, last_id, updates = "", 0, []
    for row in rows:
        before = canonical(None if row[6] is None else json.loads(row[6]))
        after = canonical(None if row[7] is None else json.loads(row[7]))
        value = digest(prev, row[0], row[1].isoformat(), row[2], row[3], row[4], row[5], row[8], before, after)
        updates.append({"b_id": row[0], "prev_hash": prev, "hash": value})
        prev, last_id = value, row[0]
    if updates:
        connection.execute(table.update().where(table.c.id == sa.bindparam("b_id"))
                           .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")), updates)
    return last_id, prev


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    with op.batch_alter_table("app_user", schema=None, recreate="always") as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("password_hash")
        batch_op.alter_column("role", type_=sa.String(16), existing_type=_role(NEW_ROLES), existing_nullable=False)
    op.execute("UPDATE app_user SET role = 'viewer' WHERE role = 'evaluator'")
    with op.batch_alter_table("app_user", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("role", type_=_role(OLD_ROLES), existing_type=sa.String(16), existing_nullable=False)
