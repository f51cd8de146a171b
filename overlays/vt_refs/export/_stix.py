"""`to_stix` and `write_stix`: results as one STIX 2.1 bundle.

The mapping is `_stix_map`'s. Both build the bundle through a spool, a SQLite database
of the objects seen so far (in memory for `to_stix`, a temporary file for `write_stix`),
so that an indicator found twice is one observable, a reference found for several
indicators is one report naming them all, and the objects come out sorted by id: the
same input gives the same bytes, whatever order the results came in. `write_stix`
holds one object at a time in memory, however large the run.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

from .._bulk import IOCResult
from .._formats import UNSAFE_IN_JSON
from ._extras import require
from ._files import Destination, atomic_output
from ._stix_map import (
    EPOCH,
    malware_id,
    observable,
    report_id,
    report_properties,
    threat_actor_id,
)
from ._view import Article, Entry, article, entries

if TYPE_CHECKING:
    import stix2  # type: ignore[import-untyped]

_BUNDLE_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "vt-refs:stix-bundle")
_FORMAT: Final = "the STIX export"


def _stix2() -> ModuleType:
    return require("stix2", _FORMAT)


def _canonical(data: dict[str, str]) -> str:
    """The canonical JSON (RFC 8785) pycti hashes, with stix2's own implementation."""
    module = require("stix2.canonicalization.Canonicalize", _FORMAT)
    text: str = module.canonicalize(data, utf8=False)
    return text


def _json(document: object) -> str:
    """One object as compact JSON, keys sorted: the same object, the same bytes."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _plain(stix_object: Any) -> Any:
    """A stix2 object as the JSON value it serialises to (its timestamps as STIX text)."""
    return json.loads(stix_object.serialize())


def _article_json(found: Article) -> str:
    def value(_: object, __: object, item: object) -> object:
        return item.isoformat() if isinstance(item, datetime.datetime) else item

    return _json(attrs.asdict(found, value_serializer=value))


def _article_from(text: str) -> Article:
    fields = json.loads(text)
    for name in ("created", "modified"):
        if fields[name] is not None:
            fields[name] = datetime.datetime.fromisoformat(fields[name])
    fields["tags"], fields["via"] = tuple(fields["tags"]), tuple(fields["via"])
    return Article(**fields)


class Spool:
    """The objects of one bundle, deduplicated, in a SQLite database at `path`."""

    def __init__(self, path: str) -> None:
        self._stix2 = _stix2()
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(
            "CREATE TABLE objects (id TEXT PRIMARY KEY, json TEXT NOT NULL);"
            "CREATE TABLE articles (report TEXT, ref TEXT, json TEXT NOT NULL,"
            " PRIMARY KEY (report, ref));"
            "CREATE TABLE mentions (report TEXT, object TEXT, PRIMARY KEY (report, object));"
        )
        self._db.execute("BEGIN")

    def _indicator(self, entry: Entry) -> str | None:
        """The id of `entry`'s indicator object, added when new (None: it has none)."""
        found = observable(entry.kind, entry.value)
        if found is not None:
            kind, properties = found
            stix_object = self._stix2.parse(
                {"type": kind, "spec_version": "2.1", **properties},
                allow_custom=False,
                version="2.1",
            )
            ident = str(stix_object["id"])
        elif entry.kind == "threat_actors" and entry.value:
            ident = threat_actor_id(entry.value, _canonical)
            stix_object = self._stix2.ThreatActor(
                id=ident, name=entry.value, created=EPOCH, modified=EPOCH
            )
        else:
            return None
        self._db.execute(
            "INSERT OR IGNORE INTO objects VALUES (?, ?)", (ident, _json(_plain(stix_object)))
        )
        return ident

    def _families(self, found: Article) -> list[str]:
        """The ids of the malware families a report relates through, added when new."""
        idents = []
        for name in dict.fromkeys(found.via):
            ident = malware_id(name, _canonical)
            family = self._stix2.Malware(id=ident, name=name, is_family=True, created=EPOCH,
                                         modified=EPOCH)  # fmt: skip
            self._db.execute(
                "INSERT OR IGNORE INTO objects VALUES (?, ?)", (ident, _json(_plain(family)))
            )
            idents.append(ident)
        return idents

    def add(self, entry: Entry) -> None:
        """`entry`'s indicator and its references (a report on its own: what it names)."""
        if entry.status != "ok":
            return
        ident = self._indicator(entry)
        if ident is None and entry.kind is not None:
            return  # an indicator STIX has no object for
        for reference in entry.references:
            found = article(reference)
            named = [ident] if ident is not None else self._families(found)
            if not named:
                continue
            report = report_id(found, _canonical)
            self._db.execute(
                "INSERT OR IGNORE INTO articles VALUES (?, ?, ?)",
                (report, found.id, _article_json(found)),
            )
            self._db.executemany("INSERT OR IGNORE INTO mentions VALUES (?, ?)",
                                 [(report, named_id) for named_id in named])  # fmt: skip

    def ids(self) -> list[str]:
        """Every object id, sorted (what the bundle's id is derived from)."""
        rows = self._db.execute(
            "SELECT id FROM objects UNION SELECT report FROM articles ORDER BY 1"
        )
        return [row[0] for row in rows]

    def bundle_id(self) -> str:
        return f"bundle--{uuid.uuid5(_BUNDLE_NAMESPACE, chr(10).join(self.ids()))}"

    def objects(self) -> Iterator[str]:
        """Each object's JSON, by id, one at a time."""
        for ident in self.ids():
            row = self._db.execute("SELECT json FROM objects WHERE id = ?", (ident,)).fetchone()
            yield row[0] if row is not None else self._report(ident)

    def _report(self, ident: str) -> str:
        rows = self._db.execute("SELECT json FROM articles WHERE report = ?", (ident,))
        articles = [_article_from(row[0]) for row in rows]
        mentioned = [row[0] for row in self._db.execute(
            "SELECT object FROM mentions WHERE report = ?", (ident,))]  # fmt: skip
        report = self._stix2.Report(**report_properties(articles, mentioned, ident))
        return _json(_plain(report))

    def close(self) -> None:
        self._db.close()


