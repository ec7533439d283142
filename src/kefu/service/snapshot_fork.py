"""A snapshot's bytes made outside the engine's lock: under the lock the process forks (a
copy-on-write copy of its memory, a few tens of milliseconds at any size), and the child
pickles and compresses its frozen copy of the state while the engine goes on. The lock
is held for the fork alone, instead of the whole pickling (seconds with 200,000 contacts
in memory; ``bench/snapshot_lock.py``).

The child only runs the dump and writes to a pipe: its collector is off (no finalizer of
a connection it shares with the parent may run), it never returns into the parent's code
and ends with :func:`os._exit`. Where there is no ``fork`` (or it fails), the caller dumps
under the lock as before (:func:`fork_dump` answers ``None``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import warnings
from collections.abc import Callable

__all__ = ["ChildDump", "fork_dump"]

log = logging.getLogger(__name__)

DUMP_TIMEOUT_S = 600.0
"""Longest a child may take to dump (seconds); it is killed after that."""


class ChildDump:
    """The bytes a forked child is dumping: :meth:`result` waits for them."""

    def __init__(self, pid: int, read_fd: int) -> None:
        self.pid = pid
        self._read_fd = read_fd

    def _collect(self) -> bytes:
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._read_fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._read_fd)
            _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"the snapshot's child process ended with code {code}")
        return b"".join(chunks)

    async def result(self, timeout_s: float = DUMP_TIMEOUT_S) -> bytes:
        """The dumped bytes (:class:`RuntimeError` when the child failed; a child past
        ``timeout_s`` seconds is killed)."""
        collecting = asyncio.ensure_future(asyncio.to_thread(self._collect))
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(collecting)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            await asyncio.wait([collecting])  # the pipe closes with the child: reaped
            raise RuntimeError(f"the snapshot's child took over {timeout_s} s") from None


def _child(dump: Callable[[], bytes], write_fd: int) -> None:  # pragma: no cover - child
    code = 1
    try:
        gc.disable()
        with contextlib.suppress(ValueError, OSError):  # not the main thread: nothing set
            signal.set_wakeup_fd(-1)  # a signal here must not wake the parent's loop
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        view = memoryview(dump())
        while view:
            view = view[os.write(write_fd, view) :]
        code = 0
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            sys.stderr.write(f"snapshot child: {type(exc).__name__}: {exc}\n")
            sys.stderr.flush()
    finally:
        os._exit(code)


def fork_dump(dump: Callable[[], bytes]) -> ChildDump | None:
    """Run ``dump()`` in a forked child on a frozen copy of memory (call it where the
    state is consistent, under the lock); ``None`` when this platform cannot fork."""
    if not hasattr(os, "fork"):
        return None
    read_fd, write_fd = os.pipe()
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns of forking with threads: the child runs no other thread's
            # work and takes no lock they may hold (no logging, no store).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        log.exception("cannot fork to take a snapshot; dumping under the lock")
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        _child(dump, write_fd)
    os.close(write_fd)
    return ChildDump(pid, read_fd)
