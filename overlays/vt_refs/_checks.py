"""Argument checks every part of the SDK shares, each a `UsageError` naming the argument.

One rule for numbers everywhere: a bool is no number (Python's `True` is an int), NaN and
the infinities are refused, and a wait is at most a year, which every clock and sleep
can take.
"""

from __future__ import annotations

import math
from typing import Final

from ._errors import UsageError

# Longer than any sane wait, short enough for every clock and sleep (a year, in seconds).
MAX_SECONDS: Final = 365 * 24 * 3600.0


def check_number(
    name: str, value: object, *, minimum: float, allow_equal: bool, maximum: float = MAX_SECONDS
) -> None:
    """A UsageError unless `value` is a finite int or float within the bounds."""
    if not (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > minimum or (allow_equal and value == minimum))
        and value <= maximum
    ):
        bound = ">=" if allow_equal else ">"
        raise UsageError(
            f"{name} must be a finite number {bound} {minimum} and <= {maximum:g}, not {value!r}"
        )


def check_count(name: str, value: object, minimum: int, *, optional: bool = False) -> None:
    """A UsageError unless `value` is an int (not a bool) of at least `minimum` (or None,
    when `optional`)."""
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise UsageError(f"{name} must be an int >= {minimum}, not {value!r}")
