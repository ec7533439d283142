"""The channel pages of one platform in one object: web chat, the agent desktop, the
branch hall, the supervisors' customer pages and contact map, the customers' public survey
page and the admin console, with the services behind them (started and stopped with the
app)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from kefu.adapters.channels.webchat.gateway import ChatHub
from kefu.config import Settings
from kefu.service.branch import BranchDesk
from kefu.service.channels import ChannelService
from kefu.service.desktop import Desktops
from kefu.service.security import AddressRateLimiter, Security
from kefu.web.admin import AdminPages
from kefu.web.branch import BranchPages
from kefu.web.case_admin import CaseAdminPages
from kefu.web.chat_demo import ChatDemoPage
from kefu.web.contact_map_page import ContactMapPage
from kefu.web.customers import CustomerPages
from kefu.web.desktop import DesktopPages
from kefu.web.ivr_admin import IvrAdminPages
from kefu.web.ivr_page import IvrPages
from kefu.web.ivr_report_page import IvrReportPage
from kefu.web.survey_page import SurveyPage

__all__ = ["ChannelSite"]


class ChannelSite:
    """Chat hub, desktop pages and branch pages over one channel service."""

    def __init__(self, channels: ChannelService, settings: Settings, security: Security) -> None:
        self.channels = channels
        self.chat = ChatHub(channels, settings, wait_interval_s=settings.chat_wait_interval_s)
        self.chat_demo = ChatDemoPage(self.chat, settings)
        self.desktops = Desktops(channels, grace_s=settings.agent_grace_s)
        self.desktop = DesktopPages(self.desktops, settings, security)
        self.ivr_pages = IvrPages(self.chat)
        self.ivr_admin = IvrAdminPages(self.chat, settings, security)
        self.admin = AdminPages(
            channels.engine, security, settings, self.desktops.phrases, self.desktops.tiers
        )
        self.ivr_report = IvrReportPage(self.chat, security)
        self.survey_page = SurveyPage()
        self.contact_map = ContactMapPage(channels.engine, security)
        self.case_admin = CaseAdminPages(settings, security)
        self.branch = BranchDesk(channels, timezone=settings.timezone)
        self.branch_pages = BranchPages(settings, security)
        self.customer_pages = CustomerPages(channels, settings, security)
        self.kiosk_limiter = AddressRateLimiter(
            settings.kiosk_max_requests_per_address,
            settings.kiosk_window_s,
            message="too many requests from this kiosk; try again in {wait} s",
            text_key="error.kiosk_too_many",
        )

    @property
    def routers(self) -> list[APIRouter]:
        return [
            self.chat.router,
            self.chat_demo.router,
            self.ivr_pages.router,
            self.desktop.router,
            self.branch_pages.router,
            self.customer_pages.router,
            self.ivr_admin.router,
            self.ivr_report.router,
            self.survey_page.router,
            self.contact_map.router,
            self.case_admin.router,
            *self.admin.routers,
        ]

    def install(self, app: FastAPI, channel_server: Any = None) -> None:
        """Make the services reachable by the API routes (``app.state``)."""
        app.state.channels = self.channels
        app.state.desktops = self.desktops
        app.state.branch = self.branch
        app.state.kiosk_limiter = self.kiosk_limiter
        app.state.channel_server = channel_server

    async def start(self) -> None:
        """After the engine started: load customers and conversations, then the pages."""
        await self.channels.start()
        await self.branch.start()
        await self.chat.start()
        await self.desktop.start()

    async def stop(self) -> None:
        await self.desktop.stop()
        await self.chat.stop()
        await self.branch.stop()
        await self.channels.stop()
