"""Finished contacts the router has forgotten (a day after they finished, at a snapshot),
read from the store (:meth:`~kefu.service.ports.ReportRepository.archived_contacts`): the
play of their call recordings and the customer's timeline use them.

The reads run in a worker thread before the engine's lock, like every store read of a
command's preparation; a contact the router still holds is read from memory instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from kefu.analytics.archive import ArchivedContact
from kefu.domain.errors import NoRecording
from kefu.service.engine_state import EngineState
from kefu.service.routing import commands as c
from kefu.service.transaction import Transaction

__all__ = ["ArchivedContact", "archived_contacts", "forgotten_contact", "play_recording"]


async def archived_contacts(
    engine: EngineState, contact_ids: Sequence[str]
) -> dict[str, ArchivedContact]:
    """The store's record of the finished contacts among ``contact_ids``, by id."""
    if not contact_ids:
        return {}
    ids = list(contact_ids)
    return await engine.read_store(lambda uow: uow.reports.archived_contacts(ids))


async def forgotten_contact(engine: EngineState, contact_id: str) -> ArchivedContact | None:
    """The store's record of the contact when the router no longer holds it (None: the
    router holds it, or the store has no finished visit of it)."""
    if contact_id in engine.router.contacts:
        return None
    return (await archived_contacts(engine, [contact_id])).get(contact_id)


async def prepare_play(engine: EngineState, cmd: c.PlayRecording) -> ArchivedContact | None:
    """The preparation of a play: the forgotten contact's record, read before the lock."""
    return await forgotten_contact(engine, cmd.contact_id)


async def play_recording(tx: Transaction, cmd: c.PlayRecording) -> dict[str, str]:
    """The play of a contact's recording, from the router's contact or, once the router
    has forgotten it, from the store's record (``tx.prepared``); audited either way."""
    archived = tx.prepared
    if cmd.contact_id in tx.router.contacts or not isinstance(archived, ArchivedContact):
        recording = tx.router.play_recording(cmd.contact_id, tx.now, cmd.user)
        return {"contact_id": cmd.contact_id, "recording": recording}
    if archived.recording is None or archived.recording_deleted is not None:
        raise NoRecording(
            f"contact {cmd.contact_id} has no recording to play",
            text_key="error.no_recording",
            contact_id=cmd.contact_id,
        )
    played = tx.router.play_archived_recording(cmd.contact_id, tx.now, cmd.user, archived.recording)
    return {"contact_id": cmd.contact_id, "recording": played}
