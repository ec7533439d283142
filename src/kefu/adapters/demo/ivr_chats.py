"""The demo's synthetic chat customers going through the bank flow before they queue: they
pick their language, give a card number and its PIN from the demo bank, try a self-service
and either leave satisfied or ask for an agent (who then sees what the IVR learned).

Each customer writes through the channel service, as a person in the widget does, with a
pause of a few seconds between answers; the hand-off's contact carries the synthetic mark,
so only simulated agents take it."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random

from kefu.adapters.demo.seed import SYNTHETIC
from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import KefuError
from kefu.domain.model import Channel
from kefu.service.channels import ChannelService, Inbound

__all__ = ["IvrChatCustomers"]

log = logging.getLogger(__name__)


class IvrChatCustomers:
    """Synthetic chats greeted by ``flow_id`` (the bank flow's answers); ``pause_s`` is the
    range of the think time between two answers (seconds); ``agent_share`` of those who
    tried a self-service ask for an agent after it."""

    def __init__(
        self,
        channels: ChannelService,
        flow_id: str,
        rng: random.Random,
        *,
        pause_s: tuple[float, float] = (1.0, 4.0),
        agent_share: float = 0.5,
    ) -> None:
        self.channels = channels
        self.flow_id = flow_id
        self.rng = rng
        self.pause_s = pause_s
        self.agent_share = agent_share
        self.accounts = list(FakeBank().accounts.values())
        self._run = f"{rng.randrange(16**8):08x}"
        self._count = itertools.count(1)

    def script(self, chinese: bool) -> list[str]:
        """The answers of one customer: language, card, PIN, a service, then agent or bye."""
        account = self.rng.choice(self.accounts)
        answers = ["您好" if chinese else "Hello", "1" if chinese else "2"]
        if self.rng.random() < 0.1:  # straight to an agent, as some callers do
            return [*answers, "人工" if chinese else "agent"]
        service = self.rng.choice("1234")
        answers += [account.card, account.pin, service]
        if service == "2":  # lost card: confirm the block
            answers.append("1")
        answers.append("2" if self.rng.random() < self.agent_share else "3")
        return answers

    async def arrive(self, name: str, chinese: bool) -> str | None:
        """One customer's chat; the contact id when it reached a queue, else None."""
        number = next(self._count)
        ident = Identifier(IdentifierKind.CHAT_COOKIE, f"demo-{self._run}-{number}")
        conv_id = None
        for n, text in enumerate(self.script(chinese), start=1):
            if n > 1:
                await asyncio.sleep(self.rng.uniform(*self.pause_s))
            inbound = Inbound(
                Channel.CHAT,
                (ident,),
                text,
                self.channels.engine.now(),
                f"chat:{ident.value}:{n}",
                sender_name=name,
                metadata={SYNTHETIC[0]: SYNTHETIC[1], "ivr_flow": self.flow_id},
            )
            try:
                receipt = await self.channels.receive(inbound)
            except KefuError as exc:
                log.debug("demo chat refused: %s", exc)
                return None
            conv_id = receipt.conversation_id
            if receipt.contact_id is not None:
                return receipt.contact_id
        if conv_id is None:
            return None
        return await self.channels.read(lambda _e, state: state.contact_of.get(conv_id))
