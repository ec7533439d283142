"""SQL repositories of the security ports (:mod:`kefu.service.security_ports`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from kefu.adapters.storage.tables import ApiTokenRow, AuditRow, LoginSessionRow, UserRow
from kefu.service.security_ports import (
    ApiToken,
    AuditEntry,
    AuditFilter,
    LoginSession,
    UserRecord,
)

__all__ = ["SqlAudit", "SqlSessions", "SqlTokens", "SqlUsers"]


def _user(row: UserRow) -> UserRecord:
    return UserRecord(
        row.user_id,
        row.username,
        row.display_name,
        row.role,
        tuple(row.sites),
        row.agent_id,
        row.password_hash,
        row.active,
        row.created_at,
        row.updated_at,
        row.unlocked_at,
    )


class SqlUsers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: UserRecord) -> None:
        self.session.add(
            UserRow(
                user_id=user.user_id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                sites=list(user.sites),
                agent_id=user.agent_id,
                password_hash=user.password_hash,
                active=user.active,
                created_at=user.created_at,
                updated_at=user.updated_at,
                unlocked_at=user.unlocked_at,
            )
        )
        self.session.flush()

    def update(self, user: UserRecord) -> None:
        row = self.session.get(UserRow, user.user_id)
        if row is None:
            raise KeyError(user.user_id)
        row.username = user.username
        row.display_name = user.display_name
        row.role = user.role
        row.sites = list(user.sites)
        row.agent_id = user.agent_id
        row.password_hash = user.password_hash
        row.active = user.active
        row.updated_at = user.updated_at
        row.unlocked_at = user.unlocked_at

    def get(self, user_id: str) -> UserRecord | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else _user(row)

    def by_username(self, username: str) -> UserRecord | None:
        row = self.session.scalar(select(UserRow).where(UserRow.username == username))
        return None if row is None else _user(row)

    def list(self) -> list[UserRecord]:
        return [_user(r) for r in self.session.scalars(select(UserRow).order_by(UserRow.username))]


class SqlSessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, login: LoginSession) -> None:
        self.session.add(
            LoginSessionRow(
                session_id=login.session_id,
                user_id=login.user_id,
                created_at=login.created_at,
                expires_at=login.expires_at,
                last_seen_at=login.last_seen_at,
                client=login.client[:64],
            )
        )

    def get(self, session_id: str) -> LoginSession | None:
        row = self.session.get(LoginSessionRow, session_id)
        if row is None:
            return None
        return LoginSession(
            row.session_id,
            row.user_id,
            row.created_at,
            row.expires_at,
            row.last_seen_at,
            row.client,
        )

    def touch(self, session_id: str, at: float) -> None:
        self.session.execute(
            update(LoginSessionRow)
            .where(LoginSessionRow.session_id == session_id)
            .values(last_seen_at=at)
        )

    def delete(self, session_id: str) -> None:
        self.session.execute(
            delete(LoginSessionRow).where(LoginSessionRow.session_id == session_id)
        )

    def delete_for_user(self, user_id: str) -> None:
        self.session.execute(delete(LoginSessionRow).where(LoginSessionRow.user_id == user_id))

    def purge(self, now: float) -> int:
        done = self.session.execute(
            delete(LoginSessionRow).where(LoginSessionRow.expires_at <= now)
        )
        return int(getattr(done, "rowcount", 0) or 0)


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        row.token_id,
        row.user_id,
        row.name,
        row.token_hash,
        tuple(row.scopes),
        row.created_at,
        row.expires_at,
        row.last_used_at,
        row.revoked_at,
    )


class SqlTokens:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: ApiToken) -> None:
        self.session.add(
            ApiTokenRow(
                token_id=token.token_id,
                user_id=token.user_id,
                name=token.name,
                token_hash=token.token_hash,
                scopes=list(token.scopes),
                created_at=token.created_at,
                expires_at=token.expires_at,
                last_used_at=token.last_used_at,
                revoked_at=token.revoked_at,
            )
        )

    def get(self, token_id: str) -> ApiToken | None:
        row = self.session.get(ApiTokenRow, token_id)
        return None if row is None else _token(row)

    def for_user(self, user_id: str) -> list[ApiToken]:
        rows = self.session.scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.user_id == user_id)
            .order_by(ApiTokenRow.created_at, ApiTokenRow.token_id)
        )
        return [_token(r) for r in rows]

    def revoke(self, token_id: str, at: float) -> None:
        self.session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.token_id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def touch(self, token_id: str, at: float) -> None:
        self.session.execute(
            update(ApiTokenRow).where(ApiTokenRow.token_id == token_id).values(last_used_at=at)
        )


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor_id=row.actor_id,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        site_id=row.site_id,
        before=row.before,
        after=row.after,
        details=dict(row.details or {}),
        client=row.client,
        seq=row.seq,
    )


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(
            AuditRow(
                at=entry.at,
                actor_id=entry.actor_id,
                actor=entry.actor[:64],
                action=entry.action,
                target_type=entry.target_type,
                target_id=entry.target_id[:128],
                site_id=entry.site_id,
                before=entry.before,
                after=entry.after,
                details=entry.details,
                client=None if entry.client is None else entry.client[:64],
            )
        )

    def list(self, where: AuditFilter, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
        stmt = _filtered(select(AuditRow), where)
        total = self.session.scalar(_filtered(select(func.count(AuditRow.seq)), where))
        rows = self.session.scalars(stmt.order_by(AuditRow.seq.desc()).limit(limit).offset(offset))
        return [_entry(r) for r in rows], int(total or 0)


def _filtered(stmt: Select[Any], where: AuditFilter) -> Select[Any]:
    if where.actor is not None:
        stmt = stmt.where(AuditRow.actor == where.actor)
    if where.action is not None:
        stmt = stmt.where(AuditRow.action.startswith(where.action, autoescape=True))
    if where.target_type is not None:
        stmt = stmt.where(AuditRow.target_type == where.target_type)
    if where.target_id is not None:
        stmt = stmt.where(AuditRow.target_id == where.target_id)
    if where.since is not None:
        stmt = stmt.where(AuditRow.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditRow.at < where.until)
    return stmt
