"""Commands of the channel service, the agent desktop and the branch hall (one frozen
dataclass each, handled by :mod:`kefu.service.channels.handlers`,
:mod:`kefu.service.channels.actions` and :mod:`kefu.service.branch`).

They are data: a handler runs them in one engine transaction, and may run further commands
in it (``tx.dispatch``). Times are never passed in: the engine reads its clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.model import ContactState
from kefu.service.channels.moves import CarriedConversation
from kefu.service.channels.ports import Inbound
from kefu.service.commands import Command
from kefu.service.routing.commands import CreateContact

__all__ = [
    "ActOnOwnContact",
    "AddNote",
    "AdoptConversation",
    "AnswerOffer",
    "BranchHousekeeping",
    "CallNext",
    "CloseConversation",
    "IssueTicket",
    "MergeCustomers",
    "MoveConversationOut",
    "PauseCounter",
    "ReceiveInbound",
    "RecordDelivery",
    "Reply",
    "SmsInstead",
    "TransferConversation",
    "UndoMerge",
    "WrapUp",
]


@dataclass(frozen=True, slots=True)
class ReceiveInbound(Command):
    """A customer's message (checked by the service before it is built)."""

    inbound: Inbound


@dataclass(frozen=True, slots=True)
class Reply(Command):
    """The agent holding the conversation answers the customer."""

    agent_id: str
    conversation_id: str
    text: str


@dataclass(frozen=True, slots=True)
class AddNote(Command):
    """An internal note on a conversation the agent holds."""

    agent_id: str
    conversation_id: str
    text: str


@dataclass(frozen=True, slots=True)
class TransferConversation(Command):
    """Transfer the conversation's contact to a queue or an agent, with a hand-off note."""

    agent_id: str
    conversation_id: str
    to_queue_id: str | None = None
    to_agent_id: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class WrapUp(Command):
    """Complete the conversation's contact with a disposition code and close it."""

    agent_id: str
    conversation_id: str
    disposition: str


@dataclass(frozen=True, slots=True)
class MergeCustomers(Command):
    """An agent (``by``) merges ``merged_id`` into ``survivor_id``."""

    survivor_id: str
    merged_id: str
    by: str
    reason: str
    force: bool = False


@dataclass(frozen=True, slots=True)
class UndoMerge(Command):
    """Split a merge again."""

    merge_id: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordDelivery(Command):
    """A reply's gateway answered: ``status`` is ``sent`` or ``failed`` (``detail`` why, for
    the log; ``reason`` a code the agent's desktop translates)."""

    conversation_id: str
    external_id: str
    status: str
    detail: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CloseConversation(Command):
    """Close the conversation of a contact that ended (if it is still that contact's)."""

    conversation_id: str
    contact_id: str
    outcome: str


@dataclass(frozen=True, slots=True)
class AdoptConversation(Command):
    """Another routing domain hands over a contact with its conversation: the creation of
    the contact here (its Idempotency-Key names the hop, so the same hop sent again is
    applied once: it then appends only the messages the copy holds beyond those adopted)
    and the conversation as it was there."""

    contact: CreateContact
    conversation: CarriedConversation


@dataclass(frozen=True, slots=True)
class MoveConversationOut(Command):
    """Routing domain ``to_domain`` took the contact, with its conversation (there
    ``remote_conversation_id``), into its queue ``to_queue_id`` as ``remote_contact_id``:
    end the contact here as transferred out and close the conversation, unless it holds
    more than the ``carried`` messages the copy sent (refused: copy it again)."""

    contact_id: str
    to_domain: str
    to_queue_id: str
    remote_contact_id: str
    remote_conversation_id: str
    carried: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class AnswerOffer(Command):
    """An agent at its desktop accepts (or rejects) an offer made to it; an offer of
    another agent, or no longer offered, is refused."""

    agent_id: str
    contact_id: str
    offer_id: str
    accept: bool = True


@dataclass(frozen=True, slots=True)
class ActOnOwnContact(Command):
    """Run ``action`` on a contact the agent holds in one of ``states`` (refused
    otherwise): what an agent may do to its own contacts only."""

    agent_id: str
    contact_id: str
    action: Command
    states: tuple[ContactState, ...]


@dataclass(frozen=True, slots=True)
class IssueTicket(Command):
    """A kiosk ticket for the branch service ``queue_id``."""

    queue_id: str
    phone: str = ""
    name: str = ""
    attributes: tuple[tuple[str, str], ...] = ()
    """Added to the contact's attributes (pairs, so the command stays hashable data)."""


@dataclass(frozen=True, slots=True)
class SmsInstead(Command):
    """Keep a ticket's place; send an SMS to ``phone`` when its turn nears."""

    contact_id: str
    phone: str


@dataclass(frozen=True, slots=True)
class CallNext(Command):
    """A counter finishes the ticket it serves and calls the next one."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class PauseCounter(Command):
    """A counter takes no more tickets (after the one being served)."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class BranchHousekeeping(Command):
    """Accept branch offers made outside a branch command (``contact_id``, ``offer_id``,
    ``agent_id`` each) and send the SMS of tickets whose turn nears."""

    offers: tuple[tuple[str, str, str], ...] = ()
