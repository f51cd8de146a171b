"""The record of one request, for tests to assert on what a client sent."""

from __future__ import annotations

from dataclasses import dataclass

from ._faults import Fault


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake received it, and the fault injected into it, if any.

    `target` is the raw request target (path and query, percent-encoding kept); `path` is
    its path part. `query` maps each parameter to its last value. `headers` has lower-cased
    names (repeated headers joined with ", "), so `"x-apikey" in r.headers` tells whether a
    key was sent.
    """

    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    fault: Fault | None = None
