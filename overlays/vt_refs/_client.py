"""`connect()`: a generated AuthenticatedClient wired to the SDK's transport stack."""

from __future__ import annotations

import ipaddress
import math
import os
import ssl
from typing import Any, Final, Self

import httpx
from attrs import define, field

from vt_refs_api import AuthenticatedClient

from ._decoders import ACCEPT_ENCODING
from ._drift import OnDrift, check_on_drift, set_client_on_drift
from ._errors import UsageError
from ._quota_spec import Quota
from ._stores import parse_store_url
from ._transport import Secret, _KeyTransport, build_stack, origin

DEFAULT_BASE_URL: Final = "https://www.virustotal.com/api/v3"
"""Where `connect()` sends requests unless given `base_url=`: VirusTotal's API v3."""
API_KEY_ENV: Final = "VT_API_KEY"
_KEY_HEADER: Final = "x-apikey"
# What the generated client's `token` holds: the real key lives only in the transport.
_TOKEN_PLACEHOLDER: Final = "<redacted: held by the vt_refs transport>"
# Longer than any sane wait, short enough for every clock and sleep (a year, in seconds).
_MAX_SECONDS: Final = 365 * 24 * 3600.0
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 2**20


@define
class _Client(AuthenticatedClient):
    """The generated client, where leaving `with` or `async with` closes both halves.

    The generated client closes only the half its block names (the other half's sockets
    leaked), and a closed httpx client raises RuntimeError. Here closing goes to the
    transport stack both halves share: every pool is closed and requests are refused with
    a "client is closed" UsageError until a new `with`/`async with` block opens it again
    (pools are made anew on demand), in this event loop or another.
    """

    _stack: _KeyTransport | None = field(default=None, kw_only=True, repr=False, alias="stack")

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

    def __init__(self, stack: _KeyTransport, **settings: Any) -> None:
        super().__init__(transport=stack, **settings)
        self._vt_stack = stack

    @property
    def is_closed(self) -> bool:
        return self._vt_stack.closed

    def close(self) -> None:
        self._vt_stack.close()


class _AsyncHTTPClient(httpx.AsyncClient):
    """httpx.AsyncClient over the stack: closed when the stack is."""

    def __init__(self, stack: _KeyTransport, **settings: Any) -> None:
        super().__init__(transport=stack, **settings)
        self._vt_stack = stack

    @property
    def is_closed(self) -> bool:
        return self._vt_stack.closed

    async def aclose(self) -> None:
        await self._vt_stack.aclose()


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


