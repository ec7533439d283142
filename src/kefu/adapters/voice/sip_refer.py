"""Transfer by SIP REFER (RFC 3515): an agent's phone sends a REFER in the dialog of the
call kefu rang it with, naming where the caller should go (``Refer-To:
<sip:billing@kefu>``: a queue's id or an agent's id as the user part).

The SIP library answers the REFER with ``202 Accepted`` and the first ``NOTIFY`` (``SIP/2.0
100 Trying``); :class:`Referrals` reports the request to the driver as
:class:`~kefu.adapters.voice.port.TransferRequested` and sends the driver's outcome as
the final ``NOTIFY`` (a ``message/sipfrag`` status line: ``200 OK`` once the router took
the transfer, before kefu's BYE to the phone; ``404`` for an unknown target, ``603`` when
the router refused). A REFER on a caller's own dialog is declined (``603``): callers do
not transfer themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiosipua import IncomingCall, notify_refer, parse_uri

from kefu.adapters.voice.port import TransferRequested, VoiceEvent

__all__ = ["Referrals"]

log = logging.getLogger(__name__)


class Referrals:
    """The REFERs of agents' phones awaiting their outcome; *leg_of* gives the leg id of
    a SIP Call-ID kefu dialled (None: not one of kefu's outgoing calls)."""

    def __init__(self, leg_of: Callable[[str], str | None], emit: Callable[[VoiceEvent], None]):
        self._leg_of = leg_of
        self._emit = emit
        self._pending: dict[str, IncomingCall] = {}

    def on_refer(self, call: IncomingCall, refer_to: str) -> None:
        """The library's REFER callback (202 and ``NOTIFY 100`` are sent already)."""
        leg_id = self._leg_of(call.call_id)
        try:
            target = parse_uri(refer_to).user or ""
        except ValueError:
            target = ""
        if leg_id is None or not target:
            log.info("REFER on %s to %r declined (not an agent's call)", call.call_id, refer_to)
            notify_refer(call, 603, "Declined")
            return
        self._pending[leg_id] = call
        self._emit(TransferRequested(leg_id, target))

    def progress(self, leg_id: str, status: int, reason: str) -> None:
        """Tell the phone of *leg_id* how its transfer went (final from 200 up)."""
        call = self._pending.get(leg_id)
        if call is None:
            return
        if status >= 200:
            del self._pending[leg_id]
        notify_refer(call, status, reason)

    def forget(self, leg_id: str) -> None:
        """The leg ended: nothing more to report."""
        self._pending.pop(leg_id, None)
