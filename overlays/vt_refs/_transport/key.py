"""The key layer, outermost in the stack: the API key goes to the API's origin only.

The key goes on a copy of each request, so the request objects httpx keeps (for
redirects, on responses, on exceptions) never hold it; errors from below are redacted
here, and every response carries the redactor for whoever builds an error from it.
"""

from __future__ import annotations

import httpx

from .._errors import UsageError, VTError
from .layer import Layer
from .provenance import FROM_CACHE
from .redact import RESPONSE_EXTENSION, Redactor
from .secret import Secret
from .stats import Counters


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, with default ports made explicit."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


class KeyTransport(Layer):
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
        counters: Counters,
    ) -> None:
        super().__init__(sync, async_)
        self.counters = counters
        self._key = key
        self._header = header
        self._origin = allowed_origin
        # Text a server sent may echo the key: errors from below are redacted here, and
        # each response carries the redactor for whoever builds an error from it.
        self._redact = Redactor(key.reveal())
        self.closed = False

    def holds_key(self, text: str) -> bool:
        """Whether `text` holds the key (to refuse it where it would leave in the clear)."""
        return self._key.reveal() in text

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
        httpx's log line) redacted. An answer from the cache is counted here."""
        if response.extensions.get(FROM_CACHE):
            self.counters.hit()
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
