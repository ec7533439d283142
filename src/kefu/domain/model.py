"""The contact-center model: channels, queues, agents and contacts as immutable specs.

Specs are what callers configure; the router keeps its own mutable runtime records
(:mod:`kefu.domain.routing.state`). Times are seconds; skill levels are integers 1–10.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from kefu.domain.arrival import ARRIVED_AT, original_arrival, seconds
from kefu.domain.errors import ValidationError

__all__ = [
    "ARRIVED_AT",
    "DEFAULT_CAPACITY",
    "DEFAULT_EXCLUSIVE",
    "AgentPresence",
    "AgentSpec",
    "Channel",
    "ContactSpec",
    "ContactState",
    "OverflowStep",
    "QueueSpec",
    "original_arrival",
]

MIN_LEVEL, MAX_LEVEL = 1, 10


class Channel(StrEnum):
    """How a contact reaches the center."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"
    BRANCH = "branch"
    CALLBACK = "callback"
    WORKITEM = "workitem"


class AgentPresence(StrEnum):
    """What the agent chose; busy and wrap-up are derived from the contacts held."""

    OFFLINE = "offline"
    READY = "ready"
    NOT_READY = "not_ready"


class ContactState(StrEnum):
    """Where a contact is in its life; COMPLETED, ABANDONED and TRANSFERRED_OUT (handed
    to another routing domain) are terminal."""

    QUEUED = "queued"
    OFFERED = "offered"
    ACTIVE = "active"
    WRAPUP = "wrapup"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    TRANSFERRED_OUT = "transferred_out"


DEFAULT_CAPACITY: Mapping[Channel, int] = MappingProxyType(
    {
        Channel.VOICE: 1,
        Channel.CALLBACK: 1,
        Channel.BRANCH: 1,
        Channel.CHAT: 3,
        Channel.SMS: 3,
        Channel.SOCIAL: 3,
        Channel.EMAIL: 5,
        Channel.WORKITEM: 5,
    }
)
"""Contacts an agent may hold at once per channel (1 call, or 3 chats, or 5 e-mails)."""

DEFAULT_EXCLUSIVE: frozenset[Channel] = frozenset({Channel.VOICE, Channel.CALLBACK, Channel.BRANCH})
"""Channels whose contact blocks every other: offered only to an empty agent, and while held
no other contact is offered (Genesys utilization "blocking", Connect routing profiles)."""


def _freeze_skills(skills: Mapping[str, int], what: str) -> Mapping[str, int]:
    frozen: dict[str, int] = {}
    for name, level in skills.items():
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(
                f"{what}: a skill name must be a non-empty string",
                text_key="error.skill_name",
                skill=name,
            )
        if isinstance(level, bool) or not isinstance(level, int):
            raise ValidationError(
                f"{what}: level of skill {name!r} must be an integer",
                text_key="error.skill_level",
                skill=name,
                level=level,
            )
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValidationError(
                f"{what}: level of skill {name!r} is {level}, expected {MIN_LEVEL}–{MAX_LEVEL}",
                text_key="error.skill_level",
                skill=name,
                level=level,
            )
        frozen[name] = level
    return MappingProxyType(dict(sorted(frozen.items())))


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} must be a non-empty string", value=value)


def _check_duration(value: float, what: str, *, allow_inf: bool = False) -> None:
    field = what.rpartition(" ")[2]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValidationError(
            f"{what} must be a number of seconds",
            text_key="error.seconds",
            field=field,
            value=value,
        )
    if value < 0 or (math.isinf(value) and not allow_inf):
        raise ValidationError(
            f"{what} must be a finite number of seconds ≥ 0",
            text_key="error.seconds",
            field=field,
            value=value,
        )


