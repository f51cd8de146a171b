"""The httpx transport stack under every request a `connect()` client sends.

Putting key handling, pacing and retries in transports rather than in helpers means the
plain generated operations (`get_url_related_references.sync(...)`) get them too, and the
sync and async paths share each piece of logic: only the waiting differs.

Stack, outermost first: _KeyTransport (adds the key for the API's origin only) ->
httpx_retries.RetryTransport (jittered exponential backoff, Retry-After) ->
_PacedTransport (requests per minute, each attempt counted) -> the network transport.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Final

import httpx
from httpx_retries import Retry, RetryTransport

from ._redact import RESPONSE_EXTENSION, Redactor

RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504, *range(520, 600)})
# No single wait longer than this, whatever Retry-After says.
MAX_BACKOFF_SECONDS: Final = 60.0


class Secret:
    """An API key that never shows itself in a repr, a str or a pickle."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('<redacted>')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("an API key is not picklable")


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, with default ports made explicit."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


class _Layer(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Passes requests to a sync and an async transport (or one object that is both)."""

    def __init__(self, sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport) -> None:
        self._sync = sync
        self._async = async_

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


class _KeyTransport(_Layer):
    """Sends the key to the API's origin and to nothing else.

    The key goes on a copy of each request, so the request objects httpx keeps (for
    redirects, on responses, on exceptions) never hold it: a redirect to another origin,
    followed or not, cannot carry it, and neither can a traceback.
    """

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        *,
        key: Secret,
        header: str,
        allowed_origin: tuple[str, str, int | None],
    ) -> None:
        super().__init__(sync, async_)
        self._key = key
        self._header = header
        self._origin = allowed_origin
        # Text a server sent may echo the key: errors from below are redacted here, and
        # each response carries the redactor for whoever builds an error from it.
        self._redact = Redactor(key.reveal())

    def __repr__(self) -> str:
        scheme, host, port = self._origin
        return f"<vt_refs key transport for {scheme}://{host}:{port}>"

    def _outgoing(self, request: httpx.Request) -> httpx.Request:
        headers = request.headers.copy()
        if origin(request.url) == self._origin:
            headers[self._header] = self._key.reveal()
        elif self._header in headers:
            del headers[self._header]
        return httpx.Request(
            request.method,
            request.url,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def _marked(self, response: httpx.Response) -> httpx.Response:
        """`response`, carrying the redactor; its reason phrase (shown by its repr and in
        httpx's log line) redacted."""
        response.extensions[RESPONSE_EXTENSION] = self._redact
        reason = response.extensions.get("reason_phrase")
        if isinstance(reason, bytes) and self._redact.found_in(reason):
            text = self._redact(reason.decode("ascii", errors="replace"))
            response.extensions["reason_phrase"] = text.encode("ascii", errors="replace")
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._sync.handle_request(self._outgoing(request))
        except httpx.RequestError as error:
            raise _scrubbed(self._redact.exception(error), request) from None
        except Exception as error:  # e.g. a VTError built by a layer below from server text
            self._redact.exception(error)
            raise
        return self._marked(response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._async.handle_async_request(self._outgoing(request))
        except httpx.RequestError as error:
            raise _scrubbed(self._redact.exception(error), request) from None
        except Exception as error:  # e.g. a VTError built by a layer below from server text
            self._redact.exception(error)
            raise
        return self._marked(response)


def _scrubbed(error: httpx.RequestError, request: httpx.Request) -> httpx.RequestError:
    """The error, pointing at the keyless request and without the frames below us.

    Frames inside httpcore and h11 hold the sent headers in locals, which tracebacks
    that show locals (pytest --showlocals, rich, Sentry) would print.
    """
    error.request = request
    error.__context__ = error.__cause__ = None
    return error.with_traceback(None)


class Pacer:
    """Spaces request starts evenly at `per_minute`, across threads and event loops.

    `reserve()` books the next free slot and says how long to wait for it, so sync callers
    sleep and async callers await the same figure.
    """

    def __init__(self, per_minute: float) -> None:
        self._interval = 60.0 / per_minute
        self._next = float("-inf")
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
            return start - now


class _PacedTransport(_Layer):
    def __init__(
        self, sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport, pacer: Pacer
    ) -> None:
        super().__init__(sync, async_)
        self._pacer = pacer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        delay = self._pacer.reserve()
        if delay > 0:
            time.sleep(delay)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        delay = self._pacer.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
        return await self._async.handle_async_request(request)


class _Unavailable(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Stands for the half (sync or async) a user-supplied transport does not provide."""

    def __init__(self, kind: str) -> None:
        self._kind = kind

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"the transport given to connect() is {self._kind}-only")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"the transport given to connect() is {self._kind}-only")


def build_stack(
    *,
    key: Secret,
    header: str,
    allowed_origin: tuple[str, str, int | None],
    max_retries: int,
    backoff_factor: float,
    requests_per_minute: float | None,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
) -> _KeyTransport:
    """One transport object serving both an httpx.Client and an httpx.AsyncClient."""
    sync: httpx.BaseTransport
    async_: httpx.AsyncBaseTransport
    if transport is None:
        verify = httpx.create_ssl_context()  # one context for both halves: it is costly
        sync = httpx.HTTPTransport(verify=verify)
        async_ = httpx.AsyncHTTPTransport(verify=verify)
    else:
        sync = transport if isinstance(transport, httpx.BaseTransport) else _Unavailable("async")
        async_ = (
            transport if isinstance(transport, httpx.AsyncBaseTransport) else _Unavailable("sync")
        )
    inner: _Layer = _Layer(sync, async_)
    if requests_per_minute is not None:
        inner = _PacedTransport(sync, async_, Pacer(requests_per_minute))
    retry = Retry(
        total=max_retries,
        backoff_factor=backoff_factor,
        backoff_jitter=1.0,
        max_backoff_wait=MAX_BACKOFF_SECONDS,
        respect_retry_after_header=True,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=["GET", "HEAD", "OPTIONS"],
    )
    retrying = RetryTransport(transport=inner, retry=retry)
    return _KeyTransport(retrying, retrying, key=key, header=header, allowed_origin=allowed_origin)
