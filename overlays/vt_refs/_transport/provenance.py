"""`from_cache`: whether a page (or an httpx response) was answered by the cache; and how
a page walk tells the cache that a fresh page parsed, so that only such pages are kept.

Pages are the generated attrs models, which cannot take a new attribute; so the pages the
cache answered are remembered here by identity, weakly, and forgotten with the page.
This module imports nothing heavy: `vt_refs.from_cache` costs nothing until used.

The cache sits below the parsing: it sees bytes, not pages. A request carrying
`KEEP_WHEN_PARSED` (the walks of iter_pages, paginate, enrich and the CLI send them so)
gets a fresh 2xx answer with a `Keeper` under `PENDING`: `kept`/`akept` store it once
the page parsed, and a page that did not parse is simply never stored.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Final, Protocol

# The extension the cache layer sets on the responses it serves.
FROM_CACHE: Final = "vt_refs.from_cache"
# A request extension: the sender says when the answer parsed (else the cache judges).
KEEP_WHEN_PARSED: Final = "vt_refs.cache.keep_when_parsed"
# A response extension: the `Keeper` that stores a fresh answer once it parsed.
PENDING: Final = "vt_refs.cache.pending"
# A request extension: this request passes the cache by, neither answered from the store
# nor kept in it: for callers that need the API's answer now (`vt_refs.watch`). Set it
# per request, e.g. `client.get_httpx_client().get(url, extensions={SKIP_CACHE: True})`;
# a page walk sets it on every request of a `Walk` whose `skip_cache` is set.
SKIP_CACHE: Final = "vt_refs.cache.skip"


class Keeper(Protocol):
    """Stores one fresh answer in the cache (each at most once; a failure is the cache's)."""

    def keep(self) -> None: ...

    async def akeep(self) -> None: ...


def kept(response: object) -> None:
    """`response` parsed: let the cache keep it (a no-op when there is nothing to keep)."""
    keeper = _pending(response)
    if keeper is not None:
        keeper.keep()


async def akept(response: object) -> None:
    """The async twin of `kept`: the store is written without blocking the event loop."""
    keeper = _pending(response)
    if keeper is not None:
        await keeper.akeep()


def _pending(response: object) -> Keeper | None:
    extensions = getattr(response, "extensions", None)
    if not isinstance(extensions, dict):
        return None
    keeper: Keeper | None = extensions.pop(PENDING, None)
    return keeper


_cached: dict[int, weakref.ref[object]] = {}
_lock = threading.RLock()


def mark_cached(*objects: object) -> None:
    """Remember that these (a page and its items) were read from the cache."""
    with _lock:
        for obj in objects:
            ident = id(obj)
            _cached[ident] = weakref.ref(obj, functools.partial(_forget, ident))


def _forget(ident: int, ref: weakref.ref[object]) -> None:
    with _lock:  # reentrant: a callback may fire in this thread while it holds the lock
        if _cached.get(ident) is ref:
            del _cached[ident]


def from_cache(page: object) -> bool:
    """True when `page` (a page from iter_pages/aiter_pages, an item of one, or an
    httpx.Response of a connect() client) was answered by the cache, so it sent nothing
    and spent no quota."""
    extensions = getattr(page, "extensions", None)
    if isinstance(extensions, dict) and FROM_CACHE in extensions:
        return bool(extensions[FROM_CACHE])
    with _lock:
        ref = _cached.get(id(page))
    return ref is not None and ref() is page
