"""IVR benchmark: interpreter steps per second on the demo bank flow, and a naive peer.

Callers are generated from a seed: language, card number (sometimes mistyped first), PIN
(sometimes wrong first), one to three self-service requests (balance, transactions, card
loss, bill), then "anything else?" → another service, an agent (the callback offer after the
router's predicted wait, accepted or not) or goodbye; some stay silent (a timeout at the
deadline) and some press 0. Each caller is first run once through the local driver with the
fake bank's actions, which records every input of the walk (the customer's and the
driver's answers). The timed part replays those inputs with ``step()`` alone: a step is one
``begin`` or ``step`` call; the replay loop's own cost (feeding the inputs, counting) is timed
apart with a ``begin``/``step`` that do nothing and left out of the interpreter's steps/s
(``steps_per_s_with_loop`` keeps it). Seconds are CPU seconds of this process
(``time.process_time``), so the other work on a shared machine counts as little as
possible; the wall time is recorded beside them, with the load average before and after.

Figures: steps/s with digits (DTMF, the voice and kiosk case) and with words (menus answered
by Chinese and English phrases, split by jieba), events per step and µs per step.

Peer, in the same run: :class:`NaiveIvr`, the same rules written the direct way — it walks
the flow's raw dict (as read from YAML) at each step, dispatches on the ``kind`` string,
copies the state dict and its containers on every step and logs events as dicts. Both replay
the same inputs and must reach the same outcome and menu path for every caller.

Run: ``PYTHONPATH=src .venv/bin/python bench/ivr.py`` (``--quick``: fewer callers,
``--profile``: the hot path by own time, ``--no-write``: no JSON record).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.adapters.ivr.driver import LocalDriver
from kefu.adapters.ivr.files import load_flow, read_flow_data
from kefu.adapters.ivr.tokenizer import JiebaTokenizer
from kefu.domain.ivr import Flow, IvrContext, IvrState, begin, next_due, step
from kefu.domain.ivr import messages as m
from naive_ivr import NaiveIvr

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BANK = ROOT / "examples" / "ivr" / "bank.yaml"
TARGET_STEPS_PER_S = 200_000

# Phrases a caller may use instead of digits, per menu and option digit.
WORDS = {
    "language": {"1": "中文", "2": "English please"},
    "main": {
        "1": "我想了解一下账单",
        "2": "我的卡丢了要挂失",
        "3": "查余额",
        "4": "最近的交易明细",
    },
    "card_confirm": {"1": "确认挂失", "2": "返回"},
    "more": {"1": "还有其他业务", "2": "我要回电", "3": "没有了，谢谢"},
}


class AlwaysOpen:
    def is_open(self, _now: float) -> bool:
        return True


Walk = tuple[float, list[tuple[m.Input, float]]]


class Caller:
    """A seeded caller policy: chooses the next input from what the flow waits for."""

    def __init__(self, rng: random.Random, bank: FakeBank, words: bool) -> None:
        self.rng, self.words = rng, words
        self.account = rng.choice(list(bank.accounts.values()))
        self.services = rng.randint(1, 3)
        self.typo, self.wrong_pin = rng.random() < 0.1, rng.random() < 0.1

    def reply(self, state: IvrState) -> m.Input:
        rng, node = self.rng, state.node or ""
        if rng.random() < 0.03:
            return m.Timeout()
        if rng.random() < 0.01:
            return m.Reply("0")
        if node == "account":
            card = self.account.card
            if self.typo:
                self.typo = False
                return m.Reply(card[:-1] + str((int(card[-1]) + 1) % 10))
            return m.Reply(card)
        if node == "pin":
            if self.wrong_pin:
                self.wrong_pin = False
                return m.Reply("000000" if self.account.pin != "000000" else "111111")
            return m.Reply(self.account.pin)
        if node == "callback":
            return m.Reply(rng.choice(["1", "2"]))
        digit = {
            "language": rng.choice("12"),
            "main": rng.choice("1234"),
            "card_confirm": rng.choice("112"),
        }.get(node)
        if node == "more":
            self.services -= 1
            digit = "1" if self.services > 0 else rng.choice("23")
        if digit is None:
            return m.Timeout()
        text = WORDS.get(node, {}).get(digit, digit) if self.words else digit
        return m.Reply(text)


def record_walks(flow: Flow, callers: int, seed: int, words: bool) -> list[Walk]:
    """Every caller's inputs, with their instants, as the driver answered them."""
    bank = FakeBank(seed=seed)
    rng = random.Random(seed)
    tok = JiebaTokenizer() if words else None
    ctx = (
        IvrContext(tok, {"bank": AlwaysOpen()})
        if tok
        else IvrContext(calendars={"bank": AlwaysOpen()})
    )
    walks: list[Walk] = []
    for i in range(callers):
        caller = Caller(rng, bank, words)
        wait = rng.choice([30.0, 90.0, 300.0, 900.0])
        driver = LocalDriver(flow, bank.actions(), bank.verify, lambda _queue, w=wait: w, ctx)
        start = i * 7.0
        state, actions, _ = begin(flow, f"c{i}", start, ctx=ctx)
        inputs: list[tuple[m.Input, float]] = []
        now = start
        pending = list(actions)
        while state.outcome is None:
            answer = _driver_answer(pending, driver)
            if answer is None:
                answer = caller.reply(state)
                due = next_due(state)
                assert due is not None
                now = due if isinstance(answer, m.Timeout) else now + rng.uniform(1.0, 6.0)
                if not isinstance(answer, m.Timeout) and now > due:
                    now = due - 0.01
            inputs.append((answer, now))
            state, actions, _ = step(flow, state, answer, now, ctx)
            pending = list(actions)
        walks.append((start, inputs))
    return walks


