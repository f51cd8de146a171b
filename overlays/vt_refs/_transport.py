"""The httpx transport stack under every request a `connect()` client sends.

Putting key handling, pacing and retries in transports rather than in helpers means the
plain generated operations (`get_url_related_references.sync(...)`) get them too, and the
sync and async paths share each piece of logic: only the waiting differs.

Stack, outermost first: _KeyTransport (adds the key for the API's origin only) ->
the cache (`_cache.py`, when `cache=`) -> httpx_retries.RetryTransport (jittered
exponential backoff, Retry-After) -> the quota (`_quota.py`: every window, each attempt
counted) -> the network transport.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import httpx
from httpx_retries import Retry, RetryTransport

if TYPE_CHECKING:
    from ._quota_spec import Quota
    from ._stores import StoreURL

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

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._sync.handle_request(self._outgoing(request))
        except httpx.RequestError as error:
            raise _scrubbed(error, request) from None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._async.handle_async_request(self._outgoing(request))
        except httpx.RequestError as error:
            raise _scrubbed(error, request) from None


def _scrubbed(error: httpx.RequestError, request: httpx.Request) -> httpx.RequestError:
    """The error, pointing at the keyless request and without the frames below us.

    Frames inside httpcore and h11 hold the sent headers in locals, which tracebacks
    that show locals (pytest --showlocals, rich, Sentry) would print.
    """
    error.request = request
    error.__context__ = error.__cause__ = None
    return error.with_traceback(None)


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
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
    quota: Quota | None = None,
    quota_store: StoreURL | None = None,
    max_quota_wait: float | None = None,
    cache: StoreURL | None = None,
    cache_ttl: float = 86400.0,
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
    if quota is not None:  # imported here: pyrate-limiter loads only when a quota is used
        from ._quota import quota_layer

        inner = quota_layer(sync, async_, key=key, quota=quota, store=quota_store,
                            max_wait=max_quota_wait)  # fmt: skip
    retry = Retry(
        total=max_retries,
        backoff_factor=backoff_factor,
        backoff_jitter=1.0,
        max_backoff_wait=MAX_BACKOFF_SECONDS,
        respect_retry_after_header=True,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=["GET", "HEAD", "OPTIONS"],
    )
    retrying: RetryTransport | _Layer = RetryTransport(transport=inner, retry=retry)
    if cache is not None:  # imported here: hishel loads only when a cache is used
        from ._cache import cache_layer

        retrying = cache_layer(retrying, retrying, key=key, store=cache, ttl=cache_ttl)
    return _KeyTransport(retrying, retrying, key=key, header=header, allowed_origin=allowed_origin)
