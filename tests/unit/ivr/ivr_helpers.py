"""Small flows and fakes shared by the IVR tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kefu.domain.ivr import Flow
from kefu.domain.ivr.flow_io import parse_flow

ROOT = Path(__file__).resolve().parents[3]
BANK_YAML = ROOT / "examples" / "ivr" / "bank.yaml"


def t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def small_flow_dict(**overrides: Any) -> dict[str, Any]:
    """A two-level flow: main menu → account (Luhn) → done, or help → agent."""
    data: dict[str, Any] = {
        "flow": "small",
        "start": "main",
        "agent": "agent",
        "nodes": {
            "main": {
                "kind": "menu",
                "prompt": t("请选择", "Choose"),
                "options": [
                    {"digit": "1", "label": t("余额", "Balance"),
                     "keywords": ["余额", "balance"], "next": "account"},
                    {"digit": "2", "label": t("挂失", "Lost card"),
                     "keywords": ["挂失", "lost"], "next": "done"},
                ],
                "retries": 1,
                "timeout_s": 5,
            },
            "account": {
                "kind": "collect",
                "prompt": t("卡号", "Card number"),
                "slot": "account",
                "min_length": 16,
                "max_length": 16,
                "luhn": True,
                "retries": 2,
                "timeout_s": 10,
                "next": "done",
            },
            "done": {"kind": "end", "text": t("再见", "Bye")},
            "agent": {"kind": "transfer", "queue": "billing", "text": t("转人工", "Agent")},
        },
    }  # fmt: skip
    data.update(overrides)
    return data


def small_flow() -> Flow:
    return parse_flow(small_flow_dict())


class FixedCalendar:
    """A calendar open between two instants (s)."""

    def __init__(self, opens: float, closes: float) -> None:
        self.opens, self.closes = opens, closes

    def is_open(self, now: float) -> bool:
        return self.opens <= now < self.closes


VALID_CARD = "4539578763621486"  # passes Luhn
INVALID_CARD = "4539578763621487"
