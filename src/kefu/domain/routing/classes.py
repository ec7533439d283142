"""Agent classes: agents who may serve the same buckets with the same skill scores.

A bucket finds its best free agent in one of two ways (:mod:`kefu.domain.routing.index`):

- **by class**, while few classes serve it (at most :data:`MAX_CLASSES`): each class keeps
  one heap of its free agents per channel, ordered by ``agent.stamp`` alone (its members
  share their skill score in every bucket), and the bucket takes the best of its classes'
  heads. A freed agent is pushed once, into its class's heap, however many buckets it
  serves; a center of a few skill profiles (the multi-skill day: 7 classes, 8.6 buckets an
  agent) pushes and discards an eighth as many entries;
- **by heap**, once more classes serve it (every agent its own skill profile): each free
  agent is pushed into the bucket's own heap, as ``score_key | stamp``.

Both orders are the same (-skill score, last routed at, definition order), so the router
decides alike either way. A bucket goes from the first to the second when a class too many
joins it, never back.
"""

from __future__ import annotations

from typing import Any, Final

from kefu.domain.model import Channel
from kefu.domain.routing.pickling import PickledRecord

__all__ = ["MAX_CLASSES", "AgentClass"]

MAX_CLASSES: Final = 8
"""Classes a bucket scans for its best free agent before it keeps a heap of its own: each
costs one look at a heap's head per look-up, against one push and one discard per routed
contact for each bucket kept by heap."""


class AgentClass(PickledRecord):
    """The agents sharing one ``signature``: their (bucket, score key) pairs per channel,
    personal buckets left out (those are always kept by heap)."""

    __slots__ = ("heaps", "members", "signature")

    def __init__(self, signature: tuple[Any, ...]) -> None:
        self.signature = signature
        self.members: dict[int, Any] = {}  # agent seq → AgentRecord
        # Per channel: ``agent.stamp`` of members pushed while free (lazily deleted).
        self.heaps: dict[Channel, list[int]] = {}

    def _init_args(self) -> tuple[Any, ...]:
        return (self.signature,)

    def heap(self, channel: Channel) -> list[int]:
        """The class's heap of free members for ``channel``, made on first use."""
        heap = self.heaps.get(channel)
        if heap is None:
            heap = self.heaps[channel] = []
        return heap
