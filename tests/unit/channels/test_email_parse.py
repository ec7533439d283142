"""Parsing inbound mail: Chinese headers and bodies, threading ids, bodies, attachments, limits."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from kefu.adapters.channels.email_parse import EmailLimits, message_ids, parse_email
from kefu.adapters.channels.email_send import EmailSender, SmtpRelayConfig, reply_subject
from kefu.adapters.channels.errors import MalformedMessage, MessageTooLarge
from kefu.domain.time import ManualClock


def mail(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "王五 <wang.wu@example.cn>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_given_rfc2047_subject_and_name_when_parsed_then_decoded() -> None:
    raw = (
        b"From: =?utf-8?b?5byg5LiJ?= <zhang@example.com>\r\n"
        b"Subject: =?gb2312?b?1tDOxLLiytQ=?=\r\n"
        b"Message-ID: <x1@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "正文：你好".encode() + b"\r\n"
    )
    parsed = parse_email(raw)
    assert (parsed.from_name, parsed.from_address) == ("张三", "zhang@example.com")
    assert parsed.subject == "中文测试"
    assert parsed.text == "正文：你好"
    assert parsed.message_id == "<x1@example.com>"


def test_given_gbk_body_when_parsed_then_decoded_with_its_charset() -> None:
    message = mail(Subject="账户")
    message.set_content("账户余额查询", charset="gb18030")
    assert parse_email(message.as_bytes()).text == "账户余额查询"


def test_given_reply_headers_when_parsed_then_in_reply_to_first_then_references_newest_first() -> (
    None
):
    message = mail(
        Message_ID="<c@x>",
        In_Reply_To="<b@kefu>",
        References="<a@x> <b@kefu>",
    )
    message.set_content("ok")
    assert parse_email(message.as_bytes()).thread_refs == ("<b@kefu>", "<a@x>")
    assert message_ids("<a@x>\r\n <b@y> junk <c@z>") == ["<a@x>", "<b@y>", "<c@z>"]


def test_given_no_message_id_when_parsed_then_stable_generated_id() -> None:
    message = mail(Subject="x")
    message.set_content("body")
    first, second = parse_email(message.as_bytes()), parse_email(message.as_bytes())
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@kefu.invalid>")


def test_given_html_only_mail_when_parsed_then_visible_text_kept() -> None:
    message = mail(Subject="html")
    message.set_content(
        "<html><style>p{color:red}</style><body><p>您好，</p><p>请<b>尽快</b>回电。</p></body></html>",
        subtype="html",
    )
    assert parse_email(message.as_bytes()).text == "您好，\n请尽快回电。"


def test_given_alternative_parts_when_parsed_then_plain_body_and_no_attachment() -> None:
    message = mail(Subject="alt")
    message.set_content("纯文本")
    message.add_alternative("<p>富文本</p>", subtype="html")
    parsed = parse_email(message.as_bytes())
    assert parsed.text == "纯文本"
    assert parsed.attachments == ()


def test_given_attachment_with_chinese_name_when_parsed_then_name_and_bytes_kept() -> None:
    message = mail(Subject="附件")
    message.set_content("见附件")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="对账单.csv")
    (attachment,) = parse_email(message.as_bytes(policy=SMTP)).attachments
    assert (attachment.filename, attachment.content_type) == ("对账单.csv", "text/csv")
    assert attachment.data.replace(b"\r\n", b"\n") == b"a,b\n1,2\n"


def test_given_limits_when_exceeded_then_too_large() -> None:
    message = mail(Subject="big")
    message.set_content("x")
    message.add_attachment(b"y" * 101, maintype="application", subtype="octet-stream", filename="b")
    raw = message.as_bytes()
    with pytest.raises(MessageTooLarge, match="over the limit of 100"):
        parse_email(raw, EmailLimits(max_attachment_bytes=100))
    with pytest.raises(MessageTooLarge, match="message is"):
        parse_email(raw, EmailLimits(max_message_bytes=50))
    with pytest.raises(ValueError, match="max_attachments"):
        EmailLimits(max_attachments=0)


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"From: <>\r\n\r\nx"])
def test_given_empty_or_senderless_mail_when_parsed_then_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_email(raw)


def test_given_thread_when_reply_composed_then_threading_headers_set() -> None:
    sender = EmailSender(
        SmtpRelayConfig("127.0.0.1", 2525, "support@kefu.example", from_name="客服"),
        clock=ManualClock(0.0),
    )
    thread = [f"<m{i}@x>" for i in range(15)]
    message = sender.compose(to="a@example.com", subject="回复：发票", text="好的", thread=thread)
    assert message["Subject"] == "回复：发票"
    assert message["In-Reply-To"] == "<m14@x>"
    assert message["References"].split() == ["<m0@x>", *thread[6:]]
    assert message["Message-ID"].endswith("@kefu.example>")
    assert message["Date"] == "Thu, 01 Jan 1970 00:00:00 +0000"
    assert reply_subject("  投诉 ") == "Re: 投诉" and reply_subject("RE: x") == "RE: x"
    first = sender.compose(to="a@example.com", subject="通知", text="x")
    assert first["Subject"] == "通知" and first["In-Reply-To"] is None
    with pytest.raises(ValueError, match="from_address"):
        SmtpRelayConfig("h", 25, "nobody")


def test_given_raw_utf8_headers_when_parsed_then_characters_not_escapes() -> None:
    raw = "From: 李四 <李四@例子.中国>\r\nSubject: 未编码的标题\r\n\r\n正文\r\n".encode()
    parsed = parse_email(raw)
    assert (parsed.from_address, parsed.from_name) == ("李四@例子.中国", "李四")
    assert parsed.subject == "未编码的标题"
