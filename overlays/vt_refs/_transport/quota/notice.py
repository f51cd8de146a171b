"""Saying that a request waits for the quota, and until when: one log record per wait.

Records go to the logger "vt_refs.quota": a wait after a server 429 of half a second or
more is a WARNING (shown even with no logging set up, and as a `vt-refs:` line by the CLI),
shorter ones and the pacing waits of a quota are INFO. Each record carries the wait as a
`QuotaWait` in its `vt_refs_quota_wait` attribute (`quota_wait_of(record)`), so a progress
display can show "waiting for quota until 12:04:31 (per-minute window)" without parsing
text. Records hold no server text: nothing in them needs redacting.
"""

from __future__ import annotations

import datetime
import logging
from typing import Final, Literal

import attrs

log: Final = logging.getLogger("vt_refs.quota")
ATTRIBUTE: Final = "vt_refs_quota_wait"
_LOUD_SECONDS: Final = 0.5


@attrs.frozen(kw_only=True)
class QuotaWait:
    """One wait for the quota: until when (aware UTC), how long, for which window, why.

    `cause` is "server" after a 429 of the API, "quota" for the client's own or learned
    windows.
    """

    until: datetime.datetime
    seconds: float
    window: str
    cause: Literal["server", "quota"]

    @property
    def message(self) -> str:
        """`waiting for quota until 12:04:31 (per-minute window)`, in UTC."""
        why = "the API answered 429" if self.cause == "server" else "pacing"
        return (
            f"waiting for quota until {self.until:%H:%M:%S} UTC ({self.window}; {why}, "
            f"{self.seconds:.1f} s)"
        )


def quota_wait_of(record: logging.LogRecord) -> QuotaWait | None:
    """The wait a "vt_refs.quota" log record reports, None for any other record."""
    found = getattr(record, ATTRIBUTE, None)
    return found if isinstance(found, QuotaWait) else None


def window_words(name: str) -> str:
    """`per_minute` (a `Quota` window's name) as "per-minute window"."""
    return name.replace("_", "-") + " window"


def notify(seconds: float, window: str, cause: Literal["server", "quota"]) -> None:
    """Log that a request waits `seconds` (nothing for a wait under 10 ms)."""
    if seconds < 0.01:
        return
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    wait = QuotaWait(until=until, seconds=seconds, window=window, cause=cause)
    loud = cause == "server" and seconds >= _LOUD_SECONDS
    level = logging.WARNING if loud else logging.INFO
    if log.isEnabledFor(level):
        log.log(level, "%s", wait.message, extra={ATTRIBUTE: wait})
