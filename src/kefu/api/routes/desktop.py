"""``/api/v1/desktop``: what an agent does at its desktop, as itself only — presence,
offers, replies, notes, transfers with a note, wrap-up with a disposition code. Each answer
is the agent's refreshed screen (:func:`kefu.service.desktop.desktop_view`).

The caller must be a logged-in agent user (session cookie with the CSRF header, or a bearer
token with the ``contacts:write`` scope); the agent acted for is always the caller's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.security import CurrentUser
from kefu.domain.model import ContactState
from kefu.service import Forbidden, NotClustered, RoutingEngine, routing
from kefu.service.channels import ActOnOwnContact, AnswerOffer
from kefu.service.desktop import Desktops, DesktopScreen
from kefu.service.security import (
    Principal,
    Role,
    Scope,
    as_seen_by,
    check_queue,
    require_scope,
    sees_agent_site,
)

__all__ = ["router"]

router = APIRouter(prefix="/desktop", tags=["desktop"])


async def _agent(user: CurrentUser) -> Principal:
    if user.role is not Role.AGENT or not user.agent_id:
        raise Forbidden(
            "the desktop is for agent users",
            text_key="error.desktop_agents_only",
            role=user.role.value,
        )
    require_scope(user, Scope.CONTACTS_WRITE)
    return user


Agent = Annotated[Principal, Depends(_agent)]


async def _desktops(request: Request) -> Desktops:
    desktops: Desktops = request.app.state.desktops
    return desktops


Desks = Annotated[Desktops, Depends(_desktops)]


class StateBody(BaseModel):
    presence: str = Field(pattern="^(ready|not_ready|offline)$")
    reason: str | None = Field(default=None, max_length=64)


class OfferBody(BaseModel):
    offer_id: str = Field(min_length=1, max_length=100)


class TextBody(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)


class TransferBody(BaseModel):
    to_queue_id: str | None = Field(default=None, max_length=64)
    to_agent_id: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)


class HandoverBody(BaseModel):
    to_domain: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    to_queue_id: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=2000)


class DispositionBody(BaseModel):
    disposition: str = Field(min_length=1, max_length=64)


def _targets(user: Principal, body: TransferBody) -> Any:
    """The ``authorize`` check of a transfer: the target queue or agent is one the caller
    sees (another site's are unknown to it)."""

    def authorize(engine: RoutingEngine) -> None:
        seen = as_seen_by(engine, user)
        if body.to_queue_id is not None:
            check_queue(engine, seen, body.to_queue_id)
        if body.to_agent_id is not None:
            sees_agent_site(engine, seen, body.to_agent_id)

    return authorize


async def _view(desks: Desktops, user: Principal) -> dict[str, Any]:
    """The caller's refreshed screen, rendered."""
    assert user.agent_id is not None
    screen: DesktopScreen = await desks.view(user.agent_id)
    return screen.to_json()


@router.get("", responses=ERRORS)
async def screen(user: Agent, desks: Desks) -> dict[str, Any]:
    """The caller's screen. 座席工作台数据。"""
    return await _view(desks, user)


@router.post("/state", responses=ERRORS)
async def set_state(body: StateBody, user: Agent, desks: Desks) -> dict[str, Any]:
    """Ready, not ready with a reason, or offline. 切换状态。"""
    reason = body.reason if body.presence == "not_ready" else None
    assert user.agent_id is not None
    command = routing.SetAgentState(user.agent_id, body.presence, reason)
    await desks.channels.engine.execute(command, actor=user)
    return await _view(desks, user)


async def _offer(
    user: Principal, desks: Desktops, contact_id: str, body: OfferBody, accept: bool
) -> None:
    agent_id = user.agent_id
    assert agent_id is not None
    command = AnswerOffer(agent_id, contact_id, body.offer_id, accept)
    await desks.channels.engine.execute(command, actor=user)


@router.post("/offers/{contact_id}/accept", responses=ERRORS)
async def accept(contact_id: str, body: OfferBody, user: Agent, desks: Desks) -> dict[str, Any]:
    """Take the offer (409 when it expired). 接受。"""
    await _offer(user, desks, contact_id, body, True)
    return await _view(desks, user)


@router.post("/offers/{contact_id}/reject", responses=ERRORS)
async def reject(contact_id: str, body: OfferBody, user: Agent, desks: Desks) -> dict[str, Any]:
    """Decline; the contact goes to the next agent. 拒绝。"""
    await _offer(user, desks, contact_id, body, False)
    return await _view(desks, user)


@router.post("/conversations/{conversation_id}/reply", responses=ERRORS)
async def reply(conversation_id: str, body: TextBody, user: Agent, desks: Desks) -> dict[str, Any]:
    """Answer the customer on the conversation's channel. 回复客户。"""
    assert user.agent_id is not None
    await desks.channels.reply(user.agent_id, conversation_id, body.text, actor=user)
    return await _view(desks, user)


@router.post("/conversations/{conversation_id}/notes", responses=ERRORS)
async def note(conversation_id: str, body: TextBody, user: Agent, desks: Desks) -> dict[str, Any]:
    """An internal note. 内部备注。"""
    assert user.agent_id is not None
    await desks.channels.note(user.agent_id, conversation_id, body.text[:4000], actor=user)
    return await _view(desks, user)


@router.post("/conversations/{conversation_id}/typing", responses=ERRORS)
async def typing(conversation_id: str, user: Agent, desks: Desks) -> dict[str, str]:
    """The agent is typing (the customer sees it). 正在输入。"""
    assert user.agent_id is not None
    await desks.channels.typing(conversation_id, "agent", holder=user.agent_id)
    return {"status": "ok"}


@router.post("/conversations/{conversation_id}/transfer", responses=ERRORS)
async def transfer(
    conversation_id: str, body: TransferBody, user: Agent, desks: Desks
) -> dict[str, Any]:
    """To a queue or an agent, with a note the next agent reads. 转接（附交接说明）。"""
    assert user.agent_id is not None
    await desks.channels.transfer(
        user.agent_id,
        conversation_id,
        to_queue_id=body.to_queue_id,
        to_agent_id=body.to_agent_id,
        note=body.note,
        actor=user,
        authorize=_targets(user, body),
    )
    return await _view(desks, user)


@router.post("/conversations/{conversation_id}/wrap-up", responses=ERRORS)
async def wrap_up(
    conversation_id: str, body: DispositionBody, user: Agent, desks: Desks
) -> dict[str, Any]:
    """End with a disposition code; wrap-up follows. 结束并小结。"""
    assert user.agent_id is not None
    await desks.channels.wrap_up(user.agent_id, conversation_id, body.disposition, actor=user)
    return await _view(desks, user)


async def _own_contact(
    user: Principal,
    desks: Desktops,
    contact_id: str,
    command: routing.Command,
    *states: ContactState,
    authorize: Any = None,
) -> None:
    assert user.agent_id is not None
    own = ActOnOwnContact(user.agent_id, contact_id, command, states)
    await desks.channels.engine.execute(own, actor=user, authorize=authorize)


@router.post("/contacts/{contact_id}/complete", responses=ERRORS)
async def complete(
    contact_id: str, body: DispositionBody, user: Agent, desks: Desks
) -> dict[str, Any]:
    """End a contact without a conversation (a call) with a disposition. 结束通话。"""
    command = routing.CompleteContact(contact_id, body.disposition)
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/transfer", responses=ERRORS)
async def transfer_contact(
    contact_id: str, body: TransferBody, user: Agent, desks: Desks
) -> dict[str, Any]:
    command = routing.TransferContact(contact_id, body.to_queue_id, body.to_agent_id, body.note)
    await _own_contact(
        user, desks, contact_id, command, ContactState.ACTIVE, authorize=_targets(user, body)
    )
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/handover", responses=ERRORS)
async def hand_over(
    contact_id: str, body: HandoverBody, user: Agent, desks: Desks
) -> dict[str, Any]:
    """Hand a contact the agent serves to a queue of another routing domain (a web node of
    a cluster: its router asks the other domain's; it checks the agent's rights on the
    contact). 转接到其他路由域。"""
    if desks.handovers is None:
        raise NotClustered(
            "this server is in no cluster: there is no other routing domain to hand over to"
        )
    await desks.handovers.transfer(contact_id, body.to_domain, body.to_queue_id, body.note, user)
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/recording/{step}", responses=ERRORS)
async def pause_recording(
    contact_id: str, step: Literal["pause", "resume"], user: Agent, desks: Desks
) -> dict[str, Any]:
    """Pause the call's recording while a card number is said, or resume it (logged).
    暂停 / 恢复录音。"""
    command: routing.Command = (
        routing.PauseRecording(contact_id)
        if step == "pause"
        else routing.ResumeRecording(contact_id)
    )
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


class ConsultBody(BaseModel):
    to_queue_id: str | None = Field(default=None, max_length=64)
    to_agent_id: str | None = Field(default=None, max_length=64)


class NoteBody(BaseModel):
    note: str = Field(default="", max_length=2000)


# Declared before ``/call/{step}``, which would otherwise take ``consult`` as its step.
@router.post("/contacts/{contact_id}/call/consult", responses=ERRORS)
async def consult(contact_id: str, body: ConsultBody, user: Agent, desks: Desks) -> dict[str, Any]:
    """Consult an agent, or the next free agent of a queue, while the caller waits on
    hold (the consulted agent's phone rings). 咨询转接：先与同事通话。"""
    command = routing.ConsultContact(contact_id, body.to_queue_id, body.to_agent_id)
    target = TransferBody(to_queue_id=body.to_queue_id, to_agent_id=body.to_agent_id)
    await _own_contact(
        user, desks, contact_id, command, ContactState.ACTIVE, authorize=_targets(user, target)
    )
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/call/consult/{step}", responses=ERRORS)
async def consult_step(
    contact_id: str,
    step: Literal["cancel", "complete"],
    user: Agent,
    desks: Desks,
    body: NoteBody | None = None,
) -> dict[str, Any]:
    """Go back to the caller (cancel) or hand the caller to the consulted agent with the
    note (complete). 取消咨询 / 完成转接。"""
    command: routing.Command = (
        routing.CancelConsult(contact_id)
        if step == "cancel"
        else routing.CompleteConsult(contact_id, (body or NoteBody()).note)
    )
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/call/conference", responses=ERRORS)
async def conference(contact_id: str, user: Agent, desks: Desks) -> dict[str, Any]:
    """Join the caller and the consulted agent: all three hear one another. 三方通话。"""
    command = routing.StartConference(contact_id)
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/call/conference/{step}", responses=ERRORS)
async def conference_step(
    contact_id: str,
    step: Literal["leave", "end"],
    user: Agent,
    desks: Desks,
    body: NoteBody | None = None,
) -> dict[str, Any]:
    """Leave the conference (the other two stay connected; the call goes to the consulted
    agent with the note) or end it (the third party leaves). 退出三方 / 结束三方。"""
    command: routing.Command = (
        routing.EndConference(contact_id)
        if step == "end"
        else routing.CompleteConsult(contact_id, (body or NoteBody()).note)
    )
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


_CALL_STEPS: dict[str, Callable[[str], routing.Command]] = {
    "hold": routing.HoldContact,
    "resume": routing.ResumeContact,
    "mute": routing.MuteCall,
    "unmute": routing.UnmuteCall,
}


@router.post("/contacts/{contact_id}/call/{step}", responses=ERRORS)
async def hold_call(
    contact_id: str,
    step: Literal["hold", "resume", "mute", "unmute"],
    user: Agent,
    desks: Desks,
) -> dict[str, Any]:
    """Put the call on hold (the caller hears music on hold) or take it back; mute the
    agent's microphone (the caller hears silence) or unmute it. 保持 / 恢复 / 静音 / 取消静音。"""
    command = _CALL_STEPS[step](contact_id)
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


class DigitsBody(BaseModel):
    digits: str = Field(min_length=1, max_length=32, pattern="^[0-9*#A-D]+$")


@router.post("/contacts/{contact_id}/digits", responses=ERRORS)
async def send_digits(
    contact_id: str, body: DigitsBody, user: Agent, desks: Desks
) -> dict[str, Any]:
    """Send keypad digits to the caller as tones (logged). 向来电方发送按键。"""
    command = routing.SendDigits(contact_id, body.digits)
    await _own_contact(user, desks, contact_id, command, ContactState.ACTIVE)
    return await _view(desks, user)


@router.post("/contacts/{contact_id}/end-wrapup", responses=ERRORS)
async def end_wrapup(contact_id: str, user: Agent, desks: Desks) -> dict[str, Any]:
    """Finish wrap-up early. 结束话后处理。"""
    command = routing.EndWrapup(contact_id)
    await _own_contact(user, desks, contact_id, command, ContactState.WRAPUP)
    return await _view(desks, user)
