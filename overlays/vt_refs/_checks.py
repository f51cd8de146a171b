"""Argument checks every part of the SDK shares, each a `UsageError` naming the argument.

One rule for numbers everywhere, the library's, the CLI's options and the fake's: a bool
is no number (Python's `True` is an int), a count is an int, NaN and the infinities are
refused, and a wait is at most a year, which every clock and sleep can take. The
`*_problem` functions say what is wrong without the name, for callers that name the
argument their own way (argparse: `--page-size: must be at least 1, not 0`).
"""

from __future__ import annotations

import math
from typing import Final, Literal, overload

from ._errors import UsageError

# Longer than any sane wait, short enough for every clock and sleep (a year, in seconds).
MAX_SECONDS: Final = 365 * 24 * 3600.0


def count_problem(value: object, minimum: int | None, maximum: int | None = None) -> str | None:
    """What keeps `value` from being an int (not a bool) within the bounds (None: no
    bound), or None when it is one."""
    if not isinstance(value, int) or isinstance(value, bool):
        return f"must be an int, not {value!r}"
    if minimum is not None and maximum is not None:
        if not minimum <= value <= maximum:
            return f"must be in {minimum}..{maximum}, not {value}"
    elif minimum is not None and value < minimum:
        return f"must be at least {minimum}, not {value}"
    elif maximum is not None and value > maximum:
        return f"must be at most {maximum}, not {value}"
    return None


def number_problem(
    value: object, *, minimum: float, allow_equal: bool, maximum: float = MAX_SECONDS
) -> str | None:
    """What keeps `value` from being a finite int or float (not a bool) within the
    bounds, or None when it is one."""
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > minimum or (allow_equal and value == minimum))
        and value <= maximum
    ):
        return None
    bound = f">= {minimum:g}" if allow_equal else f"above {minimum:g}"
    return f"must be a finite number {bound} and at most {maximum:g}, not {value!r}"


def check_number(
    name: str, value: object, *, minimum: float, allow_equal: bool, maximum: float = MAX_SECONDS
) -> float:
    """`value` when it is a finite int or float within the bounds, else a UsageError."""
    problem = number_problem(value, minimum=minimum, allow_equal=allow_equal, maximum=maximum)
    if problem is not None or not isinstance(value, int | float):
        raise UsageError(f"{name} {problem}")
    return value


@overload
def check_count(
    name: str,
    value: object,
    minimum: int | None,
    *,
    maximum: int | None = None,
    optional: Literal[False] = False,
) -> int: ...


@overload
def check_count(
    name: str, value: object, minimum: int | None, *, maximum: int | None = None, optional: bool
) -> int | None: ...


def check_count(
    name: str,
    value: object,
    minimum: int | None,
    *,
    maximum: int | None = None,
    optional: bool = False,
) -> int | None:
    """`value` when it is an int (not a bool) within the bounds (None: unbounded), or None
    when `optional`; else a UsageError."""
    if optional and value is None:
        return None
    problem = count_problem(value, minimum, maximum)
    if problem is not None or not isinstance(value, int):
        raise UsageError(f"{name} {problem}")
    return value
