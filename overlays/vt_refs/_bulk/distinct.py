"""Each distinct indicator once per run, whatever its spelling.

Lists pasted from reports repeat themselves: the same host defanged and not, a hash in
upper and in lower case, an IPv6 address in two forms. `classify` already gives each the
one `(kind, id)` the API knows it by, so a run keys on that: the first item with a key is
walked, every later one is a `"duplicate"` result naming the first (`duplicate_of`) and
costs no request.

The keys are 16-byte digests. The latest `BATCH` new ones wait in a dict; the rest are
in a private temporary SQLite database (deleted when the run closes it), which holds at
most its page cache in memory and spills the rest to the file: a run over ten million
distinct lines holds tens of megabytes, not a set of ten million objects
(`bench/quota_spend.py` measures it). A run with fewer distinct indicators than a batch
never opens the database.

An INSERT per line (13.2 us a line at ten million, measured) spends most of that in the
sqlite3 module's call and a descent of the B-tree for a random key: the batch goes in
sorted, in one `executemany` (10.5 us a line; SQLite's page size changed nothing, so the
rest is Python's own work per key). A key not in the batch is looked up in
the database only when a Bloom filter over the stored keys (`_BLOOM_BITS`, 16 MiB, 3
probes taken from the digest itself) says it may be there: the repeats and a fraction
of a percent of the rest at ten million keys, more beyond (still exact: the filter
only decides whether to look).

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
# New keys kept in memory before they go into the database, sorted, at once (~4 MB).
BATCH: Final = 32_768
# SQLite's page cache for the keys, in KiB (a negative cache_size is KiB).
_CACHE_KIB: Final = 8 * 1024
# The Bloom filter over the stored keys: 2**27 bits (16 MiB), each key setting 3 of them
# (27-bit slices of its digest); at 9 million keys 15 bits a key, ~0.6% false positives.
_BLOOM_BITS: Final = 27
_PROBES: Final = 3
_INSERT: Final = "INSERT INTO seen VALUES (?, ?)"
_SELECT: Final = "SELECT position FROM seen WHERE digest = ?"


def key_of(ioc: IOC) -> bytes:
    """What two spellings of one indicator share: a digest of its kind and API id."""
    text = f"{ioc.kind}\0{ioc.id}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).digest()


class Seen:
    """The keys met so far, each with the input position of its first item."""

    def __init__(self, *, batch: int = BATCH, bloom_bits: int = _BLOOM_BITS) -> None:
        if batch < 1 or not 0 < bloom_bits <= 128 // _PROBES:
            raise ValueError(f"no dedupe with a batch of {batch} and {bloom_bits}-bit probes")
        self._db: sqlite3.Connection | None = None
        self._batch = batch
        self._pending: dict[bytes, int] = {}  # new keys not yet in the database
        self._bloom_bits = bloom_bits
        self._bloom = bytearray()  # allocated with the database
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
            # run, and a commit per batch would only write what nobody reads back.
            db.execute("BEGIN")
            self._bloom = bytearray(1 << max(self._bloom_bits - 3, 0))
            self._db = db
        return self._db

    def _stored(self, digest: bytes) -> int | None:
        """The position stored for `digest`, looked up only if the filter allows it."""
        if self._db is None:
            return None
        bloom, bits = self._bloom, self._bloom_bits
        mask, value = (1 << bits) - 1, int.from_bytes(digest, "little")
        for _ in range(_PROBES):  # 27-bit slices of the digest, already uniform
            bit = value & mask
            if not bloom[bit >> 3] >> (bit & 7) & 1:
                return None
            value >>= bits
        row = self._db.execute(_SELECT, (digest,)).fetchone()
        return None if row is None else int(row[0])

    def _flush(self) -> None:
        db, bloom, bits = self._open(), self._bloom, self._bloom_bits
        mask, pending = (1 << bits) - 1, self._pending
        for digest in pending:
            value = int.from_bytes(digest, "little")
            for _ in range(_PROBES):
                bit = value & mask
                bloom[bit >> 3] |= 1 << (bit & 7)
                value >>= bits
        # Sorted, the batch's keys fill the B-tree's pages in order instead of at random.
        db.executemany(_INSERT, ((digest, pending[digest]) for digest in sorted(pending)))
        pending.clear()

    def first(self, ioc: IOC, position: int) -> int | None:
        """The position of the first item keyed as `ioc` is, or None when the item at
        `position` is the first (it is remembered as such)."""
        digest = key_of(ioc)
        found = self._pending.get(digest)
        if found is None:
            found = self._stored(digest)
        if found is not None:
            return found
        self._pending[digest] = position
        self.distinct += 1
        if len(self._pending) >= self._batch:
            self._flush()
        return None

    def close(self) -> None:
        db, self._db = self._db, None
        self._pending.clear()
        self._bloom = bytearray()
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
