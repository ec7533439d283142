"""The desktop's words as data an admin changes: not-ready reasons, disposition codes,
canned replies and value-tier labels, each a code with its text in English and Chinese.

A change is the command :class:`DefinePhrase` (create, edit, take out of use, put back);
its handler checks everything before anything changes, records the phrase in the ``phrase``
stream of the channel log (one ``seq`` with the rest) and in the audit log (who, when,
before and after). :class:`PhraseBook` is a part of the engine's transaction: loading
replays the stream over the shipped defaults (the ``vocab.*`` catalog texts), so a restart
serves the same words, and a change is on every open desktop at once (``changed``
listeners run after the commit).

Canned replies may be limited to some queues and may hold the placeholders ``{customer}``,
``{agent}`` and ``{queue}``, which the desktop fills when the reply is inserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import AlreadyExists
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.i18n import catalogs
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.desktop.views import Phrase, Vocabulary
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "DEFAULT_PHRASES",
    "KINDS",
    "LANGUAGES",
    "PHRASE_STREAM",
    "PLACEHOLDERS",
    "DefinePhrase",
    "PhraseBook",
    "default_vocabulary",
]

PHRASE_STREAM = "phrase"
KINDS = ("reason", "disposition", "canned", "tier")
"""The kinds of phrases, in the order the admin page shows them."""
LANGUAGES = ("en", "zh")
"""Every phrase has a text in each of these (the pages' languages)."""
PLACEHOLDERS = frozenset({"customer", "agent", "queue"})
"""Names a canned reply may hold in braces (``{customer}``), filled by the desktop."""
MAX_TEXT = {"canned": 1000, "reason": 64, "disposition": 64, "tier": 64}
"""The longest text of each kind (characters)."""
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
_TIER = re.compile(r"^[0-9]{1,2}$")
_BRACES = re.compile(r"\{([^{}]*)\}")

_DEFAULT_CODES = {
    "reason": ("break", "lunch", "training", "meeting", "follow_up"),
    "disposition": ("resolved", "follow_up", "escalated", "info_given", "no_response"),
    "canned": ("greeting", "checking", "verify", "refund", "closing"),
    "tier": ("0", "1", "2", "3", "4"),
}
Log = Callable[[float, str, str, str, dict[str, Any]], None]
Listener = Callable[[], None]


def _shipped(kind: str, code: str) -> Phrase:
    """A default phrase with its texts from the shipped catalogs."""
    shipped = catalogs()
    key = f"vocab.{kind}.{code}"
    texts = {lang: shipped.get(lang).text(key) for lang in LANGUAGES}
    return Phrase(kind, code, texts)


DEFAULT_PHRASES: tuple[Phrase, ...] = tuple(
    _shipped(kind, code) for kind in KINDS for code in _DEFAULT_CODES[kind]
)
"""The words a new center starts with (their texts are the ``vocab.*`` catalog texts)."""


def default_vocabulary() -> Vocabulary:
    """The shipped words, before any change."""
    return _vocabulary(DEFAULT_PHRASES)


def _vocabulary(phrases: Iterable[Phrase]) -> Vocabulary:
    by_kind: dict[str, list[Phrase]] = {kind: [] for kind in KINDS}
    for phrase in phrases:
        if phrase.active:
            by_kind[phrase.kind].append(phrase)
    return Vocabulary(
        tuple(by_kind["reason"]),
        tuple(by_kind["disposition"]),
        tuple(by_kind["canned"]),
        tuple(by_kind["tier"]),
    )


@dataclass(frozen=True, slots=True)
class DefinePhrase(Command):
    """Create (``create=True``: refused if it exists) or change the phrase ``code`` of
    ``kind``: its text per language (``texts``: ``en`` and ``zh``, both required), the
    queues a canned reply is offered in (``queues``; empty: every queue) and whether it is
    in use (``active``: a phrase out of use stays in the list, never on a desktop)."""

    kind: str
    code: str
    texts: Mapping[str, str]
    queues: tuple[str, ...] = ()
    active: bool = True
    create: bool = False


def _refuse(message: str, key: str, **details: Any) -> DomainValidationError:
    return DomainValidationError(message, text_key=key, **details)


def _checked(tx: Transaction, cmd: DefinePhrase) -> Phrase:
    """The phrase the command defines, or the first reason it is refused."""
    if cmd.kind not in KINDS:
        raise _refuse(f"kind must be one of {', '.join(KINDS)}", "error.phrase_kind", field="kind")
    pattern = _TIER if cmd.kind == "tier" else _CODE
    if not pattern.match(cmd.code):
        raise _refuse(
            "a code is 1–32 lower-case letters, digits or _ (a tier: its number 0–99)",
            "error.phrase_code",
            field="code",
            value=cmd.code[:40],
        )
    texts: dict[str, str] = {}
    limit = MAX_TEXT[cmd.kind]
    for lang in LANGUAGES:
        text = str(cmd.texts.get(lang, "")).strip()
        if not text or len(text) > limit:
            raise _refuse(
                f"the {lang} text must have 1 to {limit} characters",
                "error.phrase_text",
                field=f"text_{lang}",
                limit=limit,
            )
        for name in _BRACES.findall(text):
            if cmd.kind != "canned" or name not in PLACEHOLDERS:
                raise _refuse(
                    f"unknown placeholder {{{name[:20]}}}; a canned reply may hold "
                    + ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS)),
                    "error.phrase_placeholder",
                    field=f"text_{lang}",
                    name=name[:20],
                )
        texts[lang] = text
    queues = tuple(dict.fromkeys(q for q in cmd.queues if q))
    if queues and cmd.kind != "canned":
        raise _refuse(
            "only canned replies are limited to queues", "error.phrase_queues", field="queues"
        )
    for queue_id in queues:
        if queue_id not in tx.router.queues:
            raise _refuse(
                f"unknown queue {queue_id[:64]!r}",
                "error.phrase_queue",
                field="queues",
                queue_id=queue_id[:64],
            )
    return Phrase(cmd.kind, cmd.code, texts, queues, cmd.active)


