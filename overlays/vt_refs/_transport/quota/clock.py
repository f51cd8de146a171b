"""The clock of a SQLite quota store: the host's time since boot, not the wall clock.

Permits in a SQLite file are stamped and counted by every process of one host. Stamped
with the wall clock (pyrate-limiter's way), a step of that clock (NTP correcting a wrong
time, an admin, a VM restored from a snapshot) breaks the windows: a step forward makes
every entry look old and releases a whole window's permits at once, past what the API
allows; a step back makes them look young and locks the key for as long as the step.

So the stamps come from a clock that nobody sets and that every process of the host
shares: the time since boot (Linux `CLOCK_BOOTTIME`, which also counts time suspended;
the monotonic clock elsewhere, which on macOS and Windows is host-wide too). A wall-clock
step then changes nothing. Only a reboot restarts that clock; the file records the boot
it was stamped in (Linux's boot id) and the wall time of that boot's zero, and the first
process of a new boot moves every stamp onto the new boot's clock through the wall clock
(the one moment it is needed). Stamps that would still lie in the future (no boot id, or
a wall clock wrong across the reboot) are set to now: a key is then held for at most one
window, and never let past its quota.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager
from typing import Final

_BOOT_ID: Final = "/proc/sys/kernel/random/boot_id"
_CLOCK_TABLE: Final = "vt_quota_clock"
_TABLE_PREFIX: Final = "vt_quota_"


def host_ms() -> int:
    """Milliseconds since boot, on the clock every process of the host reads alike."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    if clock is not None:
        return time.clock_gettime_ns(clock) // 1_000_000
    return time.monotonic_ns() // 1_000_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def boot_id() -> str:
    """This boot's identity ("" where the system does not tell)."""
    try:
        with open(_BOOT_ID, encoding="ascii") as file:
            return file.read().strip()
    except OSError:
        return ""


def rebase(connection: sqlite3.Connection, lock: AbstractContextManager[object]) -> None:
    """Make every stamp in the file count on this boot's clock (under the file lock).

    A file with no clock record was stamped with the wall clock (by an earlier vt-refs):
    its stamps are converted too.
    """
    with lock:
        now = host_ms()
        base = wall_ms() - now  # the wall time of this boot's zero
        this_boot = boot_id()
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {_CLOCK_TABLE} "
            "(id INTEGER PRIMARY KEY CHECK (id = 0), boot TEXT NOT NULL, base_ms INTEGER NOT NULL)"
        )
        row = connection.execute(f"SELECT boot, base_ms FROM {_CLOCK_TABLE}").fetchone()
        if row is None:
            shift: int | None = -base  # wall-clock stamps onto this boot's clock
        elif this_boot and row[0] != this_boot:
            shift = int(row[1]) - base  # the old boot's stamps, through the wall clock
        else:
            shift = None  # the same boot (or no way to tell): only clamp the future
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
                (f"{_TABLE_PREFIX}%",),
            )
            if name != _CLOCK_TABLE
        ]
        for table in tables:
            if shift:
                connection.execute(
                    f'UPDATE "{table}" SET item_timestamp = MIN(item_timestamp + ?, ?)',
                    (shift, now),
                )
            connection.execute(
                f'UPDATE "{table}" SET item_timestamp = ? WHERE item_timestamp > ?', (now, now)
            )
        if row is None or shift is not None:
            connection.execute(
                f"INSERT OR REPLACE INTO {_CLOCK_TABLE} VALUES (0, ?, ?)", (this_boot, base)
            )
        connection.commit()
