"""The body layer: one attempt, headers and body, within a size limit and a deadline.

It sits inside the retry layer, so a connection cut or a timeout while the body is read is
an attempt that failed like any other and is retried; what it hands up is a response whose
(decoded) body is in memory, so nothing above it touches the network again.

Size: the body is decoded as it streams, in bounded pieces (`_decoders`), and counted
after decoding; past `limit` bytes the attempt stops with `ResponseTooLargeError`.

Time: `timeout` bounds the whole attempt. httpx's timeouts are per socket operation, so
a server dripping one byte a second never trips them. Async: a cancel scope around the
attempt (httpcore cleans up a cancelled request properly). Sync: the attempt's deadline
sits in a context variable that `_network`'s sockets read on every connect, read and
write, each of which is given only the time left.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Final

import anyio
import httpx

from .._checks import MAX_SECONDS
from .._errors import MalformedResponseError, ResponseTooLargeError
from .decoders import DecodeError, Decoder, decoder_for
from .layer import Layer
from .stats import Counters

# The monotonic time by which the current sync attempt must be over (None: no deadline).
DEADLINE: Final[ContextVar[float | None]] = ContextVar("vt_refs_deadline", default=None)


def attempt_timeout(request: httpx.Request) -> float | None:
    """The time one attempt may take: the largest of the request's httpx timeouts (all
    equal to connect()'s `timeout` unless a request overrides them); None, no bound, when
    the read timeout is switched off."""
    timeouts = request.extensions.get("timeout")
    if not timeouts or timeouts.get("read") is None:
        return None
    values = [t for t in timeouts.values() if t is not None]
    # A year at most: a per-request timeout of 1e300 would overflow the socket's clock.
    return min(max(values), MAX_SECONDS) if values else None


class AttemptTimeout(httpx.TimeoutException):
    """The attempt as a whole ran past `timeout`, however fast each of its reads was."""


class _Reader:
    """Collects a body, decoding and counting it against the limit as it arrives."""

    __slots__ = ("_chunks", "_decoder", "_limit", "_response", "_size")

    def __init__(self, response: httpx.Response, limit: int, method: str) -> None:
        self._response = response
        self._limit = limit
        self._size = 0
        self._chunks: list[bytes] = []
        encoding = response.headers.get("content-encoding")
        self._decoder: Decoder | None = None if encoding is None else decoder_for(encoding)
        if self._decoder is None and _has_body(response, method):
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                self._too_large()

    def add(self, chunk: bytes) -> None:
        if self._decoder is None:
            self._take(chunk)
        else:
            self._decode(self._decoder.feed(chunk))

    def _decode(self, pieces: Iterable[bytes]) -> None:
        try:
            for piece in pieces:
                self._take(piece)
        except DecodeError as error:
            encoding = self._response.headers["content-encoding"]
            raise MalformedResponseError(
                f"the body is not valid {encoding} ({error})",
                path="$",
                excerpt="",
                status_code=self._response.status_code,
            ) from None

    def _take(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._limit:
            self._too_large()
        self._chunks.append(piece)

    def _too_large(self) -> None:
        self._chunks.clear()
        raise ResponseTooLargeError(self._response.status_code, self._limit)

    def finish(self) -> httpx.Response:
        """The response, its body now in memory and no longer encoded."""
        response = self._response
        if self._decoder is not None:
            self._decode(self._decoder.flush())
            del response.headers["content-encoding"]
            response.headers["content-length"] = str(self._size)
        chunks = self._chunks
        content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        response.stream = httpx.ByteStream(content)
        return response


def _has_body(response: httpx.Response, method: str) -> bool:
    """Whether Content-Length announces a body to come (not for HEAD, 204 or 304)."""
    return response.status_code not in (204, 304) and method != "HEAD"


class BodyTransport(Layer):
    """Sends one attempt and reads its body, within `limit` decoded bytes and its timeout."""

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        *,
        limit: int,
        counters: Counters,
    ) -> None:
        super().__init__(sync, async_)
        self._limit = limit
        self._counters = counters

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = attempt_timeout(request)
        deadline = None if timeout is None else time.monotonic() + timeout
        token = DEADLINE.set(deadline)
        try:
            self._counters.sent()
            response = self._sync.handle_request(request)
            self._counters.answered(response.status_code)
            stream = response.stream
            try:
                reader = _Reader(response, self._limit, request.method)
                for chunk in stream:  # type: ignore[union-attr]
                    self._counters.received(len(chunk))
                    reader.add(chunk)
                    # Our sockets stop at the deadline themselves; a transport given to
                    # connect() may not, so its chunks are checked here too.
                    if deadline is not None and time.monotonic() > deadline:
                        raise AttemptTimeout(
                            f"the attempt took longer than the timeout ({timeout:g} s)",
                            request=request,
                        )
            finally:
                stream.close()  # type: ignore[union-attr]
            return reader.finish()
        finally:
            DEADLINE.reset(token)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = attempt_timeout(request)
        if timeout is None:
            return await self._read_async(request)
        with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
            return await self._read_async(request)
        assert scope.cancelled_caught
        raise AttemptTimeout(
            f"the attempt took longer than the timeout ({timeout:g} s)", request=request
        )

    async def _read_async(self, request: httpx.Request) -> httpx.Response:
        self._counters.sent()
        response = await self._async.handle_async_request(request)
        self._counters.answered(response.status_code)
        stream = response.stream
        try:
            reader = _Reader(response, self._limit, request.method)
            async for chunk in stream:  # type: ignore[union-attr]
                self._counters.received(len(chunk))
                reader.add(chunk)
        finally:
            await stream.aclose()  # type: ignore[union-attr]
        return reader.finish()
