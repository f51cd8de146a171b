"""The retry layer: full-jitter exponential backoff, Retry-After, and a budget for waiting.

It sits above the body layer, so an attempt is the whole exchange, body included: a cut
or a stall while the body streams is retried exactly like one before the headers, and a
retried page is the same request again (pagination loses and repeats nothing).

The budget bounds the total time one request spends waiting between attempts. A server's
Retry-After is obeyed as sent, or, when it would take the total past the budget, not at
all: the response goes up at once and the caller raises the typed error (with its
`retry_after`) instead of sleeping for hours. Our own backoff is shortened to what is left.
Sync and async share `_Attempts`; only the waiting differs.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from typing import Final

import attrs
import httpx

from .._checks import check_count, check_number
from .._errors import UsageError
from .answers import retry_after
from .hosts import local
from .layer import Layer
from .stats import Counters
from .stopping import apause, pause

RETRY_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# On a 429 the quota layer below is done with (it waits out the others): never retried.
QUOTA_FINAL: Final = "vt_refs.quota_final"
# A connection refused by this machine (nothing listening, e.g. a local fake or proxy not
# started yet) is retried this many times, not `max_retries`.
LOCAL_REFUSED_RETRIES: Final = 1
# A failure to get a complete answer: refused or cut connections, timeouts, a body cut short.
RETRY_ERRORS: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

log: Final = logging.getLogger("vt_refs")
# Waits at least this long are logged as warnings (shown even with no logging set up):
# a program that goes quiet for this long should say why. Shorter ones are INFO.
LONG_WAIT_SECONDS: Final = 10.0


def _statuses(value: Iterable[int]) -> frozenset[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise UsageError(f"statuses must be a set of HTTP statuses, not {value!r}")
    statuses = frozenset(value)
    for status in statuses:
        check_count("statuses: each HTTP status", status, 100, maximum=599)
    return statuses


def _ranges(statuses: frozenset[int]) -> str:
    """`frozenset({429, 500, 502-504, 520-599})`: a readable repr of a set of statuses."""
    runs: list[list[int]] = []
    for status in sorted(statuses):
        if runs and status == runs[-1][-1] + 1:
            runs[-1].append(status)
        else:
            runs.append([status])
    shown = (str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
    return f"frozenset({{{', '.join(shown)}}})"


def _codes(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise UsageError(f"codes must be a set of API error codes, not {value!r}")
    codes = frozenset(value)
    for code in codes:
        if not isinstance(code, str) or not code:
            raise UsageError(f"codes must hold API error codes (non-empty str), not {code!r}")
    return codes


@attrs.frozen
class RetryPolicy:
    """When and how long the client retries a request, as one immutable value.

    Only idempotent requests (GET, HEAD, OPTIONS) are retried: on a status in `statuses`,
    on an API error whose code is in `codes` (whatever its status: e.g. `NotAvailableYet`),
    on connection errors and on timeouts, also while the body streams.

    - `max_retries`: retries after the first attempt (0: never retry).
    - `backoff_factor`: full-jitter exponential backoff, a random wait in
      [0, backoff_factor * 2**retry], capped at `max_backoff` seconds.
    - `retry_budget`: the waits of one request add up to at most this many seconds; a
      Retry-After past what is left is not waited for: the typed error is raised at once,
      carrying its `retry_after`.
    - `retry_after`: obey the server's Retry-After header (seconds or an HTTP date)
      instead of our backoff; False ignores it.

    `connect(retry=RetryPolicy(...))` takes it; `connect(max_retries=..., backoff_factor=...,
    max_retry_wait=...)` are shorthands for the same fields.
    """

    max_retries: int = 5
    backoff_factor: float = 0.5
    max_backoff: float = 60.0
    retry_budget: float = 120.0
    statuses: frozenset[int] = attrs.field(
        default=frozenset({429, 500, 502, 503, 504, *range(520, 600)}),
        converter=_statuses,
        repr=_ranges,
    )
    codes: frozenset[str] = attrs.field(default=frozenset(), converter=_codes)
    retry_after: bool = True

    def __attrs_post_init__(self) -> None:
        check_count("max_retries", self.max_retries, 0)
        check_number("backoff_factor", self.backoff_factor, minimum=0, allow_equal=True,
                     maximum=1e9)  # fmt: skip
        check_number("max_backoff", self.max_backoff, minimum=0, allow_equal=True)
        check_number("retry_budget", self.retry_budget, minimum=0, allow_equal=True)
        if not isinstance(self.retry_after, bool):
            raise UsageError(f"retry_after must be True or False, not {self.retry_after!r}")


def _refused_here(error: Exception, request: httpx.Request) -> bool:
    """A connection this machine refused: nothing listens on that port."""
    if not isinstance(error, httpx.ConnectError) or not local(request.url.host):
        return False
    seen: BaseException | None = error
    for _ in range(8):  # httpx's error, httpcore's, then the OSError
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "refused" in str(error).lower()


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date); None if unusable.

    The same reading as `APIError.retry_after`, so the wait this layer refuses and the
    figure the caller's error carries agree.
    """
    return retry_after(value)


