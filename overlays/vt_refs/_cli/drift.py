"""Schema drift warnings as `vt-refs: warning: ...` lines on stderr.

The SDK issues one `SchemaDriftWarning` per drifting field through the warnings module;
Python's default display (file, line, source) is for developers. Here each becomes one
clean line, and a `PYTHONWARNINGS=error` in the environment cannot turn it into a
traceback: `--strict` is how to make drift an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from .._parsing import SchemaDriftWarning
from .errors import Reporter


@contextmanager
def drift_warnings(report: Reporter, before: Callable[[], None]) -> Iterator[None]:
    """Within the block, drift warnings go to `report`; `before` clears the progress."""
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
            if not isinstance(message, SchemaDriftWarning):
                shown(message, category, filename, lineno, file, line)
                return
            before()
            report.line(
                f"warning: {message.model}.{message.field} at {message.path}: expected "
                f"{message.declared}, got {message.received}; going on "
                "(--strict makes this an error)"
            )

        warnings.showwarning = show
        # The SDK already warns once per field: show each one it issues.
        warnings.simplefilter("always", SchemaDriftWarning)
        yield
