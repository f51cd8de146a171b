"""Schema drift warnings as `vt-refs: warning: ...` lines on stderr.

The SDK issues one `SchemaDriftWarning` per drifting field through the warnings module;
Python's default display (file, line, source) is for developers. Here each becomes one
clean line, and a `PYTHONWARNINGS=error` in the environment cannot turn it into a
traceback: `--strict` is how to make drift an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .._parsing import SchemaDriftWarning
from .errors import Reporter
from .warning_lines import warning_lines


def _line(warning: SchemaDriftWarning) -> str:
    return (
        f"warning: {warning.model}.{warning.field} at {warning.path}: expected "
        f"{warning.declared}, got {warning.received}; going on "
        "(--strict makes this an error)"
    )


@contextmanager
def drift_warnings(report: Reporter, before: Callable[[], None]) -> Iterator[None]:
    """Within the block, drift warnings go to `report`; `before` clears the progress."""
    with warning_lines(report, SchemaDriftWarning, _line, before):
        yield
