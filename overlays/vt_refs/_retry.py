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

import asyncio
import logging
import random
import time
from typing import Final

import httpx

from ._answers import retry_after
from ._layer import Layer

RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504, *range(520, 600)})
RETRY_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# A failure to get a complete answer: refused or cut connections, timeouts, a body cut short.
RETRY_ERRORS: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# No backoff of ours waits longer than this (a server's Retry-After may, within the budget).
MAX_BACKOFF_SECONDS: Final = 60.0


log: Final = logging.getLogger("vt_refs")
# Waits at least this long are logged as warnings (shown even with no logging set up):
# a program that goes quiet for this long should say why. Shorter ones are INFO.
LONG_WAIT_SECONDS: Final = 10.0


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date); None if unusable.

    The same reading as `APIError.retry_after`, so the wait this layer refuses and the
    figure the caller's error carries agree.
    """
    return retry_after(value)


class _Attempts:
    """The retries and the waiting of one request: how long to wait before the next attempt,
    or None to stop and hand up what the last attempt got."""

    __slots__ = ("_policy", "_request", "retries", "waited")

    def __init__(self, policy: RetryTransport, request: httpx.Request) -> None:
        self._policy = policy
        self._request = request
        self.retries = 0
        self.waited = 0.0

    def after_response(self, response: httpx.Response) -> float | None:
        if response.status_code not in RETRY_STATUSES:
            return None
        header = response.headers.get("retry-after")
        return self._next(f"HTTP {response.status_code}", retry_after_seconds(header))

    def after_error(self, error: Exception) -> float | None:
        return self._next(type(error).__name__, None)

    def _next(self, what: str, retry_after: float | None) -> float | None:
        policy = self._policy
        if self.retries >= policy.max_retries:
            return None
        left = policy.max_wait - self.waited
        if retry_after is not None:
            if retry_after > left:
                log.info(
                    "%s %s: %s, Retry-After %g s is past the retry budget "
                    "(%g s left of max_retry_wait=%g): not retrying",
                    self._request.method, self._request.url.path, what, retry_after,
                    max(left, 0.0), policy.max_wait,
                )  # fmt: skip
                return None
            wait = retry_after
        else:
            ceiling = policy.backoff_factor * 2.0 ** min(self.retries, 64)
            wait = min(random.uniform(0.0, min(ceiling, MAX_BACKOFF_SECONDS)), max(left, 0.0))
        self.retries += 1
        self.waited += wait
        log.log(
            logging.WARNING if wait >= LONG_WAIT_SECONDS else logging.INFO,
            "%s %s: %s, retry %d of %d in %.1f s",
            self._request.method, self._request.url.path, what, self.retries,
            policy.max_retries, wait,
        )  # fmt: skip
        return wait


class RetryTransport(Layer):
    """Retries idempotent requests on RETRY_STATUSES and RETRY_ERRORS."""

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        *,
        max_retries: int,
        backoff_factor: float,
        max_wait: float,
    ) -> None:
        super().__init__(sync, async_)
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.max_wait = max_wait

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in RETRY_METHODS or not self.max_retries:
            return self._sync.handle_request(request)
        attempts = _Attempts(self, request)
        while True:
            try:
                response = self._sync.handle_request(request)
            except RETRY_ERRORS as error:
                wait = attempts.after_error(error)
                if wait is None:
                    raise
            else:
                wait = attempts.after_response(response)
                if wait is None:
                    return response
                response.close()
            time.sleep(wait)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in RETRY_METHODS or not self.max_retries:
            return await self._async.handle_async_request(request)
        attempts = _Attempts(self, request)
        while True:
            try:
                response = await self._async.handle_async_request(request)
            except RETRY_ERRORS as error:
                wait = attempts.after_error(error)
                if wait is None:
                    raise
            else:
                wait = attempts.after_response(response)
                if wait is None:
                    return response
                await response.aclose()
            await asyncio.sleep(wait)
