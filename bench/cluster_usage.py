"""What the processes of ``bench/cluster.py`` use, read from ``/proc`` (Linux): resident
memory, CPU seconds of one process, and the busy time of the whole machine."""

from __future__ import annotations

import os
import time
from pathlib import Path


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` now, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def open_files(pid: int) -> tuple[int, int]:
    """Files (sockets included) process ``pid`` has open now, and its soft limit."""
    limit = -1
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            limit = int(line.split()[3])
    return len(os.listdir(f"/proc/{pid}/fd")), limit


def cpu_s(pid: int) -> float:
    """User + system CPU seconds process ``pid`` used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (every process on the machine)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Usage:
    """CPU used by each process named in ``pids``, this one (``bench``) and the whole machine
    from now to :meth:`cores`, in cores (CPU seconds per second of wall time)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "bench": os.getpid()}
        self.began = time.monotonic()
        self.cpu = {name: cpu_s(pid) for name, pid in self.pids.items()}
        self.busy = machine_busy_s()

    def cores(self) -> dict[str, float]:
        wall = max(time.monotonic() - self.began, 1e-9)
        used = {
            name: round((cpu_s(pid) - self.cpu[name]) / wall, 2) for name, pid in self.pids.items()
        }
        used["machine"] = round((machine_busy_s() - self.busy) / wall, 2)
        return used
