"""The e-mail channel over real SMTP: kefu's listener receives with aiosmtpd, a mail client
sends with smtplib, and kefu's replies arrive in a second aiosmtpd server playing the relay."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP
from channel_helpers import DeskSink, LoopThread

from kefu.adapters.channels.attachments import FileSystemAttachmentStore, InMemoryAttachmentStore
from kefu.adapters.channels.email import EmailInboundConfig, EmailListener
from kefu.adapters.channels.email_parse import EmailLimits
from kefu.adapters.channels.email_send import EmailSender, SmtpRelayConfig
from kefu.adapters.channels.errors import DeliveryFailed
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.time import ManualClock

LIMITS = EmailLimits(max_message_bytes=200_000, max_attachment_bytes=30_000, max_attachments=3)
SUPPORT = "support@kefu.example"


class Relay:
    """The relay kefu sends replies through: an aiosmtpd server keeping what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"

    def parsed(self, index: int = -1) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.received[index][2])
        assert isinstance(message, EmailMessage)
        return message


def start_listener(
    loop_thread: LoopThread, sink: Any, store: Any, *, recipients: tuple[str, ...] = ()
) -> EmailListener:
    config = EmailInboundConfig(host="127.0.0.1", port=0, limits=LIMITS, recipients=recipients)
    listener = EmailListener(config, sink, store, clock=ManualClock(1_700_000_000.0))
    loop_thread.run(listener.start())
    return listener


@pytest.fixture
def store() -> InMemoryAttachmentStore:
    return InMemoryAttachmentStore()


@pytest.fixture
def listener(
    loop_thread: LoopThread, desk: DeskSink, store: InMemoryAttachmentStore
) -> Iterator[EmailListener]:
    listener = start_listener(loop_thread, desk, store, recipients=(SUPPORT, "@help.kefu.example"))
    yield listener
    loop_thread.run(listener.stop())


@pytest.fixture
def relay(loop_thread: LoopThread) -> Iterator[tuple[Relay, int]]:
    """A plain aiosmtpd server (not kefu's listener) on a free port."""
    relay = Relay()

    async def start() -> asyncio.Server:
        return await asyncio.get_running_loop().create_server(
            lambda: SMTP(relay, hostname="relay.test", enable_SMTPUTF8=True), "127.0.0.1", 0
        )

    server = loop_thread.run(start())
    yield relay, server.sockets[0].getsockname()[1]
    loop_thread.loop.call_soon_threadsafe(server.close)


def customer_mail(subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "张三 <Zhang.San@Example.com>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", "<m1@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def send(port: int, message: EmailMessage | bytes, to: str = SUPPORT) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        if isinstance(message, bytes):
            client.sendmail("customer@example.com", [to], message)
        else:
            client.send_message(message, to_addrs=[to])


def test_given_chinese_mail_when_sent_over_smtp_then_sink_gets_decoded_message_and_new_contact(
    listener: EmailListener, desk: DeskSink
) -> None:
    mail = customer_mail("账单有误，请核查", "您好：\n我的三月账单多收了 58 元。\n谢谢！")
    raw = mail.as_bytes()
    assert b"=?utf-8?" in raw  # the subject travels RFC 2047 encoded
    send(listener.port, mail)
    (message,) = desk.messages
    assert message.subject == "账单有误，请核查"
    assert "多收了 58 元" in message.text
    assert message.sender == (Identifier(IdentifierKind.EMAIL, "zhang.san@example.com"),)
    assert message.sender_name == "张三"
    assert message.external_id == "<m1@example.com>"
    assert message.recipients == (SUPPORT,)
    assert message.at == 1_700_000_000.0
    assert not desk.placements[0].joined
    customer = desk.directory.find(Identifier(IdentifierKind.EMAIL, "zhang.san@example.com"))
    assert customer is not None and customer.name == "张三"


def test_given_kefu_reply_when_customer_answers_it_then_answer_joins_the_conversation(
    listener: EmailListener, desk: DeskSink, relay: tuple[Relay, int]
) -> None:
    sink, relay_port = relay
    send(listener.port, customer_mail("宽带故障", "家里的宽带从昨晚开始断线。"))
    conversation = desk.book.get(desk.placements[0].conversation_id)
    sender = EmailSender(
        SmtpRelayConfig("127.0.0.1", relay_port, SUPPORT, from_name="客服中心"),
        clock=ManualClock(1_700_000_100.0),
    )
    sent = asyncio.run(
        sender.reply(
            to="zhang.san@example.com",
            to_name="张三",
            subject=conversation.messages[0].subject,
            text="您好，已为您安排师傅上门检修。",
            thread=conversation.thread_references(),
        ),
    )
    assert sent.in_reply_to == "<m1@example.com>"
    mail_from, rcpt_tos, raw = sink.received[0]
    assert (mail_from, rcpt_tos) == (SUPPORT, ["zhang.san@example.com"])
    received = sink.parsed()
    assert received["Subject"] == "Re: 宽带故障"
    assert received["In-Reply-To"] == "<m1@example.com>"
    assert received["References"] == "<m1@example.com>"
    assert received["Message-ID"] == sent.message_id
    assert str(received["From"]) == "客服中心 <support@kefu.example>"
    assert received.get_content().strip() == "您好，已为您安排师傅上门检修。"
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]

    answer = customer_mail(
        "Re: 宽带故障",
        "好的，明天上午在家。",
        message_id="<m2@example.com>",
        In_Reply_To=sent.message_id,
        References=f"<m1@example.com> {sent.message_id}",
    )
    send(listener.port, answer)
    placement = desk.placements[-1]
    assert placement.joined and placement.reason == "thread"
    assert placement.conversation_id == conversation.conversation_id
    assert desk.messages[-1].thread_refs == (sent.message_id, "<m1@example.com>")


