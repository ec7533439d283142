"""Login back-off: failed logins slow down the clients that failed, exponentially, never
the right password from a client that has not failed; per-address limits; an admin's
unlock (here, or through the store from another process); the password rules."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.errors import ValidationError
from kefu.service import NotAuthenticated, TooManyRequests
from kefu.service.security import AuditFilter, Security
from kefu.service.security.passwords import PasswordPolicy, Passwords, common_passwords
from kefu.service.security.ratelimit import MAX_CLIENTS_PER_ACCOUNT, LoginLimits, LoginRateLimiter
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock

CHEAP = PasswordPolicy(time_cost=1, memory_kib=64, parallelism=1)
PASSWORD = "秘密 secret 123"
WRONG = "wrong password!"
LIMITS = LoginLimits(free_failures=5, per_address=30, window_s=300, backoff_s=2, max_backoff_s=64)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def store() -> InMemoryUnitOfWorkFactory:
    return InMemoryUnitOfWorkFactory()


def security_on(store: InMemoryUnitOfWorkFactory, clock: ManualClock) -> Security:
    """One server's security layer (its own in-process limiter) on the shared store."""
    return Security(store, clock, passwords=CHEAP, limits=LIMITS)


@pytest.fixture
def security(store: InMemoryUnitOfWorkFactory, clock: ManualClock) -> Security:
    made = security_on(store, clock)
    made.users.create(username="admin", password=PASSWORD, role="admin")
    return made


def fail(security: Security, client: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(NotAuthenticated):
            security.credentials.login("admin", WRONG, client)


def test_given_an_attacker_failing_on_the_admin_when_the_admin_logs_in_elsewhere_then_accepted(
    security: Security,
) -> None:
    fail(security, "203.0.113.7", 5)
    with pytest.raises(TooManyRequests):
        security.credentials.login("admin", WRONG, "203.0.113.7")
    user, _ = security.credentials.login("admin", PASSWORD, "10.0.0.2")  # not refused
    assert user.username == "admin"
    with pytest.raises(TooManyRequests):  # the attacker still waits
        security.credentials.login("admin", PASSWORD, "203.0.113.7")


def test_given_one_client_failing_again_and_again_then_its_wait_doubles_up_to_the_cap(
    security: Security, clock: ManualClock
) -> None:
    fail(security, "203.0.113.7", 5)
    waits = []
    for _ in range(7):
        with pytest.raises(TooManyRequests) as refused:
            security.credentials.login("admin", WRONG, "203.0.113.7")
        waits.append(refused.value.retry_after_s)
        clock.advance(refused.value.retry_after_s)
        fail(security, "203.0.113.7")
    assert waits == [2, 4, 8, 16, 32, 64, 64]


def test_given_failures_from_many_addresses_then_each_address_is_limited_on_its_own() -> None:
    limiter = LoginRateLimiter(LoginLimits(free_failures=100, per_address=3, window_s=60))
    for name in ("a", "b", "c"):
        limiter.attempt(name, "198.51.100.1", 0.0)
    with pytest.raises(TooManyRequests):
        limiter.attempt("d", "198.51.100.1", 1.0)
    limiter.attempt("d", "198.51.100.2", 1.0)
    limiter.attempt("d", "198.51.100.1", 61.0)  # the window moved on


def test_given_an_admin_unlock_then_the_failed_client_may_try_at_once_and_it_is_audited(
    security: Security,
) -> None:
    fail(security, "10.0.0.9", 5)
    with pytest.raises(TooManyRequests):
        security.credentials.login("admin", PASSWORD, "10.0.0.9")
    security.credentials.unlock("admin", client="cli")
    assert security.credentials.login("admin", PASSWORD, "10.0.0.9")[0].username == "admin"
    entries, total = security.audit_page(AuditFilter(action="user.unlock"), 10)
    assert total == 1 and entries[0].target_id == "admin" and entries[0].client == "cli"


def test_given_an_unlock_made_by_another_process_then_this_server_forgets_the_failures(
    security: Security, store: InMemoryUnitOfWorkFactory, clock: ManualClock
) -> None:
    fail(security, "10.0.0.9", 5)
    clock.advance(1)
    security_on(store, clock).credentials.unlock("admin")  # e.g. `kefu users unlock`
    assert security.credentials.login("admin", PASSWORD, "10.0.0.9")[0].username == "admin"
    assert security.credentials.limiter.failures("admin") == 0


@given(
    st.lists(
        st.tuples(st.sampled_from(["a1", "a2", "a3"]), st.floats(0, 50)), min_size=1, max_size=60
    ),
    st.integers(0, 59),
)
def test_given_any_failures_by_others_then_a_client_that_never_failed_is_never_refused(
    failures: list[tuple[str, float]], clean_after: int
) -> None:
    limiter = LoginRateLimiter(LIMITS)
    now = 0.0
    for i, (attacker, gap) in enumerate(failures):
        now += gap
        with contextlib.suppress(TooManyRequests):  # a wrong password: never taken back
            limiter.attempt("admin", attacker, now)
        if i == clean_after:
            limiter.attempt("admin", "owner", now)  # must not raise
            limiter.succeeded("admin", "owner", now)


# -- the password rules ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("Password123!", ()),
        ("QWERTYUIOP", ()),
        ("woaini1314520", ()),
        ("1234567890", ()),
        ("zhangmin-2024-x", ("zhangmin", "")),
        ("我是张敏我的密码很长", ("zhang.min", "张敏")),
    ],
)
def test_given_a_common_or_personal_password_when_set_then_refused(
    password: str, names: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        Passwords(CHEAP).hash(password, names)
    assert refused.value.details["field"] == "password"


def test_given_a_long_uncommon_password_when_set_then_accepted() -> None:
    assert Passwords(CHEAP).hash("correct horse 正确", ("boss", "老板")).startswith("$argon2id$")


@given(
    st.sampled_from(sorted(common_passwords())),
    st.text(alphabet="0123456789!@#$%._-", min_size=0, max_size=12),
    st.booleans(),
)
def test_given_a_listed_password_with_any_case_and_trailing_digits_then_refused(
    common: str, suffix: str, upper: bool
) -> None:
    candidate = (common.upper() if upper else common) + suffix
    with pytest.raises(ValidationError):
        Passwords.check(candidate.ljust(10, "1"))


def test_given_a_user_with_a_now_common_password_when_it_logs_in_then_it_is_still_accepted(
    security: Security, store: InMemoryUnitOfWorkFactory
) -> None:
    # A hash made before the rules, with other costs: the rehash at login must not refuse it.
    old_hash = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1).hash("password1234")
    with store() as uow:
        user = uow.users.by_username("admin")
        assert user is not None
        uow.users.update(replace(user, password_hash=old_hash))
        uow.commit()
    assert security.credentials.login("admin", "password1234", "10.0.0.3")[0].username == "admin"
    assert security.users.get("admin").password_hash != old_hash  # rehashed


