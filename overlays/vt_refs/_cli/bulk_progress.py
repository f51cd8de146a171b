"""Progress of `vt-refs bulk` on stderr, drawn by tqdm, only when stderr is a terminal.

It shows indicators done (of the total, when the input is a file), the references
found, the request rate, the errors, and the time left at the current pace.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, TextIO

from .._bulk import RunStats


def _size(stream: TextIO) -> tuple[int, int]:
    """The terminal's columns and lines; 80x24 where it reports none (a pseudo-terminal
    nobody sized says 0x0, and tqdm then draws nothing)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24


class BulkProgress:
    """A tqdm bar, or nothing at all when `enabled` is false (a log file, a pipe)."""

    def __init__(self, stream: TextIO, *, enabled: bool, total: int | None, done: int) -> None:
        self._bar: Any = None
        self._started = time.monotonic()
        if not enabled:
            return
        from tqdm import tqdm

        columns, lines = _size(stream)

        self._bar = tqdm(
            total=total,
            initial=done,
            unit=" ioc",
            file=stream,
            ncols=columns,
            nrows=lines,
            mininterval=0.2,
            leave=False,
        )

    def update(self, stats: RunStats, *, errors: int) -> None:
        """One more indicator done; the run's figures so far."""
        if self._bar is None:
            return
        minutes = max(time.monotonic() - self._started, 1e-9) / 60
        self._bar.set_postfix_str(
            f"{stats.references} refs, {stats.requests / minutes:.0f} req/min, {errors} errors",
            refresh=False,
        )
        self._bar.update(1)

    def clear(self) -> None:
        """Erase the bar for a line of stderr; tqdm draws it again on its next update."""
        if self._bar is not None:
            with contextlib.suppress(OSError):
                self._bar.clear()

    def close(self) -> None:
        """Erase the bar before the summary takes the line."""
        if self._bar is not None:
            with contextlib.suppress(OSError):
                self._bar.close()
            self._bar = None
