"""The server's quota as learned from its 429s: what every client of a key paces itself by
when it was given no quota (and what still guards one that was given a wrong one).

VirusTotal sends no rate-limit headers: a 429 (QuotaExceededError, TooManyRequestsError)
is all a client is told. So the client learns the window the server enforces from two
facts about each request it sent, assuming a sliding window of `limit` requests in `W`
seconds (a fixed window makes the same bounds err on the safe side of some requests):

- `limit` is the number of requests the server admitted before its first 429 (since the
  client started, or since the last probe got through while it was still unknown): the
  requests admitted per window before the 429.
- An admitted request at `a` whose `limit`-th admitted predecessor was sent at `s` proves
  `W <= a - s`: an upper bound `hi`. A rejected one at `r`, with its `limit`-th
  predecessor (admitted or rejected: a server may count both) at `s`, proves `W > r - s`:
  a lower bound `lo`. Both allow for the round trip, since the server counts arrivals.

Requests are then paced at `limit` in any `W * 1.03` seconds (plus the recent round trip),
our own rejected requests counted too, with `W = hi` once `hi` is within 10% of `lo`, and
before that a try between the two (`lo**0.25 * hi**0.75`, nearer `hi` since a failed try
costs a 429; `hi / 1.1` while no `lo` is known), made by one request while the others wait
for its answer: a try below the true window costs one 429 and raises `lo`; a try that
holds lowers `hi`. A few 429s narrow a 3x uncertainty to 10%. A request refused although
paced at `hi` (a late arrival) paces by a guess 10% above `lo` until an admitted request
bounds the window again; refused again soon, the limit is wrong too: learn anew.

Before a limit is known, a slow start: four requests at once, then one, then twice as
many with each round admitted (a run of 8 workers against 4 a minute loses one request
to the first 429, not the four more a looser start would have in flight).

A 429 that the model did not predict (another tool spending the key, a day's or month's
quota spent) holds every request of the key and probes: one request after 1 s, then
after gaps that double, each at most `max_quota_wait`; when a probe sent after a full
`max_quota_wait` is refused too, the request fails (the caller raises the fatal
QuotaExceededError) and each later request probes once before failing, until one gets
through. A Retry-After the server sends is waited for as it says (the request fails at
once when it is past `max_quota_wait`).

One `Learner` per API key and origin in the process (`learner_for`), shared by sync and
async clients in every thread; reservations are made in order, so waits never spin.
"""

from __future__ import annotations

import bisect
import collections
import math
import random
import threading
from typing import Final

from .turns import Grant, Hold, window_label

_FIRST_GAP: Final = 1.0  # the first probe after an unexpected 429, in seconds
_UNBOUNDED_GAP: Final = 600.0  # with max_quota_wait=None, probes at least this often
_MARGIN: Final = 0.03  # a learned window is counted this much longer
_TIGHT: Final = 1.1  # bounds this close: the window is known, exploring stops
_STEP: Final = 1.1  # a try is at most this much shorter than `hi`; a guess this much over `lo`
_LEAN: Final = 0.25  # a try between the bounds, nearer hi: lo**_LEAN * hi**(1 - _LEAN)
_KEEP: Final = 4096  # admitted send times kept (the longest window that can be learned)
_KEEP_REJECTED: Final = 256
_RTT_DECAY: Final = 0.9
_SLOW_START: Final = 4  # requests in flight before any is admitted
_OWN_GAP: Final = 0.25  # the first wait after a 429, for a client with a quota of its own
POLL: Final = 0.05  # how often a request waiting for a probe's answer asks again


