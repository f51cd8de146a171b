"""Permits of one quota in one store: this process, a SQLite file, or a Redis server.

Built on pyrate-limiter's sliding-window-log buckets (one entry per request; a request is
admitted when every window counted back from now has room), with two fixes its notes and
our tests call for:
- Redis stamps each request itself, with the Redis server's clock (hosts' clocks
  disagree), as its script admits it, and counts entries stamped after `now` too
  (`redis_bucket`). SQLite already counts with no upper bound; its clock is the host's
  time since boot, which wall-clock steps do not move (`clock`).
- Every attempt is stamped when it is admitted, never with a stamp carried over from
  before a sleep (pyrate-limiter's own wait loop does that, which let 21-22 through a
  20/s window) or before a round trip to the store.

Buckets are shared by every client of one key in a process (per key digest, store and
limits), so two clients of a key in one process never double their quota.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from pyrate_limiter import AbstractBucket, InMemoryBucket, Rate, RateItem
from pyrate_limiter.buckets.sqlite_bucket import SQLiteBucket

from ..stores import StoreURL
from .clock import host_ms, rebase
from .shared_slowest import SQLiteSlowest
from .spec import Window

_LEAK_EVERY_MS: Final = 10_000  # drop entries older than the longest window this often
# The arrival margin. The server counts a request when it arrives, we count it just before
# sending: a request delayed on its way (a busy host, a scheduler, a new connection) lands
# in a later server window than ours, and the server then sees one more in a window than
# we did. A request's delay is at most its round trip, so each window is counted longer
# than it is by the larger of 5% (at most 2 s) and the longest round trip answered within
# that window's length (at most half the window): a request's delay matters for as long
# as its entry is counted, so a slow one is remembered that long, no less. Measured: with
# a fixed 5% a server rejected 1.6-4% of the requests of 4 processes on a loaded 2-core
# machine, nearly all at the first window's edge (cold connections); with a maximum of
# the round trips that decayed by 10% a request, 0.4% there still (the cold requests'
# delay forgotten before their entries left the window); remembered for the window, 0.
# The cost is rate: 5-8% of a per-second quota, more on a loaded machine; 3% of a
# per-minute quota; nothing measurable of an hour's or a day's.
# With Redis or SQLite the slowest round trip any process reported counts for all
# (`redis_bucket`, `shared_slowest`).
_MARGIN: Final = 0.05
_MAX_MARGIN_MS: Final = 2_000
_MAX_RTT_SHARE: Final = 0.5


def most_rtt_margin(window: Window) -> int:
    """The most a round trip may lengthen how long `window` is counted, in ms."""
    return int(window.interval_ms * _MAX_RTT_SHARE)


Span = tuple[Window, int]  # a window and how long we count it, in ms


def counted(windows: tuple[Window, ...], slow_ms: tuple[int, ...] = ()) -> tuple[Span, ...]:
    """How long we count each window: the window and the arrival margin, which is at least
    the window's `slow_ms` (its recent round trips; none: 0) up to half the window.

    A longer window is counted longer still where the margins would give it a higher
    rate than a shorter one (pyrate-limiter requires falling rates); counting longer is
    only ever stricter.
    """
    spans: list[Span] = []
    for window, slow in zip(windows, slow_ms or (0,) * len(windows), strict=True):
        margin = min(int(window.interval_ms * _MARGIN), _MAX_MARGIN_MS)
        margin = max(margin, min(slow, most_rtt_margin(window)))
        span = window.interval_ms + margin
        if spans:
            shorter, shorter_span = spans[-1]
            span = max(span, -(-window.limit * shorter_span // shorter.limit))
        spans.append((window, span))
    return tuple(spans)


class Denial(NamedTuple):
    """No permit now: `wait` seconds until `window` has room again by our count, of which
    `margin` is the arrival margin (the slot itself is free `wait - margin` from now)."""

    wait: float
    window: Window
    margin: float


class _Slowest:
    """The longest round trip answered within the last `horizon_ms` (a sliding maximum:
    the deque holds the answers that may still become the maximum, longest first)."""

    __slots__ = ("_answers", "_horizon_ms")

    def __init__(self, horizon_ms: int) -> None:
        self._horizon_ms = horizon_ms
        self._answers: deque[tuple[int, int]] = deque()  # (answered at, round trip), in ms

    def add(self, at_ms: int, rtt_ms: int) -> None:
        answers = self._answers
        while answers and answers[-1][1] <= rtt_ms:
            answers.pop()
        answers.append((at_ms, rtt_ms))

    def value(self, now_ms: int) -> int:
        answers = self._answers
        while answers and answers[0][0] <= now_ms - self._horizon_ms:
            answers.popleft()
        return answers[0][1] if answers else 0


def _changed(wanted: tuple[int, ...], applied: tuple[int, ...]) -> bool:
    """Whether the margins moved enough to count the windows again (a few ms are noise)."""
    return any(abs(w - a) > max(5, a // 5) for w, a in zip(wanted, applied, strict=True))


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
        shared: Callable[[tuple[int, ...]], tuple[int, ...]] | None = None,
    ) -> None:
        self._bucket = bucket
        self._windows = windows
        self._by_rate: dict[tuple[int, int], Span] = {}
        self._slowest = tuple(_Slowest(w.interval_ms) for w in windows)  # one per window
        self._slow_lock = threading.Lock()
        self._applied_ms = (-1,) * len(windows)
        self._clock = clock
        self._lock = threading.Lock()
        self._next_leak = 0
        self._on_leak = on_leak
        # The store's exchange of the slowest round trips: this process's in, the ones to
        # count with out (SQLite: every process's; Redis: its script counts with those).
        self._shared = shared
        self.blocking = blocking
        self._apply((0,) * len(windows))

    def _apply(self, slow_ms: tuple[int, ...]) -> None:
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
        now, rtt = _monotonic_ms(), int(seconds * 1000)
        with self._slow_lock:
            for slowest in self._slowest:
                slowest.add(now, rtt)

    def take(self) -> Denial | None:
        """Spend one permit (None), or say how long until one is free (nothing spent)."""
        with self._lock:
            now = _monotonic_ms()
            with self._slow_lock:
                wanted = tuple(slowest.value(now) for slowest in self._slowest)
            if self._shared is not None:
                wanted = self._shared(wanted)
            if _changed(wanted, self._applied_ms):
                self._apply(wanted)
            item = RateItem("vt", self._clock())
            decision: Any = self._bucket.put_decision(item)
            now = item.timestamp  # the store's own stamp where it takes one (SQLite, Redis)
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
        name = digest[:32]  # the tables of this key and origin in the quota's file
        bucket = _FreshSQLiteBucket.init_from_file(
            rates, table=f"vt_quota_{name}", db_path=store.location, use_file_lock=True
        )
        rebase(bucket.conn, bucket.lock)
        slowest = SQLiteSlowest(bucket.conn, bucket.lock, f"vt_slowest_{name}", windows)
        return Permits(bucket, windows, host_ms, blocking=True, shared=slowest.exchange)
    return _redis_permits(rates, windows, store.location, digest)


def _redis_permits(
    rates: list[Rate], windows: tuple[Window, ...], url: str, digest: str
) -> Permits:
    import redis  # only when a Redis store is used

    from .redis_bucket import ServerStampedBucket

    client = redis.Redis.from_url(url)
    key = f"vt-refs:quota:{digest}"
    bucket = ServerStampedBucket(
        rates,
        client,
        key,
        tuple((w.interval_ms, most_rtt_margin(w)) for w in windows),
        slow_key=f"vt-refs:quota-slow:{digest}",
    )
    # A key nobody uses disappears, but only once no window can count its entries: each
    # process renews the expiry when it leaks (every 10 s while it sends), so the expiry
    # stays beyond the longest counted window of the last request (a plain ZADD keeps it).
    keep_ms = 2 * max(w.interval_ms for w in windows) + 2 * _LEAK_EVERY_MS

    def expire() -> None:
        client.pexpire(key, keep_ms)

    # The script stamps each request with the server's clock: nothing to stamp it with here.
    return Permits(bucket, windows, _unstamped, blocking=True, on_leak=expire,
                   shared=bucket.report_slow)  # fmt: skip


def _unstamped() -> int:
    return 0


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000
