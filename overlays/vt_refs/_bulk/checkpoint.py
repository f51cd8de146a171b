"""The checkpoint of a bulk run: which indicators are finished, in a SQLite file (WAL).

One row per finished indicator (its position, its text, its status), written in its own
transaction only once the result was handed over: a crash at any moment leaves a file
that says exactly what was delivered. The CLI records, in that same transaction, how
long its output file was after the result's lines, so after `kill -9` it cuts the output
back to what the checkpoint knows and the two never disagree.

The run's settings (input fingerprint, options that change results) are stored too: a
rerun against a different input or with other options is refused rather than mixed.
The database is held with an exclusive lock, so two runs cannot share one checkpoint.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any, Final

from .._errors import UsageError
from .results import IOCResult

_SCHEMA_VERSION: Final = 1
_CHUNK: Final = 4096  # finished positions read per query when skipping


def connect_exclusive(path: str, what: str = "checkpoint") -> sqlite3.Connection:
    """The SQLite file at `path` (a `what`: a checkpoint, a watch state), held by this
    process alone; a `UsageError` when another holds it or it is no database."""
    try:
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=0.1
        )
        # EXCLUSIVE: a second run on this file fails at once instead of interleaving.
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a killed process (not a power cut) at a fraction of
        # FULL's cost: a commit is a write to the WAL, without an fsync.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("COMMIT")
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            raise UsageError(f"{what} {path!r} is in use by another run") from None
        raise UsageError(f"cannot open {what} {path!r}: {error}") from None
    except sqlite3.DatabaseError as error:
        raise UsageError(f"{path!r} is not a vt-refs {what}: {error}") from None
    return connection


class Checkpoint:
    """A checkpoint file, opened for one run with `settings` (a JSON-able mapping).

    An existing file made with other settings is a `UsageError` naming the first
    difference, unless `restart` (then it starts empty).
    """

    def __init__(self, path: str | os.PathLike[str], settings: Mapping[str, Any], *,
                 restart: bool = False) -> None:  # fmt: skip
        self.path = os.fspath(path)
        self._settings = dict(settings, schema=_SCHEMA_VERSION)
        self._db = connect_exclusive(self.path)
        try:
            self._open(restart)
        except BaseException:
            self._db.close()
            raise

    def _open(self, restart: bool) -> None:
        db = self._db
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as error:
            raise UsageError(f"{self.path!r} is not a vt-refs checkpoint: {error}") from None
        if tables and not {"meta", "done"} <= tables:
            raise UsageError(f"{self.path!r} is not a vt-refs checkpoint")
        db.execute("BEGIN IMMEDIATE")
        try:
            if restart:
                db.execute("DROP TABLE IF EXISTS meta")
                db.execute("DROP TABLE IF EXISTS done")
                db.execute("DROP TABLE IF EXISTS payloads")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS done (position INTEGER PRIMARY KEY, "
                "text TEXT NOT NULL, status TEXT NOT NULL, refs INTEGER NOT NULL)"
            )
            # What a run writing one whole document at its end (STIX, MISP) keeps of each
            # result, recorded with it: the document is built from here, over every run.
            db.execute(
                "CREATE TABLE IF NOT EXISTS payloads (position INTEGER PRIMARY KEY, "
                "data TEXT NOT NULL)"
            )
            stored = self._meta("settings")
            if stored is None:
                self._set_meta("settings", json.dumps(self._settings, sort_keys=True))
            else:
                self._check(json.loads(stored))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _check(self, stored: dict[str, Any]) -> None:
        for key in sorted(set(stored) | set(self._settings)):
            if stored.get(key) != self._settings.get(key):
                raise UsageError(
                    f"checkpoint {self.path!r} belongs to another run: its {key} was "
                    f"{stored.get(key)!r}, now {self._settings.get(key)!r} "
                    "(start over with enrich(..., restart=True) / vt-refs bulk --restart, "
                    "or use another checkpoint)"
                )

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def output_size(self) -> int | None:
        """The output's length in bytes after the last recorded result (None: never set)."""
        value = self._meta("output_size")
        return None if value is None else int(value)

    def set_output_size(self, size: int) -> None:
        """Record the output's length on its own (e.g. after a CSV header)."""
        self._db.execute("BEGIN IMMEDIATE")
        self._set_meta("output_size", str(size))
        self._db.execute("COMMIT")

    def record(self, result: IOCResult, *, output_size: int | None = None,
               payload: str | None = None) -> None:  # fmt: skip
        """Mark `result`'s indicator finished (with the output's length, and what a
        document format keeps of it: `payload`), atomically."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT OR REPLACE INTO done VALUES (?, ?, ?, ?)",
                (result.index, result.text, result.status, len(result.references)),
            )
            if output_size is not None:
                self._set_meta("output_size", str(output_size))
            if payload is not None:
                db.execute("INSERT OR REPLACE INTO payloads VALUES (?, ?)", (result.index, payload))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _by_position(self, query: str) -> Iterator[tuple[Any, ...]]:
        """The rows of `query` (its first column the position, `?` the position to start
        after and the chunk's size), read in chunks so that neither the whole list nor an
        open cursor is held across writes."""
        after = -1
        while True:
            rows = self._db.execute(query, (after, _CHUNK)).fetchall()
            yield from rows
            if len(rows) < _CHUNK:
                return
            after = rows[-1][0]

    def finished(self) -> Iterator[tuple[int, str, str]]:
        """(position, text, status) of every finished indicator, by position."""
        rows = self._by_position(
            "SELECT position, text, status FROM done WHERE position > ? ORDER BY position LIMIT ?"
        )
        yield from rows  # the three columns of `done` above

    def payloads(self) -> Iterator[str]:
        """The payloads of the finished indicators, by position."""
        for _, data in self._by_position(
            "SELECT p.position, p.data FROM payloads p JOIN done d USING (position) "
            "WHERE p.position > ? ORDER BY p.position LIMIT ?"
        ):
            yield data

    def counts(self) -> dict[str, int]:
        """How many finished indicators have each status."""
        return dict(self._db.execute("SELECT status, COUNT(*) FROM done GROUP BY status"))

    def close(self) -> None:
        self._db.close()


class Skipper:
    """Says, for each position of the input in order, whether it is finished.

    It merges the input's positions with the checkpoint's ordered list of finished
    ones, so a rerun over millions of lines holds one chunk of that list, not all of it.
    A finished position whose text differs from the input's is a changed input.
    """

    def __init__(self, checkpoint: Checkpoint, *, retry_errors: bool) -> None:
        self._rows = checkpoint.finished()
        self._next = next(self._rows, None)
        self._retry_errors = retry_errors
        self._path = checkpoint.path

    def finished(self, position: int, text: str) -> bool:
        """Whether the indicator at `position` (with `text`) needs no new run."""
        while self._next is not None and self._next[0] < position:
            self._next = next(self._rows, None)
        if self._next is None or self._next[0] != position:
            return False
        _, recorded, status = self._next
        if recorded != text:
            raise UsageError(
                f"the input changed since checkpoint {self._path!r}: item {position} was "
                f"{recorded[:80]!r}, now {text[:80]!r} (start over with "
                "enrich(..., restart=True) / vt-refs bulk --restart)"
            )
        return not (self._retry_errors and status == "error")
