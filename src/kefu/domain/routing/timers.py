"""The router's pending timers: offer timeouts, overflow steps and wrap-up ends.

Entries are ``(due, seq, kind, contact, token)`` tuples, taken in (due, seq) order; an
entry is stale (skipped when it comes up) once its contact moved on (see
:meth:`TimerQueues._timer_valid`). Timers of one fixed length fall due in the order they
were armed, so each such length has a FIFO (O(1) in and out; most are stale by then, the
offer answered or the contact served before its overflow step): offer timeouts, and up to
``MAX_SPANS`` distinct lengths of wrap-ups and overflow steps. The rest (more lengths, an
entry armed out of its FIFO's order such as a later overflow step counted from an earlier
entry, replayed offers of another length) go to a heap. A merge of sorted sources gives
the one order a single heap would; the FIFO with the earliest head is kept at hand
(``_fifo_src``), so a stale head is dropped without looking at the others.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from heapq import heapify, heappop
from typing import Final

from kefu.domain.model import ContactState
from kefu.domain.routing.log import CompactLog
from kefu.domain.routing.records import ContactRecord

__all__ = ["MAX_SPANS", "T_OFFER", "T_OVERFLOW", "T_WRAPUP", "TimerEntry", "TimerQueues"]

QUEUED = ContactState.QUEUED
OFFERED = ContactState.OFFERED
WRAPUP = ContactState.WRAPUP
INF = float("inf")

# Timer kinds in the (due, seq, kind, contact, token) timer entries.
T_OFFER, T_OVERFLOW, T_WRAPUP = 0, 1, 2
TimerEntry = tuple[float, int, int, ContactRecord, int]
MAX_SPANS: Final = 8  # lengths with a FIFO of their own; more go to the heap


class TimerQueues(CompactLog):
    """The heap and the FIFOs of pending timers, over the log (a base of the router's
    state)."""

    def _init_timers(self) -> None:
        self.timers: list[TimerEntry] = []  # a heap
        self.offer_timers: deque[TimerEntry] = deque()
        # (kind, length in seconds) → FIFO, for wrap-ups and overflow steps
        self.span_timers: dict[tuple[int, float], deque[TimerEntry]] = {}
        self._fifos: list[deque[TimerEntry]] = [self.offer_timers]
        self._fifo_src: deque[TimerEntry] | None = None  # the FIFO with the earliest head
        self._fifo_due = INF  # the due of that head (stale or not), INF when all are empty
        self._seq = 0

    def pending_timers(self) -> Iterator[TimerEntry]:
        """Every timer entry held, stale ones included, in no particular order."""
        yield from self.timers
        for fifo in self._fifos:
            yield from fifo

    def _fifo_for(self, kind: int, span: float) -> deque[TimerEntry] | None:
        """The FIFO of timers of ``kind`` lasting ``span`` seconds (None: use the heap)."""
        if kind == T_OFFER:
            return self.offer_timers
        key = (kind, span)
        fifo = self.span_timers.get(key)
        if fifo is None and len(self.span_timers) < MAX_SPANS:
            fifo = self.span_timers[key] = deque()
            self._fifos.append(fifo)
        return fifo

    def _first_timer(self) -> tuple[TimerEntry, deque[TimerEntry] | None] | None:
        """The earliest entry, in (due, seq) order, and its FIFO (None: the heap)."""
        heap = self.timers
        src = self._fifo_src
        if heap and (src is None or heap[0] < src[0]):  # seqs differ: never compares contacts
            return heap[0], None
        return None if src is None else (src[0], src)

    def _pop_timer(self, source: deque[TimerEntry] | None) -> TimerEntry:
        """Take the first entry of ``source`` (None: the heap)."""
        if source is None:
            return heappop(self.timers)
        entry = source.popleft()
        self._find_fifo_src()
        return entry

    def _find_fifo_src(self) -> None:
        """Find the FIFO with the earliest head, in (due, seq) order (seqs are unique, so
        they decide ties; comparing the two numbers rather than whole entries is what makes
        this cheap: it runs each time a FIFO's head is taken)."""
        src = None
        best_due = INF
        best_seq = 0
        for fifo in self._fifos:
            if fifo:
                head = fifo[0]
                due = head[0]
                if src is None or due < best_due or (due == best_due and head[1] < best_seq):
                    src = fifo
                    best_due = due
                    best_seq = head[1]
        self._fifo_src = src
        self._fifo_due = best_due

    def next_due(self) -> float | None:
        """The instant (seconds) of the earliest pending timer, or None."""
        heap = self.timers
        valid = self._timer_valid
        while True:
            src = self._fifo_src
            if heap and (src is None or heap[0][0] <= self._fifo_due):
                entry = heap[0]
                if valid(entry[2], entry[3], entry[4]):
                    return entry[0]
                heappop(heap)
                continue
            if src is None:
                return None
            entry = src[0]
            kind, contact = entry[2], entry[3]
            if kind == T_OFFER:  # self._timer_valid(...), inline: hot
                if contact.state is OFFERED and contact.offers_made == entry[4]:
                    return entry[0]
            elif kind == T_WRAPUP:
                if contact.state is WRAPUP and contact.wrap_version == entry[4]:
                    return entry[0]
            elif contact.route_version == entry[4] and contact.state in (QUEUED, OFFERED):
                return entry[0]
            # A stale entry never fires: dropping it before another head due at the same
            # instant changes no order.
            src.popleft()
            if len(self._fifos) == 1:  # self._find_fifo_src(), inline: only offer timeouts
                if src:
                    self._fifo_due = src[0][0]
                else:
                    self._fifo_src = None
                    self._fifo_due = INF
            else:
                self._find_fifo_src()

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
        self._find_fifo_src()
