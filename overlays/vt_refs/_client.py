"""`connect()`: the generated client, wired to the SDK's transport stack.

`connect` turns its arguments into one `Settings` value (every check happens there) and
hands it to `client_for`, which builds the stack and the client around it.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from typing import Any, Final, Self

import httpx
from attrs import define, field

from vt_refs_api import AuthenticatedClient

from ._env import BASE_URL_ENV
from ._errors import UsageError
from ._parsing import DEFAULT_ON_DRIFT, OnDrift
from ._transport import (
    ACCEPT_ENCODING,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    KEY_HEADER,
    KeyTransport,
    Quota,
    RetryPolicy,
    Settings,
    TransportStats,
    build_stack,
    peek,
    quota_of,
    retry_policy,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ConnectedClient",
    "cached_answer",
    "client_for",
    "connect",
    "key_in",
    "transport_stats",
]

# What the generated client's `token` holds: the real key lives only in the transport.
_TOKEN_PLACEHOLDER: Final = "<redacted: held by the vt_refs transport>"


@define
class ConnectedClient(AuthenticatedClient):
    """The generated client as `connect()` makes it: where leaving `with` or `async with`
    closes both halves, and which carries the settings the helpers read (`on_drift`).

    The generated client closes only the half its block names (the other half's sockets
    leaked), and a closed httpx client raises RuntimeError. Here closing goes to the
    transport stack both halves share: every pool is closed and requests are refused with
    a "client is closed" UsageError until a new `with`/`async with` block opens it again
    (pools are made anew on demand), in this event loop or another.
    """

    on_drift: OnDrift = field(default=DEFAULT_ON_DRIFT, kw_only=True)
    _stack: KeyTransport | None = field(default=None, kw_only=True, repr=False, alias="stack")

    @property
    def stats(self) -> TransportStats:
        """What this client has sent, met and waited for so far (see `TransportStats`)."""
        if self._stack is None:
            return TransportStats()
        return self._stack.counters.snapshot()

    def __enter__(self) -> Self:
        if self._stack is not None:
            self._stack.closed = False
        return self

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        if self._stack is not None:
            self._stack.close()

    async def __aenter__(self) -> Self:
        if self._stack is not None:
            self._stack.closed = False
        return self

    async def __aexit__(self, *args: object, **kwargs: Any) -> None:
        if self._stack is not None:
            await self._stack.aclose()


class _HTTPClient(httpx.Client):
    """httpx.Client over the stack: closed when the stack is (closing one closes both)."""

    def __init__(self, stack: KeyTransport, **settings: Any) -> None:
        super().__init__(transport=stack, **settings)
        self._vt_stack = stack

    @property
    def is_closed(self) -> bool:
        return self._vt_stack.closed

    def close(self) -> None:
        self._vt_stack.close()


class _AsyncHTTPClient(httpx.AsyncClient):
    """httpx.AsyncClient over the stack: closed when the stack is."""

    def __init__(self, stack: KeyTransport, **settings: Any) -> None:
        super().__init__(transport=stack, **settings)
        self._vt_stack = stack

    @property
    def is_closed(self) -> bool:
        return self._vt_stack.closed

    async def aclose(self) -> None:
        await self._vt_stack.aclose()


def client_for(settings: Settings) -> ConnectedClient:
    """The client of `settings`: the generated client over the stack `build_stack` makes."""
    stack = build_stack(settings)
    timeout = httpx.Timeout(settings.timeout)
    client = ConnectedClient(
        base_url=settings.base,
        token=_TOKEN_PLACEHOLDER,
        prefix="",
        auth_header_name=KEY_HEADER,
        timeout=timeout,
        follow_redirects=settings.follow_redirects,
        on_drift=settings.on_drift,
        stack=stack,
    )
    # Setting both httpx clients up front means the generated client never builds its own,
    # which would put the key in a headers dict (shown by repr, sent on every redirect).
    options: dict[str, Any] = {
        "base_url": settings.base,
        "timeout": timeout,
        "follow_redirects": settings.follow_redirects,
        # What the body layer can decode in bounded pieces, and nothing else.
        "headers": {**settings.request_headers, "accept-encoding": ACCEPT_ENCODING},
        "trust_env": settings.trust_env,
    }
    client.set_httpx_client(_HTTPClient(stack, **options))
    client.set_async_httpx_client(_AsyncHTTPClient(stack, **options))
    return client


def connect(
    api_key: str | None = None,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    max_retries: int | None = None,
    backoff_factor: float | None = None,
    max_retry_wait: float | None = None,
    requests_per_minute: float | None = None,
    follow_redirects: bool = False,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    proxy: str | None = None,
    verify: bool | str | os.PathLike[str] | ssl.SSLContext = True,
    trust_env: bool = True,
    allow_insecure_http: bool = False,
    quota: Quota | None = None,
    quota_store: str | None = None,
    max_quota_wait: float | None = 60.0,
    cache: str | None = None,
    cache_ttl: float = 86400.0,
    cache_timeout: float = 1.0,
    on_drift: OnDrift = "warn",
    user_agent: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> AuthenticatedClient:
    """A client that every generated operation and every helper accepts, sync and async at once.

    Use it as `with connect() as client:` or `async with connect() as client:`; either
    closes the whole client. Every argument is checked here, before anything is sent.

    Args:
        api_key: The API key; None reads `VT_API_KEY`. It is sent only to the origin of
            `base_url`, never shown by a repr, an exception or a log record.
        base_url: Where requests go; None reads `VT_BASE_URL`, else VirusTotal's
            `https://www.virustotal.com/api/v3`. It must be https:// unless it is this
            machine or `allow_insecure_http=True` (from the variable too).
        timeout: Seconds for each attempt as a whole: connecting, the headers and the body,
            however slowly the bytes come.
        retry: A `RetryPolicy`: which answers are retried, how many times, the backoff,
            Retry-After and the budget of waiting. The three arguments after it are its
            shorthands; giving both is a `UsageError`.
        max_retries: Shorthand for `RetryPolicy(max_retries=...)` (default 5): retries of
            an idempotent request on 429, 500, 502-504, 520-599, connection errors and
            timeouts (also while the body is read).
        backoff_factor: Shorthand for `RetryPolicy(backoff_factor=...)` (default 0.5):
            full-jitter exponential backoff starting from this many seconds; a Retry-After
            the server sends is honoured instead.
        max_retry_wait: Shorthand for `RetryPolicy(retry_budget=...)` (default 120): the
            waits of one request add up to at most this many seconds; a Retry-After past
            that budget is not waited for: the typed error is raised at once.
        requests_per_minute: A shorthand for `quota=Quota(per_minute=N)`.
        follow_redirects: Follow redirects; the key still goes only to `base_url`'s origin.
        transport: Replaces the network transport under the SDK's stack (an
            `httpx.MockTransport` in tests).
        max_response_bytes: A body larger than this, decoded, raises
            `ResponseTooLargeError`.
        proxy: A proxy for every request, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY /
            NO_PROXY.
        verify: True (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR with `trust_env`), a
            CA bundle path, or an `ssl.SSLContext`.
        trust_env: Read the proxy and CA variables from the environment, as httpx does.
        allow_insecure_http: Allow an http:// `base_url` that is not this machine, or
            `verify=False`: both let anyone on the path read the key.
        quota: A `Quota` holding every window at once for all clients of the key in this
            process or, with `quota_store`, for all that share the store; each attempt
            spends a permit.
        quota_store: `sqlite:///path.db` (one host's processes) or `redis://host:port/db`
            (any hosts).
        max_quota_wait: A request waits this many seconds at most for its permit, or raises
            `QuotaExhaustedError` at once when none is free within it (None: it waits as
            long as it takes).
        cache: `sqlite:///path.db` or `redis://host:port/db`: 2xx answers to GET that
            parsed are kept for `cache_ttl` seconds, per key; a hit sends nothing and
            spends no quota. A store that fails or hangs turns the cache off for the
            client's life (one warning, logger "vt_refs.cache"); requests go on uncached.
        cache_ttl: Seconds a cached answer is served.
        cache_timeout: Seconds one cache lookup or store may take; a slower one turns the
            cache off, so a hung store costs the run this much once, not per request.
        on_drift: How every helper walking with this client parses pages (see `parse`):
            "warn" keeps a page whose optional fields drift from the spec, with a
            `SchemaDriftWarning`; "error" rejects it with `MalformedResponseError`.
        user_agent: The integration's name (e.g. "MyTool/2.1"), sent in front of the
            SDK's `vt-refs/<version> (python-httpx/<version>); gzip`; the "; gzip" at the
            end is what makes VirusTotal's front end compress its answers.
        headers: Headers of your own for every request (e.g. `{"x-tool": "MyTool"}`, as
            Google Threat Intelligence asks integrations to send). Never the key:
            `x-apikey` (in any case), a value holding the key, `User-Agent` and
            `Accept-Encoding` are a `UsageError`.

    Raises:
        UsageError: No key, or a bad argument; nothing is sent.
    """
    # Every parameter but the shorthands is a field of Settings under the same name, so an
    # option is one parameter here, one field there and one use in its layer.
    arguments = dict(locals())
    arguments["key"] = arguments.pop("api_key")
    if base_url is None:
        arguments["base_url"] = os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
    arguments["retry"] = retry_policy(
        arguments.pop("retry"),
        max_retries=arguments.pop("max_retries"),
        backoff_factor=arguments.pop("backoff_factor"),
        max_retry_wait=arguments.pop("max_retry_wait"),
    )
    arguments["quota"] = quota_of(arguments.pop("quota"), arguments.pop("requests_per_minute"))
    return client_for(Settings(**arguments))


def transport_stats(client: AuthenticatedClient) -> TransportStats:
    """The counts of a client `connect()` made, so far: requests on the wire, cache hits,
    retries, server 429s, time spent waiting for the quota (see `TransportStats`).

    Read it before and after a run and subtract: `after - before` is the run's share.

    Raises:
        UsageError: `client` was not made by `vt_refs.connect()`.
    """
    if not isinstance(client, ConnectedClient):
        name = type(client).__name__
        raise UsageError(f"transport_stats() needs a client made by vt_refs.connect(), not {name}")
    return client.stats


def cached_answer(client: object, request: httpx.Request) -> httpx.Response | None:
    """The answer the cache of a `connect()` client (`cache=`) holds for `request`, sending
    nothing: None for another client, one with no cache, or when it holds none."""
    if not isinstance(client, ConnectedClient) or client._stack is None:
        return None
    return peek(client._stack, request)


def key_in(client: AuthenticatedClient, text: str) -> bool:
    """Whether `text` holds the API key of `client` (a client of `connect()`), so that a
    helper can refuse to put it in a URL."""
    stack = client._stack if isinstance(client, ConnectedClient) else None
    return stack is not None and stack.holds_key(text)
