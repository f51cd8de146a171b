"""Walking the API's pages: the walk, the helpers over it, the relationship shortcuts.

`walk` holds the rules of one pagination with no I/O; `pages` the page loops and the
public helpers (`paginate`, `iter_pages` and their async twins); `relationships` the
shortcuts for `related_references`.
"""

from __future__ import annotations

from .pages import (
    aiter_pages,
    apaginate,
    async_items,
    async_pages,
    iter_pages,
    paginate,
    sync_pages,
)
from .relationships import arelated_references, related_references
from .walk import EMPTY_PAGES_ALLOWED, AnyClient, Walk, client_on_drift

__all__ = [
    "EMPTY_PAGES_ALLOWED",
    "AnyClient",
    "Walk",
    "aiter_pages",
    "apaginate",
    "arelated_references",
    "async_items",
    "async_pages",
    "client_on_drift",
    "iter_pages",
    "paginate",
    "related_references",
    "sync_pages",
]
