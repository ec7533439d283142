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
from typing import Any

from kefu.domain.ivr.flow import Flow, MenuNode

__all__ = ["PREFIX", "ivr_panel", "mask", "path_labels", "safe_attributes"]

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
    (``main:3`` → ``Account balance``); ``0`` is the agent."""
    shown = []
    for step in path.split(">") if path else ():
        node_id, _, digit = step.partition(":")
        node = flow.nodes.get(node_id)
        option = node.by_digit.get(digit) if isinstance(node, MenuNode) else None
        if option is not None:
            shown.append(option.label.get(language) or next(iter(option.label.values()), digit))
        else:
            shown.append("人工 agent" if digit == "0" else step)
    return " > ".join(shown)


def ivr_panel(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
    """The IVR panel of an agent's offer or contact (None when it did not come through an
    IVR): flow, language, path (codes and labels), reason of the hand-off, verification
    (method, masked identifier, instant), self-service attempts with outcomes, collected
    values (masked) and the wait the IVR announced (s)."""
    flow = attributes.get(PREFIX + "flow")
    if not flow:
        return None
    get = attributes.get
    verified = None
    if get(PREFIX + "verified.method"):
        at = get(PREFIX + "verified.at")
        verified = {
            "method": str(get(PREFIX + "verified.method")),
            "identifier": mask(str(get(PREFIX + "verified.identifier", ""))),
            "at": float(at) if at else None,
        }
    attempts = []
    for pair in str(get(PREFIX + "self_service", "")).split(";"):
        action, sep, outcome = pair.partition("=")
        if sep:
            attempts.append({"action": action, "outcome": outcome})
    slot_prefix = PREFIX + "slot."
    collected = {
        key[len(slot_prefix) :]: mask(str(value))
        for key, value in sorted(attributes.items())
        if key.startswith(slot_prefix) and "." not in key[len(slot_prefix) :]
    }
    wait = get(PREFIX + "estimated_wait_s")
    return {
        "flow": str(flow),
        "language": str(get(PREFIX + "language", "")),
        "path": [p for p in str(get(PREFIX + "path", "")).split(">") if p],
        "path_text": str(get(PREFIX + "path.text", "")),
        "reason": str(get(PREFIX + "reason", "")),
        "verified": verified,
        "self_service": attempts,
        "collected": collected,
        "estimated_wait_s": float(wait) if wait else None,
    }
