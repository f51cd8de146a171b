"""Which references each object has, and their encoded pages.

An object's references, in each of its relationships, are its base references (the
seed's for the seed URL's `related_references`, generated ones otherwise, different for
each relationship; as many as its count) followed by those a test added. Nothing is stored
for objects a test never touched, so any well-formed id works without setup. Encoded pages
are cached, keyed by a per-object version that every change bumps, so a stale page is
never served and needs no explicit eviction.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from vt_refs._paging import DEFAULT_RELATIONSHIP, Entry

from ._arguments import reference_copies
from ._conform import conform
from ._data import SEED_REFERENCES, SEED_URL_SHA256, JsonObject, descriptor, generated_reference
from ._routes import Kind, ObjectKey

_SEED_KEY: Final = ObjectKey("urls", SEED_URL_SHA256)
_MAX_CACHED_PAGES: Final = 4096


@dataclass
class _Changes:
    """What tests changed about one object."""

    version: int
    count: int | None = None
    added: list[JsonObject] = field(default_factory=list)
    removed: bool = False
    # Reference id -> attributes merged over that reference's own (`update`).
    updated: dict[str, JsonObject] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PageData:
    """One page's encoded `data` and the object's total count, read in one snapshot."""

    count: int
    data: bytes


class ReferenceStore:
    """Thread-safe references of every object, with the changes tests made."""

    def __init__(self, default_count: int) -> None:
        self._default_count = default_count
        self._base_url = ""
        self._lock = threading.Lock()
        self._changes: dict[ObjectKey, _Changes] = {}
        self._version = 0
        self._pages: OrderedDict[tuple[ObjectKey, int, str, Kind, int, int], bytes] = OrderedDict()

    def rebase(self, base_url: str) -> None:
        """Use `base_url` in generated `links.self` (a restarted fake may have a new port)."""
        with self._lock:
            self._base_url = base_url
            self._pages.clear()

    def _change(self, key: ObjectKey) -> _Changes:
        """The object's changes, with a new version: its cached pages are now stale."""
        self._version += 1
        changes = self._changes.setdefault(key, _Changes(self._version))
        changes.version = self._version
        changes.removed = False
        return changes

    def set_count(self, key: ObjectKey, count: int) -> None:
        """Give the object `count` base references (and make it exist again if removed)."""
        with self._lock:
            self._change(key).count = count

    def add(self, key: ObjectKey, references: Sequence[JsonObject]) -> None:
        """Append references after the object's others (and make it exist again)."""
        with self._lock:
            self._change(key).added.extend(references)

    def update(self, key: ObjectKey, reference_id: str, attributes: JsonObject) -> None:
        """Merge `attributes` over those of the object's reference `reference_id`."""
        with self._lock:
            changes = self._change(key)
            changes.updated[reference_id] = {**changes.updated.get(reference_id, {}),
                                             **attributes}  # fmt: skip

    def remove(self, key: ObjectKey) -> None:
        """Make the object unknown: its endpoints answer 404 until it is changed again."""
        with self._lock:
            self._change(key).removed = True

    def page(self, key: ObjectKey, entry: Entry, offset: int, limit: int) -> PageData | None:
        """Up to `limit` items of `entry`'s operation from `offset`, or None when the
        object was removed. Base items are completed to the operation's item model
        (`conform`); the ones a test added are served exactly as given.

        An offset beyond the count gives an empty page, which is not cached: the caller
        turns it into an error.
        """
        relationship = entry.relationship
        kind: Kind = "descriptors" if entry.descriptors else "objects"
        with self._lock:
            changes = self._changes.get(key)
            if changes is not None and changes.removed:
                return None
            seeded = key == _SEED_KEY and relationship == DEFAULT_RELATIONSHIP
            default = len(SEED_REFERENCES) if seeded else self._default_count
            base = default if changes is None or changes.count is None else changes.count
            added = [] if changes is None else changes.added
            count = base + len(added)
            if offset > count:
                return PageData(count, b"[]")
            version = 0 if changes is None else changes.version
            cache_key = (key, version, relationship, kind, offset, limit)
            data = self._pages.get(cache_key)
            if data is None:
                stop = min(offset + limit, count)
                items = [
                    self._base(key, entry, i) if i < base else _as_listed(added[i - base], kind)
                    for i in range(offset, stop)
                ]
                if changes is not None and changes.updated and kind != "descriptors":
                    items = [_updated(item, changes.updated) for item in items]
                data = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()
                self._pages[cache_key] = data
                if len(self._pages) > _MAX_CACHED_PAGES:
                    self._pages.popitem(last=False)
            else:
                self._pages.move_to_end(cache_key)
            return PageData(count, data)

    def _base(self, key: ObjectKey, entry: Entry, index: int) -> JsonObject:
        relationship = entry.relationship
        if relationship != DEFAULT_RELATIONSHIP:  # each relationship its own references
            item = generated_reference(
                f"{key.collection}/{relationship}", key.object_id, index, self._base_url
            )
        elif key == _SEED_KEY and index < len(SEED_REFERENCES):
            item = SEED_REFERENCES[index]
        else:
            item = generated_reference(key.collection, key.object_id, index, self._base_url)
        return conform(descriptor(item) if entry.descriptors else item, entry.item_model)


class ReferenceUpdates:
    """`FakeVirusTotal.update_reference`, apart from the fake's module (at its size limit)."""

    _store: ReferenceStore

    def _key(self, object_id: str, collection: str) -> ObjectKey:
        raise NotImplementedError  # FakeVirusTotal's

    def update_reference(self, object_id: str, reference_id: str, attributes: Mapping[str, Any],
                         *, collection: str = "urls") -> None:  # fmt: skip
        """Change one of the object's references (generated or added), also while the fake
        runs: `attributes` are merged over its own (a later `last_modification_date`, a
        new title) in every page served from then on."""
        if not isinstance(reference_id, str) or not reference_id or not isinstance(
                attributes, Mapping):  # fmt: skip
            raise ValueError("reference_id must be a non-empty str, attributes a mapping")
        (copied,) = reference_copies([{"type": "reference", "id": reference_id,
                                       "attributes": dict(attributes)}])  # fmt: skip
        self._store.update(self._key(object_id, collection), reference_id, copied["attributes"])


def _as_listed(item: JsonObject, kind: Kind) -> JsonObject:
    """An added reference as the operation lists it: itself, or its descriptor."""
    return descriptor(item) if kind == "descriptors" else item


def _updated(reference: JsonObject, updated: dict[str, JsonObject]) -> JsonObject:
    """`reference` with the attributes a test changed merged in (a copy)."""
    changes = updated.get(reference.get("id", ""))
    if changes is None:
        return reference
    return {**reference, "attributes": {**reference.get("attributes", {}), **changes}}
