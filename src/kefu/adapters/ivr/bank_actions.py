"""The demo bank behind the IVR: fake accounts and the self-service actions on them.

Nothing here is real data: accounts, PINs, balances and transactions are generated from a
seed (the same seed gives the same bank). Card numbers are 16 digits with a valid Luhn check
digit. Each action has the shape of :class:`kefu.domain.ivr.messages.SelfService`
(``params → ActionDone``: an outcome and string data); the driver runs it when asked.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from kefu.domain.ivr.matching import luhn_ok
from kefu.domain.ivr.messages import ActionDone, SelfService, VerifyDone
from kefu.service.channels.texts import customer_text

__all__ = ["BankAccount", "FakeBank", "luhn_complete"]

# The merchants of the generated transactions, as the catalog keys of their names
# (``ivr.bank.merchant.<name>``): a customer hears them in the contact's language only.
_MERCHANTS = ("supermarket", "restaurant", "transfer", "phone_top_up", "fuel", "online_shop")
# The flow's languages (a contact's ``language``) and their catalog names.
_CATALOG_LANGUAGES = {"zh": "zh_Hans", "en": "en"}


def luhn_complete(prefix: str) -> str:
    """``prefix`` followed by the check digit that makes it pass the Luhn checksum."""
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable: one check digit always fits")


@dataclass(slots=True)
class BankAccount:
    """One fake customer: card number, PIN, balance (CNY cents) and recent transactions."""

    customer_id: str
    card: str
    pin: str
    balance_cents: int
    transactions: list[tuple[str, int]]  # (merchant index as text, amount in cents; < 0 paid)
    statement_cents: int
    fee_cents: int
    blocked: bool = False


@dataclass(slots=True)
class FakeBank:
    """``size`` generated accounts; ``reference_seq`` numbers the card blocks."""

    seed: int = 2026
    size: int = 200
    accounts: dict[str, BankAccount] = field(default_factory=dict)
    reference_seq: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        for i in range(self.size):
            card = luhn_complete("62" + "".join(rng.choice("0123456789") for _ in range(13)))
            txs = [(str(rng.randrange(len(_MERCHANTS))), -rng.randrange(500, 80_000))
                   for _ in range(5)]  # fmt: skip
            self.accounts[card] = BankAccount(
                customer_id=f"bank-{i:04d}",
                card=card,
                pin=f"{rng.randrange(10**6):06d}",
                balance_cents=rng.randrange(0, 5_000_000),
                transactions=txs,
                statement_cents=rng.randrange(10_000, 900_000),
                fee_cents=rng.choice((0, 0, 1_000, 2_500)),
            )

    def verify(self, method: str, identifier: str, secret: str) -> VerifyDone:
        """Check the PIN of card ``identifier`` (method ``account_pin``)."""
        account = self.accounts.get(identifier)
        if method != "account_pin" or account is None or account.pin != secret:
            return VerifyDone(False)
        return VerifyDone(True, account.customer_id)

    def actions(self) -> dict[str, SelfService]:
        """The self-service actions by name: balance, transactions, card_block, bill."""
        return {
            "balance": self.balance,
            "transactions": self.last_transactions,
            "card_block": self.block_card,
            "bill": self.explain_bill,
        }

    def balance(self, params: Mapping[str, str]) -> ActionDone:
        account = self.accounts.get(params.get("account", ""))
        if account is None:
            return ActionDone("unknown_account")
        return ActionDone("ok", {"amount": _yuan(account.balance_cents)})

    def last_transactions(self, params: Mapping[str, str]) -> ActionDone:
        account = self.accounts.get(params.get("account", ""))
        if account is None:
            return ActionDone("unknown_account")
        count = max(1, min(5, int(params.get("count", "3") or 3)))
        shown = account.transactions[:count]
        # The action does not know the contact's language: it words the list in each of
        # the flow's languages (``summary_zh``, ``summary_en``) and the flow's message
        # in each language says its own, so the contact hears merchants in one language.
        data = {"count": str(len(shown))}
        for language, catalog in _CATALOG_LANGUAGES.items():
            data[f"summary_{language}"] = "; ".join(
                f"{customer_text(catalog, 'ivr.bank.merchant.' + _MERCHANTS[int(m)])} {_yuan(c)}"
                for m, c in shown
            )
        return ActionDone("ok", data)

    def block_card(self, params: Mapping[str, str]) -> ActionDone:
        account = self.accounts.get(params.get("account", ""))
        if account is None:
            return ActionDone("unknown_account")
        data = {"last4": account.card[-4:]}
        if account.blocked:
            return ActionDone("already_blocked", data | {"reference": "-"})
        account.blocked = True
        self.reference_seq += 1
        return ActionDone("blocked", data | {"reference": f"BLK{self.reference_seq:06d}"})

    def explain_bill(self, params: Mapping[str, str]) -> ActionDone:
        account = self.accounts.get(params.get("account", ""))
        if account is None:
            return ActionDone("unknown_account")
        # Amounts only: the flow words them in each language.
        spent = account.statement_cents - account.fee_cents
        return ActionDone(
            "ok",
            {
                "total": _yuan(account.statement_cents),
                "purchases": _yuan(spent),
                "fee": _yuan(account.fee_cents),
            },
        )


def _yuan(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
