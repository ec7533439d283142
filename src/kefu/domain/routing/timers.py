"""The router's pending timers: offer timeouts, overflow steps and wrap-up ends.

Entries are ``(due, seq, kind, contact, token)`` tuples, taken in (due, seq) order; an
entry is stale (skipped when it comes up) once its contact moved on (see
:meth:`TimerQueues._timer_valid`). Timers of one fixed length fall due in the order they
were armed, so each such length has a FIFO (O(1) in and out; most offer timeouts are stale
by then, the offer being answered): offer timeouts, and wrap-ups of up to
``MAX_SPANS`` distinct lengths. The rest (overflow steps, other lengths, replayed offers of
another length) go to a heap. A merge of sorted sources gives the one order a single heap
would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from heapq import heapify, heappop
from typing import Final

from kefu.domain.model import ContactState
from kefu.domain.routing.records import ContactRecord

__all__ = ["MAX_SPANS", "T_OFFER", "T_OVERFLOW", "T_WRAPUP", "TimerEntry", "TimerQueues"]

QUEUED = ContactState.QUEUED
OFFERED = ContactState.OFFERED
WRAPUP = ContactState.WRAPUP
INF = float("inf")

# Timer kinds in the (due, seq, kind, contact, token) timer entries.
T_OFFER, T_OVERFLOW, T_WRAPUP = 0, 1, 2
TimerEntry = tuple[float, int, int, ContactRecord, int]
MAX_SPANS: Final = 4  # wrap-up lengths with a FIFO of their own; more go to the heap


class TimerQueues:
    """The heap and the FIFOs of pending timers (a base of the router's state)."""

    def _init_timers(self) -> None:
        self.timers: list[TimerEntry] = []  # a heap
        self.offer_timers: deque[TimerEntry] = deque()
        self.span_timers: dict[float, deque[TimerEntry]] = {}  # wrap-up length → FIFO
        self._fifos: list[deque[TimerEntry]] = [self.offer_timers]
        self._fifo_due = INF  # the earliest due of the FIFOs' heads (stale or not)
        self._seq = 0

    def pending_timers(self) -> Iterator[TimerEntry]:
        """Every timer entry held, stale ones included, in no particular order."""
        yield from self.timers
        for fifo in self._fifos:
            yield from fifo

    def _fifo_for(self, kind: int, span: float) -> deque[TimerEntry] | None:
        if kind == T_OFFER:
            return self.offer_timers
        if kind != T_WRAPUP:
            return None
        fifo = self.span_timers.get(span)
        if fifo is None and len(self.span_timers) < MAX_SPANS:
            fifo = self.span_timers[span] = deque()
            self._fifos.append(fifo)
        return fifo

    def _first_timer(self) -> tuple[TimerEntry, deque[TimerEntry] | None] | None:
        """The earliest entry, in (due, seq) order, and its FIFO (None: the heap)."""
        heap = self.timers
        best = heap[0] if heap else None
        source = None
        if self._fifo_due <= (best[0] if best is not None else INF):
            for fifo in self._fifos:
                if fifo and (best is None or fifo[0] < best):
                    best = fifo[0]
                    source = fifo
        return None if best is None else (best, source)

    def _pop_timer(self, source: deque[TimerEntry] | None) -> None:
        if source is None:
            heappop(self.timers)
            return
        source.popleft()
        due = INF
        for fifo in self._fifos:
            if fifo and fifo[0][0] < due:
                due = fifo[0][0]
        self._fifo_due = due

    def next_due(self) -> float | None:
        """The instant (seconds) of the earliest pending timer, or None."""
        heap, offers = self.timers, self.offer_timers
        valid = self._timer_valid
        while True:
            due = self._fifo_due
            if heap and heap[0][0] <= due:
                entry = heap[0]
                if valid(entry[2], entry[3], entry[4]):
                    return entry[0]
                heappop(heap)
                continue
            if due == INF:
                return None
            if offers and offers[0][0] == due:  # usually a stale offer timeout: inline
                entry = offers[0]
                if valid(entry[2], entry[3], entry[4]):
                    return due
                # Dropped before any other head due at the same instant: a stale entry
                # never fires, so the order among equal dues does not matter here.
                offers.popleft()
                fifos = self._fifos
                if len(fifos) == 1:
                    self._fifo_due = offers[0][0] if offers else INF
                else:  # self._pop_timer(offers), inline
                    due = INF
                    for fifo in fifos:
                        if fifo and fifo[0][0] < due:
                            due = fifo[0][0]
                    self._fifo_due = due
                continue
            first = self._first_timer()
            if first is None:
                return None
            entry, source = first
            if valid(entry[2], entry[3], entry[4]):
                return entry[0]
            self._pop_timer(source)

    @staticmethod
    def _timer_valid(kind: int, contact: ContactRecord, token: int) -> bool:
        if kind == T_OFFER:
            return contact.state is OFFERED and contact.offers_made == token
        if kind == T_OVERFLOW:
            return contact.route_version == token and contact.state in (QUEUED, OFFERED)
        return contact.state is WRAPUP and contact.wrap_version == token

    def _drop_stale_timers(self) -> None:
        """Forget the stale entries; the valid ones keep their order."""
        valid: Callable[[int, ContactRecord, int], bool] = self._timer_valid
        self.timers = [t for t in self.timers if valid(t[2], t[3], t[4])]
        heapify(self.timers)
        for fifo in self._fifos:
            kept = [t for t in fifo if valid(t[2], t[3], t[4])]
            fifo.clear()
            fifo.extend(kept)
        self._fifo_due = min((f[0][0] for f in self._fifos if f), default=INF)
