"""The queue part of a scenario: arrivals, handling, customer behaviour (patience,
balking, callbacks, retrials), overflow and transfers of one queue. See
:mod:`kefu.sim.scenario` for the whole format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    field_validator,
    model_validator,
)

from kefu.sim.scenario_parts import DataColumn, DistributionSpec, NoLimit, PatienceSpec
from kefu.sim.scenario_parts import StrictModel as _Model

__all__ = [
    "Arrivals",
    "Balking",
    "CallbackOffer",
    "Channel",
    "Level",
    "Overflow",
    "Profile",
    "QueueModel",
    "Retrial",
    "RetryAfter",
    "Share",
    "Transfer",
]

Channel = Literal["voice", "chat", "email", "sms", "social", "branch", "callback", "workitem"]
Level = Annotated[int, Field(ge=1, le=10)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Profile(_Model):
    """``total`` expected arrivals over the horizon, spread by ``weights`` over equal slots."""

    total: NonNegativeFloat
    weights: list[NonNegativeFloat] = Field(min_length=1)


class Arrivals(_Model):
    """Exactly one of: a constant Poisson rate, expected counts per interval, a daily
    profile, a replay of real timestamps (shifted by ``offset_s``) or explicit instants."""

    rate_per_s: NonNegativeFloat | None = None
    per_interval: list[NonNegativeFloat] | None = None
    profile: Profile | None = None
    replay: DataColumn | None = None
    offset_s: float = 0.0
    times_s: list[NonNegativeFloat] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Arrivals:
        given = [
            name
            for name in ("rate_per_s", "per_interval", "profile", "replay", "times_s")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of rate_per_s, per_interval, profile, replay or times_s"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class Balking(_Model):
    """A customer told a predicted wait above its ``tolerance`` leaves at once with
    probability ``probability``."""

    tolerance: DistributionSpec
    probability: Share = 1.0


class CallbackOffer(_Model):
    """Offer a callback when the predicted wait exceeds ``above_s``; ``accept_share`` of
    those customers accept it (they hang up and keep their place)."""

    above_s: NonNegativeFloat
    accept_share: Share


class Transfer(_Model):
    """``share`` of the contacts handled in this queue are transferred to ``to_queue``."""

    to_queue: str
    share: Share


RetryAfter = Literal["blocked", "abandoned"]
_RETRY_AFTER: tuple[RetryAfter, ...] = ("blocked", "abandoned")


class Retrial(_Model):
    """Customers who were blocked (all trunk lines busy) or abandoned call again: each time
    with ``probability``, after a ``delay``, at most ``max_retries`` times; a retrial that
    would come at or after the horizon is dropped."""

    probability: Share
    delay: DistributionSpec
    after: list[RetryAfter] = Field(default_factory=lambda: [*_RETRY_AFTER], min_length=1)
    max_retries: Annotated[int, Field(ge=1)] = 3


class Overflow(_Model):
    after_s: PositiveFloat
    skills: dict[str, Level] | None = None
    to_queue: str | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Overflow:
        if self.skills is None and self.to_queue is None:
            raise ValueError("an overflow step needs skills, to_queue or both")
        return self


class QueueModel(_Model):
    id: str = Field(min_length=1)
    name: str = ""
    channel: Channel = "voice"
    skills: dict[str, Level] = Field(default_factory=dict)
    sl_target: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    sl_threshold_s: NonNegativeFloat = 20.0
    wrapup_s: NonNegativeFloat = 0.0
    short_abandon_s: NonNegativeFloat = 5.0
    aht_s: PositiveFloat | None = None
    overflow: list[Overflow] = Field(default_factory=list)
    arrivals: list[Arrivals] = Field(min_length=1)
    handle: DistributionSpec
    patience: PatienceSpec = NoLimit(dist="none")
    balking: Balking | None = None
    callback: CallbackOffer | None = None
    transfer: Transfer | None = None
    initial_waiting: NonNegativeInt = 0
    trunks: Annotated[int, Field(ge=1)] | None = None
    retrial: Retrial | None = None
    handle_by_group: dict[str, DistributionSpec] = Field(default_factory=dict)

    @field_validator("arrivals", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        # One source may be written without the list around it.
        return [value] if isinstance(value, Mapping) else value
