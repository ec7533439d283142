"""Security storage on SQLite and PostgreSQL: migration 0002, users, sessions, tokens and
the audit log through the SQL unit of work, and configuration changes audited in the
same transaction as the change."""

from __future__ import annotations

import asyncio

from alembic import command
from db_helpers import Database
from sqlalchemy import inspect

from kefu.adapters.storage import SqlUnitOfWorkFactory, current_revision, head_revision, upgrade
from kefu.adapters.storage.migrate import _config
from kefu.bootstrap import routing_engine
from kefu.domain.model import QueueSpec
from kefu.service import commands as c
from kefu.service.access import Principal, Role, Scope
from kefu.service.credentials import SessionPolicy
from kefu.service.passwords import PasswordPolicy
from kefu.service.security import Security
from kefu.service.security_ports import AuditFilter
from kefu.testing import ManualClock

CHEAP = PasswordPolicy(time_cost=1, memory_kib=64, parallelism=1)
PASSWORD = "数据库 password"
SECURITY_TABLES = {"users", "login_sessions", "api_tokens", "audit_log"}


def test_given_revision_0002_when_downgraded_to_0001_then_only_security_tables_go(
    database: Database,
) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert tables >= SECURITY_TABLES and current_revision(database.engine) == head_revision()
    command.downgrade(_config(database.engine), "0001")
    left = set(inspect(database.engine).get_table_names())
    assert not SECURITY_TABLES & left and {"sites", "events"} <= left
    upgrade(database.engine)
    assert set(inspect(database.engine).get_table_names()) >= SECURITY_TABLES


def test_given_the_sql_store_then_users_sessions_tokens_and_audit_round_trip(
    database: Database,
) -> None:
    clock = ManualClock(1_800_000_000.0)
    security = Security(
        SqlUnitOfWorkFactory(database.engine),
        clock,
        passwords=CHEAP,
        sessions=SessionPolicy(ttl_s=3600, idle_s=900, cache_s=0.001),
    )
    admin = security.users.create(
        username="管理员", password=PASSWORD, role="admin", display_name="王管理"
    )
    assert security.users.get("管理员") == admin
    _, secret = security.credentials.login("管理员", PASSWORD, "127.0.0.1")
    clock.advance(120)  # beyond the cache; the stored session answers, and is touched
    found = security.credentials.session(secret)
    assert found is not None and found.user_id == admin.user_id and found.role is Role.ADMIN
    token, bearer = security.credentials.issue_token("管理员", [Scope.READ], ttl_s=60)
    assert security.credentials.token(bearer) is not None
    security.credentials.revoke_token("管理员", token.token_id)
    clock.advance(1)
    assert security.credentials.token(bearer) is None
    security.credentials.logout(secret)
    assert security.credentials.session(secret) is None
    entries, total = security.audit_page(AuditFilter(), limit=3)
    assert total == 5 and [e.action for e in entries] == [
        "auth.logout",
        "token.revoke",
        "token.create",
    ]
    assert entries[1].before is not None and entries[1].before["revoked_at"] is None
    logins, n = security.audit_page(AuditFilter(action="auth."), limit=10)
    assert n == 2 and {e.actor for e in logins} == {"管理员"}
    assert security.audit_page(AuditFilter(since=1_800_000_200.0), 10)[1] == 0


def test_given_an_actor_when_config_changes_then_audited_in_the_same_transaction(
    database: Database,
) -> None:
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    clock = ManualClock(1_800_000_000.0)
    actor = Principal("u-1", "root", Role.ADMIN, frozenset())

    async def scenario() -> None:
        engine = routing_engine(uow_factory, clock)
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海"), actor=actor, client="10.1.1.1")
        await engine.execute(c.DefineQueue(QueueSpec("q", sl_threshold_s=20), "sh"), actor=actor)
        await engine.execute(c.UpdateQueue("q", {"sl_threshold_s": 30}), actor=actor)
        try:
            await engine.execute(c.UpdateQueue("q", {"sl_target": 7}), actor=actor)
        except Exception as exc:
            assert "sl_target" in str(exc)
        await engine.stop()

    asyncio.run(scenario())
    with uow_factory() as uow:
        entries, total = uow.audit.list(AuditFilter(), 10, 0)
    assert total == 3  # the refused change wrote nothing
    update, create, site = entries
    assert (site.action, site.actor, site.client) == ("site.create", "root", "10.1.1.1")
    assert (create.action, create.before) == ("queue.create", None)
    assert update.action == "queue.update" and update.site_id == "sh"
    assert update.before is not None and update.after is not None
    assert (update.before["sl_threshold_s"], update.after["sl_threshold_s"]) == (20, 30)
