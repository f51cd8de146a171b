"""Permits of one quota in one store: this process, a SQLite file, or a Redis server.

Built on pyrate-limiter's sliding-window-log buckets (one entry per request; a request is
admitted when every window counted back from now has room), with two fixes its notes and
our tests call for:
- Redis counts with the Redis server's clock (hosts' clocks disagree) and counts entries
  stamped after `now` too, so a request stamped a moment earlier than another host's cannot
  miss it. SQLite already counts with no upper bound; its clock is the host's time since
  boot, which wall-clock steps do not move (`clock`).
- Every attempt is stamped when it is made, never with a stamp carried over from before
  a sleep (pyrate-limiter's own wait loop does that, which let 21-22 through a 20/s window).

Buckets are shared by every client of one key in a process (per key digest, store and
limits), so two clients of a key in one process never double their quota.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from pyrate_limiter import AbstractBucket, InMemoryBucket, Rate, RateItem
from pyrate_limiter.buckets.redis_bucket import LuaScript, RedisBucket
from pyrate_limiter.buckets.sqlite_bucket import SQLiteBucket

from ..stores import StoreURL
from .clock import host_ms, rebase
from .spec import Window

_LEAK_EVERY_MS: Final = 10_000  # drop entries older than the longest window this often
# The arrival margin. The server counts a request when it arrives, we count it just before
# sending: a request delayed on its way (a busy host, a scheduler, a new connection) lands
# in a later server window than ours, and the server then sees one more in a window than
# we did. A request's delay is at most its round trip, so each window is counted longer
# than it is by the larger of 5% (at most 2 s) and the recent round trips (a maximum that
# decays by 10% a request; at most half the window). Measured: with a fixed 5% a server
# rejected 1.6-4% of the requests of 4 processes on a loaded 2-core machine, nearly all
# at the first window's edge (cold connections); with the round trips, 0-1.2%. The cost
# is rate: 5% of a per-second quota on a quiet machine, 15-20% on a loaded one; 3% of a
# per-minute quota; nothing measurable of an hour's or a day's.
_MARGIN: Final = 0.05
_MAX_MARGIN_MS: Final = 2_000
_RTT_FACTOR: Final = 1.0
_RTT_DECAY: Final = 0.9  # per observed request
_MAX_RTT_SHARE: Final = 0.5


Span = tuple[Window, int]  # a window and how long we count it, in ms


def counted(windows: tuple[Window, ...], slow_ms: int = 0) -> tuple[Span, ...]:
    """How long we count each window: the window and the arrival margin, which is at least
    `slow_ms` (the recent round trips) up to half the window.

    A longer window is counted longer still where the margins would give it a higher
    rate than a shorter one (pyrate-limiter requires falling rates); counting longer is
    only ever stricter.
    """
    spans: list[Span] = []
    for window in windows:
        margin = min(int(window.interval_ms * _MARGIN), _MAX_MARGIN_MS)
        margin = max(margin, min(slow_ms, int(window.interval_ms * _MAX_RTT_SHARE)))
        span = window.interval_ms + margin
        if spans:
            shorter, shorter_span = spans[-1]
            span = max(span, -(-window.limit * shorter_span // shorter.limit))
        spans.append((window, span))
    return tuple(spans)


_COUNT_UP_TO_NOW: Final = "redis.call('ZCOUNT', bucket, window_start, now)"
_COUNT_ALL_AFTER: Final = "redis.call('ZCOUNT', bucket, window_start, '+inf')"
if _COUNT_UP_TO_NOW not in LuaScript.PUT_ITEM:  # pragma: no cover - a pyrate-limiter change
    raise ImportError("pyrate-limiter's Redis script changed: vt_refs needs updating")
_PUT_SCRIPT: Final = LuaScript.PUT_ITEM.replace(_COUNT_UP_TO_NOW, _COUNT_ALL_AFTER)


class Denial(NamedTuple):
    """No permit now: `wait` seconds until `window` has room again by our count, of which
    `margin` is the arrival margin (the slot itself is free `wait - margin` from now)."""

    wait: float
    window: Window
    margin: float


class Permits:
    """One bucket and how to stamp a request for it; thread-safe.

    `blocking` says whether taking a permit does I/O (SQLite, Redis): async callers then
    take it on a worker thread, so the event loop never waits on a file lock or a socket.
    """

    def __init__(
        self,
        bucket: AbstractBucket,
        windows: tuple[Window, ...],
        clock: Callable[[], int],
        *,
        blocking: bool,
        on_leak: Callable[[], None] | None = None,
    ) -> None:
        self._bucket = bucket
        self._windows = windows
        self._by_rate: dict[tuple[int, int], Span] = {}
        self._slow_ms = 0.0  # decaying maximum of the round trips
        self._slow_lock = threading.Lock()
        self._applied_ms = -1
        self._clock = clock
        self._lock = threading.Lock()
        self._next_leak = 0
        self._on_leak = on_leak
        self.blocking = blocking
        self._apply(0)

    def _apply(self, slow_ms: int) -> None:
        """Count the windows with this much margin for slow requests (under the lock)."""
        spans = counted(self._windows, slow_ms)
        self._bucket.rates = _rates(spans)
        self._by_rate.update({(w.limit, span): (w, span) for w, span in spans})
        self._applied_ms = slow_ms

    def observe(self, seconds: float) -> None:
        """A request took this long from its permit to its answer: widen the margin when
        requests are slow, narrow it again as they speed up (from the next permit on).

        Never waits on `take`'s lock, which may be held across a file lock or a socket.
        """
        with self._slow_lock:
            self._slow_ms = max(seconds * 1000, self._slow_ms * _RTT_DECAY)

    def take(self) -> Denial | None:
        """Spend one permit (None), or say how long until one is free (nothing spent)."""
        with self._lock:
            wanted = int(self._slow_ms * _RTT_FACTOR)
            if abs(wanted - self._applied_ms) > max(5, self._applied_ms // 5):
                self._apply(wanted)
            now = self._clock()
            item = RateItem("vt", now)
            decision: Any = self._bucket.put_decision(item)
            if now >= self._next_leak:
                self._next_leak = now + _LEAK_EVERY_MS
                self._bucket.leak(now)
                if self._on_leak is not None:
                    self._on_leak()
            rate = decision.failing_rate
            if rate is None:
                return None
            window, span = self._by_rate[(rate.limit, rate.interval)]
        wait_ms = decision.retry_after_ms
        if wait_ms is None:  # the bucket could not tell: a full window is the most
            wait_ms = span
        margin = (span - window.interval_ms) / 1000
        return Denial(max(wait_ms, 1) / 1000, window, margin)


_SHARED: dict[tuple[object, ...], Permits] = {}
_SHARED_LOCK = threading.Lock()


def permits(windows: tuple[Window, ...], store: StoreURL | None, digest: str) -> Permits:
    """The process-wide permits of key `digest` under `windows` in `store` (None: memory)."""
    # The pid: a forked child must not share its parent's SQLite connection or socket.
    shared_key = (os.getpid(), windows, store, digest)
    with _SHARED_LOCK:
        found = _SHARED.get(shared_key)
        if found is None:
            found = _SHARED[shared_key] = _open(windows, store, digest)
        return found


def _rates(spans: tuple[Span, ...]) -> list[Rate]:
    return [Rate(w.limit, span) for w, span in spans]


class _FreshSQLiteBucket(SQLiteBucket):
    """Stamps each request once it holds the file lock, not before waiting for it: a
    stamp taken before the wait would age the entry and free its slot too early. Stamps
    are on the host's boot clock, which a wall-clock step does not move (see `clock`)."""

    def put(self, item: RateItem) -> bool:
        with self.lock:
            item.timestamp = host_ms()
            return super().put(item)


