"""The API's documents as a server sends them, for every server of the suite (`ScriptedAPI`,
`HostileServer`, `FakeVirusTotal.add_references`): reference and descriptor items, pages,
the pages of a whole walk, endless page scripts and error bodies.

One builder, so that every test's pages have the same shape and a change of the shape is
one edit. An item given as a str is the reference with that id. `page(meta=False,
links=False)` leaves those members out, for the shapes a spec change or a lax server sends.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

BASE_URL = "https://vt.test/api/v3"
CREATED = 1_700_000_000  # every reference's creation_date (a Unix time, 2023-11-14)

Item = str | dict[str, Any]


def hex_id(n: int) -> str:
    """The `n`th id shaped like a VirusTotal SHA-256 (64 hex digits): ids sort as `n` does."""
    return f"{n:064x}"


def hex_ids(n: int, start: int = 0) -> list[str]:
    return [hex_id(i) for i in range(start, start + n)]


def reference(
    id: str, attributes: Mapping[str, Any] | None = None, *, links: bool = True
) -> dict[str, Any]:
    """A reference item: `attributes` as given, else a valid title and creation date."""
    item: dict[str, Any] = {"type": "reference", "id": id}
    if attributes is None:
        item["attributes"] = {"title": f"title {id}", "creation_date": CREATED}
    else:
        item["attributes"] = dict(attributes)
    if links:
        item["links"] = {"self": f"{BASE_URL}/references/{id}"}
    return item


def descriptor(id: str, type: str = "reference") -> dict[str, Any]:
    """An object descriptor: what the `.../relationships/...` operations list."""
    return {"type": type, "id": id}


def drifting_references(n: int, *, dates: bool = True) -> list[dict[str, Any]]:
    """`n` references whose optional fields drift: every title null and (with `dates`)
    every creation date a string; the author stays valid."""
    found = []
    for i in range(n):
        attributes: dict[str, Any] = {"title": None, "author": "A"}
        if dates:
            attributes["creation_date"] = str(CREATED + i)
        found.append(reference(hex_id(i), attributes))
    return found


def page(
    items: Iterable[Item] = (),
    *,
    cursor: str | None = None,
    count: int | None = None,
    links: bool = True,
    meta: bool = True,
) -> dict[str, Any]:
    """A valid page (ReferenceCollection, or a descriptors one with descriptor items)."""
    doc: dict[str, Any] = {}
    if meta:
        doc["meta"] = {}
        if count is not None:
            doc["meta"]["count"] = count
        if cursor is not None:
            doc["meta"]["cursor"] = cursor
    elif cursor is not None or count is not None:
        raise ValueError("a page with no meta has no cursor or count")
    doc["data"] = [reference(item) if isinstance(item, str) else item for item in items]
    if links:
        doc["links"] = {"self": f"{BASE_URL}/x"}
    return doc


def walk(items: Sequence[Item], per_page: int, *, count: int | None = None) -> list[dict[str, Any]]:
    """The pages of a whole walk over `items`, `per_page` on each: page n's cursor is
    `c{n + 1}` and the last page has none; no items at all is one empty page."""
    chunks = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
    last = len(chunks) - 1
    return [
        page(chunk, cursor=None if n == last else f"c{n + 1}", count=count)
        for n, chunk in enumerate(chunks)
    ]


def cycling(cursors: Sequence[str], ids_per_page: int = 1) -> Iterator[dict[str, Any]]:
    """Pages, for ever, whose cursor goes round `cursors` (A, B, A, B, ...): a cursor cycle."""
    ids = itertools.count()
    for n in itertools.count():
        chunk = [hex_id(next(ids)) for _ in range(ids_per_page)]
        yield page(chunk, cursor=cursors[n % len(cursors)])


def fresh_cursors(sizes: Sequence[int] = (0,)) -> Iterator[dict[str, Any]]:
    """Pages, for ever, of `sizes[n % len(sizes)]` items each (no items by default), every
    one with a cursor never sent before: a walk that never ends by itself."""
    ids = itertools.count()
    for n in itertools.count():
        size = sizes[n % len(sizes)]
        yield page([hex_id(next(ids)) for _ in range(size)], cursor=f"fresh{n}")


def offset_page(items: Sequence[Item], query: Mapping[str, str]) -> dict[str, Any]:
    """The page a server paging `items` by offset answers to `query`: the cursor is the
    offset (`"0"` when none is given) and `limit` is 10 unless the query says."""
    start = int(query.get("cursor", "0"))
    limit = int(query.get("limit", "10"))
    more = start + limit < len(items)
    cursor = str(start + limit) if more else None
    return page(items[start : start + limit], cursor=cursor, count=len(items))


def error(code: str, message: str | None = "nope") -> dict[str, Any]:
    """VirusTotal's error body; with `message=None`, one that has no message."""
    body: dict[str, Any] = {"code": code}
    if message is not None:
        body["message"] = message
    return {"error": body}


def encode(doc: Any) -> bytes:
    """`doc` as the bytes of a JSON body."""
    return json.dumps(doc).encode()
