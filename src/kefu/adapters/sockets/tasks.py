"""Background loops of the pages: wait for a wake-up or a timeout, and stop a loop task.

``asyncio.wait_for`` on Python 3.11 may swallow a cancellation that arrives as the awaited
event fires, so a loop cancelled at that instant would run on and its ``stop()`` never
return; ``asyncio.timeout`` does not, and :func:`stop_task` bounds the wait anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

__all__ = ["stop_task", "wake_or_timeout"]

log = logging.getLogger(__name__)


async def wake_or_timeout(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set (True) or ``timeout_s`` seconds passed (False)."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def stop_task(task: asyncio.Task[Any], timeout_s: float = 5.0) -> None:
    """Cancel ``task`` and wait for it, at most ``timeout_s`` seconds."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        log.error("background task %s did not stop in %.0f s", task.get_name(), timeout_s)
        return
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
