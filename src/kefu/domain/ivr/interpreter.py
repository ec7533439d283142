"""The IVR interpreter: ``step(flow, state, input, now) -> (state, actions, events)``, pure.

No I/O and no clock: ``now`` is given (seconds), timers are deadlines in the state
(:func:`next_due`) and the driver sends :class:`~kefu.domain.ivr.messages.Timeout` at or
after them (an earlier timeout is ignored). Self-service, identity checks and wait
estimates are actions the driver carries out and answers with an input. Every change of the
state is an event (:mod:`kefu.domain.ivr.events`) applied through the same fold that
:func:`~kefu.domain.ivr.state.replay` uses, so the events of a contact rebuild its state.

"0", "人工" or "agent" (the flow's ``agent_keywords``) reach the flow's agent node from every
node that waits for the customer; refused answers are retried a bounded number of times;
after ``max_visits`` node entries the contact goes to the agent node, so every contact ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from kefu.domain.errors import InvalidState, ValidationError
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.errors import UnknownCalendar
from kefu.domain.ivr.flow import Flow
from kefu.domain.ivr.records import IvrEvents
from kefu.domain.ivr.state import IvrState, initial_state
from kefu.domain.ivr.walk import CUSTOMER_WAITS, Run

__all__ = ["UnknownCalendar", "begin", "next_due", "step"]

Result = tuple[IvrState, list[m.Action], Sequence[ev.IvrEvent]]
_NOTHING = IvrEvents([])

_DEFAULT_CONTEXT = m.IvrContext()
Reply = m.Reply
_new = object.__new__


def next_due(state: IvrState) -> float | None:
    """The instant (s) the driver must send a :class:`Timeout`; ``None``: no timer."""
    return None if state.outcome is not None else state.deadline


def begin(
    flow: Flow,
    contact_id: str,
    now: float,
    *,
    language: str | None = None,
    carry: IvrState | None = None,
    ctx: m.IvrContext = _DEFAULT_CONTEXT,
) -> Result:
    """Start ``contact_id`` in ``flow`` at ``now`` (s). ``carry``: the state of the flow it
    comes from (a ``goto``), whose slots, language and verification are kept."""
    lang = language or (carry.language if carry else flow.languages[0])
    if lang not in flow.languages:
        raise ValidationError(f"language {lang!r} is not one of the flow's", language=lang)
    v = carry.verified if carry else None
    fields = (
        now,
        contact_id,
        flow.flow_id,
        flow.version,
        lang,
        dict(carry.slots) if carry else {},
        v.method if v else None,
        v.identifier if v else None,
        v.customer_id if v else None,
        v.at if v else None,
    )
    run = Run(flow, initial_state(ev.FlowStarted(*fields)), now, ctx)
    if carry is not None and carry.private:
        run.private = carry.private  # in memory only, like the flow it comes from
    run.events.append((ev.FlowStarted, *fields))
    run.enter(flow.start)
    return run.freeze(), run.actions, IvrEvents(run.events)


def step(
    flow: Flow, state: IvrState, inp: m.Input, now: float, ctx: m.IvrContext = _DEFAULT_CONTEXT
) -> Result:
    """Feed one input at ``now`` (s): the new state, the driver's actions and the events.

    A :class:`Reply` while the flow waits for the driver, or a :class:`Timeout` before
    ``next_due(state)``, changes nothing. A driver answer nobody asked for is refused.
    """
    run = _new(Run)
    run.load(flow, state, now, ctx)
    # Checked on the loaded copy: its slots read faster than the named tuple's fields.
    if run.outcome is not None:
        raise InvalidState("the contact already left the flow", contact_id=run.contact_id)
    if run.flow_id != flow.flow_id or run.version != flow.version:
        raise ValidationError(
            "the state belongs to another flow version",
            flow=f"{run.flow_id}@{run.version}",
            given=f"{flow.flow_id}@{flow.version}",
        )
    if inp.__class__ is Reply and run.waiting in CUSTOMER_WAITS:
        run.reply(inp.text)  # the most frequent input, without Run.handle's dispatch
    elif not run.handle(inp):
        return state, [], _NOTHING
    # IvrEvents(run.events) without the __init__ call: this runs on every step.
    events = _new(IvrEvents)
    events._records, events._built = run.events, None
    return run.freeze(), run.actions, events
