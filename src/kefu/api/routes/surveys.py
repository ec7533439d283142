"""``/api/v1/surveys/{token}``: the public side of a follow-up survey, reached from the
signed one-time link in the survey message (no credentials: the link is the credential).
A link whose signature, survey or expiry does not hold is 404; a survey answers once (a
second answer, or one after expiry, is 409 ``survey_closed``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from kefu.api.routes._common import ERRORS
from kefu.service import RoutingEngine
from kefu.service.cases import AnswerSurvey, SurveyView, SurveyWing

__all__ = ["router"]

router = APIRouter(prefix="/surveys", tags=["surveys"])
Token = Annotated[str, Path(min_length=5, max_length=200)]


class SurveyAnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Annotated[int, Field(ge=0, le=10, examples=[4])]
    """1–5 for a CSAT survey, 0–10 for an NPS one (the survey's ``scale``)."""
    comment: Annotated[str, Field(max_length=1000)] = ""


def _wing(request: Request) -> SurveyWing:
    wing: SurveyWing = request.app.state.surveys
    return wing


@router.get("/{token}", responses=ERRORS)
async def read_survey(token: Token, request: Request) -> dict[str, Any]:
    """The survey's question in both languages and whether it can still be answered.
    回访问卷（公开链接）。"""
    wing = _wing(request)
    page = await wing.engine.query(lambda engine: wing.by_token(token, engine.now()))
    return page.to_json()


@router.post("/{token}/answer", responses=ERRORS)
async def answer_survey(token: Token, body: SurveyAnswerBody, request: Request) -> dict[str, Any]:
    """Answer the survey once: a score of its scale (CSAT 1–5, NPS 0–10) and an optional
    comment (a score off the survey's scale is 422). 提交回访评分。"""
    wing = _wing(request)

    def survey_id(engine: RoutingEngine) -> str:
        return wing.by_token(token, engine.now()).survey_id

    found = await wing.engine.query(survey_id)
    done: SurveyView = await wing.engine.execute(
        AnswerSurvey(found, body.score, body.comment.strip(), channel="web")
    )
    return {"survey_id": done.survey_id, "score": done.score}
