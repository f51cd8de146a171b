"""Exit statuses, and the one-line message for each failure the CLI expects.

Every failure gets one line on stderr and a status a script can branch on, never a
traceback: expected ones (a missing key, an API error, the network, a broken body) their
own status, anything else (a bug in vt-refs) `INTERNAL`. The key never needs masking
here: the library redacts it from all the server text it puts into an error.
"""

from __future__ import annotations

import shlex
from typing import Final

from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    MalformedResponseError,
    QuotaExhaustedError,
    ResponseTooLargeError,
    UsageError,
    VTError,
)
from .output import OutputError
from .stdio import WriteLine
from .table import clean

OK: Final = 0
OUTPUT_FAILED: Final = 1  # stdout itself failed (e.g. a full disk)
USAGE: Final = 2
API: Final = 3
NETWORK: Final = 4
MALFORMED: Final = 5
INTERRUPTED: Final = 130  # 128 + SIGINT, what shells report for Ctrl-C
TERMINATED: Final = 143  # 128 + SIGTERM: `timeout`, systemd, docker stop, Kubernetes
OUTPUT_CLOSED: Final = 141  # 128 + SIGPIPE, what shells report for `cat big | head -1`
# An exception's text can be of any length; one line of it is enough.
_UNEXPECTED_CHARS: Final = 500
INTERNAL: Final = 70  # EX_SOFTWARE (sysexits.h): an unexpected error, a bug in vt-refs


def describe(error: VTError | OutputError) -> tuple[int, str]:
    """The exit status for `error` and its message (without the `vt-refs: ` prefix)."""
    if isinstance(error, UsageError):
        return USAGE, str(error)
    if isinstance(error, APIError):
        # The API's own code when it sent one (also codes this SDK has no class for).
        name = error.code or type(error).__name__
        return API, f"{name} (HTTP {error.status_code}): {error.message}"
    if isinstance(error, APITimeoutError):
        return NETWORK, f"timed out: {error}"
    if isinstance(error, APIConnectionError):
        return NETWORK, f"cannot reach the API: {error}"
    if isinstance(error, MalformedResponseError | ResponseTooLargeError):
        return MALFORMED, str(error)
    if isinstance(error, OutputError):
        return OUTPUT_FAILED, str(error)
    if type(error) is VTError:  # what the library made of an exception it did not expect
        return INTERNAL, str(error)
    if isinstance(error, QuotaExhaustedError):  # our own quota: an API limit all the same
        return API, str(error)
    return USAGE, str(error)  # any other VTError: the SDK refused what it was given


def describe_unexpected(error: BaseException, secret: str | None) -> tuple[int, str]:
    """The status and message for an exception that is no VTError: a bug in vt-refs.

    Its text comes from no redacting code, so the key is masked here.
    """
    try:
        text = str(error)
    except Exception:  # an exception whose str() fails is still reported
        text = "(no message)"
    if secret and len(secret) >= 4:  # masking "a" would mangle the message
        text = text.replace(secret, "<redacted>")
    if len(text) > _UNEXPECTED_CHARS:
        text = text[: _UNEXPECTED_CHARS - 1] + "…"
    name = type(error).__name__
    return INTERNAL, f"internal error: {name}: {text} (a bug in vt-refs: please report it)"


def resume_hint(more: bool, cursor: str | None, repeats: int) -> str:
    """How to continue after the last item written, or "" when nothing is left."""
    if not more:
        return ""
    if cursor is None:
        how = "rerun without --cursor to start from the first item"
    else:
        how = f"resume with --cursor {shlex.quote(cursor)}"
    if repeats:
        how += f" (the API sent more items than asked, so {repeats} of them repeat)"
    return how


class Reporter:
    """Writes `vt-refs: ...` lines to stderr, one line each."""

    def __init__(self, write: WriteLine) -> None:
        self._write = write

    def line(self, message: str) -> None:
        """Print `message` as one clean line."""
        self._write(f"vt-refs: {clean(message)}\n")
