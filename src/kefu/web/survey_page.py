"""The public survey page, ``/survey/<token>``: the customer follows the signed one-time link
of a follow-up survey (SMS, e-mail, the chat's end screen) and answers without logging in.

The page is in the customer's language (``?lang=``, else the language of the customer's
record, else the browser's ``Accept-Language``; Chinese and English, with a switch), works
on a phone and loads nothing from elsewhere. It shows the survey's question (CSAT 1–5 or NPS
0–10) as one tappable button per score and a comment box, posts the answer to itself (an
ordinary form: the page needs no script) and says thanks.
A link that names no survey (forged, unknown) is 404, a survey answered already or
expired 410, each with a page saying so in both languages; a score off the survey's scale is
422 with the form again. The link is the credential: the page only builds an
:class:`~kefu.service.cases.AnswerSurvey` command, like ``POST /api/v1/surveys/{token}/answer``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kefu.domain.errors import KefuError
from kefu.service.cases import AnswerSurvey, SurveyWing
from kefu.service.cases import SurveyPage as SurveyLink
from kefu.web._http import origin_ok
from kefu.web.i18n import page_templates, request_catalog

__all__ = ["SurveyPage"]

MAX_TOKEN = 200
MAX_COMMENT = 1000


class SurveyPage:
    """``GET`` and ``POST /survey/{token}`` over the app's survey wing (``app.state.surveys``)."""

    def __init__(self) -> None:
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/survey/{token}", self.show, methods=["GET"])
        self.router.add_api_route("/survey/{token}", self.answer, methods=["POST"])

    async def show(self, request: Request, token: str) -> Response:
        wing = _wing(request)
        found = await self._look(wing, token)
        if found is None:
            return self._render(request, "unknown", None, 404)
        if "lang" not in request.query_params and found.language in ("zh", "en"):
            # The language of the customer's record before the browser's: the same page
            # with ?lang=, so the switch and the form keep it.
            return RedirectResponse(f"{request.url.path}?lang={found.language}", 303)
        if found.answered or found.expired:
            return self._render(request, "answered" if found.answered else "expired", None, 410)
        return self._render(request, "form", found, 200)

    async def answer(self, request: Request, token: str) -> Response:
        wing = _wing(request)
        if not origin_ok(request):
            return self._render(request, "unknown", None, 403)
        found = await self._look(wing, token)
        if found is None:
            return self._render(request, "unknown", None, 404)
        form = await request.form()
        raw_score, comment = form.get("score"), form.get("comment") or ""
        low, high = found.scale
        score = int(raw_score) if isinstance(raw_score, str) and raw_score.isdigit() else None
        if score is None or not low <= score <= high or not isinstance(comment, str):
            return self._render(request, "form", found, 422, invalid=True)
        try:
            await wing.engine.execute(
                AnswerSurvey(found.survey_id, score, comment.strip()[:MAX_COMMENT], "web")
            )
        except KefuError as exc:
            if exc.error_id != "survey_closed":
                raise
            return self._render(request, "answered", None, 410)
        return self._render(request, "thanks", None, 200, score=score)

    async def _look(self, wing: SurveyWing, token: str) -> SurveyLink | None:
        if not 5 <= len(token) <= MAX_TOKEN:
            return None
        try:
            found: SurveyLink = await wing.engine.query(
                lambda engine: wing.by_token(token, engine.now())
            )
        except KefuError as exc:
            if exc.error_id != "unknown_survey":
                raise
            return None
        return found

    def _render(
        self,
        request: Request,
        state: str,
        survey: SurveyLink | None,
        status: int,
        *,
        invalid: bool = False,
        score: int | None = None,
    ) -> Response:
        catalog = request_catalog(request)
        lang = "zh_Hans" if catalog.bcp47.startswith("zh") else "en"
        context: dict[str, Any] = {
            "state": state,
            "survey": survey,
            "lang_tag": catalog.bcp47,
            "invalid": invalid,
            "score": score,
        }
        if survey is not None:
            low, high = survey.scale
            context["scores"] = list(range(low, high + 1))
            context["question"] = survey.text(lang)
            context["lang_param"] = "zh" if lang == "zh_Hans" else "en"
        response = self.templates.TemplateResponse(
            request, "survey.html", context, status_code=status
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def _wing(request: Request) -> SurveyWing:
    wing: SurveyWing = request.app.state.surveys
    return wing
