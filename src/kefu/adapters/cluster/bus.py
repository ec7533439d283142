"""Commands and events between kefu nodes over NATS.

- **Commands, web → router**: a web node sends a routing command to the router leading
  its routing domain by NATS request/reply on ``kefu.cmd.<domain>``
  (:class:`CommandClient`), sealed with the caller it authenticated
  (:mod:`kefu.adapters.cluster.envelope`); the leader's :class:`CommandServer` checks the
  seal and the caller's rights (the API's rules), runs it through its engine and answers
  ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {...}}`` (the
  :class:`~kefu.domain.errors.KefuError`'s ``to_dict``). A contact creation carries its
  ``Idempotency-Key``, so a retry after a timeout or a failover is applied once.
- **Events, after commit**: :class:`EventPublisher` publishes every committed batch on the
  JetStream subject ``kefu.events.<domain>``, each event with ``Nats-Msg-Id`` =
  ``<domain>:<seq>`` (JetStream drops a duplicate publish) and its log position in the
  ``Kefu-Seq`` header, in log order, for the projections of every node.

Commands travel as JSON: ``{"type": name, "fields": {...}}``, for the routing commands
whose fields are plain values (:data:`COMMANDS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nats.aio.client import Client as Nats
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from kefu.adapters.cluster.channel_codec import CHANNEL_COMMANDS, channel_command, channel_fields
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.publishing import QueuePublisher
from kefu.domain.errors import KefuError, ValidationError
from kefu.domain.events import event_to_dict
from kefu.service import RoutingEngine
from kefu.service.commands import Command
from kefu.service.errors import ForgedCommand, ServiceUnavailable
from kefu.service.ports import StoredEvent
from kefu.service.routing import commands as rc
from kefu.service.routing import forgotten_contact
from kefu.service.security import Principal, command_authorizer, play_rights

__all__ = [
    "COMMANDS",
    "CommandClient",
    "CommandServer",
    "EventPublisher",
    "RemoteError",
    "answer_sealed",
    "command_from_dict",
    "command_subject",
    "command_to_dict",
    "decode_command",
    "encode_command",
    "ensure_stream",
    "event_subject",
    "stream_name",
]

log = logging.getLogger(__name__)

COMMANDS: dict[str, type[Command]] = {
    kind.__name__: kind
    for kind in (
        rc.CreateContact,
        rc.SetAgentState,
        rc.AcceptOffer,
        rc.RejectOffer,
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
        rc.PlayRecording,
        rc.DeleteRecording,
        rc.ListenToCall,
        rc.WhisperToCall,
        rc.BargeIntoCall,
    )
}
"""The commands that travel between nodes, by name."""

REQUEST_TIMEOUT_S = 5.0


def command_subject(domain: str) -> str:
    return f"kefu.cmd.{domain}"


def event_subject(domain: str) -> str:
    return f"kefu.events.{domain}"


def stream_name(domain: str) -> str:
    """The JetStream stream holding ``domain``'s events."""
    return "KEFU_EVENTS_" + "".join(ch if ch.isalnum() else "_" for ch in domain)


async def ensure_stream(js: JetStreamContext, domain: str) -> None:
    """Create ``domain``'s stream unless it exists (the first node to start creates it:
    a router or a web node, whichever comes first)."""
    with contextlib.suppress(Exception):  # it exists already: the same subjects
        await js.add_stream(name=stream_name(domain), subjects=[event_subject(domain)])


def command_to_dict(command: Command) -> dict[str, Any]:
    """``command`` as a JSON-ready ``{"type", "fields"}`` object (refused for a command
    that does not travel)."""
    name = type(command).__name__
    if CHANNEL_COMMANDS.get(name) is type(command):
        return {"type": name, "fields": channel_fields(command, command_to_dict)}
    if COMMANDS.get(name) is not type(command):
        raise ValidationError(f"{name} is not sent between nodes")
    fields = {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}
    fields = {k: dict(v) if hasattr(v, "items") else v for k, v in fields.items()}
    return {"type": name, "fields": fields}


def command_from_dict(body: Any) -> Command:
    """The command of a ``{"type", "fields"}`` object; a :class:`ValidationError` for
    anything else."""
    try:
        name = body["type"]
        fields = body["fields"]
        if not isinstance(fields, dict):
            raise TypeError("fields must be an object")
        if name in CHANNEL_COMMANDS:
            return channel_command(CHANNEL_COMMANDS[name], fields, command_from_dict)
        return COMMANDS[name](**fields)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(f"not a command: {exc}") from exc


def encode_command(command: Command) -> bytes:
    """``command`` as JSON bytes (refused for a command that does not travel)."""
    return json.dumps(command_to_dict(command), ensure_ascii=False).encode()


def decode_command(data: bytes) -> Command:
    """The command of JSON ``data``; a :class:`ValidationError` for anything else."""
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise ValidationError(f"not a command: {exc}") from exc
    return command_from_dict(body)


