"""One engine command for the channel service: ``ChannelWork(work)`` runs ``work(tx)`` under
the engine's lock, so linking a customer, filing a message and creating its contact in the
router are one transaction, stored together or not at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kefu.service.commands import Command
from kefu.service.engine import Transaction
from kefu.service.handlers import handles

__all__ = ["ChannelWork"]


@dataclass(frozen=True, slots=True)
class ChannelWork(Command):
    """Run ``work(tx)`` as a command; what it raises refuses the command."""

    work: Callable[[Transaction], Awaitable[Any]]
    name: str = "channel"


@handles(ChannelWork)
async def _run(tx: Transaction, cmd: ChannelWork) -> Any:
    return await cmd.work(tx)
