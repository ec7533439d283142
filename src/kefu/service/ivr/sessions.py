"""The conversations in a flow right now: each one's interpreter state, the question it
waits on and the instant its silence times out — a part of the engine's transaction.

Every IVR event of a conversation is stored as a record of the ``ivr`` stream of the
channel log (:meth:`~kefu.service.channels.state.ChannelState.log`, one ``seq`` with the
conversation's messages), with two records of the driver's own: ``opened`` (channel,
metadata, topic) and ``asked`` (the question shown, its buttons and when its silence
times out). Loading replays them (:func:`~kefu.domain.ivr.state.replay`), so a restart in
the middle of a flow asks the same question again and keeps its timer. Times are seconds.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.ivr import IvrState, replay
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.records import IvrEvents
from kefu.domain.routing import Router
from kefu.service.channels.ports import ChannelRecord
from kefu.service.ivr.commands import IvrTimeout
from kefu.service.ports import UnitOfWork
from kefu.service.snapshots import dump_part, load_part

__all__ = ["STREAM", "IvrSessions", "Session"]

log = logging.getLogger(__name__)
STREAM = "ivr"
Log = Callable[[float, str, str, str, dict[str, Any]], None]


@dataclass(slots=True)
class Session:
    """One conversation in a flow: its ``channel``, interpreter ``state``, the question it
    waits on (``asked``), when that question's silence times out (``due``, s; None: no
    timer), ``metadata`` for the contact's attributes and the pre-chat ``topic`` queue."""

    conversation_id: str
    channel: str
    state: IvrState
    asked: m.Ask | None = None
    due: float | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    topic: str | None = None


