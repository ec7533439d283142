"""The SMS and social-media channels, outbound: POST signed JSON to the provider's URL.

The request carries the same signature headers as inbound webhooks (:mod:`.signing`), signed
afresh for every attempt, and ``Idempotency-Key: <message_id>`` so a provider that received
an attempt whose answer was lost does not send twice. Connection errors, timeouts, ``429`` and
``5xx`` answers are retried up to ``max_attempts`` in all, waiting ``backoff_s`` then doubling
(capped at ``max_backoff_s``; a numeric ``Retry-After`` is honoured within that cap). Any
other answer outside ``2xx`` is final. Failure raises :class:`DeliveryFailed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from kefu.adapters.channels.errors import DeliveryFailed
from kefu.adapters.channels.signing import signed_headers
from kefu.adapters.channels.webhook_models import OutboundSms, OutboundSocialReply
from kefu.adapters.clock import SystemClock
from kefu.domain.time import Clock

__all__ = ["Delivery", "WebhookSender", "WebhookSenderConfig"]


@dataclass(frozen=True, slots=True)
class WebhookSenderConfig:
    """Where and how to send: URL, shared secret, per-attempt timeout and the retry bounds
    (attempts in all; waits in seconds)."""

    url: str
    secret: bytes
    timeout_s: float = 5.0
    max_attempts: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 5.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must be http:// or https://, got {self.url!r}")
        if len(self.secret) < 16:
            raise ValueError("the webhook secret must have 16 bytes or more")
        if not 1 <= self.max_attempts <= 10:
            raise ValueError(f"max_attempts must be 1–10, got {self.max_attempts}")
        if self.timeout_s <= 0 or self.backoff_s < 0 or self.max_backoff_s < self.backoff_s:
            raise ValueError("timeout_s must be > 0 and 0 ≤ backoff_s ≤ max_backoff_s")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivered message: the provider's HTTP status and the attempts it took."""

    message_id: str
    status_code: int
    attempts: int


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


class WebhookSender:
    """Sends :class:`OutboundSms` and :class:`OutboundSocialReply` payloads."""

    def __init__(
        self,
        config: WebhookSenderConfig,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = config
        self._clock = clock or SystemClock()
        self._sleep = sleep
        self._transport = transport

    async def send(self, payload: OutboundSms | OutboundSocialReply) -> Delivery:
        config = self._config
        body = payload.model_dump_json(exclude_none=True).encode("utf-8")
        wait = config.backoff_s
        problem = ""
        async with httpx.AsyncClient(timeout=config.timeout_s, transport=self._transport) as client:
            for attempt in range(1, config.max_attempts + 1):
                headers = {
                    "Content-Type": "application/json",
                    "Idempotency-Key": payload.message_id,
                    **signed_headers(config.secret, body, self._clock.now()),
                }
                pause = wait
                try:
                    response = await client.post(config.url, content=body, headers=headers)
                except httpx.TransportError as exc:
                    problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
                else:
                    if response.is_success:
                        return Delivery(payload.message_id, response.status_code, attempt)
                    problem = f"HTTP {response.status_code}: {response.text[:200]}"
                    if response.status_code != 429 and response.status_code < 500:
                        raise DeliveryFailed(
                            f"{config.url} refused message {payload.message_id}: {problem}",
                            status_code=response.status_code,
                            attempts=attempt,
                            transient=False,
                        )
                    pause = _retry_after(response) or wait
                if attempt < config.max_attempts:
                    await self._sleep(min(pause, config.max_backoff_s))
                    wait = min(wait * 2, config.max_backoff_s)
        raise DeliveryFailed(
            f"{config.url} did not take message {payload.message_id} after "
            f"{config.max_attempts} attempts; last: {problem}",
            attempts=config.max_attempts,
            transient=True,
        )