@contextlib.contextmanager
def spooled(results: Iterable[IOCResult], path: str = ":memory:") -> Iterator[Spool]:
    spool = Spool(path)
    try:
        for entry in entries(results):
            spool.add(entry)
        yield spool
    finally:
        spool.close()


def to_stix(results: Iterable[IOCResult]) -> stix2.Bundle:
    """`results` as a STIX 2.1 bundle (`stix2.Bundle`), its objects sorted by id.

    Each indicator that was enriched is its observable (`url`, `domain-name`,
    `ipv4-addr`, `ipv6-addr`, `file` with its hash; a threat actor a `threat-actor`),
    each reference a `report` naming the indicators it was found for, with OpenCTI's
    id for it (see the module `vt_refs.export`). Indicators that failed, or were not
    found, are left out. `write_stix` writes the same objects with bounded memory.
    """
    stix2 = _stix2()
    with spooled(results) as spool:
        objects = [stix2.parse(text, allow_custom=False, version="2.1") for text in spool.objects()]
        return stix2.Bundle(objects=objects, id=spool.bundle_id(), allow_custom=False)


def write_stix(results: Iterable[IOCResult], out: Destination) -> int:
    """Write `results` as one STIX 2.1 bundle (JSON, UTF-8) to `out`; return how many
    objects it holds.

    `out` is a path, written whole or not at all (a temporary file beside it, renamed
    over it when complete), or a binary file object. Memory stays bounded: the objects
    wait in a temporary SQLite file until the results are over, then are written one
    at a time, sorted, so the same results always give the same bytes.
    """
    with (
        tempfile.TemporaryDirectory(prefix="vt-refs-stix-") as folder,
        spooled(results, os.path.join(folder, "spool.sqlite")) as spool,
        atomic_output(out) as stream,
    ):
        return _write(spool, stream)


def _write(spool: Spool, stream: IO[bytes]) -> int:
    stream.write(f'{{"type":"bundle","id":"{spool.bundle_id()}","objects":['.encode())
    written = 0
    for text in spool.objects():
        stream.write((",\n" if written else "\n").encode() + text.encode("utf-8"))
        written += 1
    stream.write(b"\n]}\n")
    return written