def _driver_answer(actions: list[m.Action], driver: LocalDriver) -> m.Input | None:
    for action in actions:
        answer = driver.answer(action)
        if answer is not None:
            return answer
    return None


def run_kefu(
    flow: Flow,
    walks: list[Walk],
    ctx: IvrContext,
    begin: Any = begin,
    step: Any = step,
    *,
    read: bool = False,
) -> tuple[int, int, list[Any]]:
    """Replay every walk with ``begin`` and ``step``: (steps, events, outcomes).

    The loop does no more than feed the recorded inputs and count: :func:`loop_cost` times
    it with a ``step`` that does nothing, so that the figure is the interpreter's alone.
    ``read``: every step's events are read (built as dataclasses, as the chat wing and the
    drivers do); otherwise they are only counted and stay records."""
    steps = events = 0
    outcomes = []
    ids = [f"c{i}" for i in range(len(walks))]
    size = (lambda evs: len(list(evs))) if read else len
    for i, (start, inputs) in enumerate(walks):
        state, _, evs = begin(flow, ids[i], start, ctx=ctx)
        events += size(evs)
        for inp, now in inputs:
            state, _, evs = step(flow, state, inp, now, ctx)
            events += size(evs)
        steps += 1 + len(inputs)
        outcomes.append((state.outcome, state.path))
    return steps, events, outcomes


def loop_cost(flow: Flow, walks: list[Walk], ctx: IvrContext, repeats: int) -> float:
    """Median CPU seconds of :func:`run_kefu`'s loop alone (``begin``/``step`` do nothing)."""
    state, _, _ = begin(flow, "c0", 0.0, ctx=ctx)
    nothing: tuple[IvrState, list[Any], list[Any]] = (state, [], [])

    def no_begin(*_a: Any, **_k: Any) -> tuple[IvrState, list[Any], list[Any]]:
        return nothing

    def no_step(*_a: Any) -> tuple[IvrState, list[Any], list[Any]]:
        return nothing

    _, cpu, _ = timed(lambda: run_kefu(flow, walks, ctx, no_begin, no_step), repeats)
    return cpu


def run_naive(raw: dict[str, Any], walks: list[Walk]) -> tuple[int, int, list[Any]]:
    naive = NaiveIvr(raw, {"bank": AlwaysOpen()})
    steps = events = 0
    outcomes = []
    for i, (start, inputs) in enumerate(walks):
        state, evs = naive.begin(f"c{i}", start)
        events += len(evs)
        for inp, now in inputs:
            state, evs = naive.step(state, inp, now)
            events += len(evs)
        steps += 1 + len(inputs)
        outcomes.append((state["outcome"], tuple(state["path"])))
    return steps, events, outcomes


def timed(fn: Any, repeats: int) -> tuple[Any, float, float]:
    """``fn()``'s result and its median CPU and wall seconds over ``repeats`` runs."""
    cpu, wall, result = [], [], None
    for _ in range(repeats):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return result, statistics.median(cpu), statistics.median(wall)


def figures(
    steps: int, events: int, cpu_s: float, wall_s: float, loop_s: float = 0.0
) -> dict[str, Any]:
    """``steps_per_s`` counts the interpreter's CPU time: the replay's less its loop's."""
    own = cpu_s - loop_s
    return {
        "steps": steps,
        "events": events,
        "cpu_s": round(cpu_s, 4),
        "loop_cpu_s": round(loop_s, 4),
        "wall_s": round(wall_s, 4),
        "steps_per_s": round(steps / own),
        "steps_per_s_with_loop": round(steps / cpu_s),
        "us_per_step": round(own / steps * 1e6, 2),
        "events_per_step": round(events / steps, 2),
    }


def profile_hot_path(flow: Flow, walks: list[Walk], ctx: IvrContext) -> list[dict[str, Any]]:
    prof = cProfile.Profile()
    prof.runcall(run_kefu, flow, walks, ctx)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    rows = []
    for (file, line, name), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "calls": calls,
                "own_s": round(own, 4),
                "cumulative_s": round(cum, 4),
            }
        )
    return sorted(rows, key=lambda r: -r["own_s"])[:15]


