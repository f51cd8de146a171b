"""What a bulk run did and spent: the running totals, and the snapshot users read.

The quota is what limits a run, so the figures keep apart what cost quota and what did
not: requests on the wire (retries and rejected ones included), answers from the cache
(free), retries, the server's 429s and the time spent waiting for the quota, duplicates
skipped (free). The request figures are the client's transport counts
(`vt_refs.TransportStats`) over the run: what happened between the run's start and now
on that client, so another user of the same client at the same time adds to them.
"""

from __future__ import annotations

import time

import attrs

from .._transport import TransportStats
from .results import STATUSES


@attrs.define
class Stats:
    """Running totals of a run's results, for progress and the summary."""

    started: float = attrs.field(factory=time.monotonic)
    pages: int = 0  # pages the walks asked for, from the API or from the cache
    references: int = 0
    statuses: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def done(self) -> int:
        return sum(self.statuses.values())


@attrs.frozen
class RunStats:
    """A snapshot of one `enrich` / `aenrich` run (read `.stats` of what they return), or
    of one `vt-refs bulk` run (its summary line says the same figures).

    - `indicators`: results handed over so far; by status `ok`, `not_found`, `invalid`,
      `errors`, `duplicates` (items repeating an earlier indicator: no request at all).
    - `references`: references handed over.
    - `requests`: requests sent on the wire, retries and those the server refused
      included: what the quota is charged.
    - `cache_hits`: answers the cache gave (no request, no quota).
    - `retries`: attempts repeated after an error (a 5xx, a cut connection, a timeout).
    - `rate_limited`: 429 answers the server sent (also in `requests`).
    - `quota_wait_seconds`: time requests waited for the quota (the client's own windows
      and the server's 429s), summed over concurrent requests.
    - `seconds`: since the run started.
    """

    indicators: int = 0
    ok: int = 0
    not_found: int = 0
    invalid: int = 0
    errors: int = 0
    duplicates: int = 0
    references: int = 0
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    rate_limited: int = 0
    quota_wait_seconds: float = 0.0
    seconds: float = 0.0


def snapshot(stats: Stats, transport: TransportStats) -> RunStats:
    """The figures of a run with totals `stats` over which `transport` happened."""
    statuses = stats.statuses
    return RunStats(
        indicators=stats.done,
        ok=statuses["ok"],
        not_found=statuses["not_found"],
        invalid=statuses["invalid"],
        errors=statuses["error"],
        duplicates=statuses["duplicate"],
        references=stats.references,
        requests=transport.requests,
        cache_hits=transport.cache_hits,
        retries=transport.retries,
        rate_limited=transport.rate_limited,
        quota_wait_seconds=transport.quota_wait_seconds,
        seconds=time.monotonic() - stats.started,
    )
