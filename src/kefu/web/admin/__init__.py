"""The admin console, ``/admin``: sites, queues, skills, agents, teams, users and their API
tokens, the desktops' words (reasons, dispositions, canned replies, tiers) and the audit
log, as server-rendered pages with forms (no script needed; EN/中文 by ``?lang=``).

Admins change everything; supervisors read the pages of their sites (not users nor the
audit log); agents are refused. Every change is the command the REST API builds, run as
the admin, checked and audited by its handler, in effect at once. The IVR flows have their
own page, ``/admin/ivr`` (:mod:`kefu.web.ivr_admin`)."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.config import Settings
from kefu.service import RoutingEngine
from kefu.service.channels import WidgetBook
from kefu.service.desktop import PhraseBook, TierBook
from kefu.service.security import Security
from kefu.web.admin._common import AdminContext
from kefu.web.admin.addresses import AddressPage
from kefu.web.admin.agents import AgentPages
from kefu.web.admin.config_pages import ConfigPages
from kefu.web.admin.teams import TeamPages
from kefu.web.admin.users import UserPages
from kefu.web.admin.webhooks import WebhookPage
from kefu.web.admin.widget import WidgetPage
from kefu.web.admin.words import WordPages

__all__ = ["AdminPages"]


class AdminPages:
    """Every page of the console over one engine, its security, its phrase book and its
    value tiers' routing effects."""

    def __init__(
        self,
        engine: RoutingEngine,
        security: Security,
        settings: Settings,
        phrases: PhraseBook,
        tiers: TierBook | None = None,
    ) -> None:
        context = AdminContext.of(engine, security, settings)
        self.config = ConfigPages(context)
        self.agents = AgentPages(context)
        self.users = UserPages(context)
        self.words = WordPages(context, phrases, tiers)
        self.teams = TeamPages(context)
        self.widget_page = WidgetPage(context)
        self.addresses = AddressPage(context)
        self.webhooks = WebhookPage(context)

    @property
    def routers(self) -> list[APIRouter]:
        return [
            self.config.router,
            self.agents.router,
            self.teams.router,
            self.users.router,
            self.words.router,
            self.widget_page.router,
            self.addresses.router,
            self.webhooks.router,
        ]

    @property
    def widget(self) -> WidgetBook | None:
        """The chat widget's settings the ``/admin/widget`` page shows and changes."""
        return self.widget_page.book

    @widget.setter
    def widget(self, book: WidgetBook) -> None:
        self.widget_page.book = book
