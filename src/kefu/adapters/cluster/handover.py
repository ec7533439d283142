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
from kefu.domain.model import ContactState
from kefu.domain.routing.handover import HANDED_OVER_FROM
from kefu.service import RoutingEngine
from kefu.service.engine import Authorize
from kefu.service.engine_state import EngineState
from kefu.service.errors import HandoverRefused, HandoverUnreachable, ServiceUnavailable
from kefu.service.routing import commands as rc
from kefu.service.security import ROLE_SCOPES, Principal, Role

__all__ = ["HOPS", "DomainHandover", "handover_key", "router_principal"]

log = logging.getLogger(__name__)

HOPS = "handover.hops"
"""The attribute counting the routing domains a contact has left so far."""
PREFIX = "handover."
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
    commands); ``timeout_s``: seconds to wait for the other router."""

    def __init__(
        self,
        nats: Nats,
        engine: RoutingEngine,
        domain: str,
        *,
        secret_key: str,
        timeout_s: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.nats = nats
        self.engine = engine
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

        def read(engine: RoutingEngine) -> rc.CreateContact | dict[str, Any]:
            if authorize is not None:
                authorize(engine)
            view = engine.router.contact(contact_id)
            if (
                view["state"] == TRANSFERRED_OUT
                and view["path"][-1] == f"{to_domain}/{to_queue_id}"
            ):
                return view  # this hand-over asked again once done (a retry)
            return _creation(engine, contact_id, to_queue_id, note, self.domain)

        create = await self.engine.query(read)
        if isinstance(create, dict):
            return {"contact": create, "remote": None, "replayed": True}
        client = CommandClient(
            self.nats,
            to_domain,
            sealer=CommandSealer(self.secret_key, to_domain),
            timeout_s=self.timeout_s,
            clock=self.clock,
        )
        try:
            try:
                remote = await client.execute(create, self.caller)
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
        done = rc.TransferOut(contact_id, to_domain, to_queue_id, str(remote["contact_id"]), note)
        try:
            contact = await self.engine.execute(done)
        except KefuError as exc:
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
            # The original arrival, seconds since the epoch: the customer's wait so far.
            "handover.arrived_at": repr(contact.first_queued_at),
        }
    )
    carried = [*contact.notes, note] if note else list(contact.notes)
    if carried:
        attributes["handover.note"] = "\n".join(carried)
    fields: dict[str, Any] = {
        "queue_id": to_queue_id,
        "value_tier": contact.value_tier,
        # The queue's own priority was added on arrival here; the other queue adds its own.
        "priority": contact.priority - queue.priority,
        "customer_id": contact.customer_id,
        "attributes": attributes,
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    return rc.CreateContact(
        **fields,
        idempotency_key=handover_key(domain, contact_id, hop),
        request_hash=digest.hexdigest(),
    )
