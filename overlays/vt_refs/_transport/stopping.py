"""The stop signal of a run, for the layers that wait: no retry, no quota wait once it is set.

A bulk run that is told to stop (Ctrl-C, SIGTERM) lets the attempts in flight finish, and
nothing more: a request waiting to be retried or for a quota permit must not hold the run
for its backoff or the window. The run's workers put its stop event here (a context
variable: per thread, per task), and the retry and quota layers wait on it instead of
sleeping blindly. Outside such a run nothing is set and they sleep as they always did.
"""

from __future__ import annotations

import asyncio
import threading
import time
from contextvars import ContextVar
from typing import Final

RUN_STOPPING: Final[ContextVar[threading.Event | None]] = ContextVar(
    "vt_refs_run_stopping", default=None
)
POLL_SECONDS: Final = 0.05  # how often an async wait looks at the event


def stop_event() -> threading.Event | None:
    """The stop event of the run this request belongs to, if any."""
    return RUN_STOPPING.get()


def stopped() -> bool:
    """Whether the run this request belongs to was told to stop."""
    event = RUN_STOPPING.get()
    return event is not None and event.is_set()


def pause(seconds: float) -> bool:
    """Wait `seconds` before the next attempt; False (at once) when the run stops."""
    event = stop_event()
    if event is None:
        time.sleep(seconds)
        return True
    return not event.wait(seconds)


async def apause(seconds: float) -> bool:
    """The async twin of `pause`: the event is looked at every few tens of ms."""
    event = stop_event()
    if event is None:
        await asyncio.sleep(seconds)
        return True
    deadline = time.monotonic() + seconds
    while not event.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        await asyncio.sleep(min(left, POLL_SECONDS))
    return False
