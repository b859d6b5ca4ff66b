"""Storage: SQLAlchemy models, the audited write path, Alembic migrations, imports, demo data.

Never imports Qt. Hands plain records to ``policy``.
"""
