"""IVR flows as data: nodes, options and their dict form (what YAML/JSON files and rows hold).

A flow is a graph of nodes keyed by id. Nodes that wait for the customer (menu, language,
collect, verify, callback) carry a prompt, a retry count and a timeout in seconds; the other
nodes (message, action, hours, transfer, goto, end) act and move on. Texts are mappings
``language → text`` (``zh`` and ``en``). :func:`kefu.domain.ivr.flow_io.parse_flow`
checks the structure (known kinds, targets that exist, no cycle of nodes that never wait);
softer design problems are the linter's (:mod:`kefu.domain.ivr.lint`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

from kefu.domain.ivr.errors import InvalidFlow
from kefu.domain.ivr.matching import DEFAULT_AGENT_KEYWORDS

__all__ = [
    "ENTER_ACTION",
    "ENTER_ASK",
    "ENTER_CALLBACK",
    "ENTER_HOURS",
    "ENTER_LEAVE",
    "ENTER_MESSAGE",
    "ENTER_VERIFY",
    "WAITING_KINDS",
    "ActionNode",
    "CallbackNode",
    "CollectNode",
    "EndNode",
    "Entry",
    "Flow",
    "GotoFlowNode",
    "HoursNode",
    "MenuNode",
    "MenuOption",
    "MessageNode",
    "Node",
    "TransferNode",
    "VerifyNode",
]

Text = Mapping[str, str]

#: Node kinds that wait for the customer (and so accept "0 / 人工 / agent").
WAITING_KINDS = frozenset({"menu", "language", "collect", "verify", "callback"})


@dataclass(frozen=True, slots=True)
class Node:
    """Base of all nodes: ``node_id`` and its ``kind`` (the ``kind`` field of the dict form)."""

    node_id: str
    KIND: ClassVar[str] = ""

    @property
    def kind(self) -> str:
        return self.KIND

    def targets(self) -> tuple[str, ...]:
        """The node ids this node can lead to (empty for terminal nodes)."""
        return ()


@dataclass(frozen=True, slots=True)
class MenuOption:
    """One choice: a DTMF ``digit``, a ``label`` per language, ``keywords`` (zh and en, each
    matched as whole tokens) and the ``next`` node; ``language`` switches the contact's
    language when chosen (language menus)."""

    digit: str
    label: Text
    next: str
    keywords: tuple[str, ...] = ()
    language: str | None = None


@dataclass(frozen=True, slots=True)
class MenuNode(Node):
    """Options by digit or keyword; ``retries`` wrong or silent answers (each waiting at most
    ``timeout_s`` seconds) before ``on_fail``. ``is_language`` marks a language choice."""

    KIND: ClassVar[str] = "menu"

    prompt: Text
    options: tuple[MenuOption, ...]
    retries: int = 2
    timeout_s: float = 10.0
    on_fail: str | None = None
    is_language: bool = False
    by_digit: Mapping[str, MenuOption] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_digit", {o.digit: o for o in self.options})

    @property
    def kind(self) -> str:
        return "language" if self.is_language else "menu"

    def targets(self) -> tuple[str, ...]:
        extra = (self.on_fail,) if self.on_fail else ()
        return tuple(o.next for o in self.options) + extra


@dataclass(frozen=True, slots=True)
class MessageNode(Node):
    """Says ``text`` (``{slot}`` placeholders filled from collected values) and goes on."""

    KIND: ClassVar[str] = "message"

    text: Text
    next: str

    def targets(self) -> tuple[str, ...]:
        return (self.next,)


@dataclass(frozen=True, slots=True)
class CollectNode(Node):
    """Asks for a value stored in ``slot``: ``mode`` ``digits`` or ``text``, length between
    ``min_length`` and ``max_length`` characters, optional Luhn checksum and regex
    ``pattern`` (full match); ``retries`` and ``timeout_s`` (seconds) as for menus.
    ``sensitive`` values (card and account numbers) are kept masked in events, state and
    conversation (see :mod:`kefu.domain.ivr.masking`); the dict form defaults it to ``luhn``."""

    KIND: ClassVar[str] = "collect"

    prompt: Text
    slot: str
    next: str
    mode: str = "digits"
    min_length: int = 1
    max_length: int = 64
    luhn: bool = False
    pattern: str | None = None
    retries: int = 2
    timeout_s: float = 15.0
    on_fail: str | None = None
    sensitive: bool = False
    compiled: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern) if self.pattern else None)

    def targets(self) -> tuple[str, ...]:
        return (self.next,) + ((self.on_fail,) if self.on_fail else ())


@dataclass(frozen=True, slots=True)
class VerifyNode(Node):
    """Asks for the secret (PIN, date of birth ...) of the identifier in ``identifier_slot``;
    the driver checks it (``method``) and answers. The secret is never stored or logged.
    A failure goes back to ``retry`` (e.g. the account number) until ``retries`` failures,
    then to ``on_fail``; success leads to ``next``."""

    KIND: ClassVar[str] = "verify"

    prompt: Text
    method: str
    identifier_slot: str
    next: str
    retry: str | None = None
    retries: int = 2
    timeout_s: float = 15.0
    on_fail: str | None = None
    secret_length: tuple[int, int] = (4, 8)

    def targets(self) -> tuple[str, ...]:
        return tuple(t for t in (self.next, self.retry, self.on_fail) if t)


@dataclass(frozen=True, slots=True)
class ActionNode(Node):
    """Runs the self-service action ``action`` (by the driver) with ``params`` (values may
    name slots as ``{slot}``); its outcome picks the next node in ``outcomes``, else
    ``default``. The returned data is stored as slots ``<action>.<key>``."""

    KIND: ClassVar[str] = "action"

    action: str
    outcomes: Mapping[str, str]
    default: str
    params: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 10.0
    # The keys of the params that name slots (the others are passed as written).
    templated: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "templated", tuple(k for k, v in self.params.items() if "{" in v))

    def targets(self) -> tuple[str, ...]:
        return (*self.outcomes.values(), self.default)


@dataclass(frozen=True, slots=True)
class HoursNode(Node):
    """Checks the business calendar named ``calendar`` (open hours, holidays) at this instant."""

    KIND: ClassVar[str] = "hours"

    calendar: str
    open: str
    closed: str

    def targets(self) -> tuple[str, ...]:
        return (self.open, self.closed)


@dataclass(frozen=True, slots=True)
class CallbackNode(Node):
    """Announces the predicted wait of ``queue`` (the driver's estimate, in seconds); from
    ``threshold_s`` on, offers a callback (digit 1 / keywords) that hands the contact off
    with ``callback`` set; otherwise, or when declined, goes to ``next``."""

    KIND: ClassVar[str] = "callback"

    queue: str
    announce: Text
    offer: Text
    next: str
    threshold_s: float = 120.0
    timeout_s: float = 10.0

    def targets(self) -> tuple[str, ...]:
        return (self.next,)


@dataclass(frozen=True, slots=True)
class TransferNode(Node):
    """Hands the contact to ``queue`` with everything learned as attributes."""

    KIND: ClassVar[str] = "transfer"

    queue: str
    text: Text = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GotoFlowNode(Node):
    """Continues in the flow ``flow`` (the driver starts it, carrying the collected values)."""

    KIND: ClassVar[str] = "goto"

    flow: str


@dataclass(frozen=True, slots=True)
class EndNode(Node):
    """Says ``text`` and ends the contact."""

    KIND: ClassVar[str] = "end"

    text: Text = field(default_factory=dict)


# How the interpreter runs a node once entered (Entry.code): compared as small ints on every
# node entry instead of a chain of isinstance calls.
ENTER_ASK, ENTER_MESSAGE, ENTER_ACTION, ENTER_VERIFY, ENTER_HOURS, ENTER_CALLBACK = range(6)
ENTER_LEAVE = 6  # transfer, goto, end


class Entry(NamedTuple):
    """A node resolved for the interpreter when its flow is built: the ``node``, which of
    the interpreter's branches runs it (``code``, one of the ``ENTER_*``), the ``kind`` its
    ``NodeEntered`` event records, what it then waits for (``waiting``, ``None``: nothing)
    and for how long (``timeout_s``, seconds; 0 when it waits for nothing)."""

    node: Node
    code: int
    kind: str
    waiting: str | None
    timeout_s: float


def _entry(node: Node) -> Entry:
    if isinstance(node, (MenuNode, CollectNode)):
        return Entry(node, ENTER_ASK, node.kind, "input", node.timeout_s)
    if isinstance(node, MessageNode):
        return Entry(node, ENTER_MESSAGE, node.kind, None, 0.0)
    if isinstance(node, ActionNode):
        return Entry(node, ENTER_ACTION, node.kind, "action", node.timeout_s)
    if isinstance(node, VerifyNode):
        return Entry(node, ENTER_VERIFY, node.kind, "secret", node.timeout_s)
    if isinstance(node, HoursNode):
        return Entry(node, ENTER_HOURS, node.kind, None, 0.0)
    if isinstance(node, CallbackNode):
        return Entry(node, ENTER_CALLBACK, node.kind, "estimate", node.timeout_s)
    return Entry(node, ENTER_LEAVE, node.kind, None, 0.0)


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow version: ``start`` node, ``nodes`` by id, ``agent`` (the transfer node that
    "0 / 人工 / agent" reaches from every waiting node), ``languages`` (the first is the
    default), ``agent_keywords`` and ``max_visits`` (node entries before the contact is sent
    to ``agent`` so that no caller loops forever)."""

    flow_id: str
    start: str
    nodes: Mapping[str, Node]
    agent: str
    version: int = 1
    languages: tuple[str, ...] = ("zh", "en")
    agent_keywords: tuple[str, ...] = DEFAULT_AGENT_KEYWORDS
    max_visits: int = 50
    # The nodes resolved for the interpreter (see Entry), by id.
    entries: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_structure(self)
        object.__setattr__(self, "entries", {k: _entry(n) for k, n in self.nodes.items()})

    def with_version(self, version: int) -> Flow:
        """The same graph numbered ``version``."""
        return Flow(
            self.flow_id,
            self.start,
            self.nodes,
            self.agent,
            version,
            self.languages,
            self.agent_keywords,
            self.max_visits,
        )


def _check_structure(flow: Flow) -> None:
    """Targets exist, the agent node is a transfer, no cycle of nodes that never wait."""
    if flow.start not in flow.nodes:
        raise InvalidFlow(f"start: unknown node {flow.start!r}", field="start")
    agent = flow.nodes.get(flow.agent)
    if not isinstance(agent, TransferNode):
        raise InvalidFlow(f"agent: {flow.agent!r} is not a transfer node", field="agent")
    if not flow.languages:
        raise InvalidFlow("languages: at least one language is needed", field="languages")
    if flow.max_visits < 1:
        raise InvalidFlow("max_visits: must be at least 1", field="max_visits")
    for node_id, node in flow.nodes.items():
        for target in node.targets():
            if target not in flow.nodes:
                raise InvalidFlow(
                    f"nodes.{node_id}: unknown target node {target!r}", field=f"nodes.{node_id}"
                )
    _check_no_silent_cycle(flow.nodes, lambda n: n.kind in WAITING_KINDS)


def _check_no_silent_cycle(nodes: Mapping[str, Node], waits: Callable[[Node], bool]) -> None:
    """A cycle of nodes that never wait would make one step run forever: refuse it."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in nodes:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node_id, i = stack[-1]
            node = nodes[node_id]
            succ = () if waits(node) else node.targets()
            if i < len(succ):
                stack[-1] = (node_id, i + 1)
                nxt = succ[i]
                if state.get(nxt) == 1 and not waits(nodes[nxt]):
                    raise InvalidFlow(
                        f"nodes.{nxt}: cycle of nodes that never wait for the customer",
                        field=f"nodes.{nxt}",
                    )
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node_id] = 2
                stack.pop()
