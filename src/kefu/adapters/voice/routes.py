"""Dialled numbers (DIDs) → the flow that answers them and the site that owns them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kefu.adapters.voice.port import VoiceSettingsError

__all__ = ["NumberRoute", "parse_numbers", "route_for"]

_NUMBER = re.compile(r"^[0-9A-Za-z+*#._-]{1,64}$")
_NAME = re.compile(r"^[\w-]{1,64}$")


@dataclass(frozen=True, slots=True)
class NumberRoute:
    flow: str
    site: str | None = None


def parse_numbers(spec: str) -> dict[str, NumberRoute]:
    """Parse ``"95555=card@shanghai, 10086=demo"``: number = flow, optionally ``@site``."""
    routes: dict[str, NumberRoute] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        number, sep, target = (s.strip() for s in item.partition("="))
        flow, _, site = (s.strip() for s in target.partition("@"))
        if not sep or not _NUMBER.match(number) or not _NAME.match(flow):
            raise VoiceSettingsError(
                "KEFU_SIP_NUMBERS items are number=flow or number=flow@site",
                text_key="error.voice_numbers_invalid",
                item=item,
            )
        if site and not _NAME.match(site):
            raise VoiceSettingsError(
                "bad site name in KEFU_SIP_NUMBERS", text_key="error.voice_numbers_site", item=item
            )
        if number in routes:
            raise VoiceSettingsError(
                "number listed twice in KEFU_SIP_NUMBERS",
                text_key="error.voice_numbers_twice",
                item=item,
            )
        routes[number] = NumberRoute(flow, site or None)
    return routes


def route_for(
    routes: Mapping[str, NumberRoute], dialled: str, default_flow: str
) -> NumberRoute | None:
    """The route of *dialled*; with no numbers configured every number goes to *default_flow*."""
    if not routes:
        return NumberRoute(default_flow)
    return routes.get(dialled)