def test_given_guesses_from_more_addresses_than_remembered_then_every_client_backs_off() -> None:
    limiter = LoginRateLimiter(LIMITS)
    for i in range(MAX_CLIENTS_PER_ACCOUNT):
        with contextlib.suppress(TooManyRequests):
            limiter.attempt("admin", f"198.51.{i // 256}.{i % 256}", 0.0)
    assert limiter.failures("admin") == MAX_CLIENTS_PER_ACCOUNT
    with pytest.raises(TooManyRequests):  # the account's memory is full: no one is "clean"
        limiter.attempt("admin", "203.0.113.200", 0.0)
    limiter.unlock("admin")
    limiter.attempt("admin", "203.0.113.200", 0.0)


def test_given_failures_on_many_accounts_then_only_the_most_recent_are_remembered() -> None:
    limiter = LoginRateLimiter(LIMITS, max_keys=50)
    for i in range(200):
        limiter.attempt(f"user{i}", f"192.0.{i // 10}.{i % 10}", float(i))
    remembered = [limiter.failures(f"user{i}") for i in range(200)]
    assert remembered == [0] * 150 + [1] * 50


def test_given_the_package_then_a_small_common_password_list_ships_in_it() -> None:
    import tomllib
    from importlib.resources import files
    from pathlib import Path

    shipped = files("kefu.service.security").joinpath("common_passwords.txt")
    assert shipped.is_file() and len(shipped.read_bytes()) < 16 * 1024  # small
    assert 50 <= len(common_passwords()) <= 2_000
    assert {"password", "qwerty", "woaini"} <= common_passwords()
    root = Path(__file__).resolve().parents[3]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "**/*.txt" in pyproject["tool"]["setuptools"]["package-data"]["kefu"]  # in the wheel
