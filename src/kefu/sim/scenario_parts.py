"""Scenario building blocks shared by the scenario models: the error, the strict base
model, data columns and the duration distributions (seconds). See :mod:`kefu.sim.scenario`
for the whole format."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    model_validator,
)

__all__ = [
    "DataColumn",
    "DistributionSpec",
    "Empirical",
    "ErlangK",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "NoLimit",
    "PatienceSpec",
    "ScenarioError",
    "StrictModel",
    "Triangular",
    "Uniform",
]


class ScenarioError(ValueError):
    """A scenario that cannot be read or is invalid; the message names the bad field."""


class StrictModel(BaseModel):
    """Unknown fields refused; values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataColumn(StrictModel):
    """A column of a CSV/TSV file: numbers of seconds or H:MM:SS times.

    ``where`` keeps the rows whose columns equal the given values (compared as stripped
    text); rows whose value is empty, unparsable or ≤ 0 are dropped when ``positive_only``.
    """

    path: str
    column: str
    delimiter: str = ","
    where: dict[str, str] = Field(default_factory=dict)
    positive_only: bool = True


class Exponential(StrictModel):
    dist: Literal["exponential"]
    mean_s: PositiveFloat


class LogNormal(StrictModel):
    dist: Literal["lognormal"]
    mean_s: PositiveFloat
    sd_s: PositiveFloat


class Fixed(StrictModel):
    dist: Literal["fixed"]
    value_s: NonNegativeFloat


class Empirical(StrictModel):
    """Observed durations: listed in ``values_s`` or read from ``data``."""

    dist: Literal["empirical"]
    values_s: list[NonNegativeFloat] | None = None
    data: DataColumn | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Empirical:
        if (self.values_s is None) == (self.data is None):
            raise ValueError("give exactly one of values_s or data")
        if self.values_s is not None and not self.values_s:
            raise ValueError("values_s must not be empty")
        return self


class Uniform(StrictModel):
    dist: Literal["uniform"]
    low_s: NonNegativeFloat
    high_s: NonNegativeFloat

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high_s < self.low_s:
            raise ValueError(f"high_s ({self.high_s}) must be ≥ low_s ({self.low_s})")
        return self


class Triangular(StrictModel):
    dist: Literal["triangular"]
    low_s: NonNegativeFloat
    mode_s: NonNegativeFloat
    high_s: NonNegativeFloat

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low_s <= self.mode_s <= self.high_s and self.low_s < self.high_s):
            raise ValueError(
                f"need low_s ≤ mode_s ≤ high_s and low_s < high_s (got {self.low_s}, "
                f"{self.mode_s}, {self.high_s})"
            )
        return self


class Gamma(StrictModel):
    dist: Literal["gamma"]
    mean_s: PositiveFloat
    sd_s: PositiveFloat


class ErlangK(StrictModel):
    """Sum of ``k`` exponential phases with total mean ``mean_s``."""

    dist: Literal["erlang"]
    k: Annotated[int, Field(ge=1)]
    mean_s: PositiveFloat


class NoLimit(StrictModel):
    dist: Literal["none"]


DistributionSpec = Annotated[
    Exponential | LogNormal | Fixed | Empirical | Uniform | Triangular | Gamma | ErlangK,
    Field(discriminator="dist"),
]
PatienceSpec = Annotated[
    NoLimit | Exponential | LogNormal | Fixed | Empirical | Uniform | Triangular | Gamma | ErlangK,
    Field(discriminator="dist"),
]
