"""Ctrl-C and SIGTERM during `vt-refs bulk`: stop cleanly, then stop at once.

`timeout`, systemd, `docker stop` and Kubernetes send SIGTERM; a person presses Ctrl-C.
Both are handled alike. The first stops new work at once: no new indicator, request or
retry starts (a request waiting for its retry or a quota permit gives up), and the
requests in flight finish within their attempt's timeout; the indicators they complete
are written and recorded, the others run again on resume. The second abandons the
requests in flight. Either way the checkpoint stays consistent, the command that resumes
is printed, and the exit status is 130 (SIGINT) or 143 (SIGTERM).

A signal handler may run between any two bytecodes of the main thread, even inside a
lock the run holds, so the handler itself only sets flags and puts the signal in a
queue (both safe there); a watcher thread does the rest. The second signal raises in the
main thread, except while a result's lines are written and recorded, a block it must not
split: there it is raised right after.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Final

from .._bulk import Run

_NAMES: Final[dict[int, str]] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Abandoned(KeyboardInterrupt):
    """The second signal: the requests in flight are not waited for."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Stopper:
    """The bulk run's handlers of SIGINT and SIGTERM, for as long as `installed` lasts."""

    def __init__(self) -> None:
        self.signum: int | None = None  # the first signal received
        self._run: Run | None = None
        self._signals: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._critical = 0
        self._deferred: int | None = None
        self._abandoned = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            self._signals.put(signum)
            return
        self._abandoned = True
        run = self._run
        if run is not None:
            run.abandoned = True
        if self._critical:
            self._deferred = signum
            return
        raise Abandoned(signum)

    def _watch(self) -> None:
        while self._signals.get() is not None:
            with self._lock:
                run = self._run
            if run is not None:
                run.request_stop()

    def attach(self, run: Run) -> None:
        """The run to stop; a signal that came before it stops it at once."""
        with self._lock:
            self._run = run
        run.abandoned = self._abandoned
        if self.signum is not None:
            run.request_stop()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """The handlers, from the main thread (elsewhere, Python's own stay)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        watcher = threading.Thread(target=self._watch, name="vt-refs-stop", daemon=True)
        watcher.start()
        previous = {sig: signal.signal(sig, self._handle) for sig in _NAMES}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._signals.put(None)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """A block the second signal does not split: it is raised once the block ends."""
        self._critical += 1
        try:
            yield
        finally:
            self._critical -= 1
        if not self._critical and self._deferred is not None:
            signum, self._deferred = self._deferred, None
            raise Abandoned(signum)

    def stopping_line(self, in_flight: int) -> str:
        """What the first signal makes the run say."""
        first = _NAMES.get(self.signum or signal.SIGINT, "Ctrl-C")
        again = "Ctrl-C again" if first == "Ctrl-C" else "SIGTERM again, or Ctrl-C,"
        return f"stopping: finishing {in_flight} requests in flight ({again} to abandon them)"
