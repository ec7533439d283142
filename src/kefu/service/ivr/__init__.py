"""The IVR wing of the service: flows greeting chat and SMS conversations before they queue
(:mod:`~kefu.service.ivr.wing`), their sessions as a part of the engine's transaction
(:mod:`~kefu.service.ivr.sessions`), and what the agent sees of them at the hand-off
(:mod:`~kefu.service.ivr.handoff`)."""

from __future__ import annotations

from kefu.service.ivr.commands import IvrHangup, IvrInput, IvrTimeout, KioskTicket, StartIvr
from kefu.service.ivr.handoff import ivr_panel
from kefu.service.ivr.outline import flow_outline
from kefu.service.ivr.sessions import IvrSessions, Session
from kefu.service.ivr.wing import (
    IVR_AUTHOR,
    IvrOptions,
    IvrPlugins,
    IvrSessionConflict,
    IvrWing,
    UnknownIvrSession,
)

__all__ = [
    "IVR_AUTHOR",
    "IvrHangup",
    "IvrInput",
    "IvrOptions",
    "IvrPlugins",
    "IvrSessionConflict",
    "IvrSessions",
    "IvrTimeout",
    "IvrWing",
    "KioskTicket",
    "Session",
    "StartIvr",
    "UnknownIvrSession",
    "flow_outline",
    "ivr_panel",
]
