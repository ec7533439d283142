"""E-mail addresses → queues as data an admin changes: a message to a routed mailbox
starts its contact in that mailbox's e-mail queue (before the configured
``ChannelOptions.queues`` and the first e-mail queue by id).

A change is the command :class:`SetAddressRoute` (a queue to route, none to remove); its
handler checks it before anything changes, records it in the ``address_route`` stream of
the channel log and in the audit log (before and after). :class:`AddressBook` is a part of
the engine's transaction: loading replays the stream, so a restart routes the same way, and
the next message uses a change (no restart).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import AlreadyExists, NotFound
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.model import Channel
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction

__all__ = ["ADDRESS_STREAM", "AddressBook", "SetAddressRoute"]

ADDRESS_STREAM = "address_route"
_MAILBOX = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;]+\.[^@\s<>,;]+$")

Log = Callable[[float, str, str, str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class SetAddressRoute(Command):
    """Route mail to ``address`` (a mailbox, any case) into the e-mail queue ``queue_id``;
    ``None`` removes the route."""

    address: str
    queue_id: str | None
    exists: bool | None = None
    """``True``: refused (404) unless the route exists; ``False``: refused (409) if it
    does (the API's update and create); ``None``: either (the admin page)."""


class AddressBook:
    """The routes: mailbox (lower case) → queue id, from the ``address_route`` stream."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self.routes: dict[str, str] = {}
        """Read by the inbound handler for every new message (a live mapping)."""

    def handlers(self) -> dict[type[Command], Handler]:
        return {SetAddressRoute: self.set}

    async def set(self, tx: Transaction, cmd: SetAddressRoute) -> dict[str, Any]:
        address = cmd.address.strip().lower()
        if len(address) > 254 or not _MAILBOX.match(address):
            raise DomainValidationError(
                f"{cmd.address[:64]!r} is not a mailbox address",
                text_key="error.route_address",
                field="address",
                value=cmd.address[:64],
            )
        before = self.routes.get(address)
        if cmd.exists is True and before is None:
            raise NotFound(
                f"{address} has no route", text_key="error.route_unknown", address=address
            )
        if cmd.exists is False and before is not None:
            raise AlreadyExists(
                f"{address} has a route already (to {before})",
                text_key="error.route_exists",
                address=address,
                queue_id=before,
            )
        if cmd.queue_id is not None:
            queue = tx.router.queues.get(cmd.queue_id)
            if queue is None or queue.spec.channel is not Channel.EMAIL:
                raise DomainValidationError(
                    f"{cmd.queue_id[:64]!r} is not an e-mail queue",
                    text_key="error.route_queue",
                    field="queue_id",
                    queue_id=cmd.queue_id[:64],
                )
            self.routes[address] = cmd.queue_id
        elif before is None:
            raise DomainValidationError(
                f"{address} has no route to remove",
                text_key="error.route_missing",
                field="address",
                address=address,
            )
        else:
            del self.routes[address]
        data = {"address": address, "queue_id": cmd.queue_id}
        self._log(tx.now, ADDRESS_STREAM, "set", address, data)
        tx.audit(
            "address_route.update",
            "address_route",
            address,
            None,
            None if before is None else {"address": address, "queue_id": before},
            None if cmd.queue_id is None else data,
        )
        return data

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == ADDRESS_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """No routes, then each recorded change in ``seq`` order."""
        self.routes.clear()
        for record in records:
            address, queue_id = record.data["address"], record.data["queue_id"]
            if queue_id is None:
                self.routes.pop(address, None)
            else:
                self.routes[address] = queue_id

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # a route to a queue removed later is skipped when read

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
