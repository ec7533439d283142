"""Customer visibility for any layout of customers over two sites: a supervisor sees exactly
the customers with a contact at one of its sites (an admin all of them), search never
returns any other, and a non-admin may merge two customers only when their sites agree."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.bootstrap import channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind, UnknownCustomer
from kefu.domain.model import Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service import Forbidden, RoutingEngine
from kefu.service.channels import (
    ChannelService,
    Inbound,
    OutboundReply,
    check_customer,
    check_merge,
    customer_sites,
    search_customers,
    sees_customer,
)
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Principal, Role
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

# sh takes SMS, bj takes e-mail: a customer writing on both has a contact at each site.
CHANNEL_OF = {"sh": Channel.SMS, "bj": Channel.EMAIL}
QUEUE_OF = {"sh": "sms-sh", "bj": "mail-bj"}


class Outbox:
    """A reply gateway that keeps nothing (wait notices go nowhere)."""

    def __init__(self) -> None:
        self.count = 0

    def new_external_id(self) -> str:
        self.count += 1
        return f"<out-{self.count}@kefu.test>"

    async def send(self, _reply: OutboundReply) -> None:
        return None


def principal(role: Role, *sites: str) -> Principal:
    name = f"{role}-{'-'.join(sites)}"
    return Principal(name, name, role, frozenset(sites), scopes=ROLE_SCOPES[role])


CALLERS = [
    principal(Role.ADMIN),
    principal(Role.SUPERVISOR, "sh"),
    principal(Role.SUPERVISOR, "bj"),
    principal(Role.SUPERVISOR, "sh", "bj"),
]

layouts = st.lists(
    st.sets(st.sampled_from(["sh", "bj"]), min_size=1).map(sorted), min_size=1, max_size=5
)


async def build(layout: list[list[str]]) -> tuple[RoutingEngine, ChannelService]:
    store = InMemoryUnitOfWorkFactory()
    clock = ManualClock(1_700_000_000.0)
    engine = routing_engine(
        store, clock, scheduler=ManualScheduler(), config=RouterConfig(offer_timeout_s=30.0)
    )
    gateways = {Channel.SMS: Outbox(), Channel.EMAIL: Outbox()}
    channels = channel_wing(engine, gateways=gateways)
    await engine.start()
    await channels.start()
    for site, name in (("sh", "上海"), ("bj", "北京")):
        await engine.execute(c.CreateSite(site, name))
        spec = QueueSpec(QUEUE_OF[site], CHANNEL_OF[site], aht_s=120)
        await engine.execute(c.DefineQueue(spec, site))
    for n, sites in enumerate(layout):
        sender = (
            Identifier(IdentifierKind.PHONE, f"1380013{n:04d}"),
            Identifier(IdentifierKind.EMAIL, f"kehu{n}@example.cn"),
        )
        for site in sites:
            inbound = Inbound(
                CHANNEL_OF[site],
                sender,
                f"客户{n}在{site}的问题",
                clock.now(),
                f"<m{n}-{site}@customer.example>",
                sender_name=f"客户{n}",
                subject="问题" if site == "bj" else "",
                topic=QUEUE_OF[site],
            )
            await channels.receive(inbound)
    return engine, channels


@settings(max_examples=30, deadline=None)
@given(layout=layouts)
def test_given_any_layout_then_callers_see_search_and_merge_only_their_sites_customers(
    layout: list[list[str]],
) -> None:
    async def scenario() -> None:
        engine, channels = await build(layout)
        try:
            state = channels.state
            ids = [c.customer_id for c in state.directory.customers()]
            assert len(ids) == len(layout)
            sites = {cid: customer_sites(engine, state, cid) for cid in ids}
            assert sorted(sorted(s) for s in sites.values()) == sorted(layout)
            for caller in CALLERS:
                expected = {cid for cid in ids if caller.is_admin or sites[cid] & caller.sites}
                seen = {cid for cid in ids if sees_customer(engine, state, caller, cid)}
                assert seen == expected
                found = search_customers(engine, state, caller, "example.cn")
                assert {f.customer_id for f in found} == expected
                for cid in set(ids) - expected:
                    with pytest.raises(UnknownCustomer):
                        check_customer(engine, state, caller, cid)
            both = CALLERS[3]
            for a in ids:
                for b in ids:
                    if a == b:
                        continue
                    check_merge(engine, state, CALLERS[0], a, b)  # an admin: any pair
                    if sites[a] == sites[b]:
                        check_merge(engine, state, both, a, b)
                    else:
                        with pytest.raises(Forbidden):
                            check_merge(engine, state, both, a, b)
        finally:
            await channels.stop()
            await engine.stop()

    asyncio.run(scenario())
