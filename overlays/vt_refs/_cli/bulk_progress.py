"""Progress of `vt-refs bulk` on stderr, drawn by tqdm, only when stderr is a terminal.

It shows indicators done (of the total, when the input is a file), the references
found, the request rate, the errors, and the time left: at the current pace, or with a
quota at the quota's pace (what a quota-bound run actually goes by). A ticker redraws it
every second, so its clock runs while requests wait for the quota, and `waiting` puts
the wait on the bar ("waiting for quota until 12:04:00 (per-minute)").
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
import os
import threading
import time
from collections.abc import Iterator
from typing import Any, Final, TextIO

from .._bulk import RunStats, run_seconds
from .._transport import Quota, quota_wait_of

_TICK: Final = 1.0  # seconds between redraws when nothing else redraws the bar


def duration(seconds: float) -> str:
    """`2 d 3 h 4 min`, `5 min 6 s`: what a person reads at a glance."""
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")] + ([(secs, "s")] if not days else [])
    shown = [f"{n} {unit}" for n, unit in parts if n]
    return " ".join(shown[:3]) or "0 s"


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

    def __init__(self, stream: TextIO, *, enabled: bool, total: int | None, done: int,
                 quota: Quota | None = None) -> None:  # fmt: skip
        self._bar: Any = None
        self._started = time.monotonic()
        self._quota = quota
        self._total = total
        self._done_before = done
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._figures = ""
        self._waiting = ""
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
            # No ioc/s: the figures say req/min, and 80 columns must hold a wait's note. With
            # a quota, the time left is the quota's pace (in the figures), not tqdm's guess.
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} ioc [{elapsed}"
            + ("{postfix}]" if quota is not None else "<{remaining}{postfix}]"),
        )
        threading.Thread(target=self._tick, name="vt-refs-progress", daemon=True).start()

    def _tick(self) -> None:
        """Redraw every `_TICK` s: the elapsed time runs on while requests wait."""
        while not self._stop.wait(_TICK):
            with self._lock:
                if self._bar is not None:
                    with contextlib.suppress(OSError, ValueError):
                        self._bar.refresh()

    def _postfix(self) -> None:
        # While requests wait, the wait is what matters: it takes the figures' place.
        self._bar.set_postfix_str(self._waiting or self._figures, refresh=False)

    @property
    def shown(self) -> bool:
        """Whether a bar is drawn (stderr is a terminal)."""
        return self._bar is not None

    def waiting(self, until: datetime.datetime, window: str) -> None:
        """Show that requests wait for the quota until `until` (the local time a person at
        the terminal reads), and for which window: short enough for 80 columns."""
        with self._lock:
            if self._bar is None:
                return
            short = window.removesuffix(" window")
            self._waiting = f"waiting for quota until {until.astimezone():%H:%M:%S} ({short})"
            self._postfix()
            with contextlib.suppress(OSError, ValueError):
                self._bar.refresh()

    def _eta(self, stats: RunStats) -> str:
        """The time left at the quota's pace, from the requests an indicator took so far."""
        if self._quota is None or self._total is None or not stats.indicators:
            return ""
        left = max(0, self._total - self._done_before - stats.indicators)
        per_indicator = max(stats.requests, 1) / stats.indicators
        seconds = run_seconds(math.ceil(left * per_indicator), self._quota)
        return f"{duration(seconds)} left at the quota, "

    def update(self, stats: RunStats, *, errors: int) -> None:
        """One more indicator done; the run's figures so far (a wait shown is over)."""
        with self._lock:
            if self._bar is None:
                return
            minutes = max(time.monotonic() - self._started, 1e-9) / 60
            self._figures = (
                f"{self._eta(stats)}{stats.references} refs, "
                f"{stats.requests / minutes:.0f} req/min, {errors} errors"
            )
            self._waiting = ""
            self._postfix()
            self._bar.update(1)

    def clear(self) -> None:
        """Erase the bar for a line of stderr; tqdm draws it again on its next update."""
        with self._lock:
            if self._bar is not None:
                with contextlib.suppress(OSError):
                    self._bar.clear()

    def close(self) -> None:
        """Erase the bar before the summary takes the line."""
        self._stop.set()
        with self._lock:
            if self._bar is not None:
                with contextlib.suppress(OSError):
                    self._bar.close()
                self._bar = None


class _WaitsToBar(logging.Handler):
    """Puts each wait the quota layer reports (`QuotaWait`) on the bar."""

    def __init__(self, progress: BulkProgress) -> None:
        super().__init__(logging.INFO)
        self._progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        wait = quota_wait_of(record)
        if wait is not None:
            try:
                self._progress.waiting(wait.until, wait.window)
            except Exception:  # a logging handler must never raise into the request
                self.handleError(record)


@contextlib.contextmanager
def waits_shown(progress: BulkProgress) -> Iterator[None]:
    """While the run lasts, every wait for the quota (the client's pacing and the server's
    429s alike, logged by the quota layer on "vt_refs.quota") is on the bar. Its INFO
    records are let through to this handler only; the `vt-refs:` lines stay the warnings."""
    if not progress.shown:
        yield
        return
    logger = logging.getLogger("vt_refs.quota")
    handler = _WaitsToBar(progress)
    level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
