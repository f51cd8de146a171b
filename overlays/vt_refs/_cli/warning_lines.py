"""Warnings of one category as `vt-refs:` lines on stderr, for the length of a block.

The SDK speaks through the warnings module (schema drift, a reports fallback); Python's
default display (file, line, source) is for developers. Within the block each warning of
the category becomes one clean line, shown every time the SDK issues it (the SDK already
says each thing once), and a `PYTHONWARNINGS=error` in the environment cannot turn it
into a traceback. Warnings of other categories are shown as before.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from .errors import Reporter

W = TypeVar("W", bound=Warning)


@contextmanager
def warning_lines(
    report: Reporter,
    wanted: type[W],
    text: Callable[[W], str],
    before: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Within the block, a `wanted` warning is the line `text(warning)`; `before`
    runs first (it clears a progress display)."""
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if not isinstance(message, wanted):
                shown(message, category, filename, lineno, file, line)
                return
            before()
            report.line(text(message))

        warnings.showwarning = show
        warnings.simplefilter("always", wanted)
        yield
