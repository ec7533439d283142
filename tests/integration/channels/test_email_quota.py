"""The SMTP listener caps the bytes one envelope sender hands it per hour: over the cap a
sender is refused at ``MAIL FROM`` (451, try later), a message over what it has left is
refused while being received (552) and is not buffered past it; other senders go on."""

from __future__ import annotations

import smtplib
import socket
import tracemalloc
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from channel_helpers import DeskSink, LoopThread

from kefu.adapters.channels.attachments import InMemoryAttachmentStore
from kefu.adapters.channels.email import EmailInboundConfig, EmailListener
from kefu.adapters.channels.email_parse import EmailLimits
from kefu.domain.time import ManualClock

SUPPORT = "support@kefu.example"
MiB = 1024 * 1024
CAP = 1 * MiB


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def listener(
    loop_thread: LoopThread, desk: DeskSink, clock: ManualClock
) -> Iterator[EmailListener]:
    limits = EmailLimits(max_message_bytes=32 * MiB, max_attachment_bytes=32 * MiB)
    config = EmailInboundConfig(
        host="127.0.0.1", port=0, limits=limits, max_bytes_per_sender_hour=CAP
    )
    listener = EmailListener(config, desk, InMemoryAttachmentStore(), clock=clock)
    loop_thread.run(listener.start())
    yield listener
    loop_thread.run(listener.stop())


def mail(sender: str, size: int, n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = f"第 {n} 封"
    message["Message-ID"] = f"<q{n}@example.com>"
    message.set_content(("字" * 60 + "\n") * (size // 181))  # 181 bytes a line in UTF-8
    return message


def send(port: int, sender: str, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message, from_addr=sender, to_addrs=[SUPPORT])


def test_given_a_sender_over_its_hourly_cap_when_mailing_then_451_at_mail_from_and_unstored(
    listener: EmailListener, desk: DeskSink, clock: ManualClock
) -> None:
    spammer, other = "flood@example.com", "王芳 <wang.fang@example.cn>"
    for n in range(3):
        send(listener.port, "flood@example.com", mail(spammer, 250_000, n))
    assert len(desk.messages) == 3
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(listener.port, "Flood@Example.com", mail(spammer, 250_000, 3))
    assert refused.value.smtp_code == 451 and b"4.7.1" in refused.value.smtp_error
    assert len(desk.messages) == 3
    send(listener.port, "wang.fang@example.cn", mail(other, 250_000, 4))
    assert len(desk.messages) == 4
    clock.advance(3601)
    send(listener.port, "flood@example.com", mail(spammer, 250_000, 5))
    assert len(desk.messages) == 5


def test_given_a_message_over_what_the_sender_has_left_then_552_and_not_buffered(
    listener: EmailListener, desk: DeskSink
) -> None:
    body = 8 * MiB
    chunk = b"x" * 998 + b"\r\n"
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as conn:
        stream = conn.makefile("rb")

        def command(line: bytes) -> bytes:
            conn.sendall(line + b"\r\n")
            reply = stream.readline()
            while reply[3:4] == b"-":
                reply = stream.readline()
            return reply

        stream.readline()  # greeting
        assert command(b"EHLO client.test").startswith(b"250")
        assert command(b"MAIL FROM:<big@example.com>").startswith(b"250")
        assert command(b"RCPT TO:<" + SUPPORT.encode() + b">").startswith(b"250")
        assert command(b"DATA").startswith(b"354")
        conn.sendall(b"From: big@example.com\r\nSubject: big\r\n\r\n")
        tracemalloc.start()
        try:
            for _ in range(body // len(chunk)):
                conn.sendall(chunk)
            reply = command(b".")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # The listener kept at most what the sender had left (1 MiB), not the 8 MiB sent.
    assert peak < 3 * MiB, f"peak {peak / MiB:.1f} MiB while receiving"
    assert reply.startswith(b"552"), reply
    assert desk.messages == []
