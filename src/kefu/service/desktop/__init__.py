"""The desktop wing: the agent desktop's read side (typed read models,
:mod:`~kefu.service.desktop.views`, and its socket's frames,
:mod:`~kefu.service.desktop.frames`), its words (reasons, dispositions, canned replies and
tiers as data an admin changes: :mod:`~kefu.service.desktop.phrases`), the value tiers'
routing effects (:mod:`~kefu.service.desktop.tiers`), and the grace
period after an agent's desktops all disappeared.

Its modules are imported on first use (:mod:`kefu.service._lazy`); callers outside the
service import the names below, not the modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.service._lazy import lazy_names

if TYPE_CHECKING:
    from kefu.service.desktop.frames import (
        CustomerTyping,
        DesktopHello,
        MessageDelta,
        NoticeFrame,
        ScreenFrame,
        SoftphoneFrame,
        VocabularyFrame,
    )
    from kefu.service.desktop.grace import DEFAULT_GRACE_S, SESSION_LOST, SessionGrace
    from kefu.service.desktop.phrases import (
        KINDS,
        LANGUAGES,
        PLACEHOLDERS,
        DefinePhrase,
        PhraseBook,
        default_vocabulary,
    )
    from kefu.service.desktop.screens import (
        Desktops,
        DomainHandovers,
        HumanAgents,
        customer_language,
        desktop_view,
        vocabulary,
    )
    from kefu.service.desktop.tiers import TIER_STREAM, SetTierEffect, TierBook
    from kefu.service.desktop.views import (
        AgentTarget,
        ContactFigures,
        CustomerBrief,
        DeskAgent,
        DesktopScreen,
        DomainQueueTarget,
        HeldContact,
        OfferedContact,
        Phrase,
        QueueTarget,
        Vocabulary,
    )

__all__ = [
    "DEFAULT_GRACE_S",
    "KINDS",
    "LANGUAGES",
    "PLACEHOLDERS",
    "SESSION_LOST",
    "TIER_STREAM",
    "AgentTarget",
    "ContactFigures",
    "CustomerBrief",
    "CustomerTyping",
    "DefinePhrase",
    "DeskAgent",
    "DesktopHello",
    "DesktopScreen",
    "Desktops",
    "DomainHandovers",
    "DomainQueueTarget",
    "HeldContact",
    "HumanAgents",
    "MessageDelta",
    "NoticeFrame",
    "OfferedContact",
    "Phrase",
    "PhraseBook",
    "QueueTarget",
    "ScreenFrame",
    "SessionGrace",
    "SetTierEffect",
    "SoftphoneFrame",
    "TierBook",
    "Vocabulary",
    "VocabularyFrame",
    "customer_language",
    "default_vocabulary",
    "desktop_view",
    "vocabulary",
]

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "DEFAULT_GRACE_S": ".grace",
            "DefinePhrase": ".phrases",
            "KINDS": ".phrases",
            "LANGUAGES": ".phrases",
            "PLACEHOLDERS": ".phrases",
            "PhraseBook": ".phrases",
            "default_vocabulary": ".phrases",
            "Desktops": ".screens",
            "HumanAgents": ".screens",
            "SESSION_LOST": ".grace",
            "SessionGrace": ".grace",
            "SetTierEffect": ".tiers",
            "TIER_STREAM": ".tiers",
            "TierBook": ".tiers",
            "AgentTarget": ".views",
            "DomainQueueTarget": ".views",
            "DomainHandovers": ".screens",
            "ContactFigures": ".views",
            "CustomerBrief": ".views",
            "DeskAgent": ".views",
            "DesktopScreen": ".views",
            "HeldContact": ".views",
            "OfferedContact": ".views",
            "Phrase": ".views",
            "QueueTarget": ".views",
            "Vocabulary": ".views",
            "CustomerTyping": ".frames",
            "DesktopHello": ".frames",
            "MessageDelta": ".frames",
            "NoticeFrame": ".frames",
            "ScreenFrame": ".frames",
            "SoftphoneFrame": ".frames",
            "VocabularyFrame": ".frames",
            "customer_language": ".screens",
            "desktop_view": ".screens",
            "vocabulary": ".screens",
        },
    )