class Learner:
    """The learned quota of one key at one origin; thread-safe (see the module)."""

    def __init__(self, *, learns: bool = True) -> None:
        # A client with a quota of its own does not learn: a 429 waits for that request
        # alone, with doubling waits (its quota paces it; a rare 429 at a window's edge
        # must not hold every other request of the key).
        self._learns = learns
        self._lock = threading.Lock()
        self._admitted: list[float] = []  # send times, sorted
        self._rejected: collections.deque[float] = collections.deque(maxlen=_KEEP_REJECTED)
        self._pending: dict[int, float] = {}
        self.limit: int | None = None
        self._limit_at: float | None = None  # the refusal the limit was counted before
        self._admits = 0  # requests admitted, ever
        self._surprise: int | None = None  # `_admits` at the last refusal while paced
        self.lo = 0.0
        self.hi: float | None = None
        self._rtt = 0.0
        self._run_start = -math.inf
        self._hold_until = 0.0
        self._probing = False
        self._probe_out = False
        self._explorer_out = False
        self._generation = 0
        self._gap = 0.0
        self._capped = False

    # Turns

    def _safe(self) -> float | None:
        """The window pacing holds to: `hi`, or a guess above `lo` while no `hi` is known
        (refused although paced at `hi`: a late arrival, or another tool spending the key)."""
        if self.limit is None:
            return None
        if self.hi is None:
            return self.lo * _STEP if self.lo > 0 else None
        return self.hi

    def _tried(self, safe: float | None) -> float | None:
        """The window pacing assumes now, given `_safe()`: `hi` once known closely (or the
        guess while there is no `hi`), else between the bounds."""
        if safe is None or self.hi is None or self.hi <= self.lo * _TIGHT:
            return safe
        if self.lo <= 0:  # nothing refused yet bounds it from below: a step down
            return self.hi / _STEP
        return float(self.lo**_LEAN * self.hi ** (1 - _LEAN))  # between the two, nearer hi

    def reserve(self, now: float) -> Grant | None:
        """This request's turn, or None when it must ask again in `retry_in()` seconds (a
        probe is out and its answer decides, or the slow start allows no more in flight)."""
        with self._lock:
            if not self._learns:
                return self._grant(Grant(now))
            at = max(now, self._hold_until, max(self._pending.values(), default=now))
            if self._probing:
                if self._probe_out:
                    return None
                self._probe_out = True
                return self._grant(Grant(at, probe=True))
            if self.limit is None and len(self._pending) >= self._started():
                return None  # slow start: in flight doubling with each round admitted
            limit, hi = self.limit, self._safe()
            tried = self._tried(hi)
            if tried is None or limit is None or hi is None:
                return self._grant(Grant(at))
            safe = self._fit(at, hi * (1 + _MARGIN) + self._rtt, limit)
            sooner = self._fit(at, tried * (1 + _MARGIN) + self._rtt, limit)
            if sooner >= safe:
                return self._grant(Grant(safe))
            # Going sooner than `hi` allows tests the shorter window: one request at a time
            # does, and the others wait for its answer (a failed test costs one 429).
            if self._explorer_out:
                return None
            self._explorer_out = True
            return self._grant(Grant(sooner, explore=True))

    def retry_in(self) -> float:
        """How soon a request turned away asks again: `POLL` while a probe (or a try) may
        be seconds away; in a slow start the next turn comes with the next answer, within
        a round trip: eight asks a round trip (at 50 ms, 5% of a bulk run was lost waiting)."""
        with self._lock:
            if self._probing or self._explorer_out:
                return POLL
            return min(POLL, max((self._rtt or POLL) / 8, 0.002))

    def current(self, grant: Grant) -> bool:
        """Whether a turn reserved earlier still holds now that it has come: a 429 since
        (a hold begun, the model forgotten) takes it back, to be asked for again."""
        with self._lock:
            if grant.generation == self._generation:
                return True
            self._release(grant)
            return False

    def _release(self, grant: Grant) -> None:
        self._pending.pop(id(grant), None)
        if grant.probe:
            self._probe_out = False
        if grant.explore:
            self._explorer_out = False

    def _started(self) -> int:
        """How many may be in flight before any limit is known: four at first (a public
        key's minute), then one, and twice as many with each round admitted (one more per
        request admitted): a run starting with 8 workers against 4 a minute is refused the
        one request sent after the first four, not the four more that would be in flight."""
        admitted = len(self._admitted) - bisect.bisect_left(self._admitted, self._run_start)
        return max(_SLOW_START, 2 * admitted - _SLOW_START + 1) - admitted

    def _grant(self, grant: Grant) -> Grant:
        grant.generation = self._generation
        self._pending[id(grant)] = grant.at
        return grant

    def _fit(self, at: float, window: float, limit: int) -> float:
        """The earliest time from `at` at which fewer than `limit` of our requests (sent,
        refused or reserved; all at or before `at`) lie in the last `window` seconds."""
        since = at - window
        start = bisect.bisect_right(self._admitted, since)
        stamps = sorted(
            [*self._admitted[start:], *(s for s in self._rejected if s > since),
             *(s for s in self._pending.values() if s > since)]
        )  # fmt: skip
        while len(stamps) >= limit:
            oldest = stamps[len(stamps) - limit]  # it must leave the window first
            at = max(at, oldest + window)
            stamps = [s for s in stamps if s > oldest]
        return at

    def sending(self, grant: Grant, now: float) -> None:
        """The request goes now (later than its turn when the client's own quota made it
        wait): its time is when it was sent."""
        with self._lock:
            grant.at = max(grant.at, now)
            self._pending[id(grant)] = grant.at

    def cancel(self, grant: Grant) -> None:
        """No answer came (a network error): the turn is given back."""
        with self._lock:
            self._release(grant)

    # Answers

    def _observe(self, grant: Grant, now: float) -> None:
        self._release(grant)
        self._rtt = max(now - grant.at, self._rtt * _RTT_DECAY)

    def admitted(self, grant: Grant, now: float) -> None:
        """The server answered, with anything but 429."""
        with self._lock:
            self._observe(grant, now)
            self._admits += 1
            bisect.insort(self._admitted, grant.at)
            if len(self._admitted) > _KEEP:
                del self._admitted[: len(self._admitted) - _KEEP]
            if grant.probe:
                self._probing = self._probe_out = self._capped = False
                if self.limit is None:
                    self._run_start = grant.at
            if self._limit_at is not None and self._run_start <= grant.at < self._limit_at:
                self.limit = (self.limit or 0) + 1  # admitted before the 429, answered after
            limit = self.limit
            index = bisect.bisect_left(self._admitted, grant.at)
            if limit is not None and index >= limit:
                bound = grant.at - self._admitted[index - limit] + self._rtt
                if bound >= self.lo and (self.hi is None or bound < self.hi):
                    self.hi = bound

    def rejected(
        self,
        grant: Grant,
        now: float,
        retry_after: float | None,
        max_wait: float | None,
        refused: int = 0,
    ) -> Hold | None:
        """The server answered 429 (to the `refused`-th resend of this request): when to
        ask for a turn again, or None to give up."""
        with self._lock:
            if not self._learns:
                self._release(grant)
                return _own_wait(grant, now, retry_after, max_wait, refused)
            self._observe(grant, now)
            if retry_after is None:  # a server that says when to retry is obeyed, not learned
                self._learn_from_refusal(grant, now)
            self._rejected.append(grant.at)
            cap = _UNBOUNDED_GAP if max_wait is None else max_wait
            if retry_after is not None:  # the server said how long
                if max_wait is not None and retry_after > max_wait:
                    return None
                self._hold(now, retry_after, cap, grant)
                return Hold(self._hold_until, self.label())
            if grant.probe:
                if self._capped and max_wait is not None:  # None: wait as long as it takes
                    self._hold_until = now  # the next request probes at once
                    return None
                self._gap = min(self._gap * 2, cap)
                self._capped = self._gap >= cap
                self._hold_until = now + self._gap
            elif not self._probing:
                if grant.explore:
                    return Hold(now, self.label())  # the shorter window failed: lo rose
                if cap <= 0:
                    return None
                self._surprised()
                self._hold(now, _FIRST_GAP, cap, grant)
            return Hold(self._hold_until, self.label())

    def _surprised(self) -> None:
        """Refused although paced at what was known: the window is longer than `hi` (a
        late arrival at its edge, most often), so pacing goes by a guess above `lo` until
        an admitted request bounds it again; refused again before `2 * limit` more are
        admitted, the limit is wrong too (another tool spends the key): learn anew."""
        if self.limit is None:
            return
        if self._surprise is not None and self._admits - self._surprise < 2 * self.limit:
            self._forget()
            return
        self._surprise, self.hi = self._admits, None

    def _forget(self) -> None:
        self._generation += 1
        self.limit, self.lo, self.hi, self._limit_at = None, 0.0, None, None
        self._surprise = None
        self._run_start = math.inf  # counting starts again when a probe gets through

    def _hold(self, now: float, wait: float, cap: float, grant: Grant) -> None:
        self._hold_until = max(self._hold_until, now + min(wait, cap))
        self._generation += 1  # turns reserved before are taken back
        if not self._probing:
            self._probing, self._probe_out = True, False
            self._gap = min(max(wait, _FIRST_GAP), cap) if cap > 0 else 0.0
            self._capped = self._gap >= cap

    def _learn_from_refusal(self, grant: Grant, now: float) -> None:
        if self.limit is None:
            # Every request admitted that was sent before this 429 came back: sent
            # together, they fit in one window of the server's.
            first = bisect.bisect_left(self._admitted, self._run_start)
            admitted = bisect.bisect_left(self._admitted, now) - first
            if admitted:
                self.limit, self._limit_at = admitted, now
        limit = self.limit
        if limit is None:
            return
        start = bisect.bisect_left(self._admitted, grant.at) - limit
        before = sorted(
            [*self._admitted[max(start, 0) : bisect.bisect_left(self._admitted, grant.at)],
             *(s for s in self._rejected if s < grant.at)]
        )  # fmt: skip
        if len(before) >= limit:
            bound = grant.at - before[-limit] - self._rtt
            self.lo = max(self.lo, bound)
        if self.hi is not None and self.lo >= self.hi:
            self.hi = None  # the bounds disagree (a fixed window, another client): relearn

    def label(self) -> str:
        """What a wait is for, in words."""
        if self.limit is None or self.hi is None:
            return window_label(None)
        return f"{window_label(self.hi)}, {self.limit} requests learned"

    @property
    def learns(self) -> bool:
        """Whether it learns the server's quota (and holds every request after a 429)."""
        return self._learns

    @property
    def holding(self) -> bool:
        """Whether requests are held after a 429 (a probe decides when they go)."""
        return self._probing


