"""``/api/v1/phrases``: the desktops' words (not-ready reasons, dispositions, canned replies,
value-tier labels), each a code with its English and Chinese text; anyone logged in reads
them, admins change them with the command the admin console builds
(:class:`~kefu.service.desktop.DefinePhrase`, audited with before and after)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.common import Body
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.service.desktop import KINDS, DefinePhrase, Desktops

__all__ = ["router"]

router = APIRouter(prefix="/phrases", tags=["phrases"])

Kind = Annotated[str, Path(pattern=f"^({'|'.join(KINDS)})$", description=", ".join(KINDS))]
Code = Annotated[str, Path(min_length=1, max_length=32)]


class PhraseTexts(BaseModel):
    en: Annotated[str, Field(max_length=1000)]
    zh: Annotated[str, Field(max_length=1000)]


class PhrasePut(Body):
    texts: PhraseTexts
    queues: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = Field(
        default_factory=list, description="canned replies only: the queues it is offered in"
    )
    active: bool = True


class PhrasePublic(BaseModel):
    kind: str
    code: str
    texts: dict[str, str]
    queues: list[str]
    active: bool


def _desktops(request: Request) -> Desktops:
    desktops: Desktops = request.app.state.desktops
    return desktops


@router.get("", responses=ERRORS)
async def list_phrases(_user: Reader, request: Request) -> list[PhrasePublic]:
    """Every phrase of every kind, those out of use too. 工作台用语。"""
    book = _desktops(request).phrases

    def read(_engine: Any) -> list[dict[str, Any]]:
        return [p.to_record() for kind in KINDS for p in book.phrases(kind)]

    rows = await _desktops(request).channels.engine.query(read)
    return [PhrasePublic.model_validate(r) for r in rows]


@router.put("/{kind}/{code}", responses=ERRORS)
async def put_phrase(
    kind: Kind, code: Code, body: PhrasePut, admin: RequireAdmin, request: Request
) -> PhrasePublic:
    """Create or change a phrase (``{customer}``, ``{agent}``, ``{queue}`` in a canned
    reply are filled by the desktop); admins only. 新建或修改工作台用语。"""
    command = DefinePhrase(
        kind, code, body.texts.model_dump(), tuple(body.queues), active=body.active
    )
    engine = _desktops(request).channels.engine
    made = await engine.execute(command, actor=admin, client=client_address(request))
    return PhrasePublic.model_validate(made)
