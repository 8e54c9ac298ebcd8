"""Run the Alembic migrations shipped in the ``migrations`` package."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

# Readable revision names: 2026_11_27_1200-<rev>_add_alert_outbox.py
REVISION_FILE_TEMPLATE = (
    "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
)


class ForeignKeyViolation(RuntimeError):
    """A migration would leave rows that point nowhere; it was rolled back."""


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    config.set_main_option("file_template", REVISION_FILE_TEMPLATE)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise when the models and the migrations disagree (``alembic check``)."""
    command.check(alembic_config(database_url))