def _own_wait(
    grant: Grant, now: float, retry_after: float | None, max_wait: float | None, refused: int
) -> Hold | None:
    """A 429 to a client with its own quota: this request waits 0.25 s, then twice as long
    each time, at most `max_wait`; refused after a full `max_wait`, it gives up."""
    cap = _UNBOUNDED_GAP if max_wait is None else max_wait
    if retry_after is not None:
        return None if retry_after > cap else Hold(now + retry_after, window_label(None))
    if cap <= 0:
        return None
    if max_wait is not None and refused and min(_OWN_GAP * 2 ** (refused - 1), cap) >= cap:
        grant.probe = True  # it waited all it may: the fatal error
        return None
    gap = min(_OWN_GAP * 2**refused, cap)
    return Hold(now + random.uniform(gap / 2, gap), window_label(None))


_SHARED: dict[tuple[object, ...], Learner] = {}
_SHARED_LOCK = threading.Lock()


def learner_for(origin: tuple[str, str, int | None], digest: str) -> Learner:
    """The process-wide learner of the key `digest` at `origin` (what one server enforces)."""
    with _SHARED_LOCK:
        found = _SHARED.get((origin, digest))
        if found is None:
            found = _SHARED[(origin, digest)] = Learner()
        return found


def forget_learned() -> None:
    """Forget every learned quota of the process: the next 429 of each key is learned
    anew (a test suite does it between tests, whose mock servers share an origin)."""
    with _SHARED_LOCK:
        _SHARED.clear()
