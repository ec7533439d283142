"""Commands: what callers ask the routing engine to do (one dataclass each).

Each is handled by one handler (:mod:`kefu.service.routing.handlers`; the channels' commands are in
:mod:`kefu.service.channels.commands`) inside one transaction. Times are never passed in: the
engine reads its clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service.commands import Command

__all__ = [
    "AbandonContact",
    "AcceptOffer",
    "AssignContact",
    "BargeIntoCall",
    "CancelConsult",
    "Command",
    "CompleteConsult",
    "CompleteContact",
    "ConsultContact",
    "CreateContact",
    "CreateSite",
    "DefineAgent",
    "DefineQueue",
    "DeleteRecording",
    "EndConference",
    "EndWrapup",
    "HoldContact",
    "ListenToCall",
    "MuteCall",
    "PauseRecording",
    "PlayRecording",
    "RecordCall",
    "RejectOffer",
    "RequestCallback",
    "ResumeContact",
    "ResumeRecording",
    "SendDigits",
    "SetAgentState",
    "StartConference",
    "TransferContact",
    "TransferOut",
    "UnmuteCall",
    "UpdateAgent",
    "UpdateQueue",
    "UpdateSite",
    "WhisperToCall",
]


@dataclass(frozen=True, slots=True)
class CreateSite(Command):
    site_id: str
    name: str
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class UpdateSite(Command):
    """Change a site's name or time zone (``None``: keep it)."""

    site_id: str
    name: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class DefineQueue(Command):
    """Create (``create=True``: refused if it exists) or redefine a queue."""

    spec: QueueSpec
    site_id: str
    shared: bool = False
    create: bool = True


@dataclass(frozen=True, slots=True)
class DefineAgent(Command):
    """Create (``create=True``: refused if it exists) or redefine an agent; the site is
    ``spec.site_id``."""

    spec: AgentSpec
    create: bool = True


@dataclass(frozen=True, slots=True)
class UpdateQueue(Command):
    """Change some fields of a queue: any :class:`QueueSpec` field, ``site_id``, ``shared``
    (``overflow`` as a list of ``{"after_s", "skills", "queue_id"}``)."""

    queue_id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UpdateAgent(Command):
    """Change some fields of an agent: ``name``, ``site_id``, ``skills``, ``capacity``
    (channel → slots), ``exclusive`` (channels)."""

    agent_id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SetAgentState(Command):
    """Ready, not ready (``reason``: a not-ready reason code) or offline. A change made by
    someone else than the agent (a supervisor from the wallboard) is audited with ``note``,
    the reason they give (free text)."""

    agent_id: str
    presence: str
    reason: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChooseEndpoint(Command):
    """Agent ``agent_id`` answers its next calls at ``endpoint``: ``sip`` (its registered
    SIP phone) or ``browser`` (the desktop's softphone)."""

    agent_id: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class CreateContact(Command):
    """A new contact in ``queue_id``. With ``idempotency_key`` a retry answers the first
    creation again; ``request_hash`` fingerprints the request to detect a reused key."""

    queue_id: str
    value_tier: int = 0
    priority: int = 0
    customer_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None
    request_hash: str = ""


@dataclass(frozen=True, slots=True)
class AcceptOffer(Command):
    contact_id: str
    offer_id: str
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class RejectOffer(Command):
    contact_id: str
    offer_id: str
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class AssignContact(Command):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class HoldContact(Command):
    contact_id: str


@dataclass(frozen=True, slots=True)
class ResumeContact(Command):
    contact_id: str


@dataclass(frozen=True, slots=True)
class MuteCall(Command):
    """The agent mutes its microphone on the call: the caller hears silence from it."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class UnmuteCall(Command):
    """The agent unmutes its microphone on the call."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class SendDigits(Command):
    """The agent sends keypad ``digits`` (``0-9 * # A-D``, at most 32) to the caller as
    tones (logged)."""

    contact_id: str
    digits: str


@dataclass(frozen=True, slots=True)
class TransferContact(Command):
    contact_id: str
    to_queue_id: str | None = None
    to_agent_id: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ConsultContact(Command):
    """The agent serving the call consults ``to_agent_id`` or the best free agent of
    ``to_queue_id`` (exactly one) while the caller waits on hold."""

    contact_id: str
    to_queue_id: str | None = None
    to_agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class CancelConsult(Command):
    """End the call's consult without a transfer (``reason``: ``cancelled`` by the agent,
    ``target_gone`` when the consulted party hung up or did not answer)."""

    contact_id: str
    reason: str = "cancelled"


@dataclass(frozen=True, slots=True)
class CompleteConsult(Command):
    """Hand the call to the consulted agent with ``note`` (the agent leaves a consult or
    a conference; the other two stay connected)."""

    contact_id: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class StartConference(Command):
    """The caller, the agent and the consulted agent hear one another."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class EndConference(Command):
    """The conference's third party leaves; the caller and the agent talk on."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class TransferOut(Command):
    """Routing domain ``to_domain`` took the contact into its queue ``to_queue_id`` as
    ``remote_contact_id``: end it here as transferred out (sent by the router of this
    domain once the other one answered; :mod:`kefu.adapters.cluster.handover`)."""

    contact_id: str
    to_domain: str
    to_queue_id: str
    remote_contact_id: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class CompleteContact(Command):
    contact_id: str
    disposition: str | None = None


@dataclass(frozen=True, slots=True)
class EndWrapup(Command):
    contact_id: str


@dataclass(frozen=True, slots=True)
class AbandonContact(Command):
    contact_id: str


@dataclass(frozen=True, slots=True)
class RecordCall(Command):
    """The contact's call is recorded into ``recording`` (a file name)."""

    contact_id: str
    recording: str


@dataclass(frozen=True, slots=True)
class PauseRecording(Command):
    """The agent pauses the call's recording (e.g. while a card number is said)."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class ResumeRecording(Command):
    """The agent resumes the call's paused recording."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class PlayRecording(Command):
    """``user`` (a login) is given the contact's recording to play (the access is logged);
    answers ``{"contact_id", "recording"}`` (the file name)."""

    contact_id: str
    user: str


@dataclass(frozen=True, slots=True)
class DeleteRecording(Command):
    """The recording file ``recording`` of the contact was deleted for ``reason``
    (``retention``)."""

    contact_id: str
    recording: str
    reason: str = "retention"


@dataclass(frozen=True, slots=True)
class ListenToCall(Command):
    """Supervisor ``supervisor`` listens silently to the contact's call on its phone."""

    contact_id: str
    supervisor: str


@dataclass(frozen=True, slots=True)
class WhisperToCall(Command):
    """Supervisor ``supervisor`` speaks to the agent of the contact's call on its phone
    (the customer does not hear it)."""

    contact_id: str
    supervisor: str


@dataclass(frozen=True, slots=True)
class BargeIntoCall(Command):
    """Supervisor ``supervisor`` joins the contact's call on its phone (heard by both)."""

    contact_id: str
    supervisor: str


@dataclass(frozen=True, slots=True)
class RequestCallback(Command):
    contact_id: str
    number: str | None = None


Result = Any
