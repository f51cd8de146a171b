"""Walking the API's pages: the walk, the helpers over it, the relationship shortcuts.

`catalog` lists the relationship operations of the generated package (`get_catalog`):
what the CLI, bulk, the shortcuts and the fake read to know which operations exist.
`walk` holds the rules of one pagination with no I/O; `pages` the page loops and the
public helpers (`paginate`, `iter_pages` and their async twins); `relationships` the
shortcuts for `related_references`; `protocols` the types the helpers are generic over
(`PagingOperation`, `Page`), from which mypy reads each operation's page and item models.
"""

from __future__ import annotations

from .._spec import DEFAULT_RELATIONSHIP
from .catalog import Catalog, Entry, get_catalog
from .pages import (
    aiter_pages,
    apaginate,
    async_items,
    async_pages,
    iter_pages,
    paginate,
    sync_pages,
)
from .protocols import Page, PagingOperation
from .relationships import arelated_references, related_references
from .walk import EMPTY_PAGES_ALLOWED, AnyClient, Walk, client_on_drift, page_size_for

__all__ = [
    "DEFAULT_RELATIONSHIP",
    "EMPTY_PAGES_ALLOWED",
    "AnyClient",
    "Catalog",
    "Entry",
    "Page",
    "PagingOperation",
    "Walk",
    "aiter_pages",
    "apaginate",
    "arelated_references",
    "async_items",
    "async_pages",
    "client_on_drift",
    "get_catalog",
    "iter_pages",
    "page_size_for",
    "paginate",
    "related_references",
    "sync_pages",
]
