"""What every request says about its sender: the User-Agent, and the caller's own headers.

VirusTotal's front end (Google App Engine) compresses a body only for a client whose
User-Agent contains "gzip", whatever its Accept-Encoding says; vt-py and vt-go end
theirs with "; gzip" for that reason, and so does ours:
`vt-refs/<version> (python-httpx/<version>); gzip`. An integration names itself in
front of it (`connect(user_agent="MyTool/2.1")`), as Google Threat Intelligence asks
integrations to, and may add headers of its own (`headers={"x-tool": "MyTool"}`); the
"; gzip" stays last so compression stays on.

Headers may never carry the API key: the key layer puts it on requests to the API's
origin only, while a header given here goes on every request, redirects included.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Final

import httpx

from .._errors import UsageError

GZIP_SUFFIX: Final = "; gzip"
# RFC 9110 token characters, for header names.
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Set by the SDK, not by `headers=`: each has its own reason.
_RESERVED: Final = {
    "x-apikey": "headers= must not carry the API key: pass api_key= (or set VT_API_KEY), "
    "which is sent to the API's origin only",
    "user-agent": "pass user_agent= instead of a User-Agent header, so the SDK's own name "
    "and '; gzip' (which turns compression on) stay in it",
    "accept-encoding": "Accept-Encoding is the SDK's: it offers only what the body layer can "
    "decode within max_response_bytes",
    "host": "Host follows base_url",
    "content-length": "Content-Length is computed per request",
}


@functools.cache
def _version() -> str:
    from importlib import metadata  # only when a client is made: it reads the disk

    try:
        return metadata.version("vt-refs")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "0"


def default_user_agent() -> str:
    """`vt-refs/<version> (python-httpx/<version>); gzip`."""
    return f"vt-refs/{_version()} (python-httpx/{httpx.__version__}){GZIP_SUFFIX}"


def user_agent_header(own: str | None) -> str:
    """The User-Agent sent: the integration's name (if any) in front of ours."""
    ours = default_user_agent()
    return ours if own is None else f"{own} {ours}"


def _printable(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip() or not value.isascii() or not value.isprintable():
        raise UsageError(f"{name} must be non-empty printable ASCII (no line breaks)")
    return value.strip()


def check_user_agent(value: object) -> str | None:
    """None, or the integration's product token(s), e.g. "MyTool/2.1"."""
    return None if value is None else _printable("user_agent", value)


def check_headers(value: object) -> tuple[tuple[str, str], ...]:
    """The caller's extra headers as (name, value) pairs, names lower-cased; None: none."""
    if value is None:
        return ()
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        pairs: list[tuple[object, object]] = list(value)  # already converted (attrs.evolve)
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        raise UsageError(f"headers must be a mapping of names to values, not {value!r}")
    checked: dict[str, str] = {}
    for name, text in pairs:
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise UsageError(f"headers: {name!r} is not a valid header name")
        lowered = name.lower()
        reason = _RESERVED.get(lowered)
        if reason is not None:
            raise UsageError(reason)
        if lowered in checked:
            raise UsageError(f"headers: {name!r} is given twice")
        checked[lowered] = _printable(f"headers[{name!r}]", text)
    return tuple(checked.items())
