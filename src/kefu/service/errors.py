"""Errors the service layer adds to the domain's tree (:mod:`kefu.domain.errors`)."""

from __future__ import annotations

from kefu.domain.errors import Conflict, KefuError, NotFound

__all__ = ["IdempotencyKeyReused", "ServiceUnavailable", "UnknownSite"]


class UnknownSite(NotFound):
    error_id = "unknown_site"


class IdempotencyKeyReused(Conflict):
    """An ``Idempotency-Key`` sent again with a different request."""

    error_id = "idempotency_key_reused"


class ServiceUnavailable(KefuError):
    """The store could not be written: nothing was acknowledged; retry later."""

    error_id = "service_unavailable"
