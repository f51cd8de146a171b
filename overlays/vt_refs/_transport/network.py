"""The network layer: httpx's own transports, routed through proxies as httpx.Client would.

Giving httpx.Client a transport switches its environment proxies off, and the SDK's stack
is a transport. So the routing httpx.Client does is done here instead, with httpx's own
helpers: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY (any case) when `trust_env`, or
`proxy=` for everything. An https:// request through any proxy goes inside a CONNECT
tunnel, so the key is encrypted end to end; the proxy sees only host and port.

Sync sockets honour the attempt deadline (`_body.DEADLINE`): each connect, read and write
is given at most the time left. Async connections belong to the event loop that opened
them, so each loop gets its own pools (a client works across `asyncio.run` calls), closed
when that loop shuts down (asyncio.run finalizes async generators, one of which is ours).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpcore
import httpx
from httpx._utils import URLPattern, get_environment_proxies  # the rules httpx.Client uses

from .._errors import UsageError
from .body import DEADLINE

# -- sync sockets that honour the attempt deadline --------------------------------------


def _clamped(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the attempt took longer than the timeout")
    return left if timeout is None or left < timeout else timeout


class _DeadlineStream(httpcore.NetworkStream):
    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - the SDK never dials a unix socket
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's retries only
        self._backend.sleep(seconds)


# -- routing -----------------------------------------------------------------------------


def _proxy(url: str, ssl_context: ssl.SSLContext, source: str) -> httpx.Proxy:
    try:
        # Our TLS settings also verify an https:// proxy (httpcore refuses them for http://).
        https = httpx.URL(url).scheme == "https"
        proxy = httpx.Proxy(url, ssl_context=ssl_context if https else None)
    except (ValueError, TypeError, httpx.InvalidURL) as error:
        raise UsageError(f"{source} is not a usable proxy URL ({error})") from None
    if proxy.url.scheme not in ("http", "https", "socks5", "socks5h") or not proxy.url.host:
        raise UsageError(
            f"{source} must be an http://, https:// or socks5:// URL with a host, "
            f"not {proxy.url.scheme}://..."
        )
    return proxy


def _routes(proxy: str | None, trust_env: bool, ssl_context: ssl.SSLContext) -> list[Any]:
    """(URLPattern, proxy or None) pairs, most specific first, as httpx.Client orders them."""
    if proxy is not None:
        return [(URLPattern("all://"), _proxy(proxy, ssl_context, "proxy"))]
    if not trust_env:
        return []
    mounts = {
        URLPattern(pattern): None
        if url is None
        else _proxy(url, ssl_context, f"the proxy environment variable for {pattern}")
        for pattern, url in get_environment_proxies().items()
    }
    return sorted(mounts.items(), key=lambda route: route[0])


class Network(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """httpx transports per route (direct or one proxy), sync and per event loop."""

    def __init__(self, *, ssl_context: ssl.SSLContext, proxy: str | None, trust_env: bool):
        self._ssl_context = ssl_context
        self._trust_env = trust_env
        self._routes = _routes(proxy, trust_env, ssl_context)
        self._sync: dict[httpx.Proxy | None, httpx.HTTPTransport] = {}
        for route in {None, *(p for _, p in self._routes)}:
            self._sync[route] = self._sync_transport(route)
        self._loops: dict[object, dict[httpx.Proxy | None, httpx.AsyncHTTPTransport]] = {}
        self._guards: dict[object, AsyncIterator[None]] = {}
        self._lock = threading.Lock()

    def _route(self, url: httpx.URL) -> httpx.Proxy | None:
        for pattern, proxy in self._routes:
            if pattern.matches(url):
                return proxy  # type: ignore[no-any-return]
        return None

    def _sync_transport(self, proxy: httpx.Proxy | None) -> httpx.HTTPTransport:
        try:
            transport = httpx.HTTPTransport(
                verify=self._ssl_context, trust_env=self._trust_env, proxy=proxy
            )
        except ImportError as error:  # socks5:// without socksio
            raise UsageError(f"{error} (pip install 'httpx[socks]')") from None
        pool: Any = transport._pool
        pool._network_backend = _DeadlineBackend(pool._network_backend)
        return transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = self._route(request.url) if self._routes else None
        return self._sync[route].handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = self._route(request.url) if self._routes else None
        transports = self._loops.get(_loop_key())
        if transports is None:
            transports = await self._open_loop()
        transport = transports.get(route)
        if transport is None:
            transport = transports[route] = httpx.AsyncHTTPTransport(
                verify=self._ssl_context, trust_env=self._trust_env, proxy=route
            )
        return await transport.handle_async_request(request)

    async def _open_loop(self) -> dict[httpx.Proxy | None, httpx.AsyncHTTPTransport]:
        key = _loop_key()
        transports: dict[httpx.Proxy | None, httpx.AsyncHTTPTransport] = {}
        this = weakref.ref(self)  # no cycle through the guard: a dropped client goes at once
        guard = _close_at_shutdown(transports, lambda: (n := this()) is not None and n._forget(key))
        await guard.__anext__()  # now the loop knows it, and closes it when it shuts down
        with self._lock:
            self._loops[key] = transports
            self._guards[key] = guard
        return transports

    def _forget(self, key: object) -> bool:
        with self._lock:
            self._loops.pop(key, None)
            return self._guards.pop(key, None) is not None

    def close(self) -> None:
        for transport in self._sync.values():
            transport.close()
        # Pools of event loops that are gone were closed as each loop shut down.

    async def aclose(self) -> None:
        guard = self._guards.get(_loop_key())
        if guard is not None:
            await guard.aclose()  # type: ignore[attr-defined]
        self.close()


def _loop_key() -> object:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # another async library (trio): one set of pools
        return None


async def _close_at_shutdown(
    transports: dict[httpx.Proxy | None, httpx.AsyncHTTPTransport], forget: Callable[[], object]
) -> AsyncIterator[None]:
    try:
        yield
    finally:
        forget()
        for transport in list(transports.values()):
            with contextlib.suppress(Exception):
                await transport.aclose()
        transports.clear()
