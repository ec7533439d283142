"""The service layer: commands, handlers and the routing engine around the domain's router.

Ports (:mod:`kefu.service.ports`) say what storage and scheduling it needs; adapters
implement them; :mod:`kefu.bootstrap` wires the live or the test implementations.
"""

from kefu.service.engine import RoutingEngine, Transaction
from kefu.service.errors import IdempotencyKeyReused, ServiceUnavailable, UnknownSite
from kefu.service.views import Page

__all__ = [
    "IdempotencyKeyReused",
    "Page",
    "RoutingEngine",
    "ServiceUnavailable",
    "Transaction",
    "UnknownSite",
]