def _error_code(response: httpx.Response) -> str | None:
    """The API's error code in a response whose body is in memory (the body layer's)."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        # The body layer leaves the body as an in-memory stream, not yet `.content`:
        # reading it costs no I/O (any other stream is left alone).
        if not isinstance(response.stream, httpx.ByteStream):
            return None
        content = response.read()
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


class _Attempts:
    """The retries and the waiting of one request: how long to wait before the next attempt,
    or None to stop and hand up what the last attempt got."""

    __slots__ = ("_counters", "_policy", "_request", "retries", "waited")

    def __init__(self, policy: RetryPolicy, request: httpx.Request, counters: Counters) -> None:
        self._policy = policy
        self._request = request
        self._counters = counters
        self.retries = 0
        self.waited = 0.0

    def after_response(self, response: httpx.Response) -> float | None:
        policy = self._policy
        if response.extensions.get(QUOTA_FINAL):
            return None
        if response.status_code not in policy.statuses:
            if response.is_success or not policy.codes:
                return None
            code = _error_code(response)
            if code not in policy.codes:
                return None
        header = response.headers.get("retry-after") if policy.retry_after else None
        return self._next(f"HTTP {response.status_code}", retry_after_seconds(header))

    def after_error(self, error: Exception) -> float | None:
        if self.retries >= LOCAL_REFUSED_RETRIES and _refused_here(error, self._request):
            return None  # nothing listens there: the whole budget would change nothing
        return self._next(type(error).__name__, None)

    def _next(self, what: str, retry_after: float | None) -> float | None:
        policy = self._policy
        if self.retries >= policy.max_retries:
            return None
        left = policy.retry_budget - self.waited
        if retry_after is not None:
            if retry_after > left:
                log.info(
                    "%s %s: %s, Retry-After %g s is past the retry budget "
                    "(%g s left of the retry budget, %g s): not retrying",
                    self._request.method, self._request.url.path, what, retry_after,
                    max(left, 0.0), policy.retry_budget,
                )  # fmt: skip
                return None
            wait = retry_after
        else:
            ceiling = policy.backoff_factor * 2.0 ** min(self.retries, 64)
            wait = min(random.uniform(0.0, min(ceiling, policy.max_backoff)), max(left, 0.0))
        self.retries += 1
        self.waited += wait
        if what != "HTTP 429":  # a 429 is the server's limit, counted as such
            self._counters.retried()
        log.log(
            logging.WARNING if wait >= LONG_WAIT_SECONDS else logging.INFO,
            "%s %s: %s, retry %d of %d in %.1f s",
            self._request.method, self._request.url.path, what, self.retries,
            policy.max_retries, wait,
        )  # fmt: skip
        return wait


class RetryTransport(Layer):
    """Retries idempotent requests as its `RetryPolicy` says."""

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        counters: Counters,
    ) -> None:
        super().__init__(sync, async_)
        self.policy = policy
        self._counters = counters

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in RETRY_METHODS or not self.policy.max_retries:
            return self._sync.handle_request(request)
        attempts = _Attempts(self.policy, request, self._counters)
        while True:
            try:
                response = self._sync.handle_request(request)
            except RETRY_ERRORS as error:
                wait = attempts.after_error(error)
                if wait is None or not pause(wait):  # a stopping run retries nothing
                    raise
                continue
            wait = attempts.after_response(response)
            if wait is None or not pause(wait):
                return response
            response.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in RETRY_METHODS or not self.policy.max_retries:
            return await self._async.handle_async_request(request)
        attempts = _Attempts(self.policy, request, self._counters)
        while True:
            try:
                response = await self._async.handle_async_request(request)
            except RETRY_ERRORS as error:
                wait = attempts.after_error(error)
                if wait is None or not await apause(wait):  # a stopping run retries nothing
                    raise
                continue
            wait = attempts.after_response(response)
            if wait is None or not await apause(wait):
                return response
            await response.aclose()
