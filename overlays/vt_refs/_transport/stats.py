"""`TransportStats`: what one client's stack did, as counts a caller can read.

The quota is what limits a VirusTotal user, so a run is judged by what it cost: requests
that went on the wire (retries and rejected ones included), answers the cache gave for
nothing, retries, the server's 429s and the time spent waiting for the quota. Each layer
counts its own event into one `Counters` per stack (`build_stack` makes it); a snapshot
is an immutable `TransportStats`, and two snapshots subtract, so a run over a client
that was used before reports only its own share.
"""

from __future__ import annotations

import threading

import attrs


@attrs.frozen(kw_only=True)
class TransportStats:
    """What a client sent and waited for, from its creation (or a difference of two).

    - `requests`: attempts sent on the wire, retries and rejected ones included; answers
      from the cache are not among them.
    - `cache_hits`: answers the cache gave; they cost no request and no quota.
    - `retries`: attempts repeated after an error (5xx, a cut connection, a timeout);
      a request sent again after a server 429 counts in `rate_limited`, not here.
    - `rate_limited`: 429 answers the server sent (QuotaExceededError,
      TooManyRequestsError), each also in `requests`.
    - `quota_wait_seconds`: time requests spent waiting for the quota, the client's own
      windows and the server's 429s alike (summed over concurrent requests).
    - `bytes_received`: body bytes as they came over the wire (compressed when the
      server compressed them).

    `vt_refs.transport_stats(client)` reads it; `after - before` is what happened between
    two readings.
    """

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    rate_limited: int = 0
    quota_wait_seconds: float = 0.0
    bytes_received: int = 0

    def __sub__(self, other: TransportStats) -> TransportStats:
        if not isinstance(other, TransportStats):
            return NotImplemented
        return TransportStats(
            requests=self.requests - other.requests,
            cache_hits=self.cache_hits - other.cache_hits,
            retries=self.retries - other.retries,
            rate_limited=self.rate_limited - other.rate_limited,
            quota_wait_seconds=self.quota_wait_seconds - other.quota_wait_seconds,
            bytes_received=self.bytes_received - other.bytes_received,
        )


class Counters:
    """The running counts of one stack; every layer adds to it, from any thread or loop."""

    __slots__ = ("_bytes", "_hits", "_limited", "_lock", "_requests", "_retries", "_waited")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._hits = 0
        self._retries = 0
        self._limited = 0
        self._waited = 0.0
        self._bytes = 0

    def sent(self) -> None:
        with self._lock:
            self._requests += 1

    def received(self, size: int) -> None:
        with self._lock:
            self._bytes += size

    def hit(self) -> None:
        with self._lock:
            self._hits += 1

    def retried(self) -> None:
        with self._lock:
            self._retries += 1

    def answered(self, status: int) -> None:
        """An answer came off the wire: a 429 is the server's limit met."""
        if status == 429:
            with self._lock:
                self._limited += 1

    def waited(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._waited += seconds

    def snapshot(self) -> TransportStats:
        with self._lock:
            return TransportStats(
                requests=self._requests,
                cache_hits=self._hits,
                retries=self._retries,
                rate_limited=self._limited,
                quota_wait_seconds=self._waited,
                bytes_received=self._bytes,
            )
