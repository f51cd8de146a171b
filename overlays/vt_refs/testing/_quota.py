"""The fake's quota: VirusTotal's 429 QuotaExceededError past any window, per API key.

Every request counts on arrival, answered or rejected, in a sliding log per key: the
same events a client's quota counts (each attempt, retries included), so a client that
keeps to the same quota is never rejected but for the moment between its count and our
arrival. `scale` shortens every window for tests (1/30: a minute lasts 2 s, so the
public 4 a minute is 4 per 2 s), and what was admitted is kept apart for
`/users/{id}/overall_quotas`.
"""

from __future__ import annotations

import collections
import threading
import time

from .._transport import Quota, Window
from ._responses import Response, error_body

_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_MONTH_MS = 31 * _DAY_MS
UNLIMITED = 10**9  # what overall_quotas reports as allowed with no quota


def _allowed(windows: tuple[Window, ...], period_ms: int) -> int:
    """The most requests `windows` let through in `period_ms` (at least as long as each)."""
    return min(
        (w.limit * -(-period_ms // w.interval_ms) for w in windows if w.interval_ms <= period_ms),
        default=UNLIMITED,
    )


class QuotaEnforcer:
    """Sliding-window counts of one `Quota`, kept per key, thread-safe."""

    def __init__(self, quota: Quota, *, record: bool, scale: float = 1.0) -> None:
        if not isinstance(quota, Quota):
            raise ValueError(f"quota must be a vt_refs.Quota, not {quota!r}")
        self.quota = quota
        self._scale = scale
        self._limits = quota.windows()
        self._windows = tuple(
            Window(w.name, w.limit, max(1, round(w.interval_ms * scale))) for w in self._limits
        )
        self._longest = max(w.interval_ms for w in self._windows) / 1000
        self._arrivals: dict[str, collections.deque[float]] = {}
        self._admitted: dict[str, collections.deque[float]] = {}
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
                admitted = self._admitted.setdefault(key, collections.deque())
                admitted.append(now)
                while admitted and admitted[0] <= now - _MONTH_MS * self._scale / 1000:
                    admitted.popleft()
                return None
            self.rejected += 1
        message = f"Quota exceeded: {full.limit} requests {full.name.replace('_', ' ')}"
        return Response(429, error_body("QuotaExceededError", message))

    def usage(self, key: str) -> dict[str, tuple[int, int]]:
        """(allowed, used) of `key` per hour, day and month, scaled as the windows are."""
        now = time.monotonic()
        with self.lock:
            admitted = list(self._admitted.get(key, ()))
        found = {}
        for name, period in (("hourly", _HOUR_MS), ("daily", _DAY_MS), ("monthly", _MONTH_MS)):
            since = now - period * self._scale / 1000
            used = sum(1 for stamp in admitted if stamp > since)
            found[name] = (_allowed(self._limits, period), used)
        return found
