"""The desktop wing: the agent desktop's read side (typed read models,
:mod:`~kefu.service.desktop.views`, and its socket's frames,
:mod:`~kefu.service.desktop.frames`) and vocabulary, and the grace period after
an agent's desktops all disappeared.

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
        ScreenFrame,
    )
    from kefu.service.desktop.grace import DEFAULT_GRACE_S, SESSION_LOST, SessionGrace
    from kefu.service.desktop.screens import (
        CANNED_REPLIES,
        DISPOSITIONS,
        NOT_READY_REASONS,
        VALUE_TIERS,
        Desktops,
        HumanAgents,
        customer_language,
        desktop_view,
        vocabulary,
    )
    from kefu.service.desktop.views import (
        AgentTarget,
        ContactFigures,
        CustomerBrief,
        DeskAgent,
        DesktopScreen,
        HeldContact,
        OfferedContact,
        Phrase,
        QueueTarget,
        Vocabulary,
    )

__all__ = [
    "CANNED_REPLIES",
    "DEFAULT_GRACE_S",
    "DISPOSITIONS",
    "NOT_READY_REASONS",
    "SESSION_LOST",
    "VALUE_TIERS",
    "AgentTarget",
    "ContactFigures",
    "CustomerBrief",
    "CustomerTyping",
    "DeskAgent",
    "DesktopHello",
    "DesktopScreen",
    "Desktops",
    "HeldContact",
    "HumanAgents",
    "MessageDelta",
    "OfferedContact",
    "Phrase",
    "QueueTarget",
    "ScreenFrame",
    "SessionGrace",
    "Vocabulary",
    "customer_language",
    "desktop_view",
    "vocabulary",
]

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "CANNED_REPLIES": ".screens",
            "DEFAULT_GRACE_S": ".grace",
            "DISPOSITIONS": ".screens",
            "Desktops": ".screens",
            "HumanAgents": ".screens",
            "NOT_READY_REASONS": ".screens",
            "SESSION_LOST": ".grace",
            "SessionGrace": ".grace",
            "VALUE_TIERS": ".screens",
            "AgentTarget": ".views",
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
            "ScreenFrame": ".frames",
            "customer_language": ".screens",
            "desktop_view": ".screens",
            "vocabulary": ".screens",
        },
    )