def _open(windows: tuple[Window, ...], store: StoreURL | None, digest: str) -> Permits:
    rates = _rates(counted(windows))
    if store is None:
        return Permits(InMemoryBucket(rates), windows, _monotonic_ms, blocking=False)
    if store.kind == "sqlite":
        directory = os.path.dirname(store.location)
        if directory:
            os.makedirs(directory, exist_ok=True)
        bucket = _FreshSQLiteBucket.init_from_file(
            rates, table=f"vt_quota_{digest[:32]}", db_path=store.location, use_file_lock=True
        )
        rebase(bucket.conn, bucket.lock)
        return Permits(bucket, windows, host_ms, blocking=True)
    return _redis_permits(rates, windows, store.location, digest)


class _ReloadingRedisBucket(RedisBucket):
    """Loads its script again when the server no longer has it, and tries once more.

    A Redis that restarted, failed over to a replica or ran SCRIPT FLUSH answers NOSCRIPT
    to the script loaded when the client started; pyrate-limiter's `evalsha` has no
    fallback, so without this every request of a long-lived client (a task-queue worker)
    would fail from then on.
    """

    def _check_and_insert(self, item: RateItem) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return super()._check_and_insert(item)
        except NoScriptError:
            self.script_hash = str(self.redis.script_load(_PUT_SCRIPT))
            return super()._check_and_insert(item)


def _redis_permits(
    rates: list[Rate], windows: tuple[Window, ...], url: str, digest: str
) -> Permits:
    import redis  # only when a Redis store is used

    client = redis.Redis.from_url(url)
    key = f"vt-refs:quota:{digest}"
    script_hash = client.script_load(_PUT_SCRIPT)
    bucket = _ReloadingRedisBucket(rates, client, key, str(script_hash))
    # A key nobody uses disappears, but only once no window can count its entries: each
    # process renews the expiry when it leaks (every 10 s while it sends), so the expiry
    # stays beyond the longest counted window of the last request (a plain ZADD keeps it).
    keep_ms = 2 * max(w.interval_ms for w in windows) + 2 * _LEAK_EVERY_MS

    def server_ms() -> int:
        seconds, micros = client.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def expire() -> None:
        client.pexpire(key, keep_ms)

    return Permits(bucket, windows, server_ms, blocking=True, on_leak=expire)


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000
