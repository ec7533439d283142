"""Users, passwords (argon2), login sessions, API tokens and the login rate limiter on the
in-memory security store with a manual clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.errors import AlreadyExists, ValidationError
from kefu.domain.model import AgentSpec
from kefu.service.access import Role, Scope
from kefu.service.credentials import SessionPolicy
from kefu.service.errors import Forbidden, NotAuthenticated, TooManyRequests, UnknownSite
from kefu.service.passwords import PasswordPolicy, Passwords
from kefu.service.ports import Site
from kefu.service.ratelimit import LoginLimits, SlidingWindow
from kefu.service.security import Security
from kefu.service.security_ports import AuditFilter
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock

CHEAP = PasswordPolicy(time_cost=1, memory_kib=64, parallelism=1)
PASSWORD = "秘密 secret 123"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def security(clock: ManualClock) -> Security:
    routing = InMemoryUnitOfWorkFactory()
    routing.store.sites["sh"] = Site("sh", "上海")
    routing.store.agents["a1"] = AgentSpec("a1", site_id="sh")
    return Security(
        routing,
        clock,
        passwords=CHEAP,
        limits=LoginLimits(free_failures=3, per_address=5, window_s=60, backoff_s=60),
        sessions=SessionPolicy(ttl_s=3600, idle_s=600, cache_s=5, touch_every_s=60),
    )


def test_given_a_password_when_hashed_then_argon2id_and_verified_only_with_itself() -> None:
    passwords = Passwords(CHEAP)
    hashed = passwords.hash(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert passwords.verify(hashed, PASSWORD)
    assert not passwords.verify(hashed, PASSWORD + "x")
    assert not passwords.verify(None, PASSWORD)
    assert not passwords.verify("not a hash", PASSWORD)
    assert Passwords(PasswordPolicy(time_cost=2, memory_kib=64, parallelism=1)).needs_rehash(hashed)
    with pytest.raises(ValidationError):
        passwords.hash("short")
    with pytest.raises(ValueError):
        Passwords(PasswordPolicy(memory_kib=4, parallelism=1))


def test_given_roles_when_users_are_created_then_their_sites_and_agent_are_checked(
    security: Security,
) -> None:
    users = security.users
    boss = users.create(
        username="Zhang.Wei",
        password=PASSWORD,
        role="supervisor",
        sites=["sh"],
        display_name="张伟",
    )
    assert boss.username == "zhang.wei" and boss.sites == ("sh",)
    assert users.get("ZHANG.WEI").user_id == boss.user_id
    agent = users.create(username="李娜", password=PASSWORD, role="agent", agent_id="a1")
    assert agent.username == "李娜" and agent.agent_id == "a1" and agent.sites == ()
    with pytest.raises(AlreadyExists):
        users.create(username="zhang.wei", password=PASSWORD, role="admin")
    with pytest.raises(UnknownSite):
        users.create(username="x", password=PASSWORD, role="supervisor", sites=["mars"])
    with pytest.raises(ValidationError):
        users.create(username="y", password=PASSWORD, role="supervisor")
    with pytest.raises(ValidationError):
        users.create(username="z", password=PASSWORD, role="agent", agent_id="ghost")
    with pytest.raises(ValidationError):
        users.create(username="w", password=PASSWORD, role="root")
    with pytest.raises(ValidationError):
        users.create(username="bad name", password=PASSWORD, role="admin")
    assert [u.username for u in users.list()] == ["zhang.wei", "李娜"]


def test_given_a_login_then_a_session_resolves_until_logout(
    security: Security, clock: ManualClock
) -> None:
    security.users.create(username="boss", password=PASSWORD, role="supervisor", sites=["sh"])
    user, secret = security.credentials.login("BOSS", PASSWORD, "10.0.0.1")
    principal = security.credentials.session(secret)
    assert principal is not None and principal.user_id == user.user_id
    assert principal.role is Role.SUPERVISOR and principal.sites == {"sh"}
    assert Scope.ADMIN not in principal.scopes and Scope.CONTACTS_WRITE in principal.scopes
    assert security.credentials.cached(secret) == principal
    security.credentials.logout(secret, "10.0.0.1")
    assert security.credentials.cached(secret) is None
    assert security.credentials.session(secret) is None
    actions = [e.action for e in security.audit_page(AuditFilter(), 10)[0]]
    assert actions == ["auth.logout", "auth.login", "user.create"]


def test_given_a_session_when_idle_or_old_then_it_ends(
    security: Security, clock: ManualClock
) -> None:
    security.users.create(username="boss", password=PASSWORD, role="admin")
    _, secret = security.credentials.login("boss", PASSWORD, "c")
    clock.advance(500)
    assert security.credentials.session(secret) is not None  # used: idle time restarts
    clock.advance(500)
    assert security.credentials.session(secret) is not None
    clock.advance(601)
    assert security.credentials.session(secret) is None
    _, fresh = security.credentials.login("boss", PASSWORD, "c")
    for _ in range(8):  # used every 500 s: never idle, but at most an hour old
        clock.advance(500)
        alive = security.credentials.session(fresh)
    assert alive is None


def test_given_wrong_passwords_then_refused_and_the_failing_client_backs_off(
    security: Security, clock: ManualClock
) -> None:
    security.users.create(username="boss", password=PASSWORD, role="admin")
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            security.credentials.login("boss", "wrong password!", "10.0.0.1")
    with pytest.raises(TooManyRequests) as limited:
        security.credentials.login("boss", PASSWORD, "10.0.0.1")  # right, but backing off
    assert 0 < limited.value.retry_after_s <= 60
    clock.advance(61)
    assert security.credentials.login("boss", PASSWORD, "10.0.0.1")[0].username == "boss"
    failed = security.audit_page(AuditFilter(action="auth.login_failed"), 10)
    assert failed[1] == 3 and failed[0][0].actor == "anonymous"


def test_given_many_usernames_from_one_address_then_the_address_is_limited(
    security: Security,
) -> None:
    for i in range(5):
        with pytest.raises(NotAuthenticated):
            security.credentials.login(f"guess{i}", "wrong password!", "10.9.9.9")
    with pytest.raises(TooManyRequests):
        security.credentials.login("someone-else", "wrong password!", "10.9.9.9")
    with pytest.raises(NotAuthenticated):  # another address is not limited
        security.credentials.login("someone-else", "wrong password!", "10.9.9.8")


def test_given_a_token_then_scopes_expiry_and_revocation_hold(
    security: Security, clock: ManualClock
) -> None:
    security.users.create(username="crm", password=PASSWORD, role="supervisor", sites=["sh"])
    creds = security.credentials
    with pytest.raises(Forbidden):
        creds.issue_token("crm", [Scope.ADMIN])
    token, secret = creds.issue_token("crm", [Scope.CONTACTS_WRITE], ttl_s=100, name="CRM 集成")
    assert secret.startswith(f"kefu_{token.token_id}_") and token.token_hash not in secret
    principal = creds.token(secret)
    assert principal is not None and principal.scopes == {Scope.CONTACTS_WRITE}
    assert principal.via == "token"
    assert creds.token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert creds.token("kefu_nothing") is None and creds.token("Basic abc") is None
    clock.advance(100)
    assert creds.token(secret) is None and creds.cached(secret) is None
    second, again = creds.issue_token("crm", [Scope.READ])
    assert creds.token(again) is not None
    creds.revoke_token("crm", second.token_id)
    assert creds.cached(again) is None and creds.token(again) is None
    assert [t.revoked_at is not None for t in creds.tokens_of("crm")] == [False, True]


def test_given_a_deactivated_user_then_sessions_and_tokens_stop(security: Security) -> None:
    security.users.create(username="boss", password=PASSWORD, role="admin")
    _, session = security.credentials.login("boss", PASSWORD, "c")
    _, token = security.credentials.issue_token("boss", [Scope.READ])
    security.users.update("boss", {"active": False})
    assert security.credentials.session(session) is None
    assert security.credentials.token(token) is None
    with pytest.raises(NotAuthenticated):
        security.credentials.login("boss", PASSWORD, "c")
    changed = security.audit_page(AuditFilter(action="user.update"), 10)[0][0]
    assert changed.before is not None and changed.before["active"] is True
    assert changed.after is not None and changed.after["active"] is False
    assert "password_hash" not in changed.after


def test_given_a_role_change_then_the_new_role_holds_at_once(security: Security) -> None:
    security.users.create(username="boss", password=PASSWORD, role="admin")
    _, token = security.credentials.issue_token("boss", [Scope.READ, Scope.ADMIN])
    assert security.credentials.token(token) is not None
    security.users.update("boss", {"role": "supervisor", "sites": ["sh"]})
    downgraded = security.credentials.token(token)
    assert downgraded is not None and downgraded.role is Role.SUPERVISOR
    assert downgraded.scopes == {Scope.READ}  # the admin scope is gone with the role


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=40),
    limit=st.integers(1, 6),
)
def test_given_any_attempt_times_then_never_more_than_limit_within_a_window(
    gaps: list[float], limit: int
) -> None:
    window = SlidingWindow(limit, 60.0)
    now, accepted = 0.0, []
    for gap in gaps:
        now += gap
        if window.retry_after("k", now) is None:
            window.hit("k", now)
            accepted.append(now)
        else:
            assert sum(1 for t in accepted if t > now - 60.0) >= limit
    for t in accepted:
        assert sum(1 for u in accepted if t - 60.0 < u <= t) <= limit
