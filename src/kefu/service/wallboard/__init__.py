"""The wallboard wing: the live wallboard's figures.

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
    from kefu.service.wallboard.views import (
        AgentFigures,
        Chart,
        KpiFigures,
        QueueFigures,
        WallboardSnapshot,
    )

__all__ = [
    "HISTORY_S",
    "SL_INTERVAL_S",
    "AgentFigures",
    "Chart",
    "Figures",
    "KpiFigures",
    "QueueFigures",
    "WallboardProjection",
    "WallboardSnapshot",
]

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "Figures": ".projection",
            "HISTORY_S": ".projection",
            "SL_INTERVAL_S": ".projection",
            "WallboardProjection": ".projection",
            "AgentFigures": ".views",
            "Chart": ".views",
            "KpiFigures": ".views",
            "QueueFigures": ".views",
            "WallboardSnapshot": ".views",
        },
    )
