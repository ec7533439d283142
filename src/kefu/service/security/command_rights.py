"""The rights a caller needs for each routing command, as the API checks them, for a
command that reaches the engine without passing an API route (a command sent by a web
node over the cluster's bus, :mod:`kefu.adapters.cluster.bus`).

:func:`command_authorizer` answers the ``authorize`` callback of
:meth:`~kefu.service.engine.RoutingEngine.execute` for ``command`` run on behalf of
``principal``: the same scopes, roles and sites as the matching API route
(:mod:`kefu.api.routes.contacts`, :mod:`kefu.api.routes.agents`). A command the table
does not know is refused (:class:`~kefu.service.errors.Forbidden`).
"""

from __future__ import annotations

from kefu.analytics.archive import ArchivedContact
from kefu.service.channels import commands as cc
from kefu.service.commands import Command
from kefu.service.engine import Authorize, RoutingEngine
from kefu.service.errors import Forbidden
from kefu.service.routing import commands as rc
from kefu.service.security import access, authz
from kefu.service.security.access import Principal, Role, Scope

__all__ = [
    "CHANNEL_CALLER",
    "SUPERVISING",
    "command_authorizer",
    "play_rights",
    "scoped_key",
]

SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)
"""The roles of supervision: assign, abandon, listen, whisper, barge, create a contact."""


CHANNEL_CALLER = Principal(
    user_id="channel", username="channel", role=Role.AGENT, sites=frozenset(), via="channel"
)
"""The caller a web node sends a customer's message for (its chat socket): it may only
hand in customers' messages (no agent, no site, no scope)."""


def scoped_key(principal: Principal, key: str | None) -> str | None:
    """Whether ``key`` is one of ``principal``'s (the API keeps idempotency keys per user
    as ``<user id>:<key>``): the key, or :class:`Forbidden` for another user's key."""
    if key is not None and not key.startswith(f"{principal.user_id}:"):
        raise Forbidden(
            "an Idempotency-Key belongs to the user who sent it", text_key="error.foreign_key"
        )
    return key


def _create(principal: Principal, command: rc.CreateContact) -> Authorize:
    def authorize(engine: RoutingEngine) -> None:
        access.require_scope(principal, Scope.CONTACTS_WRITE)
        access.require_role(principal, *SUPERVISING)
        authz.check_queue(engine, authz.as_seen_by(engine, principal), command.queue_id)
        scoped_key(principal, command.idempotency_key)

    return authorize


def _agent_state(principal: Principal, command: rc.SetAgentState) -> Authorize:
    def authorize(engine: RoutingEngine) -> None:
        access.require_scope(principal, Scope.AGENTS_WRITE)
        # An agent user's site is its agent's as the router has it now (as the API sees it).
        authz.check_agent(engine, authz.as_seen_by(engine, principal), command.agent_id)

    return authorize


def _offer(principal: Principal, command: rc.AcceptOffer | rc.RejectOffer) -> Authorize:
    agent = command.agent_id
    if principal.role is Role.AGENT and agent is None:
        agent = principal.agent_id
    return authz.contact_action(principal, command.contact_id, on_behalf_of=agent)


def _listen(
    principal: Principal, command: rc.ListenToCall | rc.WhisperToCall | rc.BargeIntoCall
) -> Authorize:
    action = authz.contact_action(principal, command.contact_id, roles=SUPERVISING)

    def authorize(engine: RoutingEngine) -> None:
        action(engine)
        if command.supervisor != principal.username:
            raise Forbidden("one listens on one's own phone only", text_key="error.listen_own")

    return authorize


def play_rights(
    principal: Principal, command: rc.PlayRecording, archived: ArchivedContact | None = None
) -> Authorize:
    """Who may play a contact's recording: whoever may read the contact (an agent its own,
    a supervisor its sites', an admin any), as itself. ``archived`` is the store's record
    of the contact (:func:`~kefu.service.routing.archive.forgotten_contact`), checked the
    same way when the router has forgotten the contact."""

    def authorize(engine: RoutingEngine) -> None:
        access.require_scope(principal, Scope.READ)
        seen = authz.as_seen_by(engine, principal)
        forgotten = command.contact_id not in engine.router.contacts
        if forgotten and archived is not None and archived.contact_id == command.contact_id:
            authz.check_archived_contact(engine, seen, archived)
        else:
            authz.check_contact(engine, seen, command.contact_id)
        if command.user != principal.username:
            raise Forbidden(
                "a recording is played as oneself only", text_key="error.recording_own_access"
            )

    return authorize


