"""Alembic environment: runs on the connection (or engine) handed over in ``config.attributes``.

``db.migrate.upgrade`` passes a connection already inside the one transaction that covers
the whole upgrade (see its module docstring); Alembic then neither begins nor commits.
"""

from alembic import context
from sqlalchemy import Connection

from db.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
        transactional_ddl=True,  # ours: the caller's transaction covers every revision
    )
    context.run_migrations()


if config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    with config.attributes["engine"].begin() as connection:
        _run(connection)
