"""The service layer: commands, handlers and the routing engine around the domain's router.

The core (the engine, its transaction and group writer, the ports, the errors) lives in the
modules of this package; the wings around it are sub-packages: :mod:`.routing`,
:mod:`.channels`, :mod:`.security`, :mod:`.branch`, :mod:`.desktop`, :mod:`.wallboard`.
Ports (:mod:`kefu.service.ports`) say what storage and scheduling it needs; adapters
implement them; :mod:`kefu.bootstrap` wires the live or the test implementations. The API
and the pages import the names of this package and of its wings, never their modules.
"""

from kefu.service.commands import Command
from kefu.service.engine import RoutingEngine, Transaction
from kefu.service.errors import (
    Forbidden,
    IdempotencyKeyReused,
    NotAuthenticated,
    NotClustered,
    ServiceUnavailable,
    TooManyRequests,
    UnknownSite,
    UnknownToken,
    UnknownUser,
)
from kefu.service.ports import StoredEvent
from kefu.service.routing.views import Page

__all__ = [
    "Command",
    "Forbidden",
    "IdempotencyKeyReused",
    "NotAuthenticated",
    "NotClustered",
    "Page",
    "RoutingEngine",
    "ServiceUnavailable",
    "StoredEvent",
    "TooManyRequests",
    "Transaction",
    "UnknownSite",
    "UnknownToken",
    "UnknownUser",
]
