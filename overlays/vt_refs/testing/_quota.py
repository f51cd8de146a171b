"""The fake's quota: VirusTotal's 429 QuotaExceededError past any window, per API key.

Every request counts on arrival, answered or rejected, in a sliding log per key: the
same events a client's quota counts (each attempt, retries included), so a client that
keeps to the same quota is never rejected but for the moment between its count and our
arrival.
"""

from __future__ import annotations

import collections
import threading
import time

from .._transport import Quota
from ._responses import Response, error_body


class QuotaEnforcer:
    """Sliding-window counts of one `Quota`, kept per key, thread-safe."""

    def __init__(self, quota: Quota, *, record: bool) -> None:
        if not isinstance(quota, Quota):
            raise ValueError(f"quota must be a vt_refs.Quota, not {quota!r}")
        self.quota = quota
        self._windows = quota.windows()
        self._longest = max(w.interval_ms for w in self._windows) / 1000
        self._arrivals: dict[str, collections.deque[float]] = {}
        self.lock = threading.Lock()
        self.rejected = 0
        self._record = record
        self.arrivals: list[tuple[float, bool]] = []

    def admit(self, key: str) -> Response | None:
        """None when `key` is within every window, else the 429 to answer with."""
        with self.lock:  # stamped under the lock, so the log stays in arrival order
            now = time.monotonic()
            log = self._arrivals.setdefault(key, collections.deque())
            while log and log[0] <= now - self._longest:
                log.popleft()
            full = None
            for window in self._windows:
                since = now - window.interval_ms / 1000
                # The log is oldest first: count back from the newest until out of window.
                in_window = 0
                for stamp in reversed(log):
                    if stamp <= since or in_window >= window.limit:
                        break
                    in_window += 1
                if in_window >= window.limit:
                    full = window
                    break
            log.append(now)
            if self._record:
                self.arrivals.append((now, full is None))
            if full is None:
                return None
            self.rejected += 1
        message = f"Quota exceeded: {full.limit} requests {full.name.replace('_', ' ')}"
        return Response(429, error_body("QuotaExceededError", message))
