"""E-mail attachments outlive a restart: by default they are files in a directory beside
the SQLite database, and a server started again on that database serves the same bytes."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.bootstrap import build_live
from kefu.config import Settings
from kefu.domain.model import Channel, QueueSpec
from kefu.service.routing import commands as c

PDF = b"%PDF-1.4 " + bytes(range(256)) * 40


def receipt_mail() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "李雷 <li.lei@example.cn>"
    message["To"] = "support@kefu.example"
    message["Subject"] = "四月账单"
    message["Message-ID"] = "<bill-4@example.cn>"
    message.set_content("附件是账单。")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="账单.pdf")
    return message


def test_given_the_default_settings_when_restarted_then_received_attachments_are_kept(
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
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    assert settings.attachments_dir is None
    first = build_live(settings)
    with TestClient(first.app) as client:
        client.portal.call(first.engine.execute, c.CreateSite("sh", "上海中心"))
        spec = QueueSpec("mail", Channel.EMAIL, aht_s=600)
        client.portal.call(first.engine.execute, c.DefineQueue(spec, "sh"))
        assert first.channel_server is not None and first.channel_server.listener is not None
        port = first.channel_server.listener.port
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(receipt_mail(), to_addrs=["support@kefu.example"])
        assert first.channels is not None
        conv = first.channels.state.book.by_thread("<bill-4@example.cn>")
        assert conv is not None
        (attachment,) = conv.messages[0].attachments
    assert (tmp_path / "kefu.sqlite3-attachments").is_dir()
    again = build_live(settings)
    with TestClient(again.app):
        assert again.channels is not None and again.channel_server is not None
        conv = again.channels.state.book.by_thread("<bill-4@example.cn>")
        assert conv is not None
        assert conv.messages[0].attachments == (attachment,)
        assert again.channel_server.store.get(attachment.storage_key) == PDF
