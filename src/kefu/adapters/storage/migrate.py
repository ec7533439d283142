"""Alembic migrations shipped inside the package, driven without an ``alembic.ini`` on disk
beside the caller: the configuration is built here, so an installed kefu migrates too."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = [
    "SchemaOutOfDate",
    "current_revision",
    "ensure_current",
    "head_revision",
    "upgrade",
]

HERE = Path(__file__).resolve().parent


class SchemaOutOfDate(RuntimeError):
    """The database schema is not at the code's head revision."""


def _config(engine: Engine | None = None) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration the code ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    command.upgrade(_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the head revision."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none (empty database)'} but this "
            f"kefu needs {head}: run `kefu db upgrade` first. "
            f"数据库结构版本过旧，请先运行 `kefu db upgrade`。"
        )
