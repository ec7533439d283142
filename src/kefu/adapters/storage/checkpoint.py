"""Background WAL checkpoints for the server's SQLite file.

In WAL mode SQLite copies the log back into the database file (a checkpoint) once the log
passes 1,000 pages, in whichever connection committed last, and that checkpoint fsyncs
the file. In the server that connection is the store writer's, so every few seconds one
batch of commands, and every request waiting on it, paid for the copy and the fsync
(the chat benchmark's p99 was 115-330 ms on SQLite against 24 ms without). The server
turns the automatic checkpoint off (``make_engine(..., background_checkpoints=True)``)
and this thread checkpoints instead, without blocking writers (``PASSIVE``).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

__all__ = ["CHECKPOINT_S", "Checkpointer"]

log = logging.getLogger(__name__)

CHECKPOINT_S = 1.0
"""Seconds between two checkpoints."""


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on ``engine`` every ``interval_s`` seconds
    in a thread of its own, from :meth:`start` to :meth:`stop` (which checkpoints once
    more)."""

    def __init__(self, engine: Engine, interval_s: float = CHECKPOINT_S) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kefu-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None
        self.checkpoint()

    def checkpoint(self) -> None:
        """One passive checkpoint now; a failure is logged (the next one tries again)."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
        except Exception:
            log.exception("the SQLite checkpoint failed")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.checkpoint()
