"""Fault injection: what can go wrong with a request, and which request it happens to.

Faults wait in a FIFO queue and each is consumed by the next request the fake receives,
whatever its path, so a test says exactly which of its requests fail. When the queue is
empty, chaos mode (if on) draws from `random.Random(seed)` for every request, so a given
seed injects the same faults into the same request ordinals on every run.
"""

from __future__ import annotations

import html
import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Final, Literal, get_args

from ._responses import Response, error_body


@dataclass(frozen=True, slots=True)
class FailFault:
    """An error status: VirusTotal's JSON error body, or an HTML page when `code` is None
    (what a proxy or load balancer in front of the API sends)."""

    status: int
    code: str | None
    message: str
    retry_after: str | None = None
    kind: Literal["fail"] = field(default="fail", init=False)


@dataclass(frozen=True, slots=True)
class DropFault:
    """The connection is closed without any response."""

    kind: Literal["drop"] = field(default="drop", init=False)


@dataclass(frozen=True, slots=True)
class DelayFault:
    """The normal response, sent after `seconds` (cut short if the fake stops)."""

    seconds: float
    kind: Literal["delay"] = field(default="delay", init=False)


@dataclass(frozen=True, slots=True)
class MalformFault:
    """`body` as is, with `status` and `content_type`: for a client's parse errors."""

    body: bytes
    status: int
    content_type: str
    kind: Literal["malform"] = field(default="malform", init=False)


@dataclass(frozen=True, slots=True)
class RedirectFault:
    """A redirect to `location`, or to the request's own URL on the fake when None."""

    location: str | None
    status: int
    kind: Literal["redirect"] = field(default="redirect", init=False)


Fault = FailFault | DropFault | DelayFault | MalformFault | RedirectFault
"""Any fault the fake can inject into a response, as queued by the `*_next` methods."""

ChaosKind = Literal["fail", "drop", "delay", "malform", "redirect"]
"""The faults chaos mode may inject, named like the `*_next` methods."""

CHAOS_KINDS: Final[frozenset[str]] = frozenset(get_args(ChaosKind))

# The errors chaos mode picks from: the ones a client should retry.
_CHAOS_FAILURES: Final = (
    FailFault(429, "QuotaExceededError", "Quota exceeded (chaos)", retry_after="0"),
    FailFault(503, "TransientError", "Transient error (chaos)"),
    FailFault(504, "DeadlineExceededError", "Deadline exceeded (chaos)"),
)
_CHAOS_MALFORMED: Final = MalformFault(b'{"meta": {"count": 1}, "data": [', 200, "application/json")
_CHAOS_REDIRECT: Final = RedirectFault(None, 307)


class _Chaos:
    """Seeded random faults: one `rng.random()` per request, then a pick if it fires."""

    def __init__(self, rate: float, seed: int, kinds: tuple[ChaosKind, ...], delay: float) -> None:
        self._rate = rate
        self._rng = random.Random(seed)
        self._kinds = kinds
        self._delay = DelayFault(delay)

    def draw(self) -> Fault | None:
        if self._rng.random() >= self._rate:
            return None
        kind = self._rng.choice(self._kinds)
        if kind == "fail":
            return self._rng.choice(_CHAOS_FAILURES)
        if kind == "drop":
            return DropFault()
        if kind == "delay":
            return self._delay
        if kind == "malform":
            return _CHAOS_MALFORMED
        return _CHAOS_REDIRECT


class FaultPlan:
    """The queued faults and the chaos mode, shared by all handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self._chaos: _Chaos | None = None

    def queue(self, fault: Fault, n: int) -> None:
        """Inject `fault` into the next `n` requests, after the faults already queued."""
        with self._lock:
            self._queue.extend([fault] * n)

    def chaos(self, rate: float, seed: int, kinds: Iterable[ChaosKind], delay: float) -> None:
        """Inject faults into a seeded pseudo-random share `rate` of later requests."""
        with self._lock:
            self._chaos = _Chaos(rate, seed, tuple(kinds), delay) if rate > 0 else None

    def clear(self) -> None:
        """Forget queued faults and turn chaos mode off."""
        with self._lock:
            self._queue.clear()
            self._chaos = None

    def take(self) -> Fault | None:
        """The fault for the request now arriving: queued ones first, then chaos."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            return None if self._chaos is None else self._chaos.draw()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def fault_response(fault: FailFault | MalformFault | RedirectFault, self_url: str) -> Response:
    """The response a fault sends instead of the normal one."""
    if isinstance(fault, MalformFault):
        return Response(fault.status, fault.body, fault.content_type)
    if isinstance(fault, RedirectFault):
        return Response(fault.status, b"", None, (("Location", fault.location or self_url),))
    headers = () if fault.retry_after is None else (("Retry-After", fault.retry_after),)
    if fault.code is not None:
        return Response(fault.status, error_body(fault.code, fault.message), headers=headers)
    title = html.escape(f"{fault.status} {_reason(fault.status)}")
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
    page += f"<p>{html.escape(fault.message)}</p></body></html>"
    return Response(fault.status, page.encode("utf-8"), "text/html; charset=utf-8", headers)
