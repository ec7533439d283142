"""Header texts from customers are one line: an encoded CR/LF in a subject is cleaned on the
way in, and whatever text a conversation holds, a reply's headers can be composed."""

from __future__ import annotations

import base64
from email import policy
from email.parser import BytesParser

from hypothesis import given
from hypothesis import strategies as st

from kefu.adapters.channels.email_parse import header_text, parse_email
from kefu.adapters.channels.email_send import EmailSender, SmtpRelayConfig

SENDER = EmailSender(SmtpRelayConfig("127.0.0.1", 25, "support@kefu.example"))


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def test_given_an_encoded_crlf_in_the_subject_when_parsed_then_one_line() -> None:
    subject = encoded("账单问题\r\nBcc: evil@example.com\x00")
    raw = (
        "From: wang.fang@example.cn\r\nTo: support@kefu.example\r\n"
        f"Subject: {subject}\r\n\r\n你好\r\n"
    ).encode()
    assert parse_email(raw).subject == "账单问题 Bcc: evil@example.com"


@given(st.text(), st.text())
def test_given_any_subject_and_name_when_a_reply_is_composed_then_headers_stay_whole(
    subject: str, name: str
) -> None:
    cleaned = header_text(subject)
    assert not any(ord(c) < 32 or c in "\x7f\x85\u2028\u2029" for c in cleaned)
    message = SENDER.compose(
        to="wang.fang@example.cn", subject=subject, text="已处理", thread=["<a@x>"], to_name=name
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed.get_all("Subject") is not None and len(parsed.get_all("Subject")) == 1
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].addr_spec == "wang.fang@example.cn"
