"""`paginate`, `iter_pages` and their async twins: cursor pagination over any generated
operation that takes `cursor` and `limit`.

Each is a `Walk` (the rules, no I/O) driven by a page loop that only sends and awaits;
`sync_pages` and `async_pages` are those loops, which bulk and the CLI drive too.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .._errors import VTError
from .._transport import akept, kept
from .protocols import ItemT, Page, PageT, PagingOperation
from .walk import AnyClient, Walk


def iter_pages(
    operation: PagingOperation[PageT],
    client: AnyClient,
    /,
    *,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> Iterator[PageT]:
    """The pages of `operation`, fetched one at a time as you iterate.

    A page is the generated model the operation returns on success:
    `vt_refs_api.models.ReferenceCollection` for the `*_related_references` operations,
    `vt_refs_api.models.DescriptorCollection` for the `*_descriptors` ones. Each page's
    `meta.cursor` resumes exactly after that page: pass it as `cursor=`. `page_size` is sent
    as `limit`; unset, each request asks for the largest page the API serves (the maximum
    of `limit` in openapi.yaml), and once `meta.count` says one page holds what is left,
    for exactly that many. `params` are the operation's own (e.g. `id=`).

    Raises:
        UsageError: at the call, before anything is sent: `operation` does not page, a
            parameter it does not take, a bad `page_size` (one over the API's maximum
            names it) or `cursor`.
        VTError: while iterating, and nothing else: an `APIError` subclass for the API's
            error answers, `MalformedResponseError` for a page that breaks its model,
            `APIConnectionError` / `APITimeoutError` when retries did not get an answer.
    """
    walk = Walk(operation, client, max_items=None, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    return sync_pages(walk, client)


def paginate(
    operation: PagingOperation[Page[ItemT]],
    client: AnyClient,
    /,
    *,
    max_items: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> Iterator[ItemT]:
    """The items of `operation` across pages; stops after `max_items` without fetching
    pages it does not need.

    The items are the `data` of each page: `vt_refs_api.models.Reference` for the
    `*_related_references` operations, `vt_refs_api.models.ObjectDescriptor` for the
    `*_descriptors` ones, and a type checker infers which from `operation` itself (see
    `PagingOperation`). Pages are full unless `page_size` says otherwise (see
    `iter_pages`). With `max_items`, the last request asks only for what is left, so its
    page's `meta.cursor` (see `iter_pages`) resumes exactly after the last item.

    Raises:
        UsageError: at the call, before anything is sent, as `iter_pages` does; also for a
            bad `max_items`.
        VTError: while iterating, as `iter_pages` does.
    """
    walk = Walk(operation, client, max_items=max_items, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    # chain runs the per-item loop in C: a generator here costs a frame resume per item.
    return itertools.chain.from_iterable(page.data for page in sync_pages(walk, client))


def aiter_pages(
    operation: PagingOperation[PageT],
    client: AnyClient,
    /,
    *,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> AsyncIterator[PageT]:
    """The async twin of `iter_pages`: the same arguments, pages and errors, for `async for`."""
    walk = Walk(operation, client, max_items=None, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    return async_pages(walk, client)


def apaginate(
    operation: PagingOperation[Page[ItemT]],
    client: AnyClient,
    /,
    *,
    max_items: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> AsyncIterator[ItemT]:
    """The async twin of `paginate`: the same arguments, items and errors, for `async for`."""
    walk = Walk(operation, client, max_items=max_items, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    return async_items(walk, client)


def sync_pages(walk: Walk, client: AnyClient) -> Iterator[Any]:
    http = client.get_httpx_client()
    while (request := walk.next_request(http.base_url)) is not None:
        try:
            response = http.request(**request)
            page = walk.take(response)
            kept(response)  # it parsed: the cache may keep it
        except (VTError, Warning):  # a warning the caller's filters turned into an error
            raise
        except Exception as error:
            # The cause stays, its frames go: their locals hold the sent headers.
            raise walk.failed(error, http) from error.with_traceback(None)
        yield page


async def async_pages(walk: Walk, client: AnyClient) -> AsyncIterator[Any]:
    http = client.get_async_httpx_client()
    while (request := walk.next_request(http.base_url)) is not None:
        try:
            response = await http.request(**request)
            page = walk.take(response)
            await akept(response)  # it parsed: the cache may keep it
        except (VTError, Warning):  # a warning the caller's filters turned into an error
            raise
        except Exception as error:
            # The cause stays, its frames go: their locals hold the sent headers.
            raise walk.failed(error, http) from error.with_traceback(None)
        yield page


async def async_items(walk: Walk, client: AnyClient) -> AsyncIterator[Any]:
    async for page in async_pages(walk, client):
        for item in page.data:
            yield item
