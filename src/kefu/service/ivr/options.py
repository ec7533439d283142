"""The IVR wing's settings and plug-ins, and its errors (``KefuError`` subclasses)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kefu.domain.errors import InvalidState, NotFound
from kefu.domain.ivr import IvrContext
from kefu.domain.ivr import messages as m

__all__ = [
    "IVR_AUTHOR",
    "IvrOptions",
    "IvrPlugins",
    "IvrSessionConflict",
    "UnknownIvrSession",
    "Verifier",
]

IVR_AUTHOR = "ivr"
"""The author of the flow's messages in a conversation."""
Verifier = Callable[[str, str, str], m.VerifyDone]


def _refuse(_method: str, _identifier: str, _secret: str) -> m.VerifyDone:
    """The verifier of a wing given none: every identity is refused."""
    return m.VerifyDone(False)


class UnknownIvrSession(NotFound):
    """No conversation of that id is in a flow."""

    error_id = "unknown_ivr_session"


class IvrSessionConflict(InvalidState):
    """The conversation cannot start a flow: closed, queued already or in a flow."""

    error_id = "ivr_session_conflict"


@dataclass(frozen=True, slots=True)
class IvrOptions:
    """``flows``: the flow greeting new conversations, by ``<channel>@<site id>`` (a
    widget's site) or ``<channel>`` (``chat``, ``sms``); an empty id turns it off.
    ``timeout_scale``: a channel's customers get this many times the flow's silence
    timeouts (people type slower than they press keys)."""

    flows: Mapping[str, str] = field(default_factory=dict)
    timeout_scale: Mapping[str, float] = field(
        default_factory=lambda: {"chat": 6.0, "sms": 30.0, "web": 12.0}
    )


@dataclass(frozen=True, slots=True)
class IvrPlugins:
    """What the flows' actions run on: self-service ``actions`` by name, ``verify``
    (method, identifier, secret → result; the customer store) and the interpreter's
    context (tokenizer, calendars)."""

    actions: Mapping[str, m.SelfService] = field(default_factory=dict)
    verify: Verifier = _refuse
    ctx: IvrContext = field(default_factory=IvrContext)
