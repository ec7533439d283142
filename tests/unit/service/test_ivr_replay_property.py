"""Property: whatever a chat customer answers, and however long it stays silent, the IVR
sessions rebuilt from the stored log equal the live ones (state, question, timer), each
conversation reaches a queue at most once, and a PIN typed at the PIN question is stored
nowhere."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from ivr_world import account, chat_customer, open_center, simulation

from kefu.service.ivr import IvrSessions

ACCT = account()
ANSWERS = [
    "1",
    "2",
    "3",
    "4",
    "0",
    "9",
    "余额",
    "balance",
    "挂失",
    "hello",
    "人工",
    ACCT.card,
    ACCT.pin,
]


@settings(max_examples=20, deadline=None)
@given(
    prefix=st.sampled_from([[], ["2"], ["1", ACCT.card], ["2", ACCT.card, ACCT.pin]]),
    turns=st.lists(
        st.tuples(st.sampled_from(ANSWERS), st.sampled_from([0.0, 5.0, 200.0])), max_size=10
    ),
)
def test_given_any_answers_and_silences_when_the_log_is_replayed_then_the_same_sessions(
    prefix: list[str], turns: list[tuple[str, float]]
) -> None:
    async def scenario() -> None:
        async with simulation() as sim:
            await open_center(sim)
            assert sim.platform.ivr is not None
            me = chat_customer(sim, "tok-prop")
            await me.say("hi")
            wing = sim.platform.ivr
            pin_in_clear = False  # typed where no secret was asked: just digits, kept
            card_to_agent = False  # typed once out of the flow: the IVR does not see it
            # A known walk first (so deep questions are reached), then anything.
            for text, silence in [(p, 0.0) for p in prefix] + turns:
                session = wing.sessions.get(me.conversation_id)
                secret = session is not None and session.asked is not None and session.asked.secret
                pin_in_clear |= text == ACCT.pin and not secret
                card_to_agent |= text == ACCT.card and session is None  # after the flow
                await me.say(text)
                await sim.step(silence)

            def compare() -> None:
                wing = sim.platform.ivr
                assert wing is not None
                state = sim.channels.state
                fresh = IvrSessions(lambda *_a: None)
                fresh.load([r for r in state.records if r.stream == "ivr"])
                live = wing.sessions.sessions
                assert fresh.sessions.keys() == live.keys()
                for conv_id, session in live.items():
                    again = fresh.sessions[conv_id]
                    assert (again.state, again.asked, again.due) == (
                        session.state.public(),
                        session.asked,
                        session.due,
                    )
                assert fresh.next_due() == wing.sessions.next_due()
                linked = list(state.contact_of.values())
                assert len(linked) == len(set(linked))
                stored = json.dumps([dict(r.data) for r in state.records], ensure_ascii=False)
                assert pin_in_clear or ACCT.pin not in stored
                if not card_to_agent:  # wherever in the flow it was typed
                    assert ACCT.card not in stored
                    texts = [msg.text for msg in state.conversation(me.conversation_id).messages]
                    assert not any(ACCT.card in t for t in texts)

            await sim.engine.query(lambda _e: compare())

    asyncio.run(scenario())
