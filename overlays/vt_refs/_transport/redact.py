"""Keeping the API key out of text a server controls.

A hostile or buggy server can echo the key it received: in an error message, a body that
does not parse, a reason phrase, a header. Whatever of that text the SDK puts into an
exception or a log record must not carry the key. The key transport owns a `Redactor`
(the only object besides it that knows the key): it marks every response with it (under
`RESPONSE_EXTENSION`), so code building errors from a response can redact their text
without ever holding the key itself, and it redacts exceptions passing through it.
Log records of the HTTP libraries under the SDK go through a filter that asks every live
redactor.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from typing import Final, TypeVar
from urllib.parse import quote

E = TypeVar("E", bound=BaseException)

REDACTED: Final = "<redacted>"
RESPONSE_EXTENSION: Final = "vt_refs.redactor"
# The loggers that may record what a server sent (status lines, headers, Retry-After):
# these, and every logger under the same top-level names that exists when a client is
# made. A filter on a logger does not see the records of its children, so each gets one.
_LOGGERS: Final = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "hishel",
    "vt_refs",
)
_FAMILIES: Final = frozenset(name.partition(".")[0] for name in _LOGGERS)


class Redactor:
    """Replaces one key, in the forms a server could echo it, with `<redacted>`."""

    __slots__ = ("__weakref__", "_bytes", "_forms")

    def __init__(self, key: str) -> None:
        # A key of a few characters is no real key, and replacing every "a" in a message
        # would make it unreadable: such keys are not redacted.
        forms = {key, json.dumps(key)[1:-1], quote(key, safe="")} if len(key) >= 4 else set()
        self._forms = tuple(sorted(forms, key=len, reverse=True))
        self._bytes = tuple(form.encode("utf-8") for form in self._forms)
        _LIVE.add(self)
        _install_log_filter()

    def __repr__(self) -> str:
        return "<vt_refs key redactor>"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a key redactor is not picklable")

    def __call__(self, text: str) -> str:
        """`text` with the key replaced."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def longest(self) -> int:
        """The length of the longest form of the key (0 when nothing is redacted)."""
        return len(self._forms[0]) if self._forms else 0

    def found_in(self, data: bytes) -> bool:
        return any(form in data for form in self._bytes)

    def exception(self, error: E) -> E:
        """`error` with the key taken out of its arguments and its text attributes."""
        error.args = tuple(self(a) if isinstance(a, str) else a for a in error.args)
        for name, value in list(vars(error).items()):
            if isinstance(value, str):
                setattr(error, name, self(value))
        return error


def identity(text: str) -> str:
    """What a response that did not come through a key transport is redacted with."""
    return text


_LIVE: Final[weakref.WeakSet[Redactor]] = weakref.WeakSet()
_INSTALL_LOCK: Final = threading.Lock()


class _LogRedaction(logging.Filter):
    """Rewrites a record whose message holds a key some live client uses."""

    def filter(self, record: logging.LogRecord) -> bool:
        redactors = list(_LIVE)
        if not redactors:
            return True
        # Longest keys first: a short key inside a long one must not break the long one up.
        redactors.sort(key=Redactor.longest, reverse=True)
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report
            return True
        redacted = message
        for redactor in redactors:
            redacted = redactor(redacted)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER: Final = _LogRedaction()


def _install_log_filter() -> None:
    """Put the filter on every logger that may record server text and has none yet.

    Run for each new client (rare), so loggers created by modules imported since the last
    client (a cache or quota backend's) are covered too.
    """
    with _INSTALL_LOCK:
        for name in _LOGGERS:
            logging.getLogger(name)
        for name, logger in list(logging.Logger.manager.loggerDict.items()):
            if (
                isinstance(logger, logging.Logger)
                and name.partition(".")[0] in _FAMILIES
                and _FILTER not in logger.filters
            ):
                logger.addFilter(_FILTER)
