"""`from_cache`: whether a page (or an httpx response) was answered by the cache.

Pages are the generated attrs models, which cannot take a new attribute; so the pages the
cache answered are remembered here by identity, weakly, and forgotten with the page.
This module imports nothing heavy: `vt_refs.from_cache` costs nothing until used.
"""

from __future__ import annotations

import threading
import weakref
from typing import Final

# The extension the cache layer sets on the responses it serves.
FROM_CACHE: Final = "vt_refs.from_cache"

_cached: dict[int, weakref.ref[object]] = {}
_lock = threading.Lock()


def mark_cached(page: object) -> None:
    """Remember that `page` was read from the cache."""
    ident = id(page)

    def forget(_: weakref.ref[object]) -> None:
        with _lock:
            if _cached.get(ident) is ref:
                del _cached[ident]

    ref = weakref.ref(page, forget)
    with _lock:
        _cached[ident] = ref


def from_cache(page: object) -> bool:
    """True when `page` (a page from iter_pages/aiter_pages, or an httpx.Response of a
    connect() client) was answered by the cache, so it sent nothing and spent no quota."""
    extensions = getattr(page, "extensions", None)
    if isinstance(extensions, dict) and FROM_CACHE in extensions:
        return bool(extensions[FROM_CACHE])
    with _lock:
        ref = _cached.get(id(page))
    return ref is not None and ref() is page