class IvrSessions:
    """Sessions by conversation id, logged through ``log`` (the channel state's);
    ``position`` tells the channel log's last ``seq`` (what a snapshot of the sessions
    covers; without it they are not snapshotted and always loaded from the whole log).

    Each session in a flow keeps the records it logged (``opened``, its events and
    questions, as stored): a snapshot holds those of the sessions in a flow, never their
    interpreter state, which may hold what the log never does (a card number)."""

    snapshot_key = "ivr_sessions"

    def __init__(self, log_record: Log, position: Callable[[], int] | None = None) -> None:
        self._log = log_record
        self._position = position
        self.sessions: dict[str, Session] = {}
        self._history: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        # (due, conversation id) of every timer armed; an entry whose session has another
        # due since (or none) is stale and skipped: next_due and due stay O(log n).
        self._timers: list[tuple[float, str]] = []

    def get(self, conversation_id: str) -> Session | None:
        return self.sessions.get(conversation_id)

    # -- changes (each logged) ----------------------------------------------------------
    def open(self, session: Session, at: float) -> None:
        data = {"channel": session.channel, "metadata": session.metadata, "topic": session.topic}
        self._log(at, STREAM, "opened", session.conversation_id, data)
        self.sessions[session.conversation_id] = session
        self._history[session.conversation_id] = [("opened", data)]

    def record(self, session: Session, events: Iterable[ev.IvrEvent]) -> None:
        history = self._history.setdefault(session.conversation_id, [])
        # A step's events are logged from their records: no event dataclass is built.
        dicts = (
            events.dicts()
            if isinstance(events, IvrEvents)
            else [ev.ivr_event_to_dict(e) for e in events]
        )
        for data in dicts:
            self._log(data["at"], STREAM, data["type"], session.conversation_id, data)
            history.append((data["type"], data))

    def ask(self, session: Session, ask: m.Ask, due: float | None, at: float) -> None:
        session.asked, session.due = ask, due
        if due is not None:
            heapq.heappush(self._timers, (due, session.conversation_id))
        data = {
            "node_id": ask.node_id,
            "prompt": ask.prompt,
            "options": [list(o) for o in ask.options],
            "deadline": ask.deadline,
            "secret": ask.secret,
            "retry": ask.retry,
            "due": due,
        }
        self._log(at, STREAM, "asked", session.conversation_id, data)
        self._history.setdefault(session.conversation_id, []).append(("asked", data))

    def finish(self, session: Session) -> None:
        """Forget a session whose contact left the flow (its events say so)."""
        self.sessions.pop(session.conversation_id, None)
        self._history.pop(session.conversation_id, None)

    # -- the state part -----------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Rebuild the sessions still in a flow from their records."""
        opened: dict[str, dict[str, Any]] = {}
        events: dict[str, list[ev.IvrEvent]] = {}
        asked: dict[str, dict[str, Any]] = {}
        history: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for record in records:
            conv_id = record.subject_id
            if record.kind == "opened":
                opened[conv_id] = dict(record.data)
                asked.pop(conv_id, None)  # a question belongs to the session it was asked in
                history[conv_id] = []
            elif record.kind == "asked":
                asked[conv_id] = dict(record.data)
            else:
                event = ev.ivr_event_from_dict(record.data)
                if isinstance(event, ev.FlowStarted):
                    events[conv_id] = []  # a chained flow starts over; its state is carried
                events.setdefault(conv_id, []).append(event)
            history.setdefault(conv_id, []).append((record.kind, dict(record.data)))
        self.sessions = {}
        for conv_id, meta in opened.items():
            try:
                state = replay(events.get(conv_id, ()))
            except Exception:
                log.exception("the IVR log of conversation %s cannot be replayed", conv_id)
                continue
            if state.finished:
                continue
            session = Session(
                conv_id,
                str(meta["channel"]),
                state,
                metadata=dict(meta.get("metadata") or {}),
                topic=meta.get("topic"),
            )
            a = asked.get(conv_id)
            if a is not None and a["node_id"] == state.node:
                session.asked = m.Ask(
                    a["node_id"],
                    a["prompt"],
                    tuple((str(d), str(label)) for d, label in a["options"]),
                    a["deadline"],
                    bool(a["secret"]),
                    int(a["retry"]),
                )
                session.due = a["due"]
            self.sessions[conv_id] = session
        self._timers = [(s.due, c) for c, s in self.sessions.items() if s.due is not None]
        heapq.heapify(self._timers)
        self._history = {c: history[c] for c in self.sessions}

    # -- snapshots (kefu.service.engine_state.SnapshotPart) -----------------------------
    def dump(self) -> bytes:
        """The records of the sessions in a flow, and the channel log's position."""
        if self._position is None:
            raise ValueError("IVR sessions without the channel log's position")
        kept = {c: self._history.get(c, []) for c in self.sessions}
        return dump_part(self, (self._position(), kept))

    def fetch_since(self, uow: UnitOfWork, dumped: bytes) -> list[ChannelRecord]:
        """The snapshot's records, then the ``ivr`` records after its position."""
        seq, kept = load_part(self, dumped)
        records = [
            ChannelRecord(0, 0.0, STREAM, str(kind), str(conv_id), data)
            for conv_id, items in kept.items()
            for kind, data in items
        ]
        records += [r for r in uow.channels.read(int(seq)) if r.stream == STREAM]
        return records

    def restore(self, fetched: list[ChannelRecord]) -> None:
        """What :meth:`load` of the whole log gives: the sessions in a flow at the
        snapshot were rebuilt from their records alone, as the later ones are."""
        self.load(fetched)

    def reconcile(self, router: Router, now: float) -> None:
        del router, now  # sessions need no reconciling with the router
        return None

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's (one seq orders both)

    # -- timers -------------------------------------------------------------------------
    def next_due(self) -> float | None:
        timers = self._timers
        while timers and not self._live(*timers[0]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def due(self, now: float) -> list[Any]:
        out: list[Any] = []
        timers = self._timers
        while timers and timers[0][0] <= now:
            due, conv_id = heapq.heappop(timers)
            if self._live(due, conv_id):
                self.sessions[conv_id].due = None
                out.append(IvrTimeout(conv_id))
        return out

    def _live(self, due: float, conv_id: str) -> bool:
        session = self.sessions.get(conv_id)
        return session is not None and session.due == due
