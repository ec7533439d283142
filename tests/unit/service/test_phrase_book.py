"""The phrase book's command: each refusal names its field and changes nothing; a change
is audited and reaches the listeners only after it is stored."""

from __future__ import annotations

import asyncio

import pytest

from kefu.bootstrap import build_test
from kefu.domain.errors import AlreadyExists, ValidationError
from kefu.domain.model import Channel, QueueSpec
from kefu.service.desktop import DefinePhrase
from kefu.service.routing import commands as c

OK = {"en": "Hi", "zh": "您好"}
REFUSED = [
    (DefinePhrase("mood", "x", OK), ValidationError, "kind"),
    (DefinePhrase("reason", "Has Caps", OK), ValidationError, "code"),
    (DefinePhrase("tier", "gold", OK), ValidationError, "code"),
    (DefinePhrase("reason", "nap", {"en": "Nap"}), ValidationError, "text_zh"),
    (DefinePhrase("reason", "nap", {"en": "N" * 65, "zh": "午睡"}), ValidationError, "text_en"),
    (
        DefinePhrase("reason", "nap", {"en": "Nap {agent}", "zh": "午睡"}),
        ValidationError,
        "text_en",
    ),
    (DefinePhrase("canned", "hi", {"en": "Hi {name}", "zh": "您好"}), ValidationError, "text_en"),
    (DefinePhrase("reason", "nap", {"en": "Nap", "zh": "午睡"}, ("q",)), ValidationError, "queues"),
    (DefinePhrase("canned", "hi", OK, ("nowhere",)), ValidationError, "queues"),
    (DefinePhrase("canned", "greeting", OK, create=True), AlreadyExists, "code"),
]


def test_given_bad_phrases_when_defined_then_each_is_refused_by_field_and_nothing_changes() -> None:
    platform = build_test()
    assert platform.channel_site is not None
    book = platform.channel_site.desktops.phrases
    told: list[int] = []
    book.changed.append(lambda: told.append(1))

    async def scenario() -> None:
        await platform.engine.start()
        await platform.engine.execute(c.CreateSite("sh", "上海"))
        await platform.engine.execute(c.DefineQueue(QueueSpec("q", Channel.CHAT), "sh"))
        before = book.vocabulary()
        for command, error, field in REFUSED:
            with pytest.raises(error) as refused:
                await platform.engine.execute(command)
            assert refused.value.details["field"] == field, command
            assert (refused.value.text_key or "").startswith("error."), command
        assert book.vocabulary() == before and told == []
        await platform.engine.execute(DefinePhrase("canned", "hi", OK, ("q",)))
        assert told == [1] and book.vocabulary().canned[-1].queues == ("q",)
        await platform.engine.stop()

    asyncio.run(scenario())
