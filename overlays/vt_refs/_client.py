"""`connect()`: a generated AuthenticatedClient wired to the SDK's transport stack."""

from __future__ import annotations

import math
import os
from typing import Any, Final

import httpx

from vt_refs_api import AuthenticatedClient

from ._drift import OnDrift, check_on_drift, set_client_on_drift
from ._errors import UsageError
from ._transport import Secret, build_stack, origin

DEFAULT_BASE_URL: Final = "https://www.virustotal.com/api/v3"
"""Where `connect()` sends requests unless given `base_url=`: VirusTotal's API v3."""
API_KEY_ENV: Final = "VT_API_KEY"
_KEY_HEADER: Final = "x-apikey"
# What the generated client's `token` holds: the real key lives only in the transport.
_TOKEN_PLACEHOLDER: Final = "<redacted: held by the vt_refs transport>"


def _api_key(api_key: str | None) -> Secret:
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
        if not api_key or not api_key.strip():
            raise UsageError(
                f"no VirusTotal API key: pass api_key= or set the {API_KEY_ENV} "
                "environment variable"
            )
    if not isinstance(api_key, str):
        raise UsageError(f"api_key must be a str, not {type(api_key).__name__}")
    api_key = api_key.strip()
    if not api_key or not api_key.isprintable() or not api_key.isascii():
        raise UsageError("api_key must be non-empty printable ASCII")
    return Secret(api_key)


def _base_url(base_url: str) -> httpx.URL:
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as error:
        raise UsageError(f"base_url is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"base_url must be an http(s) URL with a host, not {base_url!r}")
    return url


def _check_number(name: str, value: float, *, minimum: float, allow_equal: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (value == minimum and not allow_equal):
        bound = ">=" if allow_equal else ">"
        raise UsageError(f"{name} must be a finite number {bound} {minimum}, not {value!r}")


def connect(
    api_key: str | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 30.0,
    max_retries: int = 5,
    backoff_factor: float = 0.5,
    requests_per_minute: float | None = None,
    follow_redirects: bool = False,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    on_drift: OnDrift = "warn",
) -> AuthenticatedClient:
    """A client that every generated operation accepts, sync and async at once.

    `api_key=None` reads VT_API_KEY. The key is sent only to the origin of `base_url`.
    Idempotent requests are retried `max_retries` times on 429, 500, 502-504, 520-599,
    connection errors and timeouts, with full-jitter exponential backoff from
    `backoff_factor` seconds, honouring Retry-After (capped at 60 s).
    `requests_per_minute` spaces requests evenly (a public key allows 4).
    `transport` replaces the network transport under the SDK's stack (an
    `httpx.MockTransport` in tests, an `httpx.HTTPTransport(proxy=...)` behind a proxy).
    `on_drift` is how every helper walking with this client parses pages (see
    `vt_refs.parse`): "warn" keeps a page whose optional fields drift from the spec,
    "error" rejects it.
    Use it as `with connect() as client:` or `async with connect() as client:`.
    """
    key = _api_key(api_key)
    url = _base_url(base_url)
    _check_number("timeout", timeout, minimum=0, allow_equal=False)
    _check_number("backoff_factor", backoff_factor, minimum=0, allow_equal=True)
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise UsageError(f"max_retries must be an int >= 0, not {max_retries!r}")
    if requests_per_minute is not None:
        _check_number("requests_per_minute", requests_per_minute, minimum=0, allow_equal=False)
    drift = check_on_drift(on_drift)
    base = str(url).rstrip("/")
    stack = build_stack(
        key=key,
        header=_KEY_HEADER,
        allowed_origin=origin(url),
        max_retries=max_retries,
        backoff_factor=backoff_factor,
        requests_per_minute=requests_per_minute,
        transport=transport,
    )
    http_timeout = httpx.Timeout(timeout)
    client = AuthenticatedClient(
        base_url=base,
        token=_TOKEN_PLACEHOLDER,
        prefix="",
        auth_header_name=_KEY_HEADER,
        timeout=http_timeout,
        follow_redirects=follow_redirects,
    )
    # Setting both httpx clients up front means the generated client never builds its own,
    # which would put the key in a headers dict (shown by repr, sent on every redirect).
    settings: dict[str, Any] = {
        "base_url": base,
        "timeout": http_timeout,
        "follow_redirects": follow_redirects,
        "transport": stack,
    }
    client.set_httpx_client(httpx.Client(**settings))
    client.set_async_httpx_client(httpx.AsyncClient(**settings))
    set_client_on_drift(client, drift)
    return client
