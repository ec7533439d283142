"""The interpreter's settings for a serving process (``kefu serve``, every role).

Python's full garbage collections scan every object the process tracks. A router holds
each contact of the last day (``KEFU_RETAIN_FINISHED_S``) and at 400 contacts/s its full
collections came every 5–9 s and took 100–250 ms each, freeing next to nothing; every
request in flight waited (``bench/cluster.py``: p99 create→queued 300–500 ms at 400/s,
against 47–60 ms without them). So after each full collection its survivors are frozen
(:func:`gc.freeze`): the next one reads only what was made since. Objects still die as
before when nothing refers to them; only garbage cycles among frozen objects wait, until
the full scan that comes once every :data:`FULL_SCAN_S` seconds (the frozen are thawed
before it, so it reads everything once).
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

__all__ = [
    "FULL_SCAN_S",
    "GC_YOUNG_THRESHOLD",
    "SWITCH_INTERVAL_S",
    "FreezeAfterFull",
    "tune_runtime",
]

SWITCH_INTERVAL_S = 0.001
"""How long (seconds) a thread may hold the GIL while another waits for it (Python's
default is 0.005)."""

GC_YOUNG_THRESHOLD = 2000
"""Tracked objects made (net of those freed) between two young collections (Python's
default is 700; 3.13 made it 2000)."""

FULL_SCAN_S = 3600.0
"""Seconds between two full collections that read every object (cycles among old ones)."""


class FreezeAfterFull:
    """A collector callback: after a full collection, freeze its survivors; once every
    ``full_scan_s`` seconds (monotonic clock) thaw them instead, so the next full
    collection reads everything."""

    def __init__(self, full_scan_s: float = FULL_SCAN_S) -> None:
        if not full_scan_s > 0:
            raise ValueError(f"full_scan_s must be more than 0 seconds, not {full_scan_s}")
        self.full_scan_s = full_scan_s
        self.next_scan = time.monotonic() + full_scan_s

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        now = time.monotonic()
        if now >= self.next_scan:
            self.next_scan = now + self.full_scan_s
            gc.unfreeze()
        else:
            gc.freeze()

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


_FREEZER = FreezeAfterFull()


async def tune_runtime() -> None:
    """Once the server started: leave what exists then (imported modules, the router
    rebuilt from the store, every route: :mod:`kefu.api.warmup`) out of the garbage
    collector's full collections, and from then on what each full collection left
    (:class:`FreezeAfterFull`); collect the young objects less often; and shorten the
    GIL's switch interval.

    Requests in flight hold a few hundred young objects each: at 700 the young collection
    ran about 70 times a second at 200 contacts/s and moved those objects, still alive,
    into the older generations, whose passes then followed (a full one every second or
    two, 10–30 ms each on ``bench/server.py``); at 2000 most are freed first, the collector
    costs about a fifth of the time and a full pass is rare. The store is written from a
    worker thread, which gives up the GIL at every database round trip and, with the event
    loop busy, waited up to 5 ms to get it back each time: on PostgreSQL a batch of writes
    took tens of milliseconds that way."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    _FREEZER.install()
