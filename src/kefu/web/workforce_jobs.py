"""Workforce plans solved in a worker thread: the page starts a job and shows its step
until the plan is there. One plan solves at a time (the solvers use both cores); each has
the time limit the supervisor chose, so a job always ends."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.errors import KefuError

__all__ = ["PlanJob", "PlanJobs"]

MAX_JOBS = 20
"""Jobs kept (the oldest are forgotten first)."""


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

    def tell(self, step: str, done: float) -> None:
        self.step, self.done = step, done

    @property
    def running(self) -> bool:
        return self.result is None and self.error is None

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started


class PlanJobs:
    """The recent jobs and the worker thread that runs them."""

    def __init__(self) -> None:
        self._jobs: dict[str, PlanJob] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-plan")

    def start(self, job: PlanJob, work: Callable[[PlanJob], Any]) -> None:
        """Queue ``work(job)``; its return becomes ``job.result``."""
        self._jobs[job.job_id] = job
        while len(self._jobs) > MAX_JOBS:
            del self._jobs[next(iter(self._jobs))]
        self._pool.submit(self._run, job, work)

    @staticmethod
    def _run(job: PlanJob, work: Callable[[PlanJob], Any]) -> None:
        try:
            job.result = work(job)
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
        self._pool.shutdown(wait=False, cancel_futures=True)