def _base_url(base_url: str, allow_insecure_http: bool) -> httpx.URL:
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as error:
        raise UsageError(f"base_url is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"base_url must be an http(s) URL with a host, not {base_url!r}")
    if url.scheme == "http" and not allow_insecure_http and not _loopback(url.host):
        raise UsageError(
            f"base_url {base_url!r} is http:// to a host that is not this machine: the API "
            "key would cross the network in clear text. Use https://, or pass "
            "allow_insecure_http=True if you really mean it"
        )
    return url


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_number(
    name: str, value: float, *, minimum: float, allow_equal: bool, maximum: float = _MAX_SECONDS
) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (value == minimum and not allow_equal) or value > maximum:
        bound = ">=" if allow_equal else ">"
        raise UsageError(
            f"{name} must be a finite number {bound} {minimum} and <= {maximum:g}, not {value!r}"
        )


def _ssl_context(verify: object, trust_env: bool, allow_insecure_http: bool) -> ssl.SSLContext:
    """The TLS settings: True (certifi, or SSL_CERT_FILE/SSL_CERT_DIR when trust_env), a CA
    bundle file or directory, or your own SSLContext."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True or (verify is False and allow_insecure_http):
        return httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    if verify is False:
        raise UsageError(
            "verify=False lets anyone on the path read the API key: pass a CA bundle "
            "(verify='/path/ca.pem'), or allow_insecure_http=True if you really mean it"
        )
    if not isinstance(verify, str | os.PathLike):
        raise UsageError(f"verify must be True, a CA bundle path or an ssl.SSLContext: {verify!r}")
    path = os.fspath(verify)
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError, ValueError) as error:
        raise UsageError(f"verify={path!r} is not a readable CA bundle: {error}") from None


def _quota(quota: object, requests_per_minute: object) -> Quota | None:
    if quota is not None and not isinstance(quota, Quota):
        raise UsageError(f"quota must be a vt_refs.Quota or None, not {quota!r}")
    if requests_per_minute is None:
        return quota
    if quota is not None:
        raise UsageError("give quota= or requests_per_minute=, not both")
    value = requests_per_minute
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 1
        or value != int(value)
    ):
        raise UsageError(
            f"requests_per_minute must be a whole number >= 1, not {value!r} "
            "(for slower rates use quota=vt_refs.Quota(per_hour=...))"
        )
    return Quota(per_minute=int(value))


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
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    max_retry_wait: float = 120.0,
    proxy: str | None = None,
    verify: bool | str | os.PathLike[str] | ssl.SSLContext = True,
    trust_env: bool = True,
    allow_insecure_http: bool = False,
    quota: Quota | None = None,
    quota_store: str | None = None,
    max_quota_wait: float | None = 60.0,
    cache: str | None = None,
    cache_ttl: float = 86400.0,
    on_drift: OnDrift = "warn",
) -> AuthenticatedClient:
    """A client that every generated operation and every helper accepts, sync and async at once.

    Use it as `with connect() as client:` or `async with connect() as client:`; either
    closes the whole client. Every argument is checked here, before anything is sent.

    Args:
        api_key: The API key; None reads `VT_API_KEY`. It is sent only to the origin of
            `base_url`, never shown by a repr, an exception or a log record.
        base_url: Where requests go. It must be https:// unless it is this machine or
            `allow_insecure_http=True`.
        timeout: Seconds for each attempt as a whole: connecting, the headers and the body,
            however slowly the bytes come.
        max_retries: Retries of an idempotent request on 429, 500, 502-504, 520-599,
            connection errors and timeouts (also while the body is read).
        backoff_factor: Full-jitter exponential backoff starting from this many seconds;
            a Retry-After the server sends is honoured instead.
        requests_per_minute: A shorthand for `quota=Quota(per_minute=N)`.
        follow_redirects: Follow redirects; the key still goes only to `base_url`'s origin.
        transport: Replaces the network transport under the SDK's stack (an
            `httpx.MockTransport` in tests).
        max_response_bytes: A body larger than this, decoded, raises
            `ResponseTooLargeError`.
        max_retry_wait: The waits of one request add up to at most this many seconds; a
            Retry-After past that budget is not waited for: the typed error is raised at
            once.
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
        cache: `sqlite:///path.db` or `redis://host:port/db`: 2xx answers to GET are kept
            for `cache_ttl` seconds, per key; a hit sends nothing and spends no quota.
        cache_ttl: Seconds a cached answer is served.
        on_drift: How every helper walking with this client parses pages (see `parse`):
            "warn" keeps a page whose optional fields drift from the spec, with a
            `SchemaDriftWarning`; "error" rejects it with `MalformedResponseError`.

    Raises:
        UsageError: No key, or a bad argument; nothing is sent.
    """
    key = _api_key(api_key)
    url = _base_url(base_url, allow_insecure_http)
    _check_number("timeout", timeout, minimum=0, allow_equal=False)
    _check_number("backoff_factor", backoff_factor, minimum=0, allow_equal=True, maximum=1e9)
    _check_number("max_retry_wait", max_retry_wait, minimum=0, allow_equal=True)
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise UsageError(f"max_retries must be an int >= 0, not {max_retries!r}")
    if (
        not isinstance(max_response_bytes, int)
        or isinstance(max_response_bytes, bool)
        or max_response_bytes < 1
    ):
        raise UsageError(f"max_response_bytes must be an int >= 1, not {max_response_bytes!r}")
    for name, flag in (("trust_env", trust_env), ("allow_insecure_http", allow_insecure_http)):
        if not isinstance(flag, bool):
            raise UsageError(f"{name} must be True or False, not {flag!r}")
    if proxy is not None and not isinstance(proxy, str):
        raise UsageError(f"proxy must be a URL string such as 'http://host:3128', not {proxy!r}")
    if transport is not None and (proxy is not None or verify is not True):
        raise UsageError(
            "proxy= and verify= configure the network transport: with transport=, set them there"
        )
    if not isinstance(verify, bool | str | os.PathLike | ssl.SSLContext):
        raise UsageError(f"verify must be True, a CA bundle path or an ssl.SSLContext: {verify!r}")
    quota = _quota(quota, requests_per_minute)
    quota_url = None if quota_store is None else parse_store_url("quota_store", quota_store)
    if quota_url is not None and quota is None:
        raise UsageError("quota_store= needs quota= (or requests_per_minute=)")
    if max_quota_wait is not None:
        _check_number("max_quota_wait", max_quota_wait, minimum=0, allow_equal=True)
    cache_url = None if cache is None else parse_store_url("cache", cache)
    _check_number("cache_ttl", cache_ttl, minimum=0, allow_equal=False)
    drift = check_on_drift(on_drift)
    base = str(url).rstrip("/")
    stack = build_stack(
        key=key,
        header=_KEY_HEADER,
        allowed_origin=origin(url),
        max_retries=max_retries,
        backoff_factor=backoff_factor,
        max_retry_wait=max_retry_wait,
        max_response_bytes=max_response_bytes,
        transport=transport,
        # Built only for the network transport: loading the CAs costs milliseconds.
        ssl_context=lambda: _ssl_context(verify, trust_env, allow_insecure_http),
        proxy=proxy,
        trust_env=trust_env,
        quota=quota,
        quota_store=quota_url,
        max_quota_wait=max_quota_wait,
        cache=cache_url,
        cache_ttl=cache_ttl,
    )
    http_timeout = httpx.Timeout(timeout)
    client = _Client(
        base_url=base,
        token=_TOKEN_PLACEHOLDER,
        prefix="",
        auth_header_name=_KEY_HEADER,
        timeout=http_timeout,
        follow_redirects=follow_redirects,
        stack=stack,
    )
    # Setting both httpx clients up front means the generated client never builds its own,
    # which would put the key in a headers dict (shown by repr, sent on every redirect).
    settings: dict[str, Any] = {
        "base_url": base,
        "timeout": http_timeout,
        "follow_redirects": follow_redirects,
        # What the body layer can decode in bounded pieces, and nothing else.
        "headers": {"accept-encoding": ACCEPT_ENCODING},
        "trust_env": trust_env,
    }
    client.set_httpx_client(_HTTPClient(stack, **settings))
    client.set_async_httpx_client(_AsyncHTTPClient(stack, **settings))
    set_client_on_drift(client, drift)
    return client