DOMAIN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""A routing domain's name (as ``KEFU_ROUTING_DOMAIN`` takes it)."""


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """After ``after_s`` seconds in the queue, relax the skills or move to another queue.

    ``skills`` replaces the required skills (``None`` keeps those of the previous step;
    an empty mapping lets any agent of the channel take the contact). ``queue_id`` moves the
    contact to another queue, keeping its place in line (like a Genesys bullseye ring).
    With ``domain``, ``queue_id`` is a queue of that other routing domain: the contact is
    handed over to it (it waits here, at this step, until that domain took it).
    """

    after_s: float
    skills: Mapping[str, int] | None = None
    queue_id: str | None = None
    domain: str | None = None

    def __post_init__(self) -> None:
        _check_duration(self.after_s, "overflow step after_s")
        if self.after_s <= 0:
            raise ValidationError(
                "an overflow step needs after_s > 0 (seconds in the queue)",
                text_key="error.overflow_after",
                field="overflow",
            )
        if self.skills is not None:
            object.__setattr__(self, "skills", _freeze_skills(self.skills, "overflow step"))
        if self.skills is None and self.queue_id is None:
            raise ValidationError(
                "an overflow step must relax skills or name a queue_id",
                text_key="error.overflow_step",
                field="overflow",
            )
        if self.domain is not None and (
            self.queue_id is None or not DOMAIN_PATTERN.match(self.domain)
        ):
            raise ValidationError(
                "an overflow step to another routing domain names the domain (1-64 letters, "
                "digits, _ or -) and a queue_id of that domain",
                text_key="error.overflow_domain",
                field="overflow",
                domain=str(self.domain)[:64],
            )

    @property
    def remote(self) -> bool:
        """Whether the step hands the contact to another routing domain."""
        return self.domain is not None

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON; ``domain`` only when set, so plans written before it existed
        read and serialise the same."""
        out: dict[str, Any] = {
            "after_s": self.after_s,
            "skills": None if self.skills is None else dict(self.skills),
            "queue_id": self.queue_id,
        }
        if self.domain is not None:
            out["domain"] = self.domain
        return out


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue: its channel, required skills (minimum levels), service-level target and timers.

    SL target: ``sl_target`` of contacts answered within ``sl_threshold_s`` seconds.
    ``aht_s`` seeds the handle-time estimate used for predicted waits until real handle times
    are observed. Overflow steps are applied in order of ``after_s``.
    """

    queue_id: str
    channel: Channel = Channel.VOICE
    skills: Mapping[str, int] = field(default_factory=dict)
    sl_target: float = 0.8
    sl_threshold_s: float = 20.0
    wrapup_s: float = 0.0
    short_abandon_s: float = 5.0
    aht_s: float = 300.0
    overflow: tuple[OverflowStep, ...] = ()
    name: str = ""
    site_id: str | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        _check_id(self.queue_id, "queue_id")
        if (
            isinstance(self.priority, bool)
            or not isinstance(self.priority, int)
            or not -100 <= self.priority <= 100
        ):
            raise ValidationError(
                f"queue {self.queue_id}: priority must be an integer from -100 to 100",
                text_key="error.queue_priority",
                field="priority",
                value=self.priority,
            )
        object.__setattr__(self, "channel", _channel(self.channel))
        object.__setattr__(self, "skills", _freeze_skills(self.skills, f"queue {self.queue_id}"))
        if not 0.0 < self.sl_target <= 1.0:
            raise ValidationError(
                f"queue {self.queue_id}: sl_target must be in (0, 1]",
                text_key="error.sl_target",
                field="sl_target",
                value=self.sl_target,
            )
        _check_duration(self.sl_threshold_s, f"queue {self.queue_id}: sl_threshold_s")
        _check_duration(self.wrapup_s, f"queue {self.queue_id}: wrapup_s")
        _check_duration(self.short_abandon_s, f"queue {self.queue_id}: short_abandon_s")
        _check_duration(self.aht_s, f"queue {self.queue_id}: aht_s")
        if self.aht_s <= 0:
            raise ValidationError(
                f"queue {self.queue_id}: aht_s must be > 0",
                text_key="error.aht",
                field="aht_s",
                value=self.aht_s,
            )
        steps = tuple(sorted(self.overflow, key=lambda s: s.after_s))
        object.__setattr__(self, "overflow", steps)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON; ``priority`` only when set, so logs written before it existed
        and queues that never use it read and serialise the same."""
        out = {
            "queue_id": self.queue_id,
            "channel": self.channel.value,
            "skills": dict(self.skills),
            "sl_target": self.sl_target,
            "sl_threshold_s": self.sl_threshold_s,
            "wrapup_s": self.wrapup_s,
            "short_abandon_s": self.short_abandon_s,
            "aht_s": self.aht_s,
            "overflow": [s.to_dict() for s in self.overflow],
            "name": self.name,
            "site_id": self.site_id,
        }
        if self.priority:
            out["priority"] = self.priority
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueueSpec:
        raw = dict(data)
        raw["overflow"] = tuple(OverflowStep(**s) for s in raw.get("overflow", ()))
        return cls(**raw)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent: skills (name → level 1–10), capacity per channel and blocking channels."""

    agent_id: str
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    exclusive: frozenset[Channel] = DEFAULT_EXCLUSIVE
    name: str = ""
    site_id: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.agent_id, "agent_id")
        object.__setattr__(self, "skills", _freeze_skills(self.skills, f"agent {self.agent_id}"))
        capacity: dict[Channel, int] = {}
        for channel, slots in self.capacity.items():
            if isinstance(slots, bool) or not isinstance(slots, int) or slots < 0:
                raise ValidationError(
                    f"agent {self.agent_id}: capacity for {channel} must be an integer ≥ 0",
                    text_key="error.capacity",
                    field="capacity",
                    channel=str(channel),
                    value=slots,
                )
            capacity[_channel(channel)] = slots
        object.__setattr__(self, "capacity", MappingProxyType(capacity))
        object.__setattr__(self, "exclusive", frozenset(_channel(c) for c in self.exclusive))

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "skills": dict(self.skills),
            "capacity": {c.value: n for c, n in self.capacity.items()},
            "exclusive": sorted(c.value for c in self.exclusive),
            "name": self.name,
            "site_id": self.site_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgentSpec:
        raw = dict(data)
        raw["capacity"] = {Channel(c): n for c, n in raw.get("capacity", {}).items()}
        raw["exclusive"] = frozenset(Channel(c) for c in raw.get("exclusive", ()))
        return cls(**raw)


