"""A simulated center with the IVR greeting chat and SMS: the bank flow, a chat and an SMS
queue, one agent; the customer's side of each channel keeps what the center sent."""

from __future__ import annotations

from typing import Any

from kefu.adapters.ivr.bank_actions import BankAccount, FakeBank
from kefu.bootstrap import Simulation, build_simulation
from kefu.config import Settings
from kefu.domain.customers import Direction, Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service import RoutingEngine
from kefu.service.channels import ChannelState, Inbound, OutboundReply
from kefu.service.routing import commands as c

START = 1_700_000_000.0


class Phone:
    """A reply gateway keeping what the center sent (chat socket or SMS provider)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.sent: list[OutboundReply] = []
        self.count = 0
        self.state: ChannelState | None = None

    def new_external_id(self) -> str:
        self.count += 1
        return f"{self.prefix}-{self.count}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)

    def texts(self, conv_id: str) -> list[str]:
        """What the center told the customer in ``conv_id``, as stored (the chat socket
        pushes stored messages; other channels' gateways send them too: see ``sent``)."""
        assert self.state is not None
        messages = self.state.conversation(conv_id).messages
        return [m.text for m in messages if m.direction is Direction.OUTBOUND]


def account() -> BankAccount:
    """The first account of the demo bank the platform's IVR checks against."""
    return next(iter(FakeBank().accounts.values()))


class Customer:
    """One customer on ``channel`` (chat cookie or mobile number), writing in turns."""

    def __init__(self, sim: Simulation, channel: Channel, ident: Identifier) -> None:
        self.sim, self.channel, self.ident = sim, channel, ident
        self.count = 0
        self.conversation_id = ""

    async def say(self, text: str) -> Any:
        self.count += 1
        inbound = Inbound(
            self.channel,
            (self.ident,),
            text,
            self.sim.clock.now(),
            f"{self.channel.value}:{self.ident.value}:{self.count}",
        )
        receipt = await self.sim.channels.receive(inbound)
        self.conversation_id = receipt.conversation_id
        await self.sim.settle()
        return receipt


async def open_center(sim: Simulation) -> tuple[Phone, Phone]:
    e = sim.engine.execute
    await e(c.CreateSite("sh", "上海"))
    await e(c.DefineQueue(QueueSpec("chat", Channel.CHAT, aht_s=120), "sh"))
    await e(c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=300), "sh"))
    await e(c.DefineAgent(AgentSpec("a1", site_id="sh", name="小王")))
    chat, sms = Phone("chat"), Phone("sms")
    chat.state = sms.state = sim.channels.state
    sim.channels.set_gateway(Channel.CHAT, chat)
    sim.channels.set_gateway(Channel.SMS, sms)
    return chat, sms


def simulation() -> Simulation:
    return build_simulation(Settings(env="test", ivr_flows="chat=bank,sms=bank"), start=START)


def chat_customer(sim: Simulation, token: str = "tok-ivr-1") -> Customer:
    return Customer(sim, Channel.CHAT, Identifier(IdentifierKind.CHAT_COOKIE, token))


def contact_of(engine: RoutingEngine, conv_id: str, sim: Simulation) -> Any:
    contact_id = sim.channels.state.contact_of.get(conv_id)
    return None if contact_id is None else engine.router.contacts[contact_id]
