"""The desktops' words in the console (``/admin/phrases/{kind}``): not-ready reasons,
disposition codes, canned replies (per queue, with placeholders) and value-tier labels,
each in English and Chinese, with each value tier's routing effect (``/admin/tiers``, the
command :class:`~kefu.service.desktop.SetTierEffect`); and the audit log
(``/admin/audit``: who changed what, when, before and after).

A change is :class:`~kefu.service.desktop.DefinePhrase`, the command of the phrase book
(:class:`~kefu.service.desktop.PhraseBook`); open desktops get the new words at once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine, routing
from kefu.service.desktop import (
    KINDS,
    LANGUAGES,
    PLACEHOLDERS,
    DefinePhrase,
    PhraseBook,
    SetTierEffect,
    TierBook,
)
from kefu.service.security import AuditFilter, Principal, audit_view
from kefu.web.admin._common import (
    AdminContext,
    FormState,
    back,
    checkbox,
    field_of,
    form_list,
    form_text,
    lang_params,
    number,
)
from kefu.web.admin.config_pages import ALL
from kefu.web.i18n import refusal

__all__ = ["WordPages"]

PHRASE_FIELDS = ("code", "text_en", "text_zh", "queues", "kind")
TIER_FIELDS = ("tier", "effect", "boost")
EFFECTS = ("first", "boost", "none")
AUDIT_PAGE = 100


class WordPages:
    """``/admin/phrases/{kind}`` over a phrase book, and ``/admin/audit``."""

    def __init__(
        self, context: AdminContext, phrases: PhraseBook, tiers: TierBook | None = None
    ) -> None:
        self.context = context
        self.phrases = phrases
        self.tiers = tiers
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin/phrases", self.first, methods=["GET"])
        add("/admin/phrases/{kind}", self.page, methods=["GET"])
        add("/admin/phrases/{kind}", self.save, methods=["POST"])
        add("/admin/tiers", self.save_tier, methods=["POST"])
        add("/admin/audit", self.audit, methods=["GET"])

    async def first(self, request: Request) -> Response:
        user = await self.context.viewer(request, "phrases")
        if not isinstance(user, Principal):
            return user
        return await self._page(request, user, KINDS[0], FormState())

    async def page(self, request: Request, kind: str, edit: str = "", notice: str = "") -> Response:
        user = await self.context.viewer(request, "phrases")
        if not isinstance(user, Principal):
            return user
        if kind not in KINDS:
            return refusal(request, "admin.unknown_kind", status_code=404)
        return await self._page(request, user, kind, FormState(edit=edit[:40], notice=notice[:32]))

    async def _page(
        self,
        request: Request,
        user: Principal,
        kind: str,
        state: FormState,
        effect_state: FormState | None = None,
    ) -> Response:
        """The page of ``kind``; ``effect_state``: a refused tier effect (its form as typed
        and its reason, instead of ``state``'s)."""
        seen = user.visibility

        def read(e: RoutingEngine) -> tuple[list[Any], list[dict[str, Any]]]:
            return self.phrases.phrases(kind), routing.list_queues(e, None, ALL, 0, seen).items

        phrases, queues = await self.context.engine.query(read)
        editing = self.phrases.get(kind, state.edit) if state.edit else None
        values = state.values
        if values is None:
            values = {"active": True, "queues": []}
            if editing is not None:
                values = {
                    "code": editing.code,
                    **{f"text_{lang}": editing.texts.get(lang, "") for lang in LANGUAGES},
                    "queues": list(editing.queues),
                    "active": editing.active,
                    "mode": "update",
                }
        shown = {
            "kind": kind,
            "kinds": KINDS,
            "languages": LANGUAGES,
            "placeholders": sorted(PLACEHOLDERS),
            "phrases": phrases,
            "queues": queues,
        }
        if kind == "tier" and self.tiers is not None:
            shown.update(self._effects(phrases, state, effect_state))
            state = effect_state or state
        return self.context.render_form(
            request, "admin/phrases.html", user, "phrases", state, values, shown
        )

    def _effects(
        self, phrases: list[Any], state: FormState, refused: FormState | None
    ) -> dict[str, Any]:
        """The tier tab's routing effects: each tier's, and the effect form's values."""
        assert self.tiers is not None
        tiers = sorted(int(p.code) for p in phrases if p.code.isdigit())
        effects = {e.tier: e for e in self.tiers.effects(tiers)}
        if refused is not None and refused.values is not None:
            form = refused.values
        else:
            chosen = int(state.edit) if state.edit.isdigit() and int(state.edit) >= 1 else None
            chosen = chosen if chosen is not None else next(iter(effects), None)
            effect = effects.get(chosen) if chosen is not None else None
            form = {} if effect is None else effect.to_record()
        return {
            "effects": effects,
            "effect_names": EFFECTS,
            "effect_form": form,
            "effect_error_field": None if refused is None else refused.error_field,
        }

    async def save_tier(self, request: Request) -> Response:
        """The routing effect of a value tier (the form under the tiers' labels)."""
        posted = await self.context.writer(request, "phrases")
        if not isinstance(posted, tuple):
            return posted
        user, form = posted
        if self.tiers is None:
            return refusal(request, "admin.unknown_kind", status_code=404)
        effect = form_text(form, "effect", 16)
        values: dict[str, Any] = {
            "tier": form_text(form, "tier", 8),
            "effect": effect,
            "boost": form_text(form, "boost", 8),
        }
        try:
            tier = int(number(form, "tier", integer=True))
            # The boost field is read only for the effect that takes one.
            boost = int(number(form, "boost", integer=True)) if effect == "boost" else 0
            await self.context.execute(request, user, SetTierEffect(tier, effect, boost))
        except KefuError as exc:
            refused = FormState.refused(request, exc, field_of(exc, TIER_FIELDS), values)
            return await self._page(request, user, "tier", FormState(), refused)
        return back("/admin/phrases/tier", "updated", **lang_params(request))

    async def save(self, request: Request, kind: str) -> Response:
        posted = await self.context.writer(request, "phrases")
        if not isinstance(posted, tuple):
            return posted
        user, form = posted
        if kind not in KINDS:
            return refusal(request, "admin.unknown_kind", status_code=404)
        values: dict[str, Any] = {
            "code": form_text(form, "code", 40),
            **{f"text_{lang}": form_text(form, f"text_{lang}", 2000) for lang in LANGUAGES},
            "queues": form_list(form, "queues"),
            "active": checkbox(form, "active"),
            "mode": "update" if form_text(form, "mode") == "update" else "create",
        }
        command = DefinePhrase(
            kind,
            values["code"],
            {lang: values[f"text_{lang}"] for lang in LANGUAGES},
            tuple(values["queues"]),
            active=values["active"],
            create=values["mode"] == "create",
        )
        try:
            await self.context.execute(request, user, command)
        except KefuError as exc:
            where = field_of(exc, PHRASE_FIELDS)
            refused = FormState.refused(request, exc, where, values)
            return await self._page(request, user, kind, refused)
        notice = "updated" if values["mode"] == "update" else "created"
        return back(f"/admin/phrases/{kind}", notice, **lang_params(request))

    # -- the audit log -------------------------------------------------------------------
    async def audit(self, request: Request, action: str = "", offset: int = 0) -> Response:
        user = await self.context.viewer(request, "audit")
        if not isinstance(user, Principal):
            return user
        where = AuditFilter(None, action[:64] or None, None, None, None, None)
        start = max(0, offset)
        entries, total = await asyncio.to_thread(
            self.context.security.audit_page, where, AUDIT_PAGE, start
        )
        rows = []
        for entry in entries:
            row = audit_view(entry)
            for side in ("before", "after"):
                value = row[side]
                row[side] = "" if value is None else json.dumps(value, ensure_ascii=False)
            rows.append(row)
        shown = {
            "entries": rows,
            "total": total,
            "action": action[:64],
            "offset": start,
            "next_offset": start + AUDIT_PAGE if start + AUDIT_PAGE < total else None,
        }
        return self.context.render(request, "admin/audit.html", user, "audit", shown)
