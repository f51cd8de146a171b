"""`from_cache`: whether a page (or an httpx response) was answered by the cache.

Pages are the generated attrs models, which cannot take a new attribute; so the pages the
cache answered are remembered here by identity, weakly, and forgotten with the page.
This module imports nothing heavy: `vt_refs.from_cache` costs nothing until used.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Final

# The extension the cache layer sets on the responses it serves.
FROM_CACHE: Final = "vt_refs.from_cache"

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
