"""argparse types for the numeric options, under the library's own rule (`_checks`).

An option the CLI accepts is a value `connect()` and the helpers accept too, and one it
refuses says why in the same words: `--page-size: must be at least 1, not 0`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .._checks import count_problem, number_problem


def count(minimum: int) -> Callable[[str], int]:
    """A whole number of at least `minimum` (`--page-size`, `--max-retries`, ...)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        problem = count_problem(value, minimum)
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse


def seconds(*, zero: bool) -> Callable[[str], float]:
    """A finite number of seconds, above 0 (or also 0, with `zero`), at most a year."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number of seconds, got {text!r}"
            ) from None
        problem = number_problem(value, minimum=0, allow_equal=zero)
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse
