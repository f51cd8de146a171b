"""The httpx transport stack under every request a `connect()` client sends.

Putting key handling, pacing and retries in transports rather than in helpers means the
plain generated operations (`get_url_related_references.sync(...)`) get them too, and the
sync and async paths share each piece of logic: only the waiting differs.

Stack, outermost first: _KeyTransport (adds the key for the API's origin only; refuses
requests once the client is closed) -> the cache (`_cache`, when `cache=`: a hit costs
neither retries nor quota) -> RetryTransport (`_retry`: jittered exponential backoff,
Retry-After, the retry budget) -> the quota (`_quota`, when `quota=`: every window, each
attempt counted) -> BodyTransport (`_body`: the body read within the size limit and the
attempt's deadline) -> the network (`_network`: proxies, TLS) or a transport you give.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from ._body import BodyTransport
from ._errors import UsageError, VTError
from ._layer import Layer as _Layer
from ._network import Network
from ._redact import RESPONSE_EXTENSION, Redactor
from ._retry import MAX_BACKOFF_SECONDS, RETRY_STATUSES, RetryTransport
from ._secret import Secret

if TYPE_CHECKING:
    from ._quota_spec import Quota
    from ._stores import StoreURL

__all__ = ["MAX_BACKOFF_SECONDS", "RETRY_STATUSES", "Secret", "build_stack", "origin"]


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, with default ports made explicit."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


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
        self.closed = False

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
        if self.closed:
            raise _closed()
        try:
            response = self._sync.handle_request(self._outgoing(request))
        except httpx.RequestError as error:
            raise _scrubbed(self._redact.exception(error), request) from None
        except VTError as error:  # built below, maybe from server text; its frames hold the request
            raise self._redact.exception(error).with_traceback(None) from None
        except Exception as error:
            self._redact.exception(error)
            raise
        return self._marked(response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.closed:
            raise _closed()
        try:
            response = await self._async.handle_async_request(self._outgoing(request))
        except httpx.RequestError as error:
            raise _scrubbed(self._redact.exception(error), request) from None
        except VTError as error:  # built below, maybe from server text; its frames hold the request
            raise self._redact.exception(error).with_traceback(None) from None
        except Exception as error:
            self._redact.exception(error)
            raise
        return self._marked(response)

    def close(self) -> None:
        self.closed = True
        super().close()

    async def aclose(self) -> None:
        self.closed = True
        await super().aclose()


def _closed() -> UsageError:
    return UsageError(
        "client is closed: its `with`/`async with` block has ended; use it inside a new "
        "`with client:` / `async with client:` block, or make one with vt_refs.connect()"
    )


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
        raise UsageError(f"the transport given to connect() is {self._kind}-only")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise UsageError(f"the transport given to connect() is {self._kind}-only")


def build_stack(
    *,
    key: Secret,
    header: str,
    allowed_origin: tuple[str, str, int | None],
    max_retries: int,
    backoff_factor: float,
    max_retry_wait: float,
    max_response_bytes: int,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
    ssl_context: Callable[[], ssl.SSLContext],
    proxy: str | None,
    trust_env: bool,
    quota: Quota | None = None,
    quota_store: StoreURL | None = None,
    max_quota_wait: float | None = None,
    cache: StoreURL | None = None,
    cache_ttl: float = 86400.0,
) -> _KeyTransport:
    """One transport object serving both an httpx.Client and an httpx.AsyncClient.

    Built from the inside out: network, body, quota, retries, cache, key.
    """
    sync: httpx.BaseTransport
    async_: httpx.AsyncBaseTransport
    if transport is None:
        sync = async_ = Network(ssl_context=ssl_context(), proxy=proxy, trust_env=trust_env)
    else:
        sync = transport if isinstance(transport, httpx.BaseTransport) else _Unavailable("async")
        async_ = (
            transport if isinstance(transport, httpx.AsyncBaseTransport) else _Unavailable("sync")
        )
    layer: _Layer = BodyTransport(sync, async_, limit=max_response_bytes)
    if quota is not None:  # imported here: pyrate-limiter loads only when a quota is used
        from ._quota import quota_layer

        layer = quota_layer(layer, layer, key=key, quota=quota, store=quota_store,
                            max_wait=max_quota_wait)  # fmt: skip
    layer = RetryTransport(
        layer, layer, max_retries=max_retries, backoff_factor=backoff_factor,
        max_wait=max_retry_wait,
    )  # fmt: skip
    if cache is not None:  # imported here: hishel loads only when a cache is used
        from ._cache import cache_layer

        layer = cache_layer(layer, layer, key=key, store=cache, ttl=cache_ttl)
    return _KeyTransport(layer, layer, key=key, header=header, allowed_origin=allowed_origin)
