"""Mailing saved reports through the configured SMTP relay.

When a mailed definition falls due (see :mod:`kefu.service.reports`), :class:`ReportMail`
builds the report over the period that just ended (the day, or the seven days, before the
due instant's local midnight in the owner's time zone), with the saved period, grouping
and site, over the sites its owner sees *now* (a user since removed or made an agent gets
nothing), and sends it with the CSV per period attached and the totals in the text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs

from kefu.adapters.channels.email_send import EmailSender, OutboundAttachment, SmtpRelayConfig
from kefu.adapters.storage.report_source import ReportQuery, ReportSource
from kefu.analytics.buckets import zone
from kefu.config import Settings
from kefu.i18n import catalogs
from kefu.service.reports import EVERY, SavedReport
from kefu.service.security import Role, Security
from kefu.web.report_export import export_bytes
from kefu.web.report_form import read_form

__all__ = ["ReportMail", "relay_config"]

log = logging.getLogger(__name__)
Send = Callable[..., Any]


def relay_config(settings: Settings) -> SmtpRelayConfig | None:
    """The relay the settings name (``None``: no relay, nothing is mailed)."""
    if not settings.relay_host:
        return None
    return SmtpRelayConfig(
        host=settings.relay_host,
        port=settings.relay_port,
        from_address=settings.relay_from,
        from_name="kefu 客服",
        username=settings.relay_username,
        password=settings.relay_password,
        starttls=settings.relay_starttls,
    )


class ReportMail:
    """A :class:`~kefu.service.reports.ReportMailer` over a report source and a sender."""

    def __init__(
        self, source: ReportSource, security: Security, sender: EmailSender, settings: Settings
    ) -> None:
        self.source = source
        self.security = security
        self.sender = sender
        self.settings = settings
        self.tasks: set[asyncio.Task[bool]] = set()

    def mail(self, report: SavedReport, due_at: float) -> None:
        task = asyncio.get_running_loop().create_task(self.send(report, due_at))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def send(self, report: SavedReport, due_at: float) -> bool:
        """Build and send ``report`` as due at ``due_at`` (s); False when nothing was sent
        (the owner gone or an agent, no address, a failure: logged)."""
        try:
            message = await asyncio.to_thread(self.compose, report, due_at)
            if message is None:
                return False
            await self.sender.send(message)
            return True
        except Exception:
            log.exception("mailing the saved report %r of %s failed", report.name, report.owner)
            return False

    def compose(self, report: SavedReport, due_at: float) -> Any:
        """The message of ``report`` (``None`` when its owner may not read reports)."""
        if report.to is None or report.every is None:
            return None
        user = self.security.users.get(report.username)
        if not user.active or user.user_id != report.owner or user.role == Role.AGENT.value:
            return None
        sites = None if user.role == Role.ADMIN.value else frozenset(user.sites)
        params = {k: v for k, v in parse_qs(report.params).items() if k not in ("since", "until")}
        zones = self.source.site_zones()
        site = params["site"][-1] if params.get("site") else None
        if site is not None and (site not in zones or (sites is not None and site not in sites)):
            return None
        seen = {z for s, z in zones.items() if sites is None or s in sites}
        timezone = (
            zones[site] if site else (seen.pop() if len(seen) == 1 else self.settings.timezone)
        )
        since, until = _window(due_at, timezone, EVERY[report.every])
        params["since"], params["until"] = [since], [until]
        form = read_form(params, now=due_at, timezone=timezone)
        query = ReportQuery(
            form.since,
            form.until,
            period=form.period,
            timezone=timezone,
            group_by=form.group_by,
            sites=frozenset({site}) if site else sites,
        )
        run = self.source.run(query, False)
        body, _media = export_bytes(run, form, "csv", "intervals")
        total = run.report.total.figures()
        sl = total["service_level"]
        values = {
            "name": report.name,
            "since": since,
            "until": until,
            "offered": total["offered"],
            "answered": total["answered"],
            "abandoned": total["abandoned"],
            "sl": "–" if sl is None else f"{100 * sl:.1f} %",
        }
        both = [catalogs().get(language) for language in ("zh_Hans", "en")]
        return self.sender.compose(
            to=report.to,
            subject=" / ".join(c.text("reports.mail_subject", **values) for c in both),
            text="\n\n".join(c.text("reports.mail_body", **values) for c in both),
            attachments=[
                OutboundAttachment(f"kefu-report-{since}.csv", "text/csv", body),
            ],
        )


def _window(due_at: float, timezone: str, period_s: float) -> tuple[str, str]:
    """The local dates [since, until) of the period that ended at the due instant's local
    midnight: the day before, or the seven days before."""
    tz = zone(timezone)
    day = datetime.fromtimestamp(due_at, tz).date()
    until = datetime.combine(day, time(), tz)
    since = until - timedelta(days=round(period_s / 86_400.0))
    return since.date().isoformat(), until.date().isoformat()
