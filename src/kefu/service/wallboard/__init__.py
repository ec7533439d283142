"""The wallboard wing: the live wallboard's figures and what supervisors do from it
(alert thresholds, skills lent for the day, messages to agents).

Its modules are imported on first use (:mod:`kefu.service._lazy`); callers outside the
service import the names below, not the modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.service._lazy import lazy_names

if TYPE_CHECKING:
    from kefu.service.wallboard.projection import (
        HISTORY_S,
        SL_INTERVAL_S,
        Figures,
        WallboardProjection,
    )
    from kefu.service.wallboard.supervision import SupervisionDesk
    from kefu.service.wallboard.supervision_records import (
        MAX_NOTICE,
        SUPERVISION_STREAM,
        AgentNotice,
        LendSkill,
        LentSkill,
        MessageAgents,
        QueueAlert,
        ReturnSkill,
        SetQueueAlert,
        breached,
    )
    from kefu.service.wallboard.views import (
        AgentFigures,
        Chart,
        KpiFigures,
        QueueFigures,
        WallboardSnapshot,
    )

__all__ = [
    "HISTORY_S",
    "MAX_NOTICE",
    "SL_INTERVAL_S",
    "SUPERVISION_STREAM",
    "AgentFigures",
    "AgentNotice",
    "Chart",
    "Figures",
    "KpiFigures",
    "LendSkill",
    "LentSkill",
    "MessageAgents",
    "QueueAlert",
    "QueueFigures",
    "ReturnSkill",
    "SetQueueAlert",
    "SupervisionDesk",
    "WallboardProjection",
    "WallboardSnapshot",
    "breached",
]

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "Figures": ".projection",
            "HISTORY_S": ".projection",
            "SL_INTERVAL_S": ".projection",
            "WallboardProjection": ".projection",
            "MAX_NOTICE": ".supervision_records",
            "SUPERVISION_STREAM": ".supervision_records",
            "AgentNotice": ".supervision_records",
            "LendSkill": ".supervision_records",
            "LentSkill": ".supervision_records",
            "MessageAgents": ".supervision_records",
            "QueueAlert": ".supervision_records",
            "ReturnSkill": ".supervision_records",
            "SetQueueAlert": ".supervision_records",
            "SupervisionDesk": ".supervision",
            "breached": ".supervision_records",
            "AgentFigures": ".views",
            "Chart": ".views",
            "KpiFigures": ".views",
            "QueueFigures": ".views",
            "WallboardSnapshot": ".views",
        },
    )
