"""The security layer in one object: users, credentials (logins, sessions, tokens) and the
audit log, on one security store and clock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kefu.config import Settings
from kefu.domain.time import Clock
from kefu.service.accounts import Users
from kefu.service.credentials import Credentials, SessionPolicy
from kefu.service.passwords import PasswordPolicy, Passwords
from kefu.service.ports import SecurityUnitOfWorkFactory
from kefu.service.ratelimit import LoginLimits, LoginRateLimiter
from kefu.service.security_ports import AuditEntry, AuditFilter

__all__ = ["Security", "security_from_settings"]

log = logging.getLogger(__name__)


class Security:
    """Users, credentials and the audit log of one platform."""

    def __init__(
        self,
        uow_factory: SecurityUnitOfWorkFactory,
        clock: Clock,
        *,
        passwords: PasswordPolicy | None = None,
        limits: LoginLimits | None = None,
        sessions: SessionPolicy | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.passwords = Passwords(passwords)
        self._listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()
        self.users = Users(uow_factory, clock, self.passwords, on_change=self._changed)
        self.credentials = Credentials(
            uow_factory,
            clock,
            self.passwords,
            self.users,
            LoginRateLimiter(limits),
            sessions,
            on_change=self._changed,
        )

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change of rights in this process (a user changed or
        deactivated, a logout, a token revoked), from the thread that made it; returns the
        function that unsubscribes."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _changed(self) -> None:
        self.credentials.forget()
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                log.exception("a rights listener failed")

    def audit_page(
        self, where: AuditFilter, limit: int = 50, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        """Audit entries, newest first: one page and the number matching."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be ≥ 1 and offset ≥ 0")
        with self.uow_factory() as uow:
            return uow.audit.list(where, limit, offset)


def security_from_settings(
    settings: Settings, uow_factory: SecurityUnitOfWorkFactory, clock: Clock
) -> Security:
    """Users, credentials and the audit log with the settings' argon2 costs, login limits
    and session lifetimes."""
    return Security(
        uow_factory,
        clock,
        passwords=PasswordPolicy(
            settings.password_time_cost,
            settings.password_memory_kib,
            settings.password_parallelism,
        ),
        limits=LoginLimits(
            free_failures=settings.login_failures_before_backoff,
            per_address=settings.login_max_failures_per_address,
            window_s=settings.login_window_s,
            backoff_s=settings.login_backoff_s,
            max_backoff_s=settings.login_max_backoff_s,
        ),
        sessions=SessionPolicy(ttl_s=settings.session_ttl_s, idle_s=settings.session_idle_s),
    )
