"""From an HTTP answer (or the failure to get one) to the SDK's typed error.

Every piece of server text that goes into an error here (the API's message and code, a
body excerpt, a JSONPath through keys the server chose) is redacted first with the
redactor the key transport put on the response, and before it is cut to an excerpt, so a
key the server echoed can neither appear whole nor half.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC
from typing import Final

import httpx

from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    MalformedResponseError,
    UsageError,
    VTError,
    api_error,
    excerpt,
)
from .redact import RESPONSE_EXTENSION, identity

_DELAY_SECONDS: Final = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?\Z")
# What an excerpt is cut from: more than its 200 characters, so a key straddling the cut
# is redacted whole before the cut.
_EXCERPT_WINDOW: Final = 1024


def redactor_of(response: httpx.Response) -> Callable[[str], str]:
    """The key transport's redactor for `response` (no-op when it did not pass one)."""
    redact: Callable[[str], str] = response.extensions.get(RESPONSE_EXTENSION, identity)
    return redact


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """A `Retry-After` value in seconds from `now` (default: the current time).

    Delay-seconds or an HTTP date (RFC 9110, 10.2.3); a date in the past is 0. None when
    absent or not one of the two forms (negative, NaN, a date that cannot be read).
    """
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the date is in UTC, the zone just unstated
        when = when.replace(tzinfo=UTC)
    try:
        seconds = when.timestamp() - (time.time() if now is None else now)
    except (OverflowError, OSError, ValueError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def api_error_from(response: httpx.Response) -> APIError:
    """The typed error for a non-2xx answer, whatever its body holds."""
    redact = redactor_of(response)
    code: str | None = None
    message: str | None = None
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        raw_code, raw_message = body["error"].get("code"), body["error"].get("message")
        code = redact(raw_code) if isinstance(raw_code, str) else None
        message = redact(raw_message) if isinstance(raw_message, str) else None
        if message is None:  # the spec lets the API leave it out: the status says enough
            message = redact(response.reason_phrase) or "no message"
    if message is None:
        text = redact(_text_prefix(response)).strip()
        message = excerpt(text) if text else redact(response.reason_phrase) or "no body"
    delay = retry_after(response.headers.get("retry-after"))
    return api_error(response.status_code, code, message, retry_after=delay)


def malformed_from(
    error: MalformedResponseError, response: httpx.Response
) -> MalformedResponseError:
    """`error` (raised parsing `response`), with the key taken out of what the server wrote.

    A new error, so that it carries none of the parser's frames or chained exceptions.
    """
    redact = redactor_of(response)
    return MalformedResponseError(
        redact(error.reason),
        path=redact(error.path),
        excerpt=excerpt(redact(_text_prefix(response))),
        status_code=error.status_code,
    )


def body_excerpt(response: httpx.Response) -> str:
    """A redacted excerpt of `response`'s body, for errors about a page that parsed."""
    return excerpt(redactor_of(response)(_text_prefix(response)))


def _text_prefix(response: httpx.Response) -> str:
    return response.content[:_EXCERPT_WINDOW].decode("utf-8", errors="replace")


def transport_error(error: httpx.HTTPError) -> APIConnectionError:
    """The SDK's error for a failure to get any answer, wrapping httpx's as its cause.

    httpx's message reaches us redacted by the key transport.
    """
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    where = ""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        target = _target(error)
        if target is not None and target not in str(error):
            where = f"cannot connect to {target}: "
    return kind(f"{type(error).__name__}: {where}{error}")


def _target(error: httpx.RequestError) -> str | None:
    """`host:port` of the request `error` is about (the port made explicit)."""
    try:
        url = error.request.url
    except RuntimeError:  # raised without a request
        return None
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{port}" if port else host


def unexpected_error(error: Exception, *, closed: bool) -> VTError:
    """A `VTError` for an exception nothing in the SDK expected (a bug, or a misuse httpx
    caught first), so that callers need catch only `VTError`; the original is its cause."""
    if closed:
        return UsageError("the client is closed: use it inside its `with`/`async with` block")
    return VTError(f"unexpected {type(error).__name__} in vt_refs: {error} (please report it)")