def mail_with_attachments(*files: tuple[str, bytes, str]) -> EmailMessage:
    message = customer_mail("发票", "附件是发票和截图。")
    for filename, data, content_type in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def test_given_attachments_when_mail_received_then_stored_with_metadata(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    pdf, png = b"%PDF-1.4 " + bytes(range(256)) * 20, b"\x89PNG\r\n" + b"\x00" * 1000
    send(
        listener.port,
        mail_with_attachments(
            ("三月发票.pdf", pdf, "application/pdf"), ("截图.png", png, "image/png")
        ),
    )
    (message,) = desk.messages
    assert [(a.filename, a.content_type, a.size) for a in message.attachments] == [
        ("三月发票.pdf", "application/pdf", len(pdf)),
        ("截图.png", "image/png", len(png)),
    ]
    assert [store.get(a.storage_key) for a in message.attachments] == [pdf, png]
    assert message.text == "附件是发票和截图。"
    conversation = desk.book.get(desk.placements[0].conversation_id)
    assert conversation.messages[0].attachments == message.attachments


def test_given_filesystem_store_when_attachment_received_then_file_written_under_generated_key(
    loop_thread: LoopThread, desk: DeskSink, tmp_path: Path
) -> None:
    store = FileSystemAttachmentStore(tmp_path / "attachments")
    listener = start_listener(loop_thread, desk, store)
    try:
        send(
            listener.port, mail_with_attachments(("../../etc/passwd", b"secret-ish", "text/plain"))
        )
    finally:
        loop_thread.run(listener.stop())
    (attachment,) = desk.messages[0].attachments
    assert attachment.filename == "etcpasswd"
    assert store.get(attachment.storage_key) == b"secret-ish"
    assert store.keys() == [attachment.storage_key]
    assert not (tmp_path / "etc").exists()


def assert_nothing_stored(desk: DeskSink, store: InMemoryAttachmentStore) -> None:
    assert desk.messages == []
    assert store.keys() == []
    assert list(desk.directory.customers()) == []


def test_given_message_over_size_limit_when_declared_with_size_then_552_at_mail_from(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    big = customer_mail("大邮件", "字" * 150_000)
    with pytest.raises(smtplib.SMTPSenderRefused) as info:
        send(listener.port, big)
    assert info.value.smtp_code == 552
    assert_nothing_stored(desk, store)


def test_given_message_over_size_limit_when_sent_without_size_then_552_after_data(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    raw = customer_mail("大邮件", ("x" * 70 + "\n") * 4000).as_bytes(policy=policy.SMTP)
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=5) as client:
        client.ehlo()
        assert client.mail("customer@example.com")[0] == 250
        assert client.rcpt(SUPPORT)[0] == 250
        code, reply = client.data(raw)
    assert code == 552, reply
    assert_nothing_stored(desk, store)


def test_given_attachment_over_its_limit_when_sent_then_552_and_nothing_stored(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    small, large = b"a" * 100, b"b" * 40_000
    mail = mail_with_attachments(
        ("ok.txt", small, "text/plain"), ("big.bin", large, "application/octet-stream")
    )
    with pytest.raises(smtplib.SMTPDataError) as info:
        send(listener.port, mail)
    assert info.value.smtp_code == 552
    assert b"5.3.4" in info.value.smtp_error and b"over the limit" in info.value.smtp_error
    assert_nothing_stored(desk, store)


def test_given_too_many_attachments_when_sent_then_552(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    mail = mail_with_attachments(*[(f"f{i}.txt", b"x", "text/plain") for i in range(4)])
    with pytest.raises(smtplib.SMTPDataError) as info:
        send(listener.port, mail)
    assert info.value.smtp_code == 552
    assert_nothing_stored(desk, store)


TRUNCATED = (
    b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\n"
    b"Content-Type: text/plain\r\n\r\nhello\r\n"
)
CORRUPT_BASE64 = (
    b"From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n"
    b"\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XYZ\r\nContent-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\n!!!!not*base64$$$\r\n--XYZ--\r\n"
)


@pytest.mark.parametrize(
    ("raw", "code", "enhanced"),
    [
        (b"Subject: no sender\r\n\r\nbody\r\n", 550, b"5.1.7"),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody\r\n", 550, b"5.1.7"),
        (TRUNCATED, 554, b"5.6.0"),
        (CORRUPT_BASE64, 554, b"5.6.0"),
        (b"this line is no header\r\nnor this one\r\n", 554, b"5.6.0"),
    ],
    ids=["no-from", "bad-from", "truncated-multipart", "corrupt-base64", "no-headers"],
)
def test_given_malformed_mail_when_sent_then_refused_with_code_and_nothing_stored(
    listener: EmailListener,
    desk: DeskSink,
    store: InMemoryAttachmentStore,
    raw: bytes,
    code: int,
    enhanced: bytes,
) -> None:
    with pytest.raises(smtplib.SMTPDataError) as info:
        send(listener.port, raw)
    assert info.value.smtp_code == code
    assert info.value.smtp_error.startswith(enhanced)
    assert_nothing_stored(desk, store)


def test_given_unknown_recipient_when_sent_then_550_at_rcpt(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        send(listener.port, customer_mail("x", "y"), to="someone@elsewhere.example")
    assert info.value.recipients["someone@elsewhere.example"][0] == 550
    send(listener.port, customer_mail("x", "y"), to="billing@help.kefu.example")
    assert desk.messages[0].recipients == ("billing@help.kefu.example",)


def test_given_sink_failure_when_mail_received_then_451_and_attachments_removed(
    listener: EmailListener, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    desk.fail = True
    with pytest.raises(smtplib.SMTPDataError) as info:
        send(listener.port, mail_with_attachments(("a.txt", b"abc", "text/plain")))
    assert info.value.smtp_code == 451
    assert store.keys() == []
    desk.fail = False
    send(listener.port, mail_with_attachments(("a.txt", b"abc", "text/plain")))
    assert len(store.keys()) == 1 and len(desk.messages) == 1


def test_given_unreachable_relay_when_sending_then_transient_delivery_failure(
    relay: tuple[Relay, int],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sender = EmailSender(SmtpRelayConfig("127.0.0.1", closed_port, SUPPORT, timeout_s=2))
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(sender.reply(to="a@example.com", subject="x", text="y", thread=()))
    assert info.value.details["transient"] is True


def test_given_relay_refusing_recipient_when_sending_then_permanent_delivery_failure(
    loop_thread: LoopThread, desk: DeskSink, store: InMemoryAttachmentStore
) -> None:
    picky = start_listener(loop_thread, desk, store, recipients=("@only.example",))
    try:
        sender = EmailSender(SmtpRelayConfig("127.0.0.1", picky.port, SUPPORT))
        with pytest.raises(DeliveryFailed) as info:
            asyncio.run(sender.reply(to="a@example.com", subject="x", text="y", thread=()))
    finally:
        loop_thread.run(picky.stop())
    assert info.value.details["transient"] is False
    assert "refused the recipient" in info.value.message


def test_given_chinese_mailbox_when_sent_with_smtputf8_then_address_kept_as_characters(
    listener: EmailListener, desk: DeskSink
) -> None:
    mail = customer_mail("国际化邮箱", "我的邮箱地址是中文的。")
    del mail["From"]
    mail["From"] = "客户 <客户@例子.中国>"
    send(listener.port, mail)
    (message,) = desk.messages
    assert message.sender == (Identifier(IdentifierKind.EMAIL, "客户@例子.中国"),)
    assert (message.sender_name, message.subject) == ("客户", "国际化邮箱")
