"""The served SMTP listener takes its per-sender hourly cap from the settings
(``KEFU_SMTP_MAX_BYTES_PER_SENDER_HOUR``, 50 MiB by default): past it, the sender is told
to try later (451) and nothing more of it is stored."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.bootstrap import build_live
from kefu.config import Settings
from kefu.domain.model import Channel, QueueSpec
from kefu.service.routing import commands as c

CAP = 64 * 1024


def mail(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "flood@example.com"
    message["To"] = "support@kefu.example"
    message["Subject"] = f"第 {n} 封"
    message["Message-ID"] = f"<cap-{n}@example.com>"
    message.set_content("字" * 5_000)  # about 20 KB as sent (base64)
    return message


def test_given_the_default_settings_then_a_sender_may_send_50_mib_an_hour() -> None:
    assert Settings(env="test").smtp_max_bytes_per_sender_hour == 50 * 1024 * 1024


def test_given_a_cap_in_the_settings_when_a_sender_passes_it_then_451_and_unstored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kefu.sqlite3"
    engine = make_engine(sqlite_url(str(db)))
    upgrade(engine)
    engine.dispose()
    settings = Settings(
        env="test",
        db_path=str(db),
        smtp_port=0,
        smtp_max_bytes_per_sender_hour=CAP,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    platform = build_live(settings)
    with TestClient(platform.app) as client:
        client.portal.call(platform.engine.execute, c.CreateSite("sh", "上海中心"))
        spec = QueueSpec("mail", Channel.EMAIL, aht_s=600)
        client.portal.call(platform.engine.execute, c.DefineQueue(spec, "sh"))
        assert platform.channel_server is not None and platform.channel_server.listener
        port = platform.channel_server.listener.port
        assert platform.channels is not None
        book = platform.channels.state.book
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for n in range(3):
                smtp.send_message(mail(n), to_addrs=["support@kefu.example"])
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                smtp.send_message(mail(3), to_addrs=["support@kefu.example"])
        assert refused.value.smtp_code == 451
        assert book.by_thread("<cap-2@example.com>") is not None
        assert book.by_thread("<cap-3@example.com>") is None
