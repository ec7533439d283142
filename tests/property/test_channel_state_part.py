"""Invariant of the channel state as a part of the engine's transaction: whatever the
commands (accepted, refused, or lost to a failed write), the state in memory is the state
a fresh engine rebuilds from the store."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.bootstrap import channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service import commands as c
from kefu.service.channel_ports import Inbound, OutboundReply
from kefu.service.channel_state import ChannelState
from kefu.service.channels import ChannelService
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

T0 = 1_700_000_000.0


class Gateway:
    def __init__(self) -> None:
        self.count = 0

    def new_external_id(self) -> str:
        self.count += 1
        return f"out-{self.count}"

    async def send(self, reply: OutboundReply) -> None:
        return None


step = st.one_of(
    st.tuples(
        st.just("message"),
        st.sampled_from([Channel.EMAIL, Channel.SMS, Channel.SOCIAL]),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(st.just("reply"), st.integers(0, 5), st.sampled_from(["a1", "a2"]), st.booleans()),
    st.tuples(st.just("wrap"), st.integers(0, 5), st.sampled_from(["a1", "a2"]), st.booleans()),
    st.tuples(st.just("ready"), st.sampled_from(["a1", "a2"]), st.just(0), st.booleans()),
)


def _snapshot(state: ChannelState) -> dict[str, Any]:
    conv_ids = sorted(state.routes)
    return {
        "rows": [state.row(conv_id) for conv_id in conv_ids],
        "contact_of": dict(state.contact_of),
        "notes": {k: list(v) for k, v in state.notes.items()},
        "deliveries": {k: dict(v) for k, v in state.deliveries.items()},
        "customers": [(x.customer_id, x.name) for x in state.directory.customers()],
        "seq": state.seq,
    }


async def _run(steps: list[tuple[Any, ...]]) -> tuple[dict[str, Any], dict[str, Any]]:
    store = InMemoryUnitOfWorkFactory()
    clock = ManualClock(T0)
    counter = iter(range(1, 10_000))
    engine = routing_engine(
        store, clock, scheduler=ManualScheduler(), new_id=lambda: f"c{next(counter)}"
    )
    gateway = Gateway()
    gateways = {Channel.EMAIL: gateway, Channel.SMS: gateway}
    channels: ChannelService = channel_wing(engine, gateways=gateways)
    await engine.start()
    await channels.start()
    await engine.execute(c.CreateSite("sh", "上海"))
    for spec in (QueueSpec("mail", Channel.EMAIL), QueueSpec("sms", Channel.SMS)):
        await engine.execute(c.DefineQueue(spec, "sh"))
    for agent in ("a1", "a2"):
        await engine.execute(c.DefineAgent(AgentSpec(agent, site_id="sh")))
    for n, (kind, a, b, fail) in enumerate(steps):
        clock.advance(7.0)
        store.store.fail_next_commit = fail
        conv_ids = sorted(channels.state.routes)
        try:
            if kind == "message":
                ident = (
                    Identifier(IdentifierKind.EMAIL, f"user{b}@example.com")
                    if a is Channel.EMAIL
                    else Identifier(IdentifierKind.PHONE, f"1380013800{b}")
                    if a is Channel.SMS
                    else Identifier(IdentifierKind.SOCIAL, f"weibo:@客户{b}")
                )
                inbound = Inbound(a, (ident,), f"第{n}条", clock.now(), f"m{n}")
                await channels.receive(inbound)
            elif kind == "ready":
                await engine.execute(c.SetAgentState(a, "ready"))
            elif conv_ids:
                conv_id = conv_ids[a % len(conv_ids)]
                if kind == "reply":
                    await channels.reply(b, conv_id, f"回复{n}")
                else:
                    await channels.wrap_up(b, conv_id, "resolved")
        except KefuError:
            pass  # refused (or the write failed): the invariant must hold all the same
        store.store.fail_next_commit = False
        await channels.idle()
    await engine.query(lambda _engine: None)
    live = _snapshot(channels.state)
    await channels.stop()
    await engine.stop()

    again = routing_engine(store, clock)
    rebuilt = channel_wing(again)
    await again.start()
    await rebuilt.start()
    stored = _snapshot(rebuilt.state)
    await again.stop()
    return live, stored


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=25))
def test_given_any_commands_then_the_channel_state_is_what_the_store_rebuilds(
    steps: list[tuple[Any, ...]],
) -> None:
    live, stored = asyncio.run(_run(steps))
    assert live == stored
