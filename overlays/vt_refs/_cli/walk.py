"""The page walk behind the CLI, with a resume cursor that is exact to the item.

The CLI needs every page's cursor, so it drives the library's own walk (`_Walk`, the
one behind `vt_refs.iter_pages`) page by page: the same cycle, empty-page and request
bounds, the same errors. The walk asks the last page before `--max-items` for exactly
the items still wanted, which makes that page's `meta.cursor` start right after the last
item written: resuming from it loses nothing and repeats nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from vt_refs_api.types import Unset

from .._paging import AnyClient, Walk, sync_pages
from .._transport import from_cache as cached


@dataclass(frozen=True, slots=True)
class Page:
    """One page to write.

    `more` says whether items are left after this page, and `resume` is the cursor that
    fetches them (None: from the start). `count` is the API's `meta.count`, when sent.
    `repeats` is how many items a resume from `resume` fetches again: only non-zero when
    the API sent more items than asked and `--max-items` cut the page, since an opaque
    cursor cannot point inside a page.
    """

    items: list[Any]
    count: int | None
    more: bool
    resume: str | None
    repeats: int = 0
    from_cache: bool = False  # answered by the cache (connect(cache=...)): nothing sent


def pages(
    operation: ModuleType,
    client: AnyClient,
    *,
    object_id: str,
    page_size: int | None,
    cursor: str | None,
    max_items: int | None,
) -> Iterator[Page]:
    """The pages of `operation` for `object_id`, from `cursor`, up to `max_items` items."""
    walk = Walk(operation, client, max_items=max_items, page_size=page_size, cursor=cursor,
                 params={"id": object_id})  # fmt: skip
    sent = cursor  # the cursor that fetched the page in hand
    for page in sync_pages(walk, client):
        items: list[Any] = page.data
        meta = page.meta
        count = None if isinstance(meta, Unset) else meta.count
        next_cursor = None if isinstance(meta, Unset) else meta.cursor
        if isinstance(next_cursor, Unset) or not next_cursor:
            next_cursor = None
        if walk.cut:
            # The API ignored `limit`: resume from this page's own cursor, repeating some.
            yield Page(items, _count(count), True, sent, len(items), cached(page))
            return
        yield Page(items, _count(count), next_cursor is not None, next_cursor, 0, cached(page))
        sent = next_cursor


def _count(count: int | Unset | None) -> int | None:
    return None if count is None or isinstance(count, Unset) else count
