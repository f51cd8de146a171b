"""The state of a watch: which references each indicator had, in a SQLite file.

One row per (indicator, reference id): the reference's `last_modification_date` when
last seen, and when it was first and last in the API's answer. Nothing else: no key, no
reference content. A reference is new for an indicator when it has no row, or a row
with an earlier modification date. A row whose reference has not been in the answer for
`forget_after` days is dropped, so the file stays bounded however long a case is watched
(a reference that comes back after that is new again).

The file is held with an exclusive lock while a watch runs, so two watches cannot share
one state. A document written to a file is handed over through `pending`: recorded in the
same transaction as what it holds, renamed into place after, so a kill between the two
is finished by the next run instead of emitting the same references twice.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from typing import Any, Final

from .._bulk import connect_exclusive
from .._errors import UsageError

_SCHEMA: Final = 1
DAY: Final = 86400.0


def modified_of(reference: object) -> int | None:
    """A reference's `last_modification_date` (epoch seconds), or None."""
    value = getattr(getattr(reference, "attributes", None), "last_modification_date", None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def reference_id(reference: object) -> str:
    value = getattr(reference, "id", None)
    return value if isinstance(value, str) else ""


class WatchState:
    """A watch's state file at `path` (created when missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._db = connect_exclusive(self.path, "watch state")
        try:
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE IF NOT EXISTS seen (indicator TEXT NOT NULL, ref TEXT NOT NULL,"
                " modified INTEGER, first_seen REAL NOT NULL, last_seen REAL NOT NULL,"
                " PRIMARY KEY (indicator, ref));"
            )
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(_SCHEMA),))
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise UsageError(f"{self.path!r} is not a vt-refs watch state: {error}") from None
        self.fresh = self._meta("recorded") is None  # nothing recorded yet: all is new

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def new_of(self, indicator: str, references: Iterable[Any]) -> list[Any]:
        """Those of `references` that are new for `indicator` (nothing is written)."""
        known = dict(self._db.execute(
            "SELECT ref, modified FROM seen WHERE indicator = ?", (indicator,)))  # fmt: skip
        new = []
        for reference in references:
            ident = reference_id(reference)
            if ident not in known:
                new.append(reference)
                continue
            before, now = known[ident], modified_of(reference)
            if now is not None and (before is None or now > before):
                new.append(reference)
        return new

    def record(self, answers: Iterable[tuple[str, list[Any]]], *, now: float,
               forget_after: float | None, watched: Iterable[str] | None = None,
               pending: tuple[str, str] | None = None) -> None:  # fmt: skip
        """In one transaction: each (indicator, its whole answer) as seen `now`, and its
        rows that have not been in its answer for `forget_after` days dropped. With
        `watched` (every indicator of a whole run, failed ones included), the old rows of
        indicators no longer watched are dropped too. `pending`, a (temporary file,
        output) to rename once this is recorded, is noted with it."""
        db = self._db
        cutoff = None if forget_after is None else now - forget_after * DAY
        db.execute("BEGIN IMMEDIATE")
        try:
            for indicator, references in answers:
                db.executemany(
                    "INSERT INTO seen VALUES (?, ?, ?, ?, ?) ON CONFLICT (indicator, ref) "
                    "DO UPDATE SET modified = excluded.modified, last_seen = excluded.last_seen",
                    [(indicator, reference_id(ref), modified_of(ref), now, now)
                     for ref in references],
                )  # fmt: skip
                if cutoff is not None:
                    db.execute("DELETE FROM seen WHERE indicator = ? AND last_seen < ?",
                               (indicator, cutoff))  # fmt: skip
            if cutoff is not None and watched is not None:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS watched (indicator TEXT PRIMARY KEY)")
                db.execute("DELETE FROM temp.watched")
                db.executemany("INSERT OR IGNORE INTO temp.watched VALUES (?)",
                               [(indicator,) for indicator in watched])  # fmt: skip
                db.execute(
                    "DELETE FROM seen WHERE last_seen < ? AND indicator NOT IN "
                    "(SELECT indicator FROM temp.watched)",
                    (cutoff,),
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('recorded', ?)", (str(now),))
            if pending is not None:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('pending', ?)",
                           ("\n".join(pending),))  # fmt: skip
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.fresh = False

    @property
    def pending(self) -> tuple[str, str] | None:
        """The (temporary file, output) a run recorded but may not have renamed yet."""
        value = self._meta("pending")
        if not value:
            return None
        temporary, _, out = value.partition("\n")
        return temporary, out

    def clear_pending(self) -> None:
        self._db.execute("DELETE FROM meta WHERE key = 'pending'")

    def count(self) -> int:
        """How many (indicator, reference) rows the state holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])

    def close(self) -> None:
        self._db.close()
