"""The report pages of one platform: ``/reports`` with its exports and drill-downs, the
agents' scorecards and the executive dashboard, over the store's report source."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.adapters.channels.email_send import EmailSender
from kefu.adapters.storage.report_source import ReportSource
from kefu.config import Settings
from kefu.service import RoutingEngine
from kefu.service.cases import SurveyWing
from kefu.service.reports import ReportBook
from kefu.service.security import Security
from kefu.service.workforce import WorkforceBook
from kefu.web.executive_page import ExecutivePage
from kefu.web.report_mail import ReportMail, relay_config
from kefu.web.reports_page import ReportAccess, ReportPages
from kefu.web.saved_reports_page import SavedReportPages
from kefu.web.scorecard_page import ScorecardPages
from kefu.web.workforce_page import WorkforcePages

__all__ = ["report_mailer", "report_routers"]


def report_routers(
    source: ReportSource | None,
    engine: RoutingEngine,
    settings: Settings,
    security: Security,
    surveys: SurveyWing | None = None,
    saved: ReportBook | None = None,
    workforce: WorkforceBook | None = None,
) -> list[APIRouter]:
    """The routers of the report pages (``source`` ``None``: they answer 404); ``saved``:
    the users' saved report definitions; ``workforce``: the work rules and published
    schedules (the workforce pages)."""
    access = ReportAccess(source, security, settings)
    routers = [
        ReportPages(access, engine, saved, surveys).router,
        ScorecardPages(access, engine, surveys, workforce).router,
        ExecutivePage(access, engine, surveys, settings.agent_cost_per_hour).router,
    ]
    if saved is not None:
        routers.append(SavedReportPages(access, engine, saved).router)
    if workforce is not None:
        routers.append(WorkforcePages(access, engine, workforce).router)
    return routers


def report_mailer(
    source: ReportSource | None, security: Security, settings: Settings
) -> ReportMail | None:
    """The mailer of saved reports through the settings' relay (``None`` without a relay
    or a store reports can read: nothing is mailed)."""
    relay = relay_config(settings)
    if relay is None or source is None:
        return None
    return ReportMail(source, security, EmailSender(relay), settings)