class RemoteError(KefuError):
    """A command refused by the router: the router's ``error_id``, message and details."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message", "")), **dict(error.get("details") or {}))
        self.error_id = str(error.get("error_id", "kefu_error"))

    def local(self) -> KefuError:
        """The same refusal as an error of this node's tree (the class whose ``error_id``
        it names, so the API answers it with that class's status); itself when no class
        has that id."""
        kind = _error_classes().get(self.error_id)
        if kind is None:
            return self
        error = kind.__new__(kind)
        KefuError.__init__(error, self.message, **self.details)
        return error


def _error_classes() -> dict[str, type[KefuError]]:
    found: dict[str, type[KefuError]] = {}
    todo: list[type[KefuError]] = [KefuError]
    while todo:
        kind = todo.pop()
        found.setdefault(kind.error_id, kind)
        todo.extend(kind.__subclasses__())
    return found


class CommandServer:
    """Runs the commands of ``domain`` sent to this node through ``engine`` (start it on
    the leader only): each must come in an envelope sealed by a web node (``sealer``), and
    its caller must have the rights the API asks for it; ``clock`` gives the seconds since
    the epoch the envelopes' age is measured with."""

    def __init__(
        self,
        nats: Nats,
        engine: RoutingEngine,
        domain: str,
        *,
        sealer: CommandSealer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if sealer.domain != domain:
            raise ValueError("the sealer is for another routing domain")
        self.nats = nats
        self.engine = engine
        self.domain = domain
        self.sealer = sealer
        self.clock = clock
        self._subscription: Subscription | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._subscription = await self.nats.subscribe(
            command_subject(self.domain), queue="routers", cb=self._dispatch
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _dispatch(self, msg: Msg) -> None:
        """Run each command in a task of its own: the subscription hands messages over one
        at a time, and awaiting each command's commit here would store one command per
        batch. The engine's lock takes them in the order they came."""
        task = asyncio.create_task(self._handle(msg))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _handle(self, msg: Msg) -> None:
        async def run() -> Any:
            opened = self.sealer.open(msg.data, msg.headers, self.clock())
            command = command_from_dict(opened.command)
            if isinstance(command, rc.PlayRecording):
                # A forgotten contact's rights are checked on its record in the store.
                archived = await forgotten_contact(self.engine, command.contact_id)
                authorize = play_rights(opened.caller, command, archived)
            else:
                authorize = command_authorizer(opened.caller, command)
            result = await self.engine.execute(command, actor=opened.caller, authorize=authorize)
            if dataclasses.is_dataclass(result) and not isinstance(result, type):
                result = dataclasses.asdict(result)  # a receipt: its fields, by name
            return result

        await answer_sealed(msg, run, "a command")


async def answer_sealed(msg: Msg, run: Callable[[], Awaitable[Any]], what: str) -> None:
    """Answer a sealed request with ``run()``'s result, or with the refusal it raised (a
    forged seal logged as a warning, any other failure as 503): ``{"ok", "result"|"error"}``
    as JSON. ``what`` names the request in the log."""
    try:
        reply: dict[str, Any] = {"ok": True, "result": await run()}
    except KefuError as exc:
        if isinstance(exc, ForgedCommand):
            log.warning("refused %s from the bus: %s", what, exc)
        reply = {"ok": False, "error": exc.to_dict()}
    except Exception:
        log.exception("%s from the bus failed", what)
        reply = {"ok": False, "error": ServiceUnavailable("the router failed").to_dict()}
    await msg.respond(json.dumps(reply, ensure_ascii=False, default=str).encode())


class CommandClient:
    """Sends commands to the router leading ``domain``, each sealed for its caller
    (``sealer``; ``clock``: seconds since the epoch)."""

    def __init__(
        self,
        nats: Nats,
        domain: str,
        *,
        sealer: CommandSealer,
        timeout_s: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.nats = nats
        self.domain = domain
        self.sealer = sealer
        self.timeout_s = timeout_s
        self.clock = clock

    async def execute(self, command: Command, caller: Principal) -> Any:
        """The router's answer to ``command`` run for ``caller`` (authenticated by this
        node); a :class:`RemoteError` when it refused the command, a
        :class:`ServiceUnavailable` when no router answered in time (retry with the same
        Idempotency-Key)."""
        data, headers = self.sealer.seal(command_to_dict(command), caller, self.clock())
        try:
            msg = await self.nats.request(
                command_subject(self.domain), data, self.timeout_s, headers=headers
            )
        except Exception as exc:
            raise ServiceUnavailable(
                "no router of this routing domain answered", domain=self.domain
            ) from exc
        reply = json.loads(msg.data)
        if not reply.get("ok"):
            raise RemoteError(reply.get("error") or {})
        return reply.get("result")


class EventPublisher(QueuePublisher[Sequence[StoredEvent]]):
    """Publishes ``engine``'s committed events on JetStream, in log order."""

    def __init__(self, js: JetStreamContext, engine: RoutingEngine, domain: str) -> None:
        super().__init__("kefu-event-publisher", "publishing events on JetStream failed")
        self.js = js
        self.engine = engine
        self.domain = domain
        self._subject = event_subject(domain)

    def subscribe(self, listener: Callable[[Sequence[StoredEvent]], None]) -> Callable[[], None]:
        return self.engine.subscribe(listener)

    async def publish(self, item: Sequence[StoredEvent]) -> None:
        """Publish one committed batch (projections catch up from the store on a failure)."""
        for stored in item:
            body = json.dumps(event_to_dict(stored.event), ensure_ascii=False).encode()
            headers = {"Nats-Msg-Id": f"{self.domain}:{stored.seq}", "Kefu-Seq": str(stored.seq)}
            await self.js.publish(self._subject, body, headers=headers)
            self.published += 1
