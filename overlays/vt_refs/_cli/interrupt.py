"""Holding Ctrl-C back while a page is written and the resume cursor moves past it.

Without this, a KeyboardInterrupt could land after a page reached stdout but before the
CLI recorded the cursor after it, and the printed resume cursor would repeat that page.
Deferred, the interrupt is raised right after, with the cursor already exact.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Run the block whole; a SIGINT arriving meanwhile is handled when it ends, by the
    handler that was in place (by default: KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if not received:
        return
    if callable(previous):  # Python's default handler raises KeyboardInterrupt
        previous(signal.SIGINT, None)
    elif previous == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)
    # SIG_IGN: whoever started us asked for Ctrl-C to be ignored.
