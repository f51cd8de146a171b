"""The CLI's plumbing to stdout and stderr: the cases where they fail or are not a terminal.

Standard library only: `vt_refs.cli` uses it before anything heavy is imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO

WriteLine = Callable[[str], None]


def discard_stdout() -> None:
    """Point fd 1 at devnull after EPIPE, as the Python docs advise, so the interpreter's
    final flush of stdout cannot fail again and print `Exception ignored ...`."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, 1)
    except OSError:
        pass
    finally:
        os.close(devnull)


def line_writer(stream: TextIO) -> WriteLine:
    """A writer of messages to `stream` that never fails: with stderr gone, stay quiet."""

    def write(text: str) -> None:
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            pass

    return write


def isatty(stream: TextIO) -> bool:
    """Whether `stream` is a terminal (False for a closed or odd stream)."""
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False
