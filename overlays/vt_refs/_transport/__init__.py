"""The httpx transport stack under every request a `connect()` client sends.

Putting key handling, pacing and retries in transports rather than in helpers means the
plain generated operations (`get_url_related_references.sync(...)`) get them too, and the
sync and async paths share each piece of logic: only the waiting differs.

The stack, outermost first; `build_stack` below is the one place that orders it:

| layer   | module    | job |
|---------|-----------|-----|
| key     | `key`     | the key on a copy of each request, for the API's origin only |
| cache   | `cache`   | a repeated GET answered from the store: no retry, no quota |
| retry   | `retry`   | a `RetryPolicy`: jittered backoff, Retry-After within the budget |
| quota   | `quota`   | each attempt's turn (learned from 429s; `quota=`); a 429 waited out |
| body    | `body`    | the body read within the size limit and the attempt's deadline |
| network | `network` | httpx's transports, proxies and TLS (or the `transport=` given) |

This package's face is what the rest of the SDK imports; its modules are its own.
"""

from __future__ import annotations

import weakref
from typing import Any

import httpx

from .._errors import UsageError
from .answers import (
    api_error_from,
    body_excerpt,
    malformed_from,
    redactor_of,
    retry_after,
    transport_error,
    unexpected_error,
)
from .body import BodyTransport
from .decoders import ACCEPT_ENCODING
from .digest import key_digest
from .hosts import loopback
from .key import KeyTransport, origin
from .layer import Layer
from .network import Network
from .provenance import (
    FROM_CACHE,
    KEEP_WHEN_PARSED,
    SKIP_CACHE,
    akept,
    from_cache,
    kept,
    mark_cached,
)
from .quota import Quota, Window
from .quota.notice import QuotaWait, quota_wait_of
from .quota.transport import quota_layer
from .redact import Redactor
from .retry import RetryPolicy, RetryTransport
from .secret import Secret
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    KEY_HEADER,
    Settings,
    quota_of,
    retry_policy,
)
from .stats import Counters, TransportStats
from .stopping import RUN_STOPPING
from .stores import StoreURL, parse_store_url

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "FROM_CACHE",
    "KEEP_WHEN_PARSED",
    "KEY_HEADER",
    "RUN_STOPPING",
    "SKIP_CACHE",
    "Counters",
    "KeyTransport",
    "Layer",
    "Quota",
    "QuotaWait",
    "Redactor",
    "RetryPolicy",
    "Secret",
    "Settings",
    "StoreURL",
    "TransportStats",
    "Window",
    "akept",
    "api_error_from",
    "body_excerpt",
    "build_stack",
    "from_cache",
    "kept",
    "key_digest",
    "loopback",
    "malformed_from",
    "mark_cached",
    "origin",
    "parse_store_url",
    "peek",
    "quota_of",
    "quota_wait_of",
    "redactor_of",
    "retry_after",
    "retry_policy",
    "transport_error",
    "unexpected_error",
]


class _Unavailable(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Stands for the half (sync or async) a user-supplied transport does not provide."""

    def __init__(self, kind: str) -> None:
        self._kind = kind

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise UsageError(f"the transport given to connect() is {self._kind}-only")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise UsageError(f"the transport given to connect() is {self._kind}-only")


def _network(settings: Settings) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
    transport = settings.transport
    if transport is None:
        network = Network(ssl_context=settings.ssl_context(), proxy=settings.proxy,
                          trust_env=settings.trust_env)  # fmt: skip
        return network, network
    sync = transport if isinstance(transport, httpx.BaseTransport) else _Unavailable("async")
    async_ = transport if isinstance(transport, httpx.AsyncBaseTransport) else _Unavailable("sync")
    return sync, async_


def build_stack(settings: Settings) -> KeyTransport:
    """One transport object serving both an httpx.Client and an httpx.AsyncClient.

    Built from the inside out: network, body, quota, retry, cache, key. A new layer goes
    here, in its place, with its own module and a field of `Settings` if it needs one.
    """
    counters = Counters()
    layer: Layer = BodyTransport(
        *_network(settings), limit=settings.max_response_bytes, counters=counters
    )
    layer = quota_layer(layer, layer, settings, counters)
    layer = RetryTransport(layer, layer, settings.retry, counters)
    cache: Any = None
    if settings.cache is not None:  # imported here: hishel loads only when used
        from .cache import cache_layer

        layer = cache = cache_layer(layer, layer, settings)
    stack = KeyTransport(layer, layer, key=settings.key, header=KEY_HEADER,
                         allowed_origin=origin(settings.base_url), counters=counters)  # fmt: skip
    if cache is not None:
        _CACHES[stack] = cache
    return stack


# Each stack's cache layer, for `peek` (a plan reads the cache without sending anything).
_CACHES: weakref.WeakKeyDictionary[KeyTransport, Any] = weakref.WeakKeyDictionary()


def peek(stack: KeyTransport, request: httpx.Request) -> httpx.Response | None:
    """The answer `stack`'s cache holds for `request`, sending nothing at all: None when
    the stack has no cache, the cache is off, or it holds no fresh answer."""
    cache = _CACHES.get(stack)
    found: httpx.Response | None = None if cache is None else cache.peek(request)
    return found
