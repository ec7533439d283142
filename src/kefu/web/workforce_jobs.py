"""Workforce plans solved off the server's event loop: the page starts a job and shows
its step until the plan is there.

A job reads its history from the store in a worker thread, then solves in a separate
process (``spawn``), so the solvers' Python work never holds the server's GIL; the
process reports its steps through a queue that a thread of the server reads. One plan
solves at a time (the solvers use both cores); each has the time limit the supervisor
chose, so a job always ends. With ``processes=False`` the solve runs in the thread.

Nothing here holds the server up when it stops: the thread is a daemon and the solving
process a daemonic pool worker (ended by multiprocessing at exit, or by :meth:`close`),
so a stop during a plan does not wait out the plan's time limit.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import queue
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.errors import KefuError

__all__ = ["PlanJob", "PlanJobs"]

MAX_JOBS = 20
"""Jobs kept (the oldest are forgotten first)."""
Read = Callable[["PlanJob"], tuple[tuple[Any, ...], Any]]
"""Reads a job's inputs (in a thread): the solver's arguments and what to keep beside."""

_QUEUE: Any = None
"""In the solving process: where steps are reported."""


@dataclass
class PlanJob:
    """A plan being made for ``owner`` (a user id) on ``site_id``: its ``step``
    (``queued``, ``history``, ``forecast``, ``staffing``, ``schedule``, ``roster``,
    ``done``, ``failed``), the fraction ``done`` of that step, then its ``result`` or
    ``error``."""

    owner: str
    site_id: str
    timezone: str
    params: dict[str, str]
    job_id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    started: float = field(default_factory=time.monotonic)
    step: str = "queued"
    done: float = 0.0
    result: Any = None
    error: KefuError | None = None
    published: bool = False
    agents: tuple[str, ...] = ()
    """The agents planned for: publishing replaces their shifts only."""

    def tell(self, step: str, done: float) -> None:
        self.step, self.done = step, done

    @property
    def running(self) -> bool:
        return self.result is None and self.error is None

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started


def _bind(queue: Any) -> None:
    global _QUEUE
    _QUEUE = queue


def _solve_here(job_id: str, solve: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """In the solving process: ``solve(*args, tell)`` with steps sent to the server."""

    def tell(step: str, done: float) -> None:
        _QUEUE.put((job_id, step, done))

    return solve(*args, tell)


class PlanJobs:
    """The recent jobs, the thread that runs them and the process that solves them."""

    def __init__(self, *, processes: bool = True) -> None:
        self._jobs: dict[str, PlanJob] = {}
        self._processes = processes
        self._pool: multiprocessing.pool.Pool | None = None
        self._queue: Any = None
        self._waiting: queue.SimpleQueue[tuple[PlanJob, Read, Callable[..., Any]]] = (
            queue.SimpleQueue()
        )
        self._closed = threading.Event()
        self._runner: threading.Thread | None = None

    def _process_pool(self) -> multiprocessing.pool.Pool:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._queue = context.Queue()
            self._pool = context.Pool(1, initializer=_bind, initargs=(self._queue,))
            # At exit without close the solver is ended too, and no running pool is left
            # for the interpreter's teardown to collect (a ResourceWarning).
            weakref.finalize(self, self._pool.terminate)
            threading.Thread(target=self._drain, name="kefu-plan-steps", daemon=True).start()
        return self._pool

    def _drain(self) -> None:
        while True:
            try:
                job_id, step, done = self._queue.get()
            except (EOFError, OSError, ValueError):
                return  # the queue was closed
            job = self._jobs.get(job_id)
            if job is not None and job.running:
                job.tell(step, done)

    def start(self, job: PlanJob, read: Read, solve: Callable[..., Any]) -> None:
        """Queue the job: ``read(job)`` gives ``(args, kept)``; ``solve(*args, tell)``
        runs in the solving process; ``job.result`` becomes ``(solved, kept)``."""
        if self._closed.is_set():
            raise KefuError(
                "the server is stopping: no plan can start", text_key="error.plan_stopping"
            )
        self._jobs[job.job_id] = job
        while len(self._jobs) > MAX_JOBS:
            del self._jobs[next(iter(self._jobs))]
        self._waiting.put((job, read, solve))
        if self._runner is None:
            self._runner = threading.Thread(target=self._work, name="kefu-plan", daemon=True)
            self._runner.start()

    def _work(self) -> None:
        """The jobs one after the other, until :meth:`close`."""
        while not self._closed.is_set():
            try:
                job, read, solve = self._waiting.get(timeout=0.5)
            except queue.Empty:
                continue
            self._run(job, read, solve)

    def _run(self, job: PlanJob, read: Read, solve: Callable[..., Any]) -> None:
        try:
            args, kept = read(job)
            if self._processes:
                solving = self._process_pool().apply_async(_solve_here, (job.job_id, solve, args))
                while not solving.ready():
                    if self._closed.is_set():
                        raise KefuError(
                            "the server stopped before the plan was made",
                            text_key="error.plan_stopped",
                        )
                    solving.wait(0.2)
                result = solving.get()
            else:
                result = solve(*args, job.tell)
            job.result = (result, kept)
            job.tell("done", 1.0)
        except KefuError as exc:
            job.error = exc
            job.tell("failed", 0.0)
        except Exception as exc:  # a bug must still end the job, visibly
            job.error = KefuError(f"the plan failed: {exc}")
            job.tell("failed", 0.0)

    def get(self, job_id: str) -> PlanJob | None:
        return self._jobs.get(job_id)

    def close(self) -> None:
        """Stop: the job being solved ends as failed, its process is ended, and the jobs
        still waiting never start."""
        self._closed.set()
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
        if self._runner is not None:
            self._runner.join(timeout=5)
