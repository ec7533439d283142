"""The event type table, and the appliers of the commands on a contact beyond its flow.

:class:`EventApplying` completes :class:`~kefu.domain.routing.state.RoutingState` with the
events of reprioritizing, callbacks, recording, holds and transfers, and maps every event
type to its applier (``_emit`` and replay look them up there).
"""

from __future__ import annotations

from kefu.domain import events as ev
from kefu.domain.routing.state import RoutingState

__all__ = ["EventApplying"]


class EventApplying(RoutingState):
    """The router's state with every event's applier (a base of the dispatcher)."""

    def __init__(
        self, *, offer_timeout_s: float, retain_closed: bool, use_skill_score: bool
    ) -> None:
        super().__init__(
            offer_timeout_s=offer_timeout_s,
            retain_closed=retain_closed,
            use_skill_score=use_skill_score,
        )
        self._appliers = {
            ev.QueueDefined: self._on_queue_defined,
            ev.AgentDefined: self._on_agent_defined,
            ev.AgentStateChanged: self._on_agent_state_changed,
            ev.AgentStatePending: self._on_agent_state_pending,
            ev.ContactQueued: self._on_contact_queued,
            ev.ContactOverflowed: self._on_contact_overflowed,
            ev.ContactReprioritized: self._on_contact_reprioritized,
            ev.OfferCreated: self._on_offer_created,
            ev.OfferAccepted: self._on_offer_accepted,
            ev.OfferRejected: self._on_offer_returned,
            ev.OfferTimedOut: self._on_offer_returned,
            ev.OfferWithdrawn: self._on_offer_withdrawn,
            ev.ContactAbandoned: self._on_contact_abandoned,
            ev.CallbackRequested: self._on_callback_requested,
            ev.CallRecorded: self._on_call_recorded,
            ev.CallListened: _nothing,  # who listened is in the log; no state changes
            ev.CallWhispered: _nothing,
            ev.CallBarged: _nothing,
            ev.RecordingPaused: self._on_recording_paused,
            ev.RecordingResumed: self._on_recording_resumed,
            ev.RecordingPlayed: _nothing,  # the audit of an access; no state changes
            ev.RecordingDeleted: self._on_recording_deleted,
            ev.ContactHeld: self._on_contact_held,
            ev.ContactResumed: self._on_contact_resumed,
            ev.CallMuted: self._on_call_muted,
            ev.CallUnmuted: self._on_call_unmuted,
            ev.DigitsSentToCaller: _nothing,  # the audit of the keyed digits
            ev.SoftphoneEndpointChosen: self._on_endpoint_chosen,
            ev.ContactTransferred: self._on_contact_transferred,
            ev.ContactCompleted: self._on_contact_completed,
            ev.WrapupEnded: self._on_wrapup_ended,
        }

    def _on_contact_reprioritized(self, e: ev.ContactReprioritized) -> None:
        contact = self.contacts[e.contact_id]
        bucket = contact.bucket
        self._leave_bucket(contact)
        contact.priority = e.priority
        key = contact.key
        contact.key = (key[0], -e.priority, key[2], key[3])
        if bucket is not None:
            self._wait(contact, bucket)

    def _on_callback_requested(self, e: ev.CallbackRequested) -> None:
        contact = self.contacts[e.contact_id]
        contact.callback = True
        contact.callback_number = e.number

    def _on_call_recorded(self, e: ev.CallRecorded) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {**contact.attributes, "recording": e.recording}

    def _on_recording_paused(self, e: ev.RecordingPaused) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {**contact.attributes, "recording_paused": e.agent_id}

    def _on_recording_resumed(self, e: ev.RecordingResumed) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {
            k: v for k, v in contact.attributes.items() if k != "recording_paused"
        }

    def _on_recording_deleted(self, e: ev.RecordingDeleted) -> None:
        contact = self.contacts.get(e.contact_id)  # may be forgotten since
        if contact is not None and contact.attributes.get("recording") == e.recording:
            contact.attributes = {**contact.attributes, "recording_deleted": e.reason}

    def _on_contact_held(self, e: ev.ContactHeld) -> None:
        self.contacts[e.contact_id].on_hold = True

    def _on_contact_resumed(self, e: ev.ContactResumed) -> None:
        self.contacts[e.contact_id].on_hold = False

    def _on_call_muted(self, e: ev.CallMuted) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {**contact.attributes, "muted": e.agent_id}

    def _on_call_unmuted(self, e: ev.CallUnmuted | ev.ContactTransferred) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {k: v for k, v in contact.attributes.items() if k != "muted"}

    def _on_endpoint_chosen(self, e: ev.SoftphoneEndpointChosen) -> None:
        self.agents[e.agent_id].endpoint = e.endpoint

    def _on_contact_transferred(self, e: ev.ContactTransferred) -> None:
        self._on_call_unmuted(e)  # the next agent starts unmuted
        contact = self.contacts[e.contact_id]
        self._release(self.agents[e.from_agent_id], contact)
        contact.agent_id = None
        contact.on_hold = False
        contact.declined = None
        contact.route_version += 1
        if e.note:
            contact.notes += (e.note,)
        if e.to_agent_id is not None:
            target = self.agents[e.to_agent_id]
            contact.path += (f"@{target.agent_id}",)
            bucket = self.personal_bucket(target, contact.channel)
        else:
            assert e.to_queue_id is not None
            queue = self.queues[e.to_queue_id]
            contact.queue_id = e.to_queue_id
            contact.path += (e.to_queue_id,)
            contact.step = 0
            contact.entered_at = e.at
            contact.key = (
                contact.key[0],
                contact.key[1],
                e.at + queue.spec.sl_threshold_s,
                self._next_seq(),
            )
            bucket = queue.buckets[0]
        self._wait(contact, bucket)
        if e.to_agent_id is None:
            self._arm_overflow(contact)


def _nothing(_event: ev.Event) -> None:
    """An event kept for the record (audit) that changes no routing state."""
