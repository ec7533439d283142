"""Password hashing with argon2id (argon2-cffi) and the password rules.

The cost parameters come from the settings; tests use cheap ones. Verifying against an
unknown user still spends one hash computation, so answer times do not tell which
usernames exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kefu.domain.errors import ValidationError

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "PasswordPolicy", "Passwords"]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """Argon2id costs: ``time_cost`` passes over ``memory_kib`` KiB on ``parallelism``
    lanes (argon2-cffi's defaults: 3, 65536, 4)."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4


class Passwords:
    """Hashes and verifies passwords; checks the length rules."""

    def __init__(self, policy: PasswordPolicy | None = None) -> None:
        p = policy or PasswordPolicy()
        if p.time_cost < 1 or p.parallelism < 1 or p.memory_kib < 8 * p.parallelism:
            raise ValueError(
                "argon2 needs time_cost ≥ 1, parallelism ≥ 1 and memory_kib ≥ 8 × parallelism"
            )
        self._hasher = PasswordHasher(
            time_cost=p.time_cost, memory_cost=p.memory_kib, parallelism=p.parallelism
        )
        self._dummy = self._hasher.hash("kefu: no such user")

    @staticmethod
    def check(password: str) -> None:
        """Refuse passwords shorter than 10 or longer than 256 characters."""
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise ValidationError(
                f"a password needs {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} characters "
                f"密码长度须为 {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} 个字符",
                field="password",
            )

    def hash(self, password: str) -> str:
        self.check(password)
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; ``None`` (unknown user) spends the same time."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other costs (rehash at the next login)."""
        return self._hasher.check_needs_rehash(password_hash)
