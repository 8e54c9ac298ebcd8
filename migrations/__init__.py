"""Alembic env and revisions, shipped in the package: `tracker db upgrade` works anywhere."""
