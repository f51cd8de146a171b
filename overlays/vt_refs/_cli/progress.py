"""The progress count on stderr (`\\r120/241 references`), for people only.

It is drawn only when stderr is a terminal: in a log file or a pipe, carriage returns
are noise. It is erased before each page is written, so when stdout is the same terminal
the count stays below the output instead of being mixed into it.
"""

from __future__ import annotations

from typing import Final, TextIO

_ERASE_LINE: Final = "\r\x1b[K"


class Progress:
    """Shows `done/total references` on one terminal line, or does nothing."""

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._shown = False

    def show(self, done: int, total: int | None) -> None:
        """Redraw the count; `total` is the API's `meta.count` when it sent one."""
        if not self._enabled:
            return
        count = f"{done}/{total}" if total is not None else str(done)
        self._write(f"{_ERASE_LINE}{count} references")
        self._shown = True

    def clear(self) -> None:
        """Erase the count, before output or a message takes the line."""
        if self._shown:
            self._write(_ERASE_LINE)
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:
            self._enabled = self._shown = False  # a closed terminal must not stop the listing
