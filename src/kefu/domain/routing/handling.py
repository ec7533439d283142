"""The router's commands on a contact beyond its routing flow.

On a waiting contact: a new priority, a callback (virtual hold); on a contact being served:
recording, supervisor listen, whisper and barge, hold, resume, mute, digits to the caller
and transfer.
:class:`ContactHandling` is a base of :class:`~kefu.domain.routing.router.Router`.
"""

from __future__ import annotations

from kefu.domain import events as ev
from kefu.domain.errors import InvalidState, NoRecording, ValidationError
from kefu.domain.model import Channel, ContactState
from kefu.domain.routing.dispatch import Dispatcher
from kefu.domain.routing.records import ContactRecord

__all__ = [
    "KEYPAD",
    "MAX_SENT_DIGITS",
    "MUTED",
    "RECORDING",
    "RECORDING_DELETED",
    "RECORDING_PAUSED",
    "ContactHandling",
]

RECORDING = "recording"
"""The contact attribute naming its call's latest recording (a file name)."""
RECORDING_PAUSED = "recording_paused"
"""Set (to the agent's id) while the agent has the recording paused."""
RECORDING_DELETED = "recording_deleted"
"""Why the contact's recording is gone (``retention``)."""
MUTED = "muted"
"""Set (to the agent's id) while the agent has its microphone muted on the call."""
KEYPAD = "0123456789*#ABCD"
MAX_SENT_DIGITS = 32

QUEUED = ContactState.QUEUED
ACTIVE = ContactState.ACTIVE


