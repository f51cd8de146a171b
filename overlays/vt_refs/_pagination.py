"""Cursor pagination over any generated operation that takes `cursor` and `limit`.

The walk itself (`_Walk`) does no I/O: it says which request to send next and turns each
response into a page. The sync and async functions below only send and await, so both
share every rule: how `page_size` and `max_items` become `limit`, when to stop, how
errors are typed. The next page is always asked for with `meta.cursor` through the
operation itself, never by following `links.next`, so the key cannot leave the API's
origin through a link.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import typing
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import httpx

from vt_refs_api import AuthenticatedClient, Client
from vt_refs_api.types import UNSET, Unset

from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    MalformedResponseError,
    UsageError,
    api_error,
    excerpt,
)
from ._parsing import parse_body

AnyClient = AuthenticatedClient | Client


@functools.cache
def _page_model(operation: ModuleType) -> tuple[type, int]:
    """The model a 2xx answer of `operation` parses into, and its default `limit`."""
    for name in ("sync", "_get_kwargs"):
        if not callable(getattr(operation, name, None)):
            raise UsageError(f"{operation!r} is not a generated endpoint module")
    params = inspect.signature(operation._get_kwargs).parameters
    if "cursor" not in params or "limit" not in params:
        raise UsageError(f"{operation.__name__} does not page: it takes no cursor and limit")
    default_limit = params["limit"].default
    returned = typing.get_type_hints(operation.sync)["return"]
    models = [
        tp
        for tp in typing.get_args(returned)
        if isinstance(tp, type) and hasattr(tp, "from_dict") and tp.__name__ != "ErrorResponse"
    ]
    if len(models) != 1:
        raise UsageError(f"{operation.__name__}: cannot tell its page model from {returned}")
    return models[0], default_limit if isinstance(default_limit, int) else 10


def _positive_int(name: str, value: int | None, minimum: int) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise UsageError(f"{name} must be an int >= {minimum}, not {value!r}")


def api_error_from(response: httpx.Response) -> APIError:
    """The typed error for a non-2xx answer, whatever its body holds."""
    code: str | None = None
    message: str | None = None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        raw_code, raw_message = body["error"].get("code"), body["error"].get("message")
        code = raw_code if isinstance(raw_code, str) else None
        message = raw_message if isinstance(raw_message, str) else None
    if message is None:
        text = response.content.decode("utf-8", errors="replace").strip()
        message = excerpt(text) if text else response.reason_phrase or "no body"
    return api_error(response.status_code, code, message)


def _transport_error(error: httpx.HTTPError) -> APIConnectionError:
    """The SDK's error for a failure to get any answer, wrapping httpx's as its cause."""
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(f"{type(error).__name__}: {error}")


class _Walk:
    """The state of one pagination: the cursor, what is left to fetch, the parsing."""

    def __init__(
        self,
        operation: ModuleType,
        client: object,
        *,
        max_items: int | None,
        page_size: int | None,
        cursor: str | None,
        params: dict[str, Any],
    ) -> None:
        if not isinstance(client, AnyClient):
            raise UsageError(f"client must come from vt_refs.connect(), not {client!r}")
        _positive_int("max_items", max_items, 0)
        _positive_int("page_size", page_size, 1)
        if cursor is not None and not isinstance(cursor, str):
            raise UsageError(f"cursor must be a str, not {cursor!r}")
        for reserved in ("limit", "client"):
            if reserved in params:
                raise UsageError(f"pass {reserved!r} as page_size=/the client argument")
        self.model, default_limit = _page_model(operation)
        self.page_size = default_limit if page_size is None else page_size
        self.operation = operation
        self.remaining = max_items
        self.cursor = cursor
        self.params = params
        self.done = max_items == 0
        try:  # bind the parameters now, so a bad name fails before any request
            inspect.signature(operation._get_kwargs).bind(**params, cursor=UNSET, limit=1)
        except TypeError as error:
            raise UsageError(f"{operation.__name__}: {error}") from None

    def next_request(self) -> dict[str, Any] | None:
        """The arguments of `httpx.Client.request` for the next page, or None when done."""
        if self.done:
            return None
        limit = self.page_size
        if self.remaining is not None:
            # Asking for no more than is left keeps `meta.cursor` exact for resuming.
            limit = min(limit, self.remaining)
        cursor: str | Unset = UNSET if self.cursor is None else self.cursor
        kwargs: dict[str, Any] = self.operation._get_kwargs(
            **self.params, limit=limit, cursor=cursor
        )
        params = kwargs.get("params")
        if params and "?" not in kwargs["url"]:
            # The query encoded here exactly as httpx would encode it, so that httpx parses
            # the URL twice per request rather than three times (it costs ~1% per page).
            kwargs["url"] = f"{kwargs['url']}?{httpx.QueryParams(params)}"
            del kwargs["params"]
        return kwargs

    def take(self, response: httpx.Response) -> Any:
        """The page in `response`, after which the walk moves on or ends."""
        if not 200 <= response.status_code < 300:
            raise api_error_from(response)
        page: Any = parse_body(self.model, response.content, status_code=response.status_code)
        if self.remaining is not None:
            del page.data[self.remaining :]
            self.remaining -= len(page.data)
        meta = getattr(page, "meta", UNSET)
        next_cursor = getattr(meta, "cursor", UNSET)
        if isinstance(next_cursor, Unset) or not next_cursor:
            self.done = True
        elif next_cursor == self.cursor:
            raise MalformedResponseError(
                "meta.cursor did not advance: paging on would never end",
                path="$.meta.cursor",
                excerpt=excerpt(response.content[:1024].decode("utf-8", errors="replace")),
                status_code=response.status_code,
            )
        else:
            self.cursor = next_cursor
        if self.remaining == 0:
            self.done = True
        return page


def iter_pages(
    operation: ModuleType,
    client: AnyClient,
    /,
    *,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> Iterator[Any]:
    """The pages of `operation`, fetched one at a time as you iterate.

    A page is the generated model the operation returns on success:
    `vt_refs_api.models.ReferenceCollection` for the `*_related_references` operations,
    `vt_refs_api.models.DescriptorCollection` for the `*_descriptors` ones. Each page's
    `meta.cursor` resumes exactly after that page: pass it as `cursor=`. `page_size` is sent
    as `limit`; `params` are the operation's own (e.g. `id=`).

    Raises:
        UsageError: at the call, before anything is sent: `operation` does not page, a
            parameter it does not take, a bad `page_size` or `cursor`.
        VTError: while iterating, and nothing else: an `APIError` subclass for the API's
            error answers, `MalformedResponseError` for a page that breaks its model,
            `APIConnectionError` / `APITimeoutError` when retries did not get an answer.
    """
    walk = _Walk(operation, client, max_items=None, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    return _sync_pages(walk, client)


def paginate(
    operation: ModuleType,
    client: AnyClient,
    /,
    *,
    max_items: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> Iterator[Any]:
    """The items of `operation` across pages; stops after `max_items` without fetching
    pages it does not need.

    The items are the `data` of each page: `vt_refs_api.models.Reference` for the
    `*_related_references` operations, `vt_refs_api.models.ObjectDescriptor` for the
    `*_descriptors` ones. With `max_items`, the last request asks only for what is left, so
    its page's `meta.cursor` (see `iter_pages`) resumes exactly after the last item.

    Raises:
        UsageError: at the call, before anything is sent, as `iter_pages` does; also for a
            bad `max_items`.
        VTError: while iterating, as `iter_pages` does.
    """
    walk = _Walk(operation, client, max_items=max_items, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    # chain runs the per-item loop in C: a generator here costs a frame resume per item.
    return itertools.chain.from_iterable(page.data for page in _sync_pages(walk, client))


def aiter_pages(
    operation: ModuleType,
    client: AnyClient,
    /,
    *,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> AsyncIterator[Any]:
    """The async twin of `iter_pages`: the same arguments, pages and errors, for `async for`."""
    walk = _Walk(operation, client, max_items=None, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    return _async_pages(walk, client)


def apaginate(
    operation: ModuleType,
    client: AnyClient,
    /,
    *,
    max_items: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    **params: Any,
) -> AsyncIterator[Any]:
    """The async twin of `paginate`: the same arguments, items and errors, for `async for`."""
    walk = _Walk(operation, client, max_items=max_items, page_size=page_size, cursor=cursor,
                 params=params)  # fmt: skip
    return _async_items(walk, client)


def _sync_pages(walk: _Walk, client: AnyClient) -> Iterator[Any]:
    http = client.get_httpx_client()
    while (request := walk.next_request()) is not None:
        try:
            response = http.request(**request)
        except httpx.HTTPError as error:
            # The cause stays, its frames go: their locals hold the sent headers.
            raise _transport_error(error) from error.with_traceback(None)
        yield walk.take(response)


async def _async_pages(walk: _Walk, client: AnyClient) -> AsyncIterator[Any]:
    http = client.get_async_httpx_client()
    while (request := walk.next_request()) is not None:
        try:
            response = await http.request(**request)
        except httpx.HTTPError as error:
            # The cause stays, its frames go: their locals hold the sent headers.
            raise _transport_error(error) from error.with_traceback(None)
        yield walk.take(response)


async def _async_items(walk: _Walk, client: AnyClient) -> AsyncIterator[Any]:
    async for page in _async_pages(walk, client):
        for item in page.data:
            yield item
