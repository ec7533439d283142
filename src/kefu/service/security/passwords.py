"""Password hashing with argon2id (argon2-cffi) and the password rules: 10–256
characters, not one of the common passwords shipped with kefu (``common_passwords.txt``),
and not built on the user's own login or name.

The cost parameters come from the settings; tests use cheap ones. Verifying against an
unknown user still spends one hash computation, so answer times do not tell which
usernames exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

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


def _hasher(p: PasswordPolicy) -> PasswordHasher:
    return PasswordHasher(
        time_cost=p.time_cost, memory_cost=p.memory_kib, parallelism=p.parallelism
    )


@cache
def _dummy_hash(policy: PasswordPolicy) -> str:
    """The hash unknown users are verified against, made once per process and policy when
    the first ``Passwords`` is: a process that builds many platforms (a test run) would
    otherwise spend a full-cost hash on each."""
    return _hasher(policy).hash("kefu: no such user")


class Passwords:
    """Hashes and verifies passwords; checks the password rules."""

    def __init__(self, policy: PasswordPolicy | None = None) -> None:
        p = policy or PasswordPolicy()
        if p.time_cost < 1 or p.parallelism < 1 or p.memory_kib < 8 * p.parallelism:
            raise ValueError(
                "argon2 needs time_cost ≥ 1, parallelism ≥ 1 and memory_kib ≥ 8 × parallelism"
            )
        self._hasher = _hasher(p)
        self._dummy = _dummy_hash(p)

    @staticmethod
    def check(password: str, names: Iterable[str] = ()) -> None:
        """Refuse passwords shorter than 10 or longer than 256 characters, common ones,
        and ones containing one of ``names`` (the user's login and display name)."""
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise ValidationError(
                f"a password needs {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} characters",
                text_key="error.password_length",
                field="password",
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
            )
        folded = _fold(password)
        for name in (_fold(n) for n in names):
            if len(name) >= (3 if name.isascii() else 2) and name in folded:
                raise ValidationError(
                    "a password must not contain the user's own login or name",
                    text_key="error.password_has_name",
                    field="password",
                )
        if _is_common(folded):
            raise ValidationError(
                "this password is too common; choose another",
                text_key="error.password_common",
                field="password",
            )

    def hash(self, password: str, names: Iterable[str] = ()) -> str:
        """The argon2id hash of a new password, refused unless it follows the rules."""
        self.check(password, names)
        return self._hasher.hash(password)

    def rehash(self, password: str) -> str:
        """A hash with the current costs of a password that just logged in (rules that
        came later do not lock its owner out)."""
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


TRAILING = re.compile(r"[\d\W_]*$")
"""Digits and symbols at the end (``Password123!`` is ``password`` and some of these)."""


def _is_common(folded: str) -> bool:
    """True when the password is a listed one followed by nothing but digits and symbols."""
    listed = common_passwords()
    tail = TRAILING.search(folded)
    start = tail.start() if tail else len(folded)
    return any(folded[:end] in listed for end in range(max(start, 1), len(folded) + 1))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords and stems, case-folded."""
    shipped = files("kefu.service.security").joinpath("common_passwords.txt")
    text = shipped.read_text(encoding="utf-8")
    return frozenset(
        _fold(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
