"""The slowest round trip each window has seen, shared by the processes of a SQLite store.

Each process knows only its own round trips, and one whose requests came back quickly
counts the first window with the least margin while another's cold requests arrived
late: measured, 4 processes starting at once on a 20/s quota, one of them let a request
through at the first window's edge, refused (429). So before each permit a process
hands its slowest round trip per window to the store and counts with the largest any
process reported, for a window after it was reported. Redis does the same inside its
permit script (`redis_bucket`); memory needs nothing (one process, one view).
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import Any

from .clock import host_ms
from .spec import Window


class SQLiteSlowest:
    """The shared slowest round trips, a row per window in the quota's SQLite file, read
    and written under the bucket's own lock and connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        lock: AbstractContextManager[Any],
        table: str,
        windows: tuple[Window, ...],
    ) -> None:
        self._conn, self._lock, self._table = conn, lock, table
        self._lengths = tuple(w.interval_ms for w in windows)
        with lock:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (window INTEGER PRIMARY KEY, "
                "slowest INTEGER NOT NULL, until INTEGER NOT NULL)"
            )
            conn.commit()

    def exchange(self, own: tuple[int, ...]) -> tuple[int, ...]:
        """Report `own` (ms per window); the largest reported within each window since."""
        with self._lock:
            now = host_ms()
            rows = self._conn.execute(f"SELECT window, slowest, until FROM {self._table}")
            shared = dict.fromkeys(range(len(own)), 0)
            for window, slowest, until in rows.fetchall():
                # Further off than a window: written before a reboot (a boot's clock
                # starts at zero again), so it says nothing of this boot's round trips.
                if window in shared and now < until <= now + self._lengths[window]:
                    shared[window] = int(slowest)
            newer = [(i, mine, now + self._lengths[i])
                     for i, mine in enumerate(own) if mine > shared[i]]  # fmt: skip
            if newer:
                self._conn.executemany(
                    f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?, ?)", newer
                )
                self._conn.commit()
        return tuple(max(mine, shared[i]) for i, mine in enumerate(own))
