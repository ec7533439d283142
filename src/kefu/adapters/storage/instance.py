"""Values that belong to one database: read, or made once and stored."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.adapters.storage.tables import InstanceSettingRow

__all__ = ["DEMO_SECRET_KEY", "stored_secret"]

DEMO_SECRET_KEY = "demo_secret_key"


def stored_secret(engine: Engine, name: str) -> str:
    """The random secret stored as ``name`` in this database, made (256 bits) the first
    time it is asked for; two processes asking at once get the same one."""
    for _ in range(2):
        with Session(engine) as session:
            found = session.scalar(
                select(InstanceSettingRow.value).where(InstanceSettingRow.name == name)
            )
            if found is not None:
                return found
            made = secrets.token_urlsafe(32)
            session.add(InstanceSettingRow(name=name, value=made))
            try:
                session.commit()
            except IntegrityError:
                continue  # another process stored one first: read theirs
            return made
    raise RuntimeError(f"could not store the secret {name!r}")
