"""Contacts finished long ago leave memory when a snapshot is taken: the engine restarts
from that snapshot without them, the channel state still closes their conversations, and
the contacts still in progress are untouched."""

from __future__ import annotations

import pytest
from test_channels_service import Desk, mail, run

from kefu.adapters.storage.snapshots import MemorySnapshots
from kefu.domain.errors import UnknownContact
from kefu.service.channels.commands import CloseConversation
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.snapshots import SnapshotPolicy, Snapshotter

DAY_S = 86_400.0


def test_given_a_contact_finished_two_days_ago_when_snapshotted_then_it_leaves_memory() -> None:
    async def scenario(desk: Desk) -> None:
        keeper = Snapshotter(MemorySnapshots(), SnapshotPolicy(every=0, retain_finished_s=DAY_S))
        desk.engine.snapshots = keeper
        old = await desk.channels.receive(mail("上个月的账单", 1))
        await desk.engine.execute(c.AbandonContact(old.contact_id or ""))
        await desk.settle()
        desk.clock.advance(2 * DAY_S)
        waiting = await desk.channels.receive(mail("新问题", 2))
        snapshot = await desk.engine.snapshot()
        assert snapshot is not None and snapshot.seq == desk.engine.last_seq
        assert set(desk.engine.router.contacts) == {waiting.contact_id}
        with pytest.raises(UnknownContact):
            await desk.engine.query(views.get_contact, old.contact_id or "")
        # Closing the old conversation again (a late command) still works without it.
        await desk.engine.execute(
            CloseConversation(old.conversation_id, old.contact_id or "", "abandoned")
        )
        assert desk.channels.state.conversation(old.conversation_id).outcome == "abandoned"

        await desk.engine.stop()
        await desk.engine.start()
        assert keeper.restored_from == snapshot.seq and keeper.tail == 0
        assert set(desk.engine.router.contacts) == {waiting.contact_id}

    run(scenario)