class PhraseBook:
    """The phrases of the desktops: the defaults, then the changes the ``phrase`` stream of
    the channel log (``log_record``) holds."""

    def __init__(self, log_record: Log, defaults: Iterable[Phrase] = DEFAULT_PHRASES) -> None:
        self._log = log_record
        self._defaults = tuple(defaults)
        self._phrases: dict[tuple[str, str], Phrase] = {}
        self.changed: list[Listener] = []
        """Run after a committed change (the desktops send the new words)."""
        self._reset()

    def _reset(self) -> None:
        self._phrases = {(p.kind, p.code): p for p in self._defaults}

    def handlers(self) -> dict[type[Command], Handler]:
        return {DefinePhrase: self.define}

    async def define(self, tx: Transaction, cmd: DefinePhrase) -> dict[str, Any]:
        phrase = _checked(tx, cmd)
        key = (phrase.kind, phrase.code)
        before = self._phrases.get(key)
        if cmd.create and before is not None:
            raise AlreadyExists(
                f"{phrase.kind} {phrase.code} already exists",
                text_key="error.phrase_exists",
                field="code",
                code=phrase.code,
            )
        self._phrases[key] = phrase
        data = phrase.to_record()
        self._log(tx.now, PHRASE_STREAM, "defined", f"{phrase.kind}:{phrase.code}", data)
        tx.audit(
            f"phrase.{'update' if before else 'create'}",
            "phrase",
            f"{phrase.kind}:{phrase.code}",
            None,
            None if before is None else before.to_record(),
            data,
        )
        for listener in self.changed:
            tx.then(listener)
        return phrase.to_record()

    # -- views ---------------------------------------------------------------------------
    def vocabulary(self) -> Vocabulary:
        """The phrases in use, each kind in the order they were first defined."""
        return _vocabulary(self._phrases.values())

    def phrases(self, kind: str) -> list[Phrase]:
        """Every phrase of ``kind``, those out of use too."""
        return [p for p in self._phrases.values() if p.kind == kind]

    def get(self, kind: str, code: str) -> Phrase | None:
        return self._phrases.get((kind, code))

    def codes(self, kind: str) -> frozenset[str]:
        """The codes of ``kind`` in use."""
        return frozenset(p.code for p in self._phrases.values() if p.kind == kind and p.active)

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == PHRASE_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """The defaults, then every recorded definition in ``seq`` order."""
        self._reset()
        for record in records:
            phrase = Phrase.from_record(record.data)
            self._phrases[(phrase.kind, phrase.code)] = phrase

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # phrases need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
