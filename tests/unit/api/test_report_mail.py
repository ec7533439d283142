"""Saved reports mailed daily or weekly: the timer falls due a period after saving, the
handler records the next time in the log and hands the definition to the mailer once that
is stored; the mail is the report over the period that ended, the CSV attached."""

from __future__ import annotations

import asyncio
import csv
import io
import socket
from typing import Any

import pytest
from api_helpers import Api

from kefu.adapters.channels.email_send import EmailSender, SmtpRelayConfig
from kefu.adapters.storage.report_source import MemoryReportSource
from kefu.config import Settings
from kefu.domain.errors import ValidationError
from kefu.service.reports import REPORT_STREAM, ReportBook, SavedReport, SaveReport
from kefu.web.report_mail import ReportMail
from kefu.web.report_pages import report_mailer

DAY_S = 86_400.0


class KeptMail:
    """A mailer that keeps what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[SavedReport, float]] = []

    def mail(self, report: SavedReport, due_at: float) -> None:
        self.sent.append((report, due_at))


def _tick(api: Api) -> None:
    api.client.portal.call(api.platform.engine.tick)  # type: ignore[union-attr]


def _save(api: Api, username: str, **kw: object) -> SavedReport:
    user = api.platform.security.users.get(username)
    from kefu.service.security import Principal, Role

    actor = Principal(user.user_id, user.username, Role(user.role), frozenset(user.sites))
    command = SaveReport("队列日报", "period=interval:60&group=queue", **kw)  # type: ignore[arg-type]
    saved: SavedReport = api.client.portal.call(  # type: ignore[union-attr]
        lambda: api.platform.engine.execute(command, actor=actor)
    )
    return saved


def test_given_a_daily_report_when_days_pass_then_mailed_once_a_day_and_logged(
    center: Api,
) -> None:
    center.user("sup", "supervisor", sites=("sh",))
    book: ReportBook = center.platform.app.state.saved_reports
    kept = KeptMail()
    book.mailer = kept
    saved = _save(center, "sup", every="daily", to="boss@example.com")
    assert saved.next_at == center.clock.now() + DAY_S
    center.clock.advance(DAY_S - 1)
    _tick(center)
    assert kept.sent == []
    center.clock.advance(1)
    _tick(center)
    assert [(r.name, due) for r, due in kept.sent] == [("队列日报", saved.next_at)]
    center.clock.advance(3 * DAY_S)  # down for days: one mail, then back on the day
    _tick(center)
    _tick(center)
    assert len(kept.sent) == 2
    records = [r for r in center.store.store.records if r.stream == REPORT_STREAM]
    assert [r.kind for r in records] == ["saved", "mailed", "mailed"]
    rebuilt = ReportBook(lambda *_a: None)
    rebuilt.load(records)
    (again,) = rebuilt.of(saved.owner)
    assert again.next_at == book.of(saved.owner)[0].next_at > center.clock.now()
    assert rebuilt.next_due() == again.next_at


@pytest.mark.parametrize(
    ("every", "to", "key"),
    [("hourly", "a@b.cn", "error.report_every"), ("weekly", "nobody", "error.report_address")],
)
def test_given_a_bad_schedule_then_refused(center: Api, every: str, to: str, key: str) -> None:
    center.user("sup", "supervisor", sites=("sh",))
    with pytest.raises(ValidationError) as refused:
        _save(center, "sup", every=every, to=to)
    assert refused.value.text_key == key


def test_given_traffic_when_composed_then_the_mail_holds_the_days_figures_and_csv(
    center: Api,
) -> None:
    c, clock = center.client, center.clock
    center.user("sup", "supervisor", sites=("sh",))
    c.post("/api/v1/contacts", json={"queue_id": "billing"})
    c.post("/api/v1/contacts", json={"queue_id": "bj-local"})  # another site: not mailed
    saved = _save(center, "sup", every="daily", to="boss@example.com")
    clock.advance(DAY_S)
    relay = SmtpRelayConfig("127.0.0.1", 2525, "kefu@example.com")
    mail = ReportMail(
        MemoryReportSource(center.store.store),
        center.platform.security,
        EmailSender(relay),
        Settings(env="test"),
    )
    message = mail.compose(saved, clock.now())
    assert message is not None and message["To"] == "boss@example.com"
    assert "队列日报" in str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    assert "来电量 1" in text and "offered 1" in text
    (attachment,) = list(message.iter_attachments())
    content = attachment.get_content()
    body = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["queue"], r["offered"]) for r in rows] == [("billing", "1")]
    center.platform.security.users.update("sup", {"role": "agent", "agent_id": "a1"})
    assert mail.compose(saved, clock.now()) is None  # an agent now: nothing mailed


class Relay:
    """An SMTP relay (aiosmtpd) keeping the messages it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def test_given_a_relay_when_a_report_falls_due_then_it_arrives_there(center: Api) -> None:
    from aiosmtpd.controller import Controller

    center.user("sup", "supervisor", sites=("sh",))
    center.client.post("/api/v1/contacts", json={"queue_id": "billing"})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    relay = Relay()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = Settings(env="test", relay_host="127.0.0.1", relay_port=port)
        mailer = report_mailer(
            MemoryReportSource(center.store.store), center.platform.security, settings
        )
        assert mailer is not None
        book: ReportBook = center.platform.app.state.saved_reports
        book.mailer = mailer
        _save(center, "sup", every="weekly", to="boss@example.com")
        center.clock.advance(7 * DAY_S)
        _tick(center)
        center.client.portal.call(lambda: asyncio.gather(*mailer.tasks))  # type: ignore[union-attr]
    finally:
        controller.stop()
    ((to, raw),) = relay.received
    assert to == ["boss@example.com"] and b"kefu-report-" in raw
    assert report_mailer(None, center.platform.security, settings) is None
    assert report_mailer(mailer.source, center.platform.security, Settings(env="test")) is None
