"""The branch kiosk's ticket menu as a flow: the options a customer taps are the flow's
answers, and its transfer is the ticket's service. The flow runs in the ticket's
transaction (menus and messages; no questions left open), its events are stored in the IVR
log under the kiosk visit's id, and the ticket's contact carries the IVR's attributes."""

from __future__ import annotations

from typing import Any

from kefu.domain.errors import ValidationError
from kefu.domain.ivr import FlowCatalog, begin, step
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.events import ivr_event_to_dict
from kefu.domain.model import Channel
from kefu.service.channels.commands import IssueTicket
from kefu.service.channels.state import ChannelState
from kefu.service.ivr.commands import KioskTicket
from kefu.service.ivr.handoff import PREFIX, path_labels, safe_attributes
from kefu.service.ivr.options import IvrPlugins
from kefu.service.ivr.sessions import STREAM
from kefu.service.transaction import Transaction

__all__ = ["MAX_ANSWERS", "NoServiceChosen", "kiosk_ticket"]

MAX_ANSWERS = 10


class NoServiceChosen(ValidationError):
    """The answers given to the kiosk's flow do not reach a service of the hall."""

    error_id = "no_service_chosen"


async def kiosk_ticket(
    tx: Transaction,
    cmd: KioskTicket,
    catalog: FlowCatalog,
    plugins: IvrPlugins,
    state: ChannelState,
) -> Any:
    """Run ``cmd.answers`` through the flow, then issue the ticket of the service it
    transfers to (through ``IssueTicket``, with the IVR's attributes)."""
    if len(cmd.answers) > MAX_ANSWERS:
        raise NoServiceChosen(
            f"at most {MAX_ANSWERS} answers",
            text_key="error.kiosk_too_many_answers",
            answers=len(cmd.answers),
            limit=MAX_ANSWERS,
        )
    flow = catalog.published(cmd.flow_id[:64])
    visit = f"kiosk-{tx.engine.new_id()}"
    ivr, actions, first = begin(flow, visit, tx.now, ctx=plugins.ctx)
    events = list(first)
    for text in cmd.answers:
        if ivr.finished:
            break
        ivr, actions, more = step(flow, ivr, m.Reply(text[:100]), tx.now, plugins.ctx)
        events += more
    transfer = next((a for a in actions if isinstance(a, m.Transfer)), None)
    queue = None if transfer is None else tx.router.queues.get(transfer.queue_id)
    if transfer is None or queue is None or queue.spec.channel is not Channel.BRANCH:
        raise NoServiceChosen(
            "the choice reaches no service of the hall", text_key="error.kiosk_no_service"
        )
    for event in events:
        data = ivr_event_to_dict(event)
        state.log(event.at, STREAM, data["type"], visit, data)
    attributes = safe_attributes(transfer.attributes)
    path = transfer.attributes.get(PREFIX + "path", "")
    attributes[PREFIX + "path.text"] = path_labels(flow, path, ivr.language)
    attributes[PREFIX + "visit"] = visit
    command = IssueTicket(transfer.queue_id, cmd.phone, cmd.name, tuple(attributes.items()))
    return await tx.dispatch(command)