def _contact(principal: Principal, command: Command) -> Authorize:
    contact_id: str = getattr(command, "contact_id")  # noqa: B009 - every kind below has it
    if isinstance(command, rc.AssignContact):
        return authz.contact_action(
            principal, contact_id, roles=SUPERVISING, to_agent=command.agent_id
        )
    if isinstance(command, rc.TransferContact | rc.ConsultContact):
        return authz.contact_action(
            principal, contact_id, to_queue=command.to_queue_id, to_agent=command.to_agent_id
        )
    if isinstance(command, rc.AbandonContact | rc.RecordCall | rc.DeleteRecording):
        return authz.contact_action(principal, contact_id, roles=SUPERVISING)
    return authz.contact_action(principal, contact_id)


_CONTACT_ACTIONS = (
    rc.AssignContact,
    rc.HoldContact,
    rc.ResumeContact,
    rc.MuteCall,
    rc.UnmuteCall,
    rc.SendDigits,
    rc.TransferContact,
    rc.ConsultContact,
    rc.CancelConsult,
    rc.CompleteConsult,
    rc.StartConference,
    rc.EndConference,
    rc.CompleteContact,
    rc.EndWrapup,
    rc.AbandonContact,
    rc.RequestCallback,
    rc.RecordCall,
    rc.PauseRecording,
    rc.ResumeRecording,
    rc.DeleteRecording,
)


def command_authorizer(principal: Principal, command: Command) -> Authorize:
    """The check of ``principal``'s rights to run ``command`` (run by the engine under its
    lock, so the records it checks are those the handler acts on)."""
    if isinstance(command, rc.CreateContact):
        return _create(principal, command)
    if isinstance(command, rc.SetAgentState):
        return _agent_state(principal, command)
    if isinstance(command, rc.AcceptOffer | rc.RejectOffer):
        return _offer(principal, command)
    if isinstance(command, rc.ListenToCall | rc.WhisperToCall | rc.BargeIntoCall):
        return _listen(principal, command)
    if isinstance(command, rc.PlayRecording):
        return play_rights(principal, command)
    if isinstance(command, _CONTACT_ACTIONS):
        return _contact(principal, command)
    if isinstance(command, cc.ReceiveInbound):
        return _inbound(principal)
    if isinstance(command, cc.AdoptConversation):
        return _adopt(principal, command)
    if isinstance(command, _DESKTOP_ACTIONS):
        return _desktop(principal, command)
    raise Forbidden(
        f"{type(command).__name__} is not run on behalf of a caller",
        text_key="error.command_not_allowed",
    )


_DESKTOP_ACTIONS = (
    cc.Reply,
    cc.AddNote,
    cc.TransferConversation,
    cc.WrapUp,
    cc.AnswerOffer,
    cc.ActOnOwnContact,
)


def _inbound(principal: Principal) -> Authorize:
    """A customer's message comes through a web node's channel, never a user's call."""

    def authorize(engine: RoutingEngine) -> None:
        del engine
        if principal.via != CHANNEL_CALLER.via:
            raise Forbidden(
                "a customer's message comes through a channel",
                text_key="error.command_not_allowed",
            )

    return authorize


ROUTERS = "cluster"
"""How the caller of another routing domain's router came (its ``via``)."""


def _adopt(principal: Principal, command: cc.AdoptConversation) -> Authorize:
    """A conversation is handed over by another routing domain's router only (with the
    rights of a contact creation), never by a user's call."""
    create = _create(principal, command.contact)

    def authorize(engine: RoutingEngine) -> None:
        if principal.via != ROUTERS:
            raise Forbidden(
                "a conversation comes from another routing domain's router",
                text_key="error.command_not_allowed",
            )
        create(engine)

    return authorize


def _desktop(principal: Principal, command: Command) -> Authorize:
    """What the desktop's routes allow: an agent user with ``contacts:write`` acting as
    its own agent, transferring only to queues and agents it sees (the handler checks
    that the agent holds the conversation or contact)."""
    agent_id: str = getattr(command, "agent_id")  # noqa: B009 - every kind above has it
    action = command.action if isinstance(command, cc.ActOnOwnContact) else command
    to_queue = getattr(action, "to_queue_id", None)
    to_agent = getattr(action, "to_agent_id", None)

    def authorize(engine: RoutingEngine) -> None:
        access.require_scope(principal, Scope.CONTACTS_WRITE)
        if principal.role is not Role.AGENT or principal.agent_id != agent_id:
            raise Forbidden(
                "the desktop is for agent users, as themselves",
                text_key="error.desktop_agents_only",
                role=principal.role.value,
            )
        seen = authz.as_seen_by(engine, principal)
        if to_queue is not None:
            authz.check_queue(engine, seen, to_queue)
        if to_agent is not None:
            authz.sees_agent_site(engine, seen, to_agent)

    return authorize
