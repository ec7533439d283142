"""Settings, read from ``KEFU_*`` environment variables by a cached :func:`get_settings`.

Nothing is read at import time. Without ``KEFU_SECRET_KEY`` the process signs with a
random key of its own (good for tests only: ``kefu serve`` refuses to start that way, and
outside local use, ``KEFU_ENV`` other than ``local`` or ``test``, the settings are refused).
Cookies are sent with ``Secure`` outside local use and whenever the server listens on an
address other than loopback.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from kefu.config_voice import VoiceSettings

__all__ = ["MIN_SECRET_KEY_LENGTH", "Settings", "get_settings", "is_loopback"]

LOCAL_ENVS = ("local", "test")
MIN_SECRET_KEY_LENGTH = 32


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _process_secret() -> str:
    """A random key for one process (nothing it signs survives a restart)."""
    return secrets.token_urlsafe(32)


class Settings(VoiceSettings):
    """Platform settings; every field can be set as ``KEFU_<NAME>`` (e.g. ``KEFU_DB_PATH``);
    the telephone's ``KEFU_SIP_*`` ones are in :class:`~kefu.config_voice.VoiceSettings`."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    env: Literal["local", "test", "staging", "production"] = "local"
    database_url: Annotated[
        str | None, Field(description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db")
    ] = None
    database_schema: Annotated[
        str | None, Field(description="PostgreSQL schema holding kefu's tables")
    ] = None
    db_path: Annotated[str, Field(description="SQLite file used when no URL is given")] = (
        "kefu.sqlite3"
    )
    secret_key: str = Field(
        default_factory=_process_secret,
        description="key signing cookies, CSRF and chat tokens (default: random per process)",
        repr=False,
    )
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    offer_timeout_s: Annotated[float, Field(gt=0, description="seconds to accept an offer")] = 20.0
    max_body_bytes: Annotated[int, Field(ge=1024, description="largest request body, bytes")] = (
        1_048_576
    )
    timezone: Annotated[str, Field(description="time zone of 'today' on the wallboard")] = (
        "Asia/Shanghai"
    )
    agent_grace_s: Annotated[
        float, Field(ge=0, description="an agent without a desktop is logged out after, s")
    ] = 120.0
    access_log: Annotated[
        bool, Field(description="log one line per HTTP request: method, path, status, ms")
    ] = True
    wallboard_interval_s: Annotated[float, Field(gt=0, description="wallboard refresh, s")] = 1.0
    session_ttl_s: Annotated[float, Field(gt=0, description="a login lasts at most, s")] = 43_200.0
    session_idle_s: Annotated[float, Field(gt=0, description="a login ends unused after, s")] = (
        7_200.0
    )
    cookie_secure: Annotated[
        bool | None,
        Field(description="Secure cookies (default: on outside local and test, or off loopback)"),
    ] = None
    trusted_proxies: Annotated[
        str,
        Field(
            description="addresses or networks of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed, comma-separated (default: none)"
        ),
    ] = ""
    password_time_cost: Annotated[int, Field(ge=1, le=20, description="argon2 passes")] = 3
    password_memory_kib: Annotated[int, Field(ge=8, le=4_194_304, description="argon2 KiB")] = (
        65_536
    )
    password_parallelism: Annotated[int, Field(ge=1, le=16, description="argon2 lanes")] = 4
    login_failures_before_backoff: Annotated[
        int, Field(ge=0, description="failed logins an account takes before backing off")
    ] = 5
    login_backoff_s: Annotated[
        float, Field(gt=0, description="first back-off, s (doubles with each failure)")
    ] = 2.0
    login_max_backoff_s: Annotated[float, Field(gt=0, description="longest back-off, s")] = 900.0
    login_max_failures_per_address: Annotated[int, Field(ge=1)] = 30
    login_window_s: Annotated[float, Field(gt=0, description="login failures counted over, s")] = (
        300.0
    )
    kiosk_max_requests_per_address: Annotated[
        int, Field(ge=1, description="kiosk tickets and SMS requests per client address")
    ] = 30
    kiosk_window_s: Annotated[float, Field(gt=0, description="kiosk requests counted over, s")] = (
        60.0
    )
    socket_recheck_s: Annotated[
        float, Field(gt=0, le=5, description="open push sockets re-check their login every, s")
    ] = 5.0
    language: Annotated[
        Literal["zh", "en"],
        Field(
            description="language of the texts sent to a customer whose own is unknown "
            "(neither on their profile nor told by their messages)"
        ),
    ] = "zh"
    demo_password: Annotated[
        str | None, Field(description="fixed password of the demo users (demo only)")
    ] = None

    # -- channels (off unless configured) --
    smtp_port: Annotated[
        int | None, Field(ge=0, le=65535, description="inbound SMTP port (0: any free one)")
    ] = None
    smtp_host: str = "127.0.0.1"
    smtp_recipients: Annotated[
        str, Field(description="mailboxes or @domains taken, comma-separated (empty: any)")
    ] = ""
    smtp_max_message_bytes: Annotated[int, Field(ge=1024, description="largest e-mail")] = (
        10 * 1024 * 1024
    )
    smtp_max_bytes_per_sender_hour: Annotated[
        int, Field(ge=1024, description="e-mail bytes accepted per envelope sender per hour")
    ] = 50 * 1024 * 1024
    relay_host: Annotated[str | None, Field(description="SMTP relay for e-mail replies")] = None
    relay_port: Annotated[int, Field(ge=1, le=65535)] = 25
    relay_from: str = "kefu@localhost"
    relay_username: str | None = None
    relay_password: str | None = None
    relay_starttls: bool = False
    webhook_secrets: Annotated[
        str | None, Field(description="inbound SMS/social webhook secrets, comma-separated")
    ] = None
    sms_url: Annotated[str | None, Field(description="provider URL for outbound SMS")] = None
    social_url: Annotated[str | None, Field(description="provider URL for social replies")] = None
    outbound_secret: Annotated[
        str | None, Field(description="secret signing outbound SMS/social requests")
    ] = None
    attachments_dir: Annotated[
        str | None,
        Field(description="directory for e-mail attachments (default: beside the database)"),
    ] = None
    chat_max_new_per_address: Annotated[
        int, Field(ge=1, description="new web chats one client address may start per window")
    ] = 20
    chat_new_window_s: Annotated[
        float, Field(gt=0, description="new web chats counted over, s")
    ] = 600.0
    ws_compression: Annotated[
        bool,
        Field(
            description="compress WebSocket frames (permessage-deflate); off: kefu's frames "
            "are small JSON, and compressing each one costs the server CPU and memory per socket"
        ),
    ] = False
    chat_wait_interval_s: Annotated[
        float, Field(gt=0, description="a waiting chat's position refresh, s")
    ] = 2.0
    ivr_flows: Annotated[
        str,
        Field(
            description="flows greeting new conversations: channel[@site]=flow, comma-separated "
            "(e.g. 'chat=bank,sms=bank'; empty: none)"
        ),
    ] = ""
    ivr_flow_files: Annotated[
        str, Field(description="IVR flow files (YAML/JSON) published at start, comma-separated")
    ] = ""
    ivr_rederivation_days: Annotated[
        int,
        Field(
            ge=1,
            le=3650,
            description="admins are reminded to re-derive a published IVR flow this many days "
            "after it was published (seed 001: every 3-4 months)",
        ),
    ] = 90
    survey_wrap_up_queues: Annotated[
        str,
        Field(
            description="queues whose wrapped-up contacts get a follow-up survey, comma-separated"
        ),
    ] = ""
    survey_nps_queues: Annotated[
        str, Field(description="queues whose contacts get NPS (0-10) instead of CSAT (1-5)")
    ] = ""
    survey_nps_case_types: Annotated[
        str, Field(description="case types that get NPS (0-10) instead of CSAT, comma-separated")
    ] = ""
    survey_low_csat: Annotated[
        int, Field(ge=1, le=4, description="a CSAT score at or below is low (follow-up)")
    ] = 2
    survey_low_nps: Annotated[
        int, Field(ge=0, le=9, description="an NPS score at or below is low (follow-up)")
    ] = 6
    survey_low_score: Annotated[
        str, Field(pattern="^(reopen|complaint)$", description="a score <= 2 reopens or complains")
    ] = "reopen"
    survey_quiet_days: Annotated[
        float, Field(ge=0, description="no second survey to a customer within, days")
    ] = 7.0
    agent_cost_per_hour: Annotated[
        float,
        Field(ge=0, description="an agent's cost per logged-in hour, for cost per contact"),
    ] = 0.0
    adherence_tolerance_min: Annotated[
        float,
        Field(ge=0, le=120, description="schedule adherence: minutes out forgiven"),
    ] = 5.0
    survey_link_base: Annotated[
        str | None, Field(description="public survey page URL; messages carry the signed link")
    ] = None

    # -- past one process (snapshots, operations, leadership) ---------------------------
    snapshot_every: Annotated[
        int, Field(ge=0, description="stored events between two router snapshots; 0: none")
    ] = 50_000
    retain_finished_s: Annotated[
        float, Field(ge=0, description="finished contacts stay in memory for, s")
    ] = 86_400.0
    json_logs: Annotated[
        bool, Field(description="log JSON lines with the request id instead of text")
    ] = False
    routing_domain: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="routing domain a router leads")
    ] = "default"
    routing_domains: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9_, -]{0,4000}$",
            description="the cluster's routing domains, comma-separated (overflow steps may "
            "hand contacts to the others; empty: no cluster)",
        ),
    ] = ""
    routing_domain_urls: Annotated[
        str,
        Field(
            pattern=r"^(\s*[A-Za-z0-9_-]{1,64}=https?://[^\s,=]{1,200}\s*(,|$))*$",
            description="where customers reach each routing domain's web nodes, "
            "comma-separated domain=https://host (a chat handed to another domain tells "
            "its widget to reconnect there)",
        ),
    ] = ""
    nats_url: Annotated[str, Field(description="NATS server of the cluster's bus")] = (
        "nats://127.0.0.1:4222"
    )
    node_name: str = Field(
        default_factory=socket.gethostname, description="this node's name in leases"
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env not in LOCAL_ENVS and not self.secret_key_set:
            raise ValueError(
                f"KEFU_SECRET_KEY must be set to a secret of your own when KEFU_ENV={self.env}"
            )
        if self.env not in LOCAL_ENVS and len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"KEFU_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
                "outside local use"
            )
        if self.password_memory_kib < 8 * self.password_parallelism:
            raise ValueError("KEFU_PASSWORD_MEMORY_KIB must be at least 8 × the parallelism")
        return self

    @property
    def secret_key_set(self) -> bool:
        """Whether the key was given (``KEFU_SECRET_KEY`` or an option), not made up for
        this process."""
        return "secret_key" in self.model_fields_set

    @property
    def cluster_domains(self) -> frozenset[str]:
        """The routing domains of ``routing_domains``, this router's own among them."""
        named = {d.strip() for d in self.routing_domains.split(",") if d.strip()}
        return frozenset(named | {self.routing_domain}) if named else frozenset()

    @property
    def domain_urls(self) -> dict[str, str]:
        """The public address of each routing domain's web nodes named in
        ``routing_domain_urls``, without a trailing slash."""
        pairs = (item.strip().partition("=") for item in self.routing_domain_urls.split(","))
        return {name: url.rstrip("/") for name, _, url in pairs if name and url}

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry ``Secure`` (HTTPS only): as ``KEFU_COOKIE_SECURE`` says,
        else on outside local use or when listening beyond loopback."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env not in LOCAL_ENVS or not is_loopback(self.host)

    @property
    def proxies(self) -> list[str]:
        """The trusted reverse proxies (addresses or CIDR networks); empty: trust none."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def attachments_path(self) -> Path:
        """Where attachments are kept: ``attachments_dir``, else ``<database file>-attachments``
        beside the SQLite file, else ``kefu-attachments`` in the working directory (with a
        database URL)."""
        if self.attachments_dir:
            return Path(self.attachments_dir)
        if self.database_url is None and self.db_path != ":memory:":
            db = Path(self.db_path)
            return db.with_name(f"{db.name}-attachments")
        return Path("kefu-attachments")

    @property
    def prompts_path(self) -> Path:
        """Where synthesized prompt clips are cached: ``sip_prompts_dir`` or ``kefu-prompts``."""
        return Path(self.sip_prompts_dir or "kefu-prompts")

    @property
    def sqlalchemy_url(self) -> str:
        """The configured database URL, or the SQLite file's."""
        return self.database_url or f"sqlite:///{self.db_path}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
