"""The benchmark's peer: the IVR rules written the direct way, on the flow's raw dict.

Same behaviour as :func:`kefu.domain.ivr.step` for digit answers (menus, collect with length
and Luhn checks, verification, self-service, hours, callback offers, transfer, end, retries,
timeouts, "0" for an agent, the visit limit), but: the flow stays the dict read from YAML
(each step looks nodes, options and texts up by key and dispatches on the ``kind`` string),
the state is a dict copied with its containers on every step, and events are dicts. Not
used by kefu; it exists to show what the precompiled flow and the lean state buy.
"""

from __future__ import annotations

import math
from typing import Any

from kefu.domain.ivr import messages as m

WAITS = ("menu", "language", "collect")


def _ev(type_: str, now: float, s: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": type_, "at": now, "contact_id": s["contact_id"], **fields}


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class NaiveIvr:
    def __init__(self, flow: dict[str, Any], calendars: dict[str, Any]) -> None:
        self.flow, self.calendars = flow, calendars

    def begin(self, contact_id: str, now: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        state = {"contact_id": contact_id, "language": self.flow["languages"][0], "node": None,
                 "waiting": None, "deadline": None, "retries": 0, "visits": 0, "slots": {},
                 "path": [], "verified": None, "verify_failures": 0, "attempts": [],
                 "estimated_wait_s": None, "outcome": None}  # fmt: skip
        events = [
            _ev(
                "FlowStarted",
                now,
                state,
                flow_id=self.flow["flow"],
                version=1,
                language=state["language"],
                slots={},
                verified_method=None,
                verified_identifier=None,
                verified_customer_id=None,
                verified_at=None,
            )
        ]
        state["reason"] = "menu"
        said: list[Any] = []
        self._enter(state, self.flow["start"], now, events, said)
        return state, events

    def step(
        self, old: dict[str, Any], inp: m.Input, now: float
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        s = dict(old)
        s["slots"], s["path"], s["attempts"] = (
            dict(old["slots"]),
            list(old["path"]),
            list(old["attempts"]),
        )
        s["reason"] = "menu"
        events: list[dict[str, Any]] = []
        said: list[Any] = []
        node = self.flow["nodes"][s["node"]]
        kind = node["kind"]
        if isinstance(inp, m.Timeout):
            if s["deadline"] is None or now < s["deadline"]:
                return old, []
            if s["waiting"] == "action":
                self._action_done(s, node, "timeout", {}, now, events, said)
            elif s["waiting"] == "verify":
                self._verify_done(s, node, False, None, now, events, said)
            elif s["waiting"] == "estimate":
                self._estimate(s, node, None, now, events, said)
            elif s["waiting"] == "offer":
                events.append(
                    _ev("InputReceived", now, s, node_id=s["node"], text="", timeout=True)
                )
                self._enter(s, node["next"], now, events, said)
            else:
                events.append(
                    _ev("InputReceived", now, s, node_id=s["node"], text="", timeout=True)
                )
                self._refuse(s, node, now, events, said)
        elif isinstance(inp, m.ActionDone):
            self._action_done(s, node, inp.outcome, dict(inp.data), now, events, said)
        elif isinstance(inp, m.VerifyDone):
            self._verify_done(s, node, inp.ok, inp.customer_id, now, events, said)
        elif isinstance(inp, m.WaitEstimate):
            self._estimate(s, node, inp.seconds, now, events, said)
        elif isinstance(inp, m.Reply):
            text = inp.text.strip()
            events.append(
                _ev(
                    "InputReceived",
                    now,
                    s,
                    node_id=s["node"],
                    text="•" * len(text) if kind == "verify" else text,
                    timeout=False,
                )
            )
            if text == "0":
                s["path"].append(f"{s['node']}:0")
                events.append(
                    _ev(
                        "OptionMatched",
                        now,
                        s,
                        node_id=s["node"],
                        digit="0",
                        next=self.flow["agent"],
                        by="agent",
                    )
                )
                s["reason"] = "agent_requested"
                self._enter(s, self.flow["agent"], now, events, said)
            elif kind in ("menu", "language"):
                chosen = [o for o in node["options"] if str(o["digit"]) == text]
                if not chosen:
                    self._refuse(s, node, now, events, said)
                else:
                    s["path"].append(f"{s['node']}:{text}")
                    events.append(
                        _ev(
                            "OptionMatched",
                            now,
                            s,
                            node_id=s["node"],
                            digit=text,
                            next=chosen[0]["next"],
                            by="digit",
                        )
                    )
                    if chosen[0].get("language") and chosen[0]["language"] != s["language"]:
                        s["language"] = chosen[0]["language"]
                        events.append(_ev("LanguageChosen", now, s, language=s["language"]))
                    self._enter(s, chosen[0]["next"], now, events, said)
            elif kind == "collect":
                value = text.replace(" ", "").replace("-", "")
                ok = value.isdigit() and node.get("min_length", 1) <= len(value) <= node.get(
                    "max_length", 64
                )
                if ok and node.get("luhn") and not luhn(value):
                    ok = False
                if not ok:
                    self._refuse(s, node, now, events, said)
                else:
                    s["slots"][node["slot"]] = value
                    events.append(
                        _ev(
                            "ValueCollected",
                            now,
                            s,
                            node_id=s["node"],
                            slot=node["slot"],
                            value=value,
                        )
                    )
                    self._enter(s, node["next"], now, events, said)
            elif kind == "verify":
                low, high = node.get("secret_length", [4, 8])
                if not low <= len(text) <= high:
                    self._refuse(s, node, now, events, said)
                else:
                    s["waiting"], s["deadline"] = "verify", now + node.get("timeout_s", 15)
                    events.append(
                        _ev(
                            "VerificationRequested",
                            now,
                            s,
                            node_id=s["node"],
                            method=node["method"],
                            identifier=s["slots"].get(node["identifier_slot"], ""),
                            deadline=s["deadline"],
                        )
                    )
                    said.append(
                        {
                            "action": "verify",
                            "node_id": s["node"],
                            "method": node["method"],
                            "identifier": s["slots"].get(node["identifier_slot"], ""),
                            "secret": text,
                        }
                    )
            elif kind == "callback":
                if text == "1":
                    s["reason"] = "callback"
                    self._hand_off(s, node["queue"], True, now, events, said)
                else:
                    self._enter(s, node["next"], now, events, said)
        return s, events

    def _fill(self, s: dict[str, Any], t: str) -> str:
        for key, value in s["slots"].items():
            t = t.replace("{" + key + "}", value)
        return t

    def _ask(self, s: dict[str, Any], node: dict[str, Any], said: list[Any]) -> None:
        options = [(str(o["digit"]), self._text(s, o["label"])) for o in node.get("options", [])]
        said.append(
            {
                "action": "ask",
                "node_id": s["node"],
                "prompt": self._text(s, node["prompt"]),
                "options": options,
                "deadline": s["deadline"],
                "secret": node["kind"] == "verify",
                "retry": s["retries"],
            }
        )

    def _hand_off(
        self,
        s: dict[str, Any],
        queue: str,
        callback: bool,
        now: float,
        events: list[Any],
        said: list[Any],
    ) -> None:
        attrs = {
            "ivr.flow": f"{self.flow['flow']}@{self.flow.get('version', 1)}",
            "ivr.language": s["language"],
            "ivr.path": ">".join(s["path"]),
            "ivr.reason": s.get("reason", "menu"),
        }
        if s["verified"]:
            method, ident, customer, at = s["verified"]
            attrs |= {
                "ivr.verified.method": method,
                "ivr.verified.identifier": ident,
                "ivr.verified.at": repr(at),
            }
            if customer is not None:
                attrs["ivr.verified.customer_id"] = customer
        if s["attempts"]:
            attrs["ivr.self_service"] = ";".join(f"{a}={o}" for a, o in s["attempts"])
        if s["estimated_wait_s"] is not None:
            attrs["ivr.estimated_wait_s"] = f"{s['estimated_wait_s']:.0f}"
        for key, value in s["slots"].items():
            attrs[f"ivr.slot.{key}"] = value
        s["outcome"] = "callback" if callback else "transfer"
        s["waiting"], s["deadline"] = None, None
        events.append(
            _ev(
                "HandedOff",
                now,
                s,
                node_id=s["node"],
                queue_id=queue,
                callback=callback,
                reason=s.get("reason", "menu"),
                attributes=attrs,
            )
        )
        said.append(
            {"action": "transfer", "queue_id": queue, "attributes": attrs, "callback": callback}
        )

    def _text(self, s: dict[str, Any], texts: dict[str, str]) -> str:
        t = texts.get(s["language"]) or texts[self.flow["languages"][0]]
        return self._fill(s, t)

    def _refuse(
        self,
        s: dict[str, Any],
        node: dict[str, Any],
        now: float,
        events: list[Any],
        said: list[Any],
    ) -> None:
        if s["retries"] < node.get("retries", 2):
            s["retries"] += 1
            s["deadline"] = now + node.get("timeout_s", 10)
            events.append(
                _ev(
                    "RetryCounted",
                    now,
                    s,
                    node_id=s["node"],
                    retry=s["retries"],
                    reason="no_match",
                    deadline=s["deadline"],
                )
            )
            self._ask(s, node, said)
        else:
            s["reason"] = "retries_exhausted"
            self._enter(s, node.get("on_fail") or self.flow["agent"], now, events, said)

    def _action_done(
        self,
        s: dict[str, Any],
        node: dict[str, Any],
        outcome: str,
        data: dict[str, str],
        now: float,
        events: list[Any],
        said: list[Any],
    ) -> None:
        s["attempts"].append((node["action"], outcome))
        for k, v in data.items():
            s["slots"][f"{node['action']}.{k}"] = v
        events.append(
            _ev(
                "SelfServiceCompleted",
                now,
                s,
                node_id=s["node"],
                action=node["action"],
                outcome=outcome,
                data=data,
            )
        )
        self._enter(s, node.get("outcomes", {}).get(outcome, node["default"]), now, events, said)

    def _verify_done(
        self,
        s: dict[str, Any],
        node: dict[str, Any],
        ok: bool,
        customer: str | None,
        now: float,
        events: list[Any],
        said: list[Any],
    ) -> None:
        if not ok:
            s["verify_failures"] += 1
        events.append(
            _ev(
                "IdentityVerified",
                now,
                s,
                node_id=s["node"],
                method=node["method"],
                identifier=s["slots"].get(node["identifier_slot"], ""),
                ok=ok,
                customer_id=customer,
                failures=s["verify_failures"],
            )
        )
        if ok:
            s["verified"] = (node["method"], s["slots"].get(node["identifier_slot"]), customer, now)
            self._enter(s, node["next"], now, events, said)
        elif s["verify_failures"] <= node.get("retries", 2):
            self._enter(s, node.get("retry") or s["node"], now, events, said)
        else:
            s["reason"] = "verification_failed"
            self._enter(s, node.get("on_fail") or self.flow["agent"], now, events, said)

    def _estimate(
        self,
        s: dict[str, Any],
        node: dict[str, Any],
        seconds: float | None,
        now: float,
        events: list[Any],
        said: list[Any],
    ) -> None:
        s["estimated_wait_s"] = seconds
        offered = seconds is not None and seconds >= node.get("threshold_s", 120)
        events.append(
            _ev(
                "WaitAnnounced",
                now,
                s,
                node_id=s["node"],
                queue_id=node["queue"],
                estimated_wait_s=seconds,
                offered=offered,
                deadline=now + node.get("timeout_s", 10) if offered else None,
            )
        )
        if seconds is not None:
            said.append(
                self._text(s, node["announce"]).replace(
                    "{wait_min}", str(max(1, math.ceil(seconds / 60)))
                )
            )
        if offered:
            s["waiting"], s["deadline"] = "offer", now + node.get("timeout_s", 10)
            labels = [
                ("1", "回电给我" if s["language"] == "zh" else "Call me back"),
                ("2", "继续等待" if s["language"] == "zh" else "Keep waiting"),
            ]
            said.append(
                {
                    "action": "ask",
                    "node_id": s["node"],
                    "prompt": self._text(s, node["offer"]),
                    "options": labels,
                    "deadline": s["deadline"],
                }
            )
        else:
            self._enter(s, node["next"], now, events, said)

    def _enter(
        self, s: dict[str, Any], target: str, now: float, events: list[Any], said: list[Any]
    ) -> None:
        while True:
            if s["visits"] >= self.flow.get("max_visits", 50) and target != self.flow["agent"]:
                target = self.flow["agent"]
                s["reason"] = "max_visits"
            node = self.flow["nodes"][target]
            kind = node["kind"]
            s["node"], s["retries"], s["visits"] = target, 0, s["visits"] + 1
            s["waiting"], s["deadline"] = None, None
            events.append(
                _ev("NodeEntered", now, s, node_id=target, kind=kind, waiting=None, deadline=None)
            )
            if kind in WAITS or kind == "verify":
                s["waiting"] = "secret" if kind == "verify" else "input"
                s["deadline"] = now + node.get("timeout_s", 10)
                events[-1]["waiting"], events[-1]["deadline"] = s["waiting"], s["deadline"]
                self._ask(s, node, said)
                return
            if kind == "message":
                said.append({"action": "say", "text": self._text(s, node["text"])})
                target = node["next"]
            elif kind == "hours":
                is_open = self.calendars[node["calendar"]].is_open(now)
                events.append(
                    _ev(
                        "CalendarChecked",
                        now,
                        s,
                        node_id=target,
                        calendar=node["calendar"],
                        open=is_open,
                    )
                )
                target = node["open"] if is_open else node["closed"]
            elif kind == "action":
                s["waiting"], s["deadline"] = "action", now + node.get("timeout_s", 10)
                events[-1]["waiting"], events[-1]["deadline"] = s["waiting"], s["deadline"]
                params = {k: self._fill(s, v) for k, v in node.get("params", {}).items()}
                said.append(
                    {"action": "run", "node_id": target, "name": node["action"], "params": params}
                )
                return
            elif kind == "callback":
                s["waiting"], s["deadline"] = "estimate", now + node.get("timeout_s", 10)
                events[-1]["waiting"], events[-1]["deadline"] = s["waiting"], s["deadline"]
                said.append({"action": "estimate", "node_id": target, "queue_id": node["queue"]})
                return
            elif kind == "transfer":
                if node.get("text"):
                    said.append({"action": "say", "text": self._text(s, node["text"])})
                self._hand_off(s, node["queue"], False, now, events, said)
                return
            else:
                if node.get("text"):
                    said.append({"action": "say", "text": self._text(s, node["text"])})
                s["outcome"], s["waiting"], s["deadline"] = "end", None, None
                events.append(_ev("Ended", now, s, node_id=target))
                said.append({"action": "end"})
                return
