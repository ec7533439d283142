"""What the agent sees of a contact's time in the IVR: the hand-off attributes made safe to
show (long numbers masked) and read back into a panel for the agent desktop.

The interpreter's hand-off attributes (``ivr.*``, see
:func:`kefu.domain.ivr.answers.handoff_attributes`) carry the flow, the menu path, the
verification, the self-service attempts and the collected values. Card and account numbers
are masked to their last four digits before they reach the router's log: the agent needs to
know the card was given and checked, not its number. Instants are epoch seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.ivr.flow import Flow, MenuNode
from kefu.i18n import SOURCE_LANGUAGE, catalogs

__all__ = [
    "PREFIX",
    "IvrPanel",
    "IvrVerification",
    "mask",
    "path_labels",
    "read_ivr_panel",
    "safe_attributes",
]

PREFIX = "ivr."
_MIN_MASKED_DIGITS = 8


def mask(value: str) -> str:
    """A number of 8 digits or more as ``•••• 1234`` (its last four), anything else as is."""
    digits = value.replace(" ", "")
    if len(digits) >= _MIN_MASKED_DIGITS and digits.isdigit():
        return "•••• " + digits[-4:]
    return value


def safe_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    """The hand-off attributes with collected values and the verified identifier masked."""
    out = {}
    for key, value in attributes.items():
        masked = key.startswith(PREFIX + "slot.") or key == PREFIX + "verified.identifier"
        out[key] = mask(value) if masked else value
    return out


def path_labels(flow: Flow, path: str, language: str) -> str:
    """The menu path (``node:digit>...``) as the options' labels in ``language``
    (``main:3`` → ``Account balance``); ``0`` is the agent (the catalog's
    ``ivr.path_agent`` in ``language``, English when no catalog has it)."""
    books = catalogs()
    agent = books.get(books.resolve(language) or SOURCE_LANGUAGE).text("ivr.path_agent")
    shown = []
    for step in path.split(">") if path else ():
        node_id, _, digit = step.partition(":")
        node = flow.nodes.get(node_id)
        option = node.by_digit.get(digit) if isinstance(node, MenuNode) else None
        if option is not None:
            shown.append(option.label.get(language) or next(iter(option.label.values()), digit))
        else:
            shown.append(agent if digit == "0" else step)
    return " > ".join(shown)


@dataclass(frozen=True, slots=True)
class IvrVerification:
    """How the IVR verified the caller: the method, the identifier masked, the instant."""

    method: str
    identifier: str
    at: float | None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "identifier": self.identifier, "at": self.at}


@dataclass(frozen=True, slots=True)
class IvrPanel:
    """The IVR panel of an agent's offer or contact: flow, language, path (codes and
    labels), reason of the hand-off, verification, self-service attempts as (action,
    outcome), collected values (masked) and the wait the IVR announced (s)."""

    flow: str
    language: str
    path: tuple[str, ...]
    path_text: str
    reason: str
    verified: IvrVerification | None
    self_service: tuple[tuple[str, str], ...]
    collected: Mapping[str, str]
    estimated_wait_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "language": self.language,
            "path": list(self.path),
            "path_text": self.path_text,
            "reason": self.reason,
            "verified": None if self.verified is None else self.verified.to_json(),
            "self_service": [{"action": a, "outcome": o} for a, o in self.self_service],
            "collected": dict(self.collected),
            "estimated_wait_s": self.estimated_wait_s,
        }


def read_ivr_panel(attributes: Mapping[str, Any]) -> IvrPanel | None:
    """The IVR panel of an agent's offer or contact (None when it did not come through an
    IVR), read from the contact's hand-off attributes."""
    flow = attributes.get(PREFIX + "flow")
    if not flow:
        return None
    get = attributes.get
    verified = None
    if get(PREFIX + "verified.method"):
        at = get(PREFIX + "verified.at")
        verified = IvrVerification(
            str(get(PREFIX + "verified.method")),
            mask(str(get(PREFIX + "verified.identifier", ""))),
            float(at) if at else None,
        )
    attempts = []
    for pair in str(get(PREFIX + "self_service", "")).split(";"):
        action, sep, outcome = pair.partition("=")
        if sep:
            attempts.append((action, outcome))
    slot_prefix = PREFIX + "slot."
    collected = {
        key[len(slot_prefix) :]: mask(str(value))
        for key, value in sorted(attributes.items())
        if key.startswith(slot_prefix) and "." not in key[len(slot_prefix) :]
    }
    wait = get(PREFIX + "estimated_wait_s")
    return IvrPanel(
        flow=str(flow),
        language=str(get(PREFIX + "language", "")),
        path=tuple(p for p in str(get(PREFIX + "path", "")).split(">") if p),
        path_text=str(get(PREFIX + "path.text", "")),
        reason=str(get(PREFIX + "reason", "")),
        verified=verified,
        self_service=tuple(attempts),
        collected=collected,
        estimated_wait_s=float(wait) if wait else None,
    )
