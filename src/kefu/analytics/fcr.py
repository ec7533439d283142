"""First-contact resolution (FCR) across channels, from the routing event log.

Definition (ARCHITECTURE.md, "Standard definitions"): a handled contact is first-contact
resolved when the same customer makes no further contact about the same case or topic, on any
channel, within ``window_s`` seconds (default 7 days) after it ended. A further contact at
exactly ``window_s`` still counts as a repeat ("within" includes the end).

Which contacts count:

- handled (completed) contacts of a known customer form the base;
- one with a repeat is ``repeated``, whenever the log ends;
- one without a repeat whose window is not over when the log ends (``until``) is ``pending``
  and left out of the rate, like a contact still waiting in SL: its outcome is not known yet;
- contacts still open at ``until``, abandoned ones and those with no customer id are counted
  apart (``open``, ``abandoned``, ``anonymous``) and are not in the rate;
- a repeat may be any contact, even one abandoned or still open: the customer came back.

FCR = resolved first / (resolved first + repeated). Groups: the queue and agent that handled
the contact (where it ended), its channel and its topic (``"(none)"`` when missing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from kefu.analytics.journeys import (
    COMPLETED,
    OPEN,
    ContactJourney,
    Repeat,
    find_repeats,
    journeys_until,
)
from kefu.domain.events import Event

__all__ = [
    "DEFAULT_FCR_WINDOW_S",
    "NO_TOPIC",
    "FcrCount",
    "FcrReport",
    "compute_fcr",
    "fcr_from_journeys",
]

DEFAULT_FCR_WINDOW_S = 7 * 86_400.0
NO_TOPIC = "(none)"
_VERDICTS = ("resolved_first", "repeated", "pending")


@dataclass(frozen=True, slots=True)
class FcrCount:
    """Handled contacts of one group: resolved at first contact, repeated, still pending."""

    resolved_first: int = 0
    repeated: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.resolved_first + self.repeated

    @property
    def fcr(self) -> float | None:
        """resolved first / (resolved first + repeated); ``None`` with nothing decided."""
        return self.resolved_first / self.decided if self.decided else None


@dataclass(frozen=True, slots=True)
class FcrReport:
    """FCR overall and per group over the contacts that arrived in the range; ``status``
    maps each handled contact's id to ``resolved_first``, ``repeated`` or ``pending``."""

    window_s: float
    until: float
    overall: FcrCount
    by_queue: Mapping[str, FcrCount]
    by_agent: Mapping[str, FcrCount]
    by_channel: Mapping[str, FcrCount]
    by_topic: Mapping[str, FcrCount]
    open: int
    abandoned: int
    anonymous: int
    status: Mapping[str, str] = field(repr=False)


def compute_fcr(
    events: Iterable[Event],
    *,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    since: float = float("-inf"),
    until: float | None = None,
) -> FcrReport:
    """FCR of the contacts that arrived in ``[since, until)``; repeats are looked for in the
    whole log up to ``until`` (default: the last event's instant)."""
    every, end = journeys_until(events, until)
    return fcr_from_journeys(every, end, window_s=window_s, since=since)


def fcr_from_journeys(
    every: Sequence[ContactJourney],
    end: float,
    *,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    since: float = float("-inf"),
    repeats: Mapping[str, Repeat] | None = None,
) -> FcrReport:
    """:func:`compute_fcr` from journeys already collected (:func:`journeys_until`), so a
    report can share one pass over the log with the contact map; ``repeats`` may be given
    too (``find_repeats(every, window_s)``, the same window)."""
    if repeats is None:
        repeats = find_repeats(every, window_s)
    # Mutable tallies [resolved first, repeated, pending], frozen once at the end: a frozen
    # record per contact and group cost a third of the time on a million events.
    overall = [0, 0, 0]
    groups: tuple[dict[str, list[int]], ...] = ({}, {}, {}, {})
    status: dict[str, str] = {}
    open_ = abandoned = anonymous = 0
    for j in every:
        if j.arrived_at < since:
            continue
        if j.outcome == OPEN:
            open_ += 1
            continue
        if j.outcome != COMPLETED:
            abandoned += 1
            continue
        if j.customer_id is None:
            anonymous += 1
            continue
        assert j.ended_at is not None
        if j.contact_id in repeats:
            slot = 1
        elif j.ended_at + window_s > end:
            slot = 2
        else:
            slot = 0
        status[j.contact_id] = _VERDICTS[slot]
        overall[slot] += 1
        keys = (j.queue_id, j.agent_id or "", j.channel, j.topic or NO_TOPIC)
        for group, key in zip(groups, keys, strict=True):
            tally = group.get(key)
            if tally is None:
                group[key] = tally = [0, 0, 0]
            tally[slot] += 1
    by_queue, by_agent, by_channel, by_topic = (
        MappingProxyType({k: FcrCount(*v) for k, v in sorted(g.items())}) for g in groups
    )
    return FcrReport(
        window_s, end, FcrCount(*overall), by_queue, by_agent, by_channel, by_topic,
        open_, abandoned, anonymous, MappingProxyType(status),
    )  # fmt: skip