def machine() -> dict[str, Any]:
    """CPU model and cores (from /proc/cpuinfo), platform and Python version."""
    model, cores = platform.processor() or "unknown", 0
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                cores += 1
    return {
        "cpu_model": model,
        "cores": cores,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the figures and write ``bench/results/ivr-*.json``."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--quick", action="store_true", help="500 callers instead of 5,000")
    p.add_argument("--callers", type=int, help="callers in the walk set")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (median)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--profile", action="store_true", help="record the hot path (cProfile)")
    p.add_argument("--no-write", action="store_true", help="print only")
    args = p.parse_args(argv)
    callers = args.callers or (500 if args.quick else 5000)
    load_before = round(os.getloadavg()[0], 2)

    flow = load_flow(BANK)
    raw = read_flow_data(BANK)
    digits = record_walks(flow, callers, args.seed, words=False)
    words = record_walks(flow, max(1, callers // 5), args.seed + 1, words=True)
    plain_ctx = IvrContext(calendars={"bank": AlwaysOpen()})
    jieba_ctx = IvrContext(JiebaTokenizer(), {"bank": AlwaysOpen()})
    run_kefu(flow, words, jieba_ctx)  # loads jieba's dictionary outside the timing

    (k_steps, k_events, k_out), k_cpu, k_wall = timed(
        lambda: run_kefu(flow, digits, plain_ctx), args.repeats
    )
    (r_steps, r_events, _), r_cpu, r_wall = timed(
        lambda: run_kefu(flow, digits, plain_ctx, read=True), args.repeats
    )
    (w_steps, w_events, _), w_cpu, w_wall = timed(
        lambda: run_kefu(flow, words, jieba_ctx), args.repeats
    )
    (n_steps, n_events, n_out), n_cpu, n_wall = timed(lambda: run_naive(raw, digits), args.repeats)
    k_loop = loop_cost(flow, digits, plain_ctx, args.repeats)
    w_loop = loop_cost(flow, words, jieba_ctx, args.repeats)
    same = k_out == n_out
    kefu = figures(k_steps, k_events, k_cpu, k_wall, k_loop)
    kefu_words = figures(w_steps, w_events, w_cpu, w_wall, w_loop)
    kefu_read = figures(r_steps, r_events, r_cpu, r_wall, k_loop)
    naive = figures(n_steps, n_events, n_cpu, n_wall)
    ratio = kefu["steps_per_s_with_loop"] / naive["steps_per_s"]
    outcomes: dict[str, int] = {}
    for outcome, _ in k_out:
        outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1

    print(f"bank flow, {callers} callers, {k_steps} steps (median of {args.repeats} runs)")
    print(
        f"kefu (digits): {kefu['steps_per_s']:,} steps/s, {kefu['us_per_step']} µs/step, "
        f"{kefu['events_per_step']} events/step (the replay loop's "
        f"{k_loop / k_steps * 1e6:.2f} µs/step not counted; with it "
        f"{kefu['steps_per_s_with_loop']:,} steps/s)"
    )
    print(
        f"kefu (digits, every event read as a dataclass): {kefu_read['steps_per_s']:,} "
        f"steps/s, {kefu_read['us_per_step']} µs/step"
    )
    print(f"kefu (words, jieba): {kefu_words['steps_per_s']:,} steps/s")
    print(
        f"naive dict walker: {naive['steps_per_s']:,} steps/s, "
        f"{naive['events_per_step']} events/step; kefu ÷ naive = {ratio:.2f}; "
        f"same outcomes and paths: {same}"
    )
    print(f"outcomes: {outcomes}")
    print(f"{kefu['steps_per_s']} steps/s")

    record: dict[str, Any] = {
        "benchmark": "ivr",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine()
        | {"load_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)}},
        "mode": "quick" if args.quick else "full",
        "walks": {
            "callers": callers,
            "callers_words": len(words),
            "seed": args.seed,
            "repeats": args.repeats,
            "outcomes": outcomes,
        },
        "kefu": kefu,
        "kefu_events_read": kefu_read,
        "kefu_words": kefu_words,
        "peer": {
            "naive_dict_walker": naive,
            "ratio_steps_per_s": round(ratio, 2),
            "same_outcomes": same,
        },
        "target_steps_per_s": TARGET_STEPS_PER_S,
        "target_reached": kefu["steps_per_s"] >= TARGET_STEPS_PER_S,
        "profile": profile_hot_path(flow, digits, plain_ctx) if args.profile else None,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = RESULTS / f"ivr-{stamp}{'-quick' if args.quick else ''}.json"
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        print(f"recorded {path.relative_to(ROOT)}")
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
