"""Each distinct indicator once per run, whatever its spelling.

Lists pasted from reports repeat themselves: the same host defanged and not, a hash in
upper and in lower case, an IPv6 address in two forms. `classify` already gives each the
one `(kind, id)` the API knows it by, so a run keys on that: the first item with a key is
walked, every later one is a `"duplicate"` result naming the first (`duplicate_of`) and
costs no request.

The keys are 16-byte digests kept in a private temporary SQLite database (deleted when
the run closes it): SQLite holds at most its page cache in memory and spills the rest to
the file, so a run over ten million distinct lines holds a few megabytes of keys, not a
set of ten million objects (`bench/quota_spend.py` measures it).

A duplicate is handed over only after its first: the checkpoint then never records a
duplicate as finished while its first is not, and a consumer that copies the first's
references to its duplicates has them already. Duplicates of a first still walking are
held (at most `HELD_MAX`, after which the run reads no further input until a walk ends).
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Final

from .ioc import IOC
from .results import IOCResult

# Duplicates waiting for their first's walk, beyond which the input is not read on.
HELD_MAX: Final = 10_000
# SQLite's page cache for the keys, in KiB (a negative cache_size is KiB).
_CACHE_KIB: Final = 8 * 1024
_INSERT: Final = "INSERT INTO seen VALUES (?, ?) ON CONFLICT DO NOTHING"
_SELECT: Final = "SELECT position FROM seen WHERE digest = ?"


def key_of(ioc: IOC) -> bytes:
    """What two spellings of one indicator share: a digest of its kind and API id."""
    text = f"{ioc.kind}\0{ioc.id}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).digest()


class Seen:
    """The keys met so far, each with the input position of its first item."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self.distinct = 0

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            # "" is a private temporary database on disk, removed on close.
            db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(
                "CREATE TABLE seen (digest BLOB PRIMARY KEY, position INTEGER NOT NULL) "
                "WITHOUT ROWID"
            )
            # One transaction for the whole run, never committed: nothing here outlives the
            # run, and a commit per key cost three times the insert (25 us against 9).
            db.execute("BEGIN")
            self._db = db
        return self._db

    def first(self, ioc: IOC, position: int) -> int | None:
        """The position of the first item keyed as `ioc` is, or None when the item at
        `position` is the first (it is remembered as such)."""
        db = self._open()
        digest = key_of(ioc)
        if db.execute(_INSERT, (digest, position)).rowcount:
            self.distinct += 1
            return None
        row = db.execute(_SELECT, (digest,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()


class Distinct:
    """The dedupe of one run: the keys seen, and the duplicates held for their first."""

    def __init__(self) -> None:
        self.seen = Seen()
        self._walking: dict[int, list[IOCResult]] = {}
        self.held = 0

    def first(self, ioc: IOC, position: int) -> int | None:
        """As `Seen.first`."""
        return self.seen.first(ioc, position)

    def walking(self, position: int) -> None:
        """The first item at `position` is being walked: its duplicates wait for it."""
        self._walking[position] = []

    def duplicate(self, result: IOCResult) -> IOCResult | None:
        """`result` (a duplicate) to hand over now, or None: it is held for its first."""
        assert result.duplicate_of is not None
        waiting = self._walking.get(result.duplicate_of)
        if waiting is None:
            return result
        waiting.append(result)
        self.held += 1
        return None

    def release(self, position: int) -> list[IOCResult]:
        """The duplicates held for the first at `position`, whose result was handed over
        (or dropped: a run that stopped hands over neither)."""
        held = self._walking.pop(position, None) or []
        self.held -= len(held)
        return held

    @property
    def full(self) -> bool:
        """Whether so many duplicates wait that no more input should be read for now."""
        return self.held >= HELD_MAX

    def close(self) -> None:
        self._walking.clear()
        self.held = 0
        self.seen.close()