class ContactHandling(Dispatcher):
    """Reprioritize, callback, record, listen/whisper/barge, hold, resume, transfer (a base
    of the router)."""

    def reprioritize(self, contact_id: str, priority: int, now: float) -> None:
        """Give a waiting contact a new ``priority``; it keeps its value tier, SL deadline
        and arrival order (a case's escalation raising its back-office work item)."""
        contact = self._contact(contact_id)
        self._require(contact, (QUEUED,), "reprioritized")
        self._clock(now)
        self._require(contact, (QUEUED,), "reprioritized")
        if contact.priority != priority:
            self._emit(ev.ContactReprioritized(self.time, contact_id, priority))

    def request_callback(self, contact_id: str, now: float, number: str | None = None) -> None:
        """Virtual hold: the customer hangs up and keeps its place in line; at the front the
        contact is offered as a callback."""
        contact = self._contact(contact_id)
        self._require(contact, (QUEUED,), "turned into a callback")
        if contact.callback:
            raise InvalidState(f"contact {contact_id} is already a callback")
        self._clock(now)
        self._require(contact, (QUEUED,), "turned into a callback")
        self._emit(ev.CallbackRequested(self.time, contact_id, number))

    def record_call(self, contact_id: str, now: float, recording: str) -> None:
        """The contact's call is being recorded into ``recording`` (a file name); the
        contact's ``recording`` attribute points at it."""
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), "recorded")
        self._clock(now)
        self._emit(ev.CallRecorded(self.time, contact_id, recording))

    def pause_recording(self, contact_id: str, now: float) -> None:
        """The agent pauses the call's recording (silence is recorded until resumed)."""
        contact = self._recorded(contact_id, "paused")
        if RECORDING_PAUSED in contact.attributes:
            raise InvalidState(
                f"the recording of contact {contact_id} is already paused",
                text_key="error.recording_paused",
                contact_id=contact_id,
            )
        self._clock(now)
        self._emit(ev.RecordingPaused(self.time, contact_id, contact.agent_id or ""))

    def resume_recording(self, contact_id: str, now: float) -> None:
        """The agent resumes the call's paused recording."""
        contact = self._recorded(contact_id, "resumed")
        if RECORDING_PAUSED not in contact.attributes:
            raise InvalidState(
                f"the recording of contact {contact_id} is not paused",
                text_key="error.recording_not_paused",
                contact_id=contact_id,
            )
        self._clock(now)
        self._emit(ev.RecordingResumed(self.time, contact_id, contact.agent_id or ""))

    def play_recording(self, contact_id: str, now: float, user: str) -> str:
        """``user`` is given the contact's recording to play (audited); returns its file
        name. A recording deleted by retention cannot be played."""
        contact = self._contact(contact_id)
        recording = contact.attributes.get(RECORDING)
        if recording is None or RECORDING_DELETED in contact.attributes:
            raise NoRecording(
                f"contact {contact_id} has no recording to play",
                text_key="error.no_recording",
                contact_id=contact_id,
            )
        self._clock(now)
        self._emit(ev.RecordingPlayed(self.time, contact_id, user, recording))
        return recording

    def play_archived_recording(
        self, contact_id: str, now: float, user: str, recording: str
    ) -> str:
        """``user`` is given the recording ``recording`` of a finished contact the router
        no longer holds (its record read from the store; audited like any play); returns
        the file name."""
        if contact_id in self.contacts:
            return self.play_recording(contact_id, now, user)
        if not recording:
            raise NoRecording(
                f"contact {contact_id} has no recording to play",
                text_key="error.no_recording",
                contact_id=contact_id,
            )
        self._clock(now)
        self._emit(ev.RecordingPlayed(self.time, contact_id, user, recording))
        return recording

    def delete_recording(self, contact_id: str, now: float, recording: str, reason: str) -> None:
        """The file ``recording`` of the contact was deleted for ``reason`` (a contact the
        router no longer holds is logged too)."""
        if not recording or not reason:
            raise ValidationError("a deleted recording needs its file name and a reason")
        self._clock(now)
        self._emit(ev.RecordingDeleted(self.time, contact_id, recording, reason))

    def _recorded(self, contact_id: str, verb: str) -> ContactRecord:
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), verb)
        if RECORDING not in contact.attributes:
            raise InvalidState(
                f"the call of contact {contact_id} is not being recorded",
                text_key="error.call_not_recorded",
                contact_id=contact_id,
            )
        return contact

    def listen_to_call(self, contact_id: str, now: float, supervisor: str) -> None:
        """Supervisor ``supervisor`` listens silently to the contact's call (a voice
        contact being served)."""
        self._supervise(contact_id, now, supervisor, "listened to")
        self._emit(ev.CallListened(self.time, contact_id, supervisor))

    def whisper_to_call(self, contact_id: str, now: float, supervisor: str) -> None:
        """Supervisor ``supervisor`` whispers to the agent on the contact's call (heard by
        the agent only)."""
        self._supervise(contact_id, now, supervisor, "whispered to")
        self._emit(ev.CallWhispered(self.time, contact_id, supervisor))

    def barge_into_call(self, contact_id: str, now: float, supervisor: str) -> None:
        """Supervisor ``supervisor`` barges into the contact's call (heard by both)."""
        self._supervise(contact_id, now, supervisor, "barged into")
        self._emit(ev.CallBarged(self.time, contact_id, supervisor))

    def _supervise(self, contact_id: str, now: float, supervisor: str, what: str) -> None:
        """Check a supervisor may join the contact's call (a voice contact being served)
        and advance the clock to ``now``."""
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), what)
        if contact.channel is not Channel.VOICE:
            raise InvalidState(f"contact {contact_id} is not a call")
        if not supervisor:
            raise ValidationError("a supervisor is needed to join a call")
        self._clock(now)

    def hold(self, contact_id: str, now: float) -> None:
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), "put on hold")
        if contact.on_hold:
            raise InvalidState(f"contact {contact_id} is already on hold")
        self._clock(now)
        self._emit(ev.ContactHeld(self.time, contact_id, contact.agent_id or ""))

    def resume(self, contact_id: str, now: float) -> None:
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), "resumed")
        if not contact.on_hold:
            raise InvalidState(f"contact {contact_id} is not on hold")
        self._clock(now)
        self._emit(ev.ContactResumed(self.time, contact_id, contact.agent_id or ""))

    def mute(self, contact_id: str, now: float, muted: bool) -> None:
        """The agent mutes (*muted*) or unmutes its microphone on the contact's call."""
        contact = self._call(contact_id, "muted" if muted else "unmuted")
        if muted == (MUTED in contact.attributes):
            raise InvalidState(
                f"contact {contact_id} is {'already' if muted else 'not'} muted",
                text_key="error.call_muted" if muted else "error.call_not_muted",
                contact_id=contact_id,
            )
        self._clock(now)
        event = ev.CallMuted if muted else ev.CallUnmuted
        self._emit(event(self.time, contact_id, contact.agent_id or ""))

    def send_digits(self, contact_id: str, now: float, digits: str) -> None:
        """The agent sends keypad *digits* (``0-9 * # A-D``, at most
        :data:`MAX_SENT_DIGITS`) to the caller; not while the call is on hold (the caller
        hears the music)."""
        contact = self._call(contact_id, "sent digits")
        if not digits or len(digits) > MAX_SENT_DIGITS or digits.strip(KEYPAD):
            raise ValidationError(
                f"digits must be 1 to {MAX_SENT_DIGITS} of 0-9 * # A-D",
                text_key="error.bad_digits",
            )
        if contact.on_hold:
            raise InvalidState(
                f"contact {contact_id} is on hold",
                text_key="error.call_on_hold",
                contact_id=contact_id,
            )
        self._clock(now)
        self._emit(ev.DigitsSentToCaller(self.time, contact_id, contact.agent_id or "", digits))

    def _call(self, contact_id: str, verb: str) -> ContactRecord:
        """The contact, which must be a call being served."""
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), verb)
        if contact.channel is not Channel.VOICE:
            raise InvalidState(
                f"contact {contact_id} is not a call",
                text_key="error.not_a_call",
                contact_id=contact_id,
            )
        return contact

    def transfer(
        self,
        contact_id: str,
        now: float,
        *,
        to_queue: str | None = None,
        to_agent: str | None = None,
        note: str = "",
    ) -> None:
        """Send an active contact to a queue or a named agent, keeping its attributes, notes,
        path, value tier and priority (in a new queue it gets that queue's SL deadline);
        ``note`` is handed to whoever takes it next."""
        contact = self._contact(contact_id)
        self._require(contact, (ACTIVE,), "transferred")
        if (to_queue is None) == (to_agent is None):
            raise ValidationError("transfer needs exactly one of to_queue or to_agent")
        if to_queue is not None:
            channel = self._queue(to_queue).spec.channel
            if channel is not contact.channel:
                raise ValidationError(
                    f"contact {contact_id} is {contact.channel.value}; queue {to_queue} takes "
                    f"{channel.value} contacts",
                    queue_id=to_queue,
                )
        if to_agent is not None:
            target = self._agent(to_agent)
            if to_agent == contact.agent_id:
                raise ValidationError("a contact cannot be transferred to the agent holding it")
            if target.capacity.get(contact.channel, 0) <= 0:
                raise ValidationError(
                    f"agent {to_agent} takes no {contact.channel.value} contacts",
                    agent_id=to_agent,
                )
        self._clock(now)
        agent = self.agents[contact.agent_id or ""]
        self._emit(
            ev.ContactTransferred(self.time, contact_id, agent.agent_id, to_queue, to_agent, note)
        )
        # The freed agent chooses first: it may have better work waiting than this contact.
        self._after_release(agent)
        self._dispatch_contact(contact)
