"""Simulated IVR callers driving the real interpreter (:func:`kefu.domain.ivr.step`).

Each caller has an *intent* (a node of the flow: the service it called for, or the agent
node) and walks the flow as the code that serves customers runs it: at a menu it listens to
the prompt and to the options up to the one leading to its intent (listening time grows with
each label's length), then presses that digit; it answers collect, verify and callback nodes
with plausible values. Patience depends on depth and on elapsed time: on entering its k-th
menu a caller gives up with probability ``level_hazard[k - 1]`` (the default is calibrated
so that menu paths of 5 and 7 levels lose about 52 % and 87 % of callers, seed 001's
figures), and any caller hangs up once the time since arrival exceeds its patience (drawn
exponential, mean ``patience_mean_s``; ``persistence`` scales both per intent).

Randomness comes in per-caller arrays drawn up front (intent, patience, one uniform per menu
level), so two flows run on the same seed meet the same callers: common random numbers.
The voice convention is kept: a node's silence timer starts when its prompt has been heard,
so the simulated flow's timeouts are lengthened by their prompts' listening time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from kefu.analytics.ivr import FAILED_OUTCOMES
from kefu.domain.ivr import begin, step
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.flow import (
    ActionNode,
    CallbackNode,
    CollectNode,
    Flow,
    MenuNode,
    Node,
    VerifyNode,
)
from kefu.domain.ivr.records import IvrEvents, record_of
from kefu.sim.ivr_paths import OptionChooser, luhn_fill, with_calendars

__all__ = [
    "SEED001_LEVEL_HAZARD",
    "CallerModel",
    "CallerResult",
    "simulate_callers",
]

#: Chance of giving up on entering menu level 1, 2, … (the last value repeats): with
#: ``patience_mean_s`` = 900 s and menus of a few seconds, paths of 5 and 7 menus lose
#: about 52 % and 87 % of their callers (seed 001).
SEED001_LEVEL_HAZARD: tuple[float, ...] = (0.02, 0.02, 0.03, 0.04, 0.45, 0.46, 0.46)
MAX_LEVELS = 16
_MAX_TURNS = 400


@dataclass(frozen=True, slots=True)
class CallerModel:
    """How simulated callers behave (times in seconds).

    ``intents``: node id → weight (the service node an option leads to, or the agent node);
    listening takes ``prompt_s`` per menu plus ``option_s`` + ``per_char_s`` × label length
    per option heard, then ``decide_s``; messages take ``per_char_s`` per character.
    ``persistence`` (intent → factor ≥ 0, default 1) divides the level hazards and
    multiplies the time patience of those callers (seed 001: the top services' callers
    persist). ``action_s``: self-service duration; ``action_outcomes``: action → outcome
    (default: the first outcome its node names); ``slot_values``: answers to collect nodes by slot.
    """

    intents: Mapping[str, float]
    prompt_s: float = 2.0
    option_s: float = 0.8
    per_char_s: float = 0.25
    decide_s: float = 1.0
    level_hazard: tuple[float, ...] = SEED001_LEVEL_HAZARD
    patience_mean_s: float = 900.0
    persistence: Mapping[str, float] = field(default_factory=dict)
    action_s: float = 3.0
    action_outcomes: Mapping[str, str] = field(default_factory=dict)
    slot_values: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None

    def __post_init__(self) -> None:
        if not self.intents or any(w < 0 for w in self.intents.values()):
            raise ValueError("intents: give at least one intent with a weight ≥ 0")
        if sum(self.intents.values()) <= 0:
            raise ValueError("intents: the weights must not all be 0")
        if not self.level_hazard or any(not 0.0 <= h < 1.0 for h in self.level_hazard):
            raise ValueError("level_hazard: give chances in [0, 1)")


@dataclass(frozen=True, slots=True)
class CallerResult:
    """One caller: ``outcome`` ``contained`` (the flow ended it), ``agent`` (handed to
    ``queue_id`` at ``left_s``), ``abandoned``, ``flow`` (chained to another flow) or
    ``stuck``; ``depth``: menus heard (language menus included); ``served_s``: when it was
    served: its intent's action answered successfully, or its intent's node reached. A
    caller who hangs up once served counts as ``contained``."""

    contact_id: str
    intent: str
    arrived_s: float
    left_s: float
    outcome: str
    depth: int
    queue_id: str | None = None
    callback: bool = False
    served_s: float | None = None
    events: tuple[ev.IvrEvent, ...] = ()


def _listen(text: str, per_char_s: float) -> float:
    return per_char_s * len(text)


def listening_flow(flow: Flow, model: CallerModel, language: str) -> Flow:
    """``flow`` with each waiting node's timeout lengthened by the time its prompt and
    options take to hear (the voice convention: the silence timer starts after the prompt)."""
    nodes: dict[str, Node] = {}
    for node_id, node in flow.nodes.items():
        if isinstance(node, MenuNode):
            heard = model.prompt_s + _listen(node.prompt.get(language, ""), model.per_char_s)
            heard += sum(
                model.option_s + _listen(o.label.get(language, ""), model.per_char_s)
                for o in node.options
            )
            node = replace(node, timeout_s=node.timeout_s + heard)
        elif isinstance(node, CollectNode | VerifyNode):
            heard = _listen(node.prompt.get(language, ""), model.per_char_s)
            node = replace(node, timeout_s=node.timeout_s + heard + 10.0)
        elif isinstance(node, CallbackNode):
            heard = _listen(node.offer.get(language, ""), model.per_char_s)
            node = replace(node, timeout_s=node.timeout_s + heard)
        nodes[node_id] = node
    return Flow(
        flow.flow_id,
        flow.start,
        nodes,
        flow.agent,
        flow.version,
        flow.languages,
        flow.agent_keywords,
        flow.max_visits,
    )


def _collect_answer(node: CollectNode, model: CallerModel) -> str:
    given = model.slot_values.get(node.slot)
    if given is not None:
        return given
    value = "6" * max(node.min_length, 2)
    return luhn_fill(value) if node.luhn else value


def simulate_callers(
    flow: Flow,
    model: CallerModel,
    arrivals_s: Sequence[float],
    seed: np.random.SeedSequence,
    *,
    ctx: m.IvrContext | None = None,
    keep_events: bool = False,
) -> list[CallerResult]:
    """Run one caller per arrival instant (s) through ``flow``; the draws depend only on
    ``seed`` and the caller's index, never on the flow (common random numbers). Hours
    nodes whose calendar ``ctx`` lacks find the center open."""
    rng = np.random.default_rng(seed)
    n = len(arrivals_s)
    names = list(model.intents)
    weights = np.array([model.intents[k] for k in names], dtype=float)
    intent_idx = rng.choice(len(names), size=n, p=weights / weights.sum())
    patience = rng.exponential(1.0, size=n) * model.patience_mean_s
    level_u = rng.random((n, MAX_LEVELS))
    language = model.language or flow.languages[0]
    sim_flow = listening_flow(flow, model, language)
    context = with_calendars(sim_flow, ctx or m.IvrContext())
    router = OptionChooser(sim_flow)
    out: list[CallerResult] = []
    for i, t0 in enumerate(arrivals_s):
        intent = names[intent_idx[i]]
        factor = model.persistence.get(intent, 1.0)
        out.append(
            _one_caller(
                sim_flow,
                model,
                router,
                context,
                f"ivr-{i + 1}",
                intent,
                float(t0),
                float(patience[i] * factor),
                level_u[i],
                factor,
                language,
                keep_events,
            )
        )
    return out


def _one_caller(
    flow: Flow,
    model: CallerModel,
    router: OptionChooser,
    ctx: m.IvrContext,
    cid: str,
    intent: str,
    t0: float,
    patience_s: float,
    level_u: np.ndarray,
    factor: float,
    language: str,
    keep: bool,
) -> CallerResult:
    state, actions, events = begin(flow, cid, t0, language=language, ctx=ctx)
    log: list[ev.IvrEvent] = list(events) if keep else []
    depth = 0
    served: float | None = None
    waits_action = isinstance(flow.nodes.get(intent), ActionNode)
    queue: str | None = None
    callback = False
    t = t0
    give_up = t0 + patience_s
    for _ in range(_MAX_TURNS):
        if served is None:
            served = _served_at(events, intent, waits_action)
        inp: m.Input | None = None
        at = t
        heard = 0.0
        for a in actions:
            if isinstance(a, m.Say):
                heard += _listen(a.text, model.per_char_s)
            elif isinstance(a, m.RunAction):
                outcome = model.action_outcomes.get(a.action) or _first_outcome(flow, a)
                # The action runs while the caller hears what came before it; its answer
                # never comes after the node's deadline (the driver would time it out).
                done = t + max(heard, model.action_s)
                due = state.deadline
                inp, at = m.ActionDone(outcome), done if due is None else min(done, due)
            elif isinstance(a, m.VerifyIdentity):
                inp, at = m.VerifyDone(True, f"cust-{cid}"), t + heard
            elif isinstance(a, m.EstimateWait):
                inp, at = m.WaitEstimate(None), t
            elif isinstance(a, m.Transfer):
                queue, callback = a.queue_id, a.callback
            elif isinstance(a, m.Ask):
                inp, at, depth = _answer(
                    flow, model, router, a, intent, served, t + heard, depth, level_u, factor
                )
        if state.outcome is not None:
            break
        if inp is None:  # nothing to answer: the flow waits for a timer
            due = state.deadline
            inp, at = m.Timeout(), (t if due is None else due)
        if at > give_up and not isinstance(inp, m.Hangup):
            inp, at = m.Hangup(), max(give_up, t)
        t = at
        state, actions, events = step(flow, state, inp, t, ctx)
        if keep:
            log.extend(events)
    outcome = {
        "end": "contained",
        "transfer": "agent",
        "callback": "agent",
        "abandon": "abandoned",
        "flow": "flow",
    }.get(state.outcome or "", "stuck")
    if outcome == "abandoned" and served is not None:
        outcome = "contained"  # hung up once served, as the analytics count it
    return CallerResult(cid, intent, t0, t, outcome, depth, queue, callback, served, tuple(log))


def _first_outcome(flow: Flow, action: m.RunAction) -> str:
    """The outcome an action answers by default: the first its node names (the success
    path, by convention), else ``ok``."""
    node = flow.nodes[action.node_id]
    return next(iter(node.outcomes), "ok") if isinstance(node, ActionNode) else "ok"


def _served_at(events: Sequence[ev.IvrEvent], intent: str, waits_action: bool) -> float | None:
    """When these events serve the intent: its action's successful result, or entering
    it when it is not an action (``None``: not yet)."""
    # Read as records (class, at, contact_id, node_id, ...): a step's events stay unbuilt.
    found = events.records() if isinstance(events, IvrEvents) else map(record_of, events)
    for r in found:
        if waits_action:
            # SelfServiceCompleted: (class, at, contact_id, node_id, action, outcome, data)
            if r[0] is ev.SelfServiceCompleted and r[3] == intent and r[5] not in FAILED_OUTCOMES:
                return float(r[1])
        elif r[0] is ev.NodeEntered and r[3] == intent:
            return float(r[1])
    return None


def _answer(
    flow: Flow,
    model: CallerModel,
    router: OptionChooser,
    ask: m.Ask,
    intent: str,
    served: float | None,
    t: float,
    depth: int,
    level_u: np.ndarray,
    factor: float,
) -> tuple[m.Input, float, int]:
    """The caller's reply to ``ask`` (or hang-up), its instant and the menus heard so far."""
    node = flow.nodes[ask.node_id]
    if not isinstance(node, MenuNode):
        listen = _listen(ask.prompt, model.per_char_s) + model.decide_s
        if isinstance(node, CollectNode):
            return m.Reply(_collect_answer(node, model)), t + listen, depth
        if isinstance(node, VerifyNode):
            return m.Reply("1" * node.secret_length[0]), t + listen, depth
        return m.Reply("2"), t + listen, depth  # a callback offer: keep waiting
    if ask.retry == 0:  # a language menu is a level too, as for the linter and the analytics
        depth += 1
    if ask.retry == 0 and served is None:  # once served, the caller only wants to finish
        hazard = model.level_hazard[min(depth, len(model.level_hazard)) - 1] / max(factor, 1e-9)
        u = float(level_u[min(depth, MAX_LEVELS) - 1])
        if u < hazard:
            # Gives up part-way through the menu (u / hazard is uniform on [0, 1)).
            return m.Hangup(), t + (u / hazard) * _menu_listen(ask, model), depth
    if node.is_language:
        index: int | None = 0
    elif served is not None:
        index = router.ending(node)
    elif intent == flow.agent:  # an option straight to the agent, else "0"
        index = next((i for i, o in enumerate(node.options) if o.next == flow.agent), None)
    else:
        index = router.choose(node, intent)
        if index is None:  # the service is gone from the flow: the "other" option, or "0"
            index = next((i for i, o in enumerate(node.options) if o.next == flow.agent), None)
    if index is None:
        return m.Reply("0"), t + model.prompt_s + model.decide_s, depth
    return m.Reply(node.options[index].digit), t + _menu_listen(ask, model, index), depth


def _menu_listen(ask: m.Ask, model: CallerModel, upto: int | None = None) -> float:
    """Seconds to hear the asked menu's prompt and its options up to index ``upto`` (all:
    None), then decide."""
    last = len(ask.options) - 1 if upto is None else upto
    total = model.prompt_s + _listen(ask.prompt, model.per_char_s) + model.decide_s
    for _, label in ask.options[: last + 1]:
        total += model.option_s + _listen(label, model.per_char_s)
    return total
