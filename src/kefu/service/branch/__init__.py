"""The branch wing: queue tickets of a branch hall, issued at a kiosk and called by counters;
what the kiosk, the counters and the hall display show are typed read models
(:mod:`~kefu.service.branch.views`) rendered with ``to_json``.

Its modules are imported on first use (:mod:`kefu.service._lazy`); callers outside the
service import the names below, not the modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.service._lazy import lazy_names

if TYPE_CHECKING:
    from kefu.service.branch.counters import IdleReason, counter_number, idle_reason
    from kefu.service.branch.desk import BranchDesk
    from kefu.service.branch.views import (
        Called,
        CounterView,
        HallDisplay,
        ServiceFigures,
        TicketView,
    )

__all__ = [
    "BranchDesk",
    "Called",
    "CounterView",
    "HallDisplay",
    "IdleReason",
    "ServiceFigures",
    "TicketView",
    "counter_number",
    "idle_reason",
]

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "BranchDesk": ".desk",
            "Called": ".views",
            "CounterView": ".views",
            "HallDisplay": ".views",
            "IdleReason": ".counters",
            "ServiceFigures": ".views",
            "TicketView": ".views",
            "counter_number": ".counters",
            "idle_reason": ".counters",
        },
    )
