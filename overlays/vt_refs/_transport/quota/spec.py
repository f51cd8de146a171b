"""`Quota`: how many requests one API key may send per second, minute, hour, day, month.

This module imports nothing heavy: a `Quota` can be built, parsed from the CLI's
`4/min,500/day` and checked without loading the limiter, which only comes in when a
client actually uses a quota.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final, NamedTuple

from ..._checks import check_count
from ..._errors import UsageError

# Window lengths in milliseconds. A month is 31 days: a sliding window of the longest
# month keeps every calendar month, whatever its length, within the limit.
_WINDOWS: Final = (
    ("per_second", 1_000),
    ("per_minute", 60_000),
    ("per_hour", 3_600_000),
    ("per_day", 86_400_000),
    ("per_month", 31 * 86_400_000),
)
_UNITS: Final = {
    "s": "per_second",
    "sec": "per_second",
    "second": "per_second",
    "min": "per_minute",
    "minute": "per_minute",
    "h": "per_hour",
    "hour": "per_hour",
    "d": "per_day",
    "day": "per_day",
    "month": "per_month",
}
_SHORT: Final = {"per_second": "s", "per_minute": "min", "per_hour": "h", "per_day": "day",
                 "per_month": "month"}  # fmt: skip
_PART: Final = re.compile(r"\s*([0-9]{1,12})\s*/\s*([a-z]+)\s*")


class Window(NamedTuple):
    """One limit of a quota: `limit` requests in any `interval_ms` milliseconds."""

    name: str
    limit: int
    interval_ms: int


@dataclasses.dataclass(frozen=True, slots=True)
class Quota:
    """Request limits of one API key; every window holds at once, over any interval of its
    length (sliding windows: no burst at a boundary ever exceeds one).

    `Quota.public()` is a public key's 4 per minute and 500 per day. A day is any 24 hours
    (so every UTC day, VirusTotal's reset, stays within it), a month any 31 days.
    """

    per_second: int | None = None
    per_minute: int | None = None
    per_hour: int | None = None
    per_day: int | None = None
    per_month: int | None = None

    def __post_init__(self) -> None:
        given = 0
        for name, _ in _WINDOWS:
            value = getattr(self, name)
            if check_count(f"Quota {name}", value, 1, optional=True) is not None:
                given += 1
        if not given:
            raise UsageError("a Quota needs at least one limit, e.g. Quota(per_minute=4)")

    @classmethod
    def public(cls) -> Quota:
        """A public API key's quota: 4 requests per minute and 500 per day."""
        return cls(per_minute=4, per_day=500)

    @classmethod
    def parse(cls, spec: str) -> Quota:
        """`"public"` or limits such as `"4/min,500/day"` (units s, min, h, day, month)."""
        if not isinstance(spec, str):
            raise UsageError(f"a quota spec must be a str, not {type(spec).__name__}")
        if spec.strip().lower() == "public":
            return cls.public()
        limits: dict[str, int] = {}
        for part in spec.lower().split(","):
            match = _PART.fullmatch(part)
            unit = None if match is None else _UNITS.get(match.group(2))
            if match is None or unit is None:
                raise UsageError(
                    f"bad quota {spec!r}: expected 'public' or N/UNIT[,N/UNIT...] with UNIT "
                    "one of s, min, h, day, month (e.g. 4/min,500/day)"
                )
            if unit in limits:
                raise UsageError(f"bad quota {spec!r}: {match.group(2)} given twice")
            limits[unit] = int(match.group(1))
        return cls(**limits)

    def windows(self) -> tuple[Window, ...]:
        """The limits that can bind, shortest window first.

        A limit implied by a shorter one (per_minute=1000 beside per_second=10, which
        allows at most 600) is dropped, and so is a shorter limit no smaller than a longer
        one; what is left has growing limits and a falling rate, as sliding-window
        limiters require.
        """
        given = [Window(n, getattr(self, n), ms) for n, ms in _WINDOWS if getattr(self, n)]
        kept: list[Window] = []
        for window in given:
            # A longer window binds only if its limit is below what the shorter ones allow.
            implied = min(
                (-(-window.interval_ms // w.interval_ms) * w.limit for w in kept), default=None
            )
            if implied is not None and window.limit >= implied:
                continue
            kept = [w for w in kept if w.limit < window.limit]
            kept.append(window)
        return tuple(kept)

    def __str__(self) -> str:
        return ",".join(f"{getattr(self, n)}/{_SHORT[n]}" for n, _ in _WINDOWS if getattr(self, n))
