"""`Settings`: everything one client's stack needs, checked once, as one immutable value.

`connect()` builds it from its arguments and hands it to `build_stack`; each layer reads
the fields it needs. Every field is checked (or converted) here, when the value is made,
so a bad argument is a `UsageError` before anything is sent, and a new option is one
field here and one use in the layer that needs it.
"""

from __future__ import annotations

import math
import os
import ssl
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import attrs
import httpx

from .._checks import check_count, check_number
from .._env import API_KEY_ENV, BASE_URL_ENV
from .._errors import UsageError
from .._parsing import OnDrift, check_on_drift
from .agent import check_headers, check_user_agent, user_agent_header
from .hosts import loopback
from .quota import Quota
from .retry import RetryPolicy
from .secret import Secret
from .stores import StoreURL, parse_store_url

Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]
AnyTransport: TypeAlias = httpx.BaseTransport | httpx.AsyncBaseTransport
Verify: TypeAlias = bool | str | os.PathLike[str] | ssl.SSLContext

DEFAULT_BASE_URL: Final = "https://www.virustotal.com/api/v3"
"""Where `connect()` sends requests unless given `base_url=`: VirusTotal's API v3."""
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 2**20
KEY_HEADER: Final = "x-apikey"


def api_key(api_key: object) -> Secret:
    """The key given, or `VT_API_KEY`'s; a UsageError when there is none fit to send."""
    if isinstance(api_key, Secret):
        return api_key
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


def _url(base_url: str | httpx.URL) -> httpx.URL:
    if isinstance(base_url, httpx.URL):
        return base_url
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as error:
        raise UsageError(f"base_url is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"base_url must be an http(s) URL with a host, not {base_url!r}")
    return url


def _quota_store(value: str | StoreURL | None) -> StoreURL | None:
    if value is None or isinstance(value, StoreURL):
        return value
    return parse_store_url("quota_store", value)


def _cache(value: str | StoreURL | None) -> StoreURL | None:
    if value is None or isinstance(value, StoreURL):
        return value
    return parse_store_url("cache", value)


def _flag(name: str) -> Validator:
    def check(instance: object, attribute: object, value: Any) -> None:
        if not isinstance(value, bool):
            raise UsageError(f"{name} must be True or False, not {value!r}")

    return check


def _seconds(name: str, *, zero: bool, optional: bool = False) -> Validator:
    def check(instance: object, attribute: object, value: Any) -> None:
        if not (optional and value is None):
            check_number(name, value, minimum=0, allow_equal=zero)

    return check


def _bytes(instance: object, attribute: object, value: Any) -> None:
    check_count("max_response_bytes", value, 1)


def _proxy(instance: object, attribute: object, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise UsageError(f"proxy must be a URL string such as 'http://host:3128', not {value!r}")


def _verify(instance: object, attribute: object, value: Any) -> None:
    if not isinstance(value, bool | str | os.PathLike | ssl.SSLContext):
        raise UsageError(f"verify must be True, a CA bundle path or an ssl.SSLContext: {value!r}")


def _quota(instance: object, attribute: object, value: Any) -> None:
    if value is not None and not isinstance(value, Quota):
        raise UsageError(f"quota must be a vt_refs.Quota or None, not {value!r}")


def _retry(instance: object, attribute: object, value: Any) -> None:
    if not isinstance(value, RetryPolicy):
        raise UsageError(f"retry must be a vt_refs.RetryPolicy, not {value!r}")


@attrs.frozen(kw_only=True)
class Settings:
    """What the stack and the client of one `connect()` need; see `connect` for each.

    Its repr never shows the key (a `Secret`) nor a store URL's password.
    """

    key: Secret = attrs.field(converter=api_key, repr=False)
    base_url: httpx.URL = attrs.field(default=httpx.URL(DEFAULT_BASE_URL), converter=_url)
    timeout: float = attrs.field(default=30.0, validator=_seconds("timeout", zero=False))
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=_retry)
    follow_redirects: bool = attrs.field(default=False, validator=_flag("follow_redirects"))
    transport: AnyTransport | None = None
    max_response_bytes: int = attrs.field(default=DEFAULT_MAX_RESPONSE_BYTES, validator=_bytes)
    proxy: str | None = attrs.field(default=None, validator=_proxy)
    verify: Verify = attrs.field(default=True, validator=_verify)
    trust_env: bool = attrs.field(default=True, validator=_flag("trust_env"))
    allow_insecure_http: bool = attrs.field(default=False, validator=_flag("allow_insecure_http"))
    quota: Quota | None = attrs.field(default=None, validator=_quota)
    quota_store: StoreURL | None = attrs.field(default=None, converter=_quota_store)
    max_quota_wait: float | None = attrs.field(
        default=60.0, validator=_seconds("max_quota_wait", zero=True, optional=True)
    )
    cache: StoreURL | None = attrs.field(default=None, converter=_cache)
    cache_ttl: float = attrs.field(default=86400.0, validator=_seconds("cache_ttl", zero=False))
    cache_timeout: float = attrs.field(default=1.0, validator=_seconds("cache_timeout", zero=False))
    on_drift: OnDrift = attrs.field(default="warn", converter=check_on_drift)
    user_agent: str | None = attrs.field(default=None, converter=check_user_agent)
    headers: tuple[tuple[str, str], ...] = attrs.field(default=None, converter=check_headers)

    def __attrs_post_init__(self) -> None:
        url = self.base_url
        if url.scheme == "http" and not self.allow_insecure_http and not loopback(url.host):
            raise UsageError(
                f"base_url {str(url)!r} (base_url= or ${BASE_URL_ENV}) is http:// to a host "
                "that is not this machine: the API key would cross the network in clear "
                "text. Use https://, or pass allow_insecure_http=True if you really mean it"
            )
        if self.transport is not None and (self.proxy is not None or self.verify is not True):
            raise UsageError(
                "proxy= and verify= configure the network transport: with transport=, set "
                "them there"
            )
        key = self.key.reveal()
        if any(key in text for _, text in self.headers) or key in (self.user_agent or ""):
            raise UsageError(
                "headers= and user_agent= must not carry the API key: they go on every "
                "request, redirects included; the key goes to the API's origin only"
            )
        if self.quota_store is not None and self.quota is None:
            raise UsageError("quota_store= needs quota= (or requests_per_minute=)")

    @property
    def request_headers(self) -> dict[str, str]:
        """What every request carries besides the key: our User-Agent (the integration's
        name first, "; gzip" last), the caller's headers."""
        return {"user-agent": user_agent_header(self.user_agent), **dict(self.headers)}

    @property
    def base(self) -> str:
        """The base URL as the generated client and httpx take it: no trailing slash."""
        return str(self.base_url).rstrip("/")

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings of `verify`: True (certifi, or SSL_CERT_FILE/SSL_CERT_DIR with
        `trust_env`), a CA bundle file or directory, or your own SSLContext. Built only for
        the network transport: loading the CAs costs milliseconds."""
        verify = self.verify
        if isinstance(verify, ssl.SSLContext):
            return verify
        if verify is True or (verify is False and self.allow_insecure_http):
            return httpx.create_ssl_context(verify=verify, trust_env=self.trust_env)
        if verify is False:
            raise UsageError(
                "verify=False lets anyone on the path read the API key: pass a CA bundle "
                "(verify='/path/ca.pem'), or allow_insecure_http=True if you really mean it"
            )
        path = os.fspath(verify)
        try:
            if os.path.isdir(path):
                return ssl.create_default_context(capath=path)
            return ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError, ValueError) as error:
            raise UsageError(f"verify={path!r} is not a readable CA bundle: {error}") from None


def retry_policy(
    retry: RetryPolicy | None,
    *,
    max_retries: int | None,
    backoff_factor: float | None,
    max_retry_wait: float | None,
) -> RetryPolicy:
    """`retry`, or the policy the shorthand arguments describe (the defaults for the rest).

    Giving both is a UsageError: which of the two would win is nobody's guess.
    """
    shorthands = {"max_retries": max_retries, "backoff_factor": backoff_factor,
                  "max_retry_wait": max_retry_wait}  # fmt: skip
    given = [name for name, value in shorthands.items() if value is not None]
    if retry is not None:
        if given:
            names = ", ".join(f"{name}=" for name in given)
            raise UsageError(f"give retry= or {names}, not both ({names} are its shorthands)")
        return retry
    # Checked under their own names, which are what the caller wrote.
    check_count("max_retries", max_retries, 0, optional=True)
    if backoff_factor is not None:
        check_number("backoff_factor", backoff_factor, minimum=0, allow_equal=True, maximum=1e9)
    if max_retry_wait is not None:
        check_number("max_retry_wait", max_retry_wait, minimum=0, allow_equal=True)
    defaults = RetryPolicy()
    return RetryPolicy(
        max_retries=defaults.max_retries if max_retries is None else max_retries,
        backoff_factor=defaults.backoff_factor if backoff_factor is None else backoff_factor,
        retry_budget=defaults.retry_budget if max_retry_wait is None else max_retry_wait,
    )


def quota_of(quota: Quota | None, requests_per_minute: object) -> Quota | None:
    """`quota`, or the quota `requests_per_minute` (a shorthand) describes."""
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
