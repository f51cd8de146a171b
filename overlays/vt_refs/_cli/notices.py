"""The library's warnings (a long wait before a retry), as `vt-refs:` lines on stderr.

Without a handler, Python's last-resort handler would print them bare; with this one they
look like every other line of the command. They hold no server text (method, path,
status or error type, wait), so nothing in them needs redacting.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from .errors import Reporter


class _ToReporter(logging.Handler):
    def __init__(self, report: Reporter) -> None:
        super().__init__(logging.WARNING)
        self._report = report

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._report.line(record.getMessage())
        except Exception:  # a logging handler must never raise into the request
            self.handleError(record)


@contextlib.contextmanager
def warnings_to(report: Reporter) -> Iterator[None]:
    """While the run lasts, the `vt_refs` logger's warnings become stderr lines."""
    logger = logging.getLogger("vt_refs")
    handler = _ToReporter(report)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
