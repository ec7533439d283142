"""The retention period of call recordings: a sweep deletes the recordings older than
``KEFU_SIP_RECORDING_RETENTION_DAYS`` and logs each deletion as the router's
``RecordingDeleted`` (reason ``retention``), so the contact and the customer's timeline
say the recording was deleted by retention rather than lost.

A file's age is the time since it was last written (the end of the call it records). A
file whose contact the router no longer holds is deleted too, and logged under the
contact id its name gives.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kefu.adapters.voice.agent_calls import recording_name
from kefu.domain.errors import KefuError
from kefu.service.engine import RoutingEngine
from kefu.service.routing import commands as c

__all__ = ["DAY_S", "RetentionSweep", "sweep_recordings"]

log = logging.getLogger(__name__)

DAY_S = 86_400.0
_PART = re.compile(r"^(?P<stem>.+)-(?P<part>[0-9]+)$")
"""``<contact id>-<n>``: the n-th bridge of a transferred call."""


def _owners(engine: RoutingEngine) -> dict[str, str]:
    """File stem of a first recording → contact id, for the contacts the router holds
    with a recording (a later bridge's file is ``<stem>-<n>.wav``)."""
    return {
        recording_name(contact.contact_id).removesuffix(".wav"): contact.contact_id
        for contact in engine.router.contacts.values()
        if contact.attributes.get("recording")
    }


def _delete_old(directory: Path, keep_s: float, now: float) -> list[str]:
    """Delete the WAV files of *directory* last written more than *keep_s* before *now*;
    returns their names."""
    deleted = []
    for path in sorted(directory.glob("*.wav")):
        try:
            if now - path.stat().st_mtime < keep_s:
                continue
            path.unlink()
        except OSError as exc:  # gone meanwhile, or not ours to delete: next sweep
            log.warning("call recording %s not deleted: %s", path.name, exc)
            continue
        deleted.append(path.name)
    return deleted


async def sweep_recordings(
    engine: RoutingEngine, directory: Path, keep_s: float, now: float | None = None
) -> dict[str, str]:
    """Delete the recordings in *directory* older than *keep_s* seconds at *now* (epoch s,
    default: the wall clock) and log each; returns file name → contact id."""
    now = time.time() if now is None else now
    deleted = await asyncio.to_thread(_delete_old, directory, keep_s, now)
    if not deleted:
        return {}
    owners = await engine.query(_owners)
    done: dict[str, str] = {}
    for name in deleted:
        stem = name.removesuffix(".wav")
        match = _PART.match(stem)
        contact_id = owners.get(stem) or (match and owners.get(match["stem"])) or stem
        try:
            await engine.execute(c.DeleteRecording(contact_id, name, "retention"))
        except KefuError as exc:
            log.warning("call recording %s deleted, not logged: %s", name, exc)
        done[name] = contact_id
    log.info("call recordings: %d deleted by retention", len(done))
    return done


@dataclass
class RetentionSweep:
    """Sweeps *directory* at start and then every *every_s* seconds, keeping recordings
    *keep_days* days."""

    engine: RoutingEngine
    directory: Path
    keep_days: float
    every_s: float = 3600.0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await sweep_recordings(self.engine, self.directory, self.keep_days * DAY_S)
            except Exception:  # a sweep that failed is tried again next time
                log.exception("call recordings: retention sweep failed")
            await asyncio.sleep(self.every_s)
