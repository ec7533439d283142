"""Contacts handed from one routing domain to another (seed 002's overflow from one region
to another): a command from the router leading domain A to the router leading domain B.

:meth:`DomainHandover.transfer` runs on A's leader:

1. It reads the contact (it must be waiting, ringing or being served).
2. It sends B's leader, by NATS request/reply on ``kefu.cmd.<B>``, a contact creation in
   B's queue with the contact's customer, value tier, attributes (IVR data among them),
   the hand-off note and its original arrival time (attributes ``handover.*``), sealed
   with the cluster's key for a caller standing for A's router. Its Idempotency-Key is
   derived from A, the contact and the hop (``handover.hops``), so the same hop sent again
   (a timeout, a retry after either router failed over) is applied once in B and answers
   the same remote contact.
3. Only once B has taken it does A end it (the command
   :class:`~kefu.service.routing.commands.TransferOut`, the event
   :class:`~kefu.domain.events.ContactTransferredOut`), counted as transferred out in
   A's reports.

A chat travels with its conversation: the creation goes inside an
:class:`~kefu.service.channels.AdoptConversation` with a copy of the conversation (its
transcript, the customer's name and identifiers, its notes; the IVR's data are among the
contact's attributes), and step 3 is :class:`~kefu.service.channels.MoveConversationOut`,
which also closes the conversation here, recording where it went (the customer's widget
is told, and reconnects there). A message that came in between the copy and step 3 makes
step 3 refuse; the copy is taken and sent again under the same key, and B appends what it
lacks. Another conversation (an e-mail, an SMS; one with attachments) is refused before
step 2 (:class:`~kefu.service.errors.ConversationStays`): its next messages come through
A's mailboxes and numbers, its files are in A's storage.

If B refuses (:class:`~kefu.service.errors.HandoverRefused`, with B's error id) or does not
answer (:class:`~kefu.service.errors.HandoverUnreachable`), nothing is written in A: the
contact stays where it was. The steps are not one transaction: a contact that ends in A
(abandoned, completed) in the instant between steps 2 and 3 is then in both domains;
step 3 is refused and the caller is told so (``handover_incomplete`` in the details of
the error raised).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client as Nats

from kefu.adapters.cluster.bus import REQUEST_TIMEOUT_S, CommandClient, RemoteError
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.domain.errors import KefuError, ValidationError
from kefu.domain.model import ARRIVED_AT, ContactState, original_arrival
from kefu.domain.routing.handover import HANDED_OVER_FROM
from kefu.domain.tiers import applied_boost, customer_tier
from kefu.service import RoutingEngine
from kefu.service.channels import (
    AdoptConversation,
    ChannelService,
    ConversationChanged,
    MoveConversationOut,
    carry_out,
)
from kefu.service.commands import Command
from kefu.service.engine import Authorize
from kefu.service.engine_state import EngineState
from kefu.service.errors import (
    ConversationStays,
    HandoverRefused,
    HandoverUnreachable,
    ServiceUnavailable,
)
from kefu.service.routing import commands as rc
from kefu.service.security import ROLE_SCOPES, Principal, Role

__all__ = ["HOPS", "DomainHandover", "handover_hop", "handover_key", "router_principal"]

log = logging.getLogger(__name__)

HOPS = "handover.hops"
"""The attribute counting the routing domains a contact has left so far."""
PREFIX = "handover."
CONVERSATION = "conversation_id"
"""The attribute naming the conversation of a contact made from one (a chat, an e-mail)."""
MOVE_TRIES = 3
"""Copies of a conversation sent before giving up, when messages keep coming in between."""
TRANSFERRED_OUT = ContactState.TRANSFERRED_OUT.value


def router_principal(domain: str) -> Principal:
    """The caller a router stands as when it hands a contact to another domain's router
    (an administrator of no particular site, with the scopes of one)."""
    return Principal(
        f"router.{domain}",
        f"router.{domain}",
        Role.ADMIN,
        frozenset(),
        scopes=ROLE_SCOPES[Role.ADMIN],
        via="cluster",
    )


def handover_key(from_domain: str, contact_id: str, hop: int) -> str:
    """The Idempotency-Key of hop ``hop`` of ``contact_id`` leaving ``from_domain`` (one
    of the router principal's keys, as the receiving router checks)."""
    return f"router.{from_domain}:handover:{from_domain}:{contact_id}:{hop}"


class DomainHandover:
    """Hands contacts of ``engine`` (the leader of ``domain``) to other routing domains'
    routers over ``nats``; ``secret_key``: the cluster's shared key (it seals the
    commands); ``timeout_s``: seconds to wait for the other router; ``channels``: the
    engine's channel service, whose chats move with their conversations (without it a
    contact with a conversation stays)."""

    def __init__(
        self,
        nats: Nats,
        engine: RoutingEngine,
        domain: str,
        *,
        secret_key: str,
        timeout_s: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
        channels: ChannelService | None = None,
    ) -> None:
        self.nats = nats
        self.engine = engine
        self.channels = channels
        self.domain = domain
        self.secret_key = secret_key
        self.timeout_s = timeout_s
        self.clock = clock
        self.caller = router_principal(domain)

    async def transfer(
        self,
        contact_id: str,
        to_domain: str,
        to_queue_id: str,
        note: str = "",
        *,
        authorize: Authorize | None = None,
    ) -> dict[str, Any]:
        """Hand ``contact_id`` to queue ``to_queue_id`` of ``to_domain``; returns
        ``{"contact": <its view here, ended>, "remote": <B's answer>, "replayed": False}``;
        asked again once done, ``{"contact": ..., "remote": None, "replayed": True}`` and
        nothing is sent. ``authorize`` checks the caller's rights on the contact first
        (under the engine's lock)."""
        if to_domain == self.domain:
            raise ValidationError(
                "a transfer inside the routing domain is a plain transfer", to_domain=to_domain
            )

        def read(engine: RoutingEngine) -> Command | dict[str, Any]:
            if authorize is not None:
                authorize(engine)
            view = engine.router.contact(contact_id)
            if (
                view["state"] == TRANSFERRED_OUT
                and view["path"][-1] == f"{to_domain}/{to_queue_id}"
            ):
                return view  # this hand-over asked again once done (a retry)
            return handover_hop(engine, self.channels, contact_id, to_queue_id, note, self.domain)

        tries = 0
        while True:
            tries += 1
            hop = await self.engine.query(read)
            if isinstance(hop, dict):
                return {"contact": hop, "remote": None, "replayed": True}
            remote = await self._send(hop, contact_id, to_domain)
            if isinstance(hop, AdoptConversation):
                done: Command = MoveConversationOut(
                    contact_id,
                    to_domain,
                    to_queue_id,
                    str(remote["contact_id"]),
                    str(remote["conversation_id"]),
                    len(hop.conversation.messages),
                    note,
                )
            else:
                done = rc.TransferOut(
                    contact_id, to_domain, to_queue_id, str(remote["contact_id"]), note
                )
            try:
                contact = await self.engine.execute(done)
            except KefuError as exc:
                if isinstance(exc, ConversationChanged) and tries < MOVE_TRIES:
                    continue  # a message came in meanwhile: copy the conversation again
                log.error(
                    "contact %s went to %s as %s but could not be ended here: %s",
                    contact_id,
                    to_domain,
                    remote["contact_id"],
                    exc,
                )
                exc.details.setdefault("handover_incomplete", remote["contact_id"])
                raise
            return {"contact": contact, "remote": remote, "replayed": False}

    async def _send(self, hop: Command, contact_id: str, to_domain: str) -> dict[str, Any]:
        """The other domain's answer to ``hop``; its refusal or silence as ours."""
        client = CommandClient(
            self.nats,
            to_domain,
            sealer=CommandSealer(self.secret_key, to_domain),
            timeout_s=self.timeout_s,
            clock=self.clock,
        )
        try:
            try:
                remote: dict[str, Any] = await client.execute(hop, self.caller)
            except RemoteError as exc:
                if isinstance(exc.local(), ServiceUnavailable):  # its leader went: retry
                    raise ServiceUnavailable(exc.message) from exc
                raise
        except RemoteError as exc:
            log.warning("%s refused contact %s: %s", to_domain, contact_id, exc.message)
            raise HandoverRefused(
                f"routing domain {to_domain} refused contact {contact_id}: {exc.message}",
                to_domain=to_domain,
                contact_id=contact_id,
                reason=exc.error_id,
            ) from exc
        except ServiceUnavailable as exc:
            raise HandoverUnreachable(
                f"routing domain {to_domain} did not answer; contact {contact_id} stays",
                to_domain=to_domain,
                contact_id=contact_id,
            ) from exc
        return remote


def handover_hop(
    engine: EngineState,
    channels: ChannelService | None,
    contact_id: str,
    to_queue_id: str,
    note: str,
    domain: str,
) -> Command:
    """What routing domain ``domain`` sends another for ``contact_id`` as it is now (read
    under the engine's lock): its creation there, inside the adoption of its conversation
    for a chat (``channels``: the engine's channel service; without it, or for another
    conversation, :class:`ConversationStays`)."""
    create = _creation(engine, contact_id, to_queue_id, note, domain)
    conversation = create.attributes.get("handover.from_conversation")
    if conversation is None:
        return create
    if channels is None or channels.state.conversation_of.get(contact_id) != conversation:
        queue = engine.router.queues[engine.router.contacts[contact_id].queue_id]
        raise ConversationStays(
            f"contact {contact_id} has a conversation ({conversation}) this router does not "
            "hold, which stays in its routing domain: transfer it inside the domain",
            contact_id=contact_id,
            conversation_id=conversation,
            channel=queue.spec.channel.value,
        )
    carried = carry_out(channels.state, engine.router, conversation, contact_id, domain, note)
    return AdoptConversation(create, carried)


def _creation(
    engine: EngineState, contact_id: str, to_queue_id: str, note: str, domain: str
) -> rc.CreateContact:
    """The creation in the other domain of ``contact_id`` as it is now (under the lock)."""
    contact = engine.router.contacts.get(contact_id)
    view = engine.router.contact(contact_id)  # an unknown contact: UnknownContact
    if contact is None or contact.state not in HANDED_OVER_FROM:
        raise ValidationError(
            f"contact {contact_id} is {view['state']}: only a contact waiting or being "
            "served leaves its routing domain",
            contact_id=contact_id,
            state=view["state"],
        )
    queue = engine.router.queues[contact.queue_id].spec
    hop = int(contact.attributes.get(HOPS, "0")) + 1
    attributes = {k: v for k, v in contact.attributes.items() if not k.startswith(PREFIX)}
    attributes.update(
        {
            HOPS: str(hop),
            "handover.from_domain": domain,
            "handover.from_contact": contact_id,
            "handover.from_queue": contact.queue_id,
            # The original arrival, seconds since the epoch (the first domain's, after
            # several hops): the customer's wait so far, which keeps its place in line.
            ARRIVED_AT: repr(original_arrival(contact.attributes, contact.first_queued_at)),
        }
    )
    conversation = contact.attributes.get(CONVERSATION)
    if conversation is not None:  # a chat: its conversation travels beside (handover_hop)
        attributes["handover.from_conversation"] = conversation
    carried = [*contact.notes, note] if note else list(contact.notes)
    if carried:
        attributes["handover.note"] = "\n".join(carried)
    fields: dict[str, Any] = {
        "queue_id": to_queue_id,
        # The customer's tier and their own priority: the queue's priority and the tier's
        # boost were added on arrival here; the other domain adds its own.
        "value_tier": customer_tier(contact.value_tier, contact.attributes),
        "priority": contact.priority - queue.priority - applied_boost(contact.attributes),
        "customer_id": contact.customer_id,
        "attributes": attributes,
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    return rc.CreateContact(
        **fields,
        idempotency_key=handover_key(domain, contact_id, hop),
        request_hash=digest.hexdigest(),
    )