@dataclass(frozen=True, slots=True)
class ContactSpec:
    """A contact arriving in a queue.

    ``value_tier`` is the contact's rank by customer value (0 = standard, higher served
    first), compared before ``priority``; both larger-first. The platform derives rank and
    priority from the customer's tier and that tier's configured routing effect
    (:mod:`kefu.domain.tiers`), keeping the customer's own tier in ``attributes`` when they
    differ. ``attributes`` travel with the contact through every transfer (identity checks
    done, IVR inputs, topic), so nobody asks again.
    """

    contact_id: str
    queue_id: str
    value_tier: int = 0
    priority: int = 0
    customer_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One arrival each: exact type tests first, the general checks only when they fail.
        cid, qid = self.contact_id, self.queue_id
        if type(cid) is not str or not cid or cid.isspace():
            _check_id(cid, "contact_id")
        if type(qid) is not str or not qid or qid.isspace():
            _check_id(qid, "queue_id")
        for name, value in (("value_tier", self.value_tier), ("priority", self.priority)):
            if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValidationError(f"contact {self.contact_id}: {name} must be an integer")
        attributes = {str(k): str(v) for k, v in self.attributes.items()}
        if ARRIVED_AT in attributes and not math.isfinite(seconds(attributes[ARRIVED_AT])):
            raise ValidationError(
                f"contact {self.contact_id}: attribute {ARRIVED_AT} must be a number of "
                "seconds since the epoch",
                text_key="error.handover_arrived_at",
                field="attributes",
                value=attributes[ARRIVED_AT][:64],
            )
        object.__setattr__(self, "attributes", MappingProxyType(attributes))


def _channel(value: object) -> Channel:
    if type(value) is Channel:  # already one: skip the enum look-up (11 a simulated agent)
        return value
    try:
        return Channel(str(value))
    except ValueError as exc:
        known = ", ".join(c.value for c in Channel)
        raise ValidationError(
            f"unknown channel {value!r} (known: {known})",
            text_key="error.unknown_channel",
            field="channel",
            value=str(value),
            known=known,
        ) from exc
