"""Workforce plan jobs when the server stops: the plan being solved in its process ends as
failed and the process is ended at once (not after the plan's time limit), and a server
process that exits during a plan exits without waiting for it."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from kefu.domain.errors import KefuError
from kefu.testing import wait_until
from kefu.web.workforce_jobs import PlanJob, PlanJobs

LONG_S = 60.0  # a solve's time limit, far beyond what the test waits


def _slow_solve(seconds: float, tell: Any) -> str:
    tell("staffing", 0.5)
    time.sleep(seconds)
    return "solved"


def _job() -> PlanJob:
    return PlanJob(owner="u1", site_id="sh", timezone="Asia/Shanghai", params={})


def test_given_a_plan_being_solved_when_the_jobs_close_then_it_fails_and_its_process_ends() -> None:
    others = set(multiprocessing.active_children())  # e.g. another test's app's solver
    jobs = PlanJobs()
    job = _job()
    jobs.start(job, lambda _job: ((LONG_S,), None), _slow_solve)
    assert wait_until(lambda: job.step == "staffing", 60.0), job.step  # solving in its process
    began = time.monotonic()
    jobs.close()
    assert time.monotonic() - began < 5.0
    assert wait_until(lambda: not job.running, 5.0)
    assert isinstance(job.error, KefuError) and "stopped" in str(job.error)
    assert wait_until(lambda: set(multiprocessing.active_children()) <= others, 5.0)
    with pytest.raises(KefuError, match="stopping"):
        jobs.start(_job(), lambda _job: ((0.0,), None), _slow_solve)


def test_given_a_plan_being_solved_when_the_process_exits_then_it_does_not_wait(
    tmp_path: Path,
) -> None:
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            """
            import time
            from kefu.web.workforce_jobs import PlanJob, PlanJobs

            def slow(seconds, tell):
                tell("staffing", 0.5)
                time.sleep(seconds)

            if __name__ == "__main__":
                jobs = PlanJobs()
                job = PlanJob(owner="u1", site_id="sh", timezone="UTC", params={})
                jobs.start(job, lambda j: ((60.0,), None), slow)
                deadline = time.monotonic() + 60
                while job.step != "staffing" and time.monotonic() < deadline:
                    time.sleep(0.05)
                print(job.step, flush=True)
            """
        )
    )
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=LONG_S
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "staffing"
    # the spawned solver starts in a few seconds; exiting must not add the solve's minute
    assert time.monotonic() - began < 30.0
