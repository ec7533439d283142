"""The routes of a web node (``kefu serve --role web``): the caller authenticated here by
bearer token, the command sent to the router leading the routing domain over NATS
(:class:`~kefu.adapters.cluster.bus.CommandClient`), signed for that caller; the router
checks the caller's rights and answers: creating a contact, changing an agent's state and
handing a contact to another routing domain (:mod:`kefu.adapters.cluster.handover_bus`)
(the desktop's routes run on the web node's copy, which sends their commands the same way;
the other routes still need the engine in process, ``--role all``)."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status

from kefu.adapters.cluster.bus import CommandClient, RemoteError
from kefu.adapters.cluster.handover_bus import HandoverClient
from kefu.api.schemas.agents import AgentStateChange
from kefu.api.schemas.contacts import ContactCreate, HandoverRequest
from kefu.service import NotAuthenticated, routing
from kefu.service.security import Principal, Security, authenticate

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["web node"])


async def _caller(request: Request) -> Principal:
    security: Security = request.app.state.security
    principal = await authenticate(security.credentials, request.headers.get("authorization"), None)
    if principal is None:
        raise NotAuthenticated("send a bearer token", text_key="error.login_first")
    return principal


Caller = Annotated[Principal, Depends(_caller)]


async def _send(request: Request, command: routing.Command, caller: Principal) -> Any:
    commands: CommandClient = request.app.state.commands
    try:
        return await commands.execute(command, caller)
    except RemoteError as exc:
        raise exc.local() from None


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate,
    request: Request,
    response: Response,
    caller: Caller,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> dict[str, Any]:
    """A contact arrives in a queue (sent to the router; a retry with the same
    Idempotency-Key is applied once, across a failover too)."""
    fingerprint = hashlib.sha256(
        json.dumps(body.model_dump(), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    key = None if idempotency_key is None else f"{caller.user_id}:{idempotency_key}"
    command = routing.CreateContact(
        body.queue_id,
        value_tier=body.value_tier,
        priority=body.priority,
        customer_id=body.customer_id,
        attributes=dict(body.attributes),
        idempotency_key=key,
        request_hash=fingerprint,
    )
    made: dict[str, Any] = await _send(request, command, caller)
    if made.pop("replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    return made


@router.post("/agents/{agent_id}/state")
async def change_state(
    agent_id: str, body: AgentStateChange, request: Request, caller: Caller
) -> dict[str, Any]:
    """Ready, not ready (reason) or offline (sent to the router)."""
    made: dict[str, Any] = await _send(
        request, routing.SetAgentState(agent_id, body.presence, body.reason), caller
    )
    return made


@router.post("/contacts/{contact_id}/handover")
async def hand_over(
    contact_id: str, body: HandoverRequest, request: Request, caller: Caller
) -> dict[str, Any]:
    """Hand the contact to a queue of another routing domain (sent to this domain's
    router, which asks the other one; asked again once done, answers ``replayed``)."""
    commands: CommandClient = request.app.state.commands
    client = HandoverClient(commands.nats, commands.domain, sealer=commands.sealer)
    try:
        made: dict[str, Any] = await client.transfer(
            contact_id, body.to_domain, body.to_queue_id, body.note, caller
        )
    except RemoteError as exc:
        raise exc.local() from None
    return made
