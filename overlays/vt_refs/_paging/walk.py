"""The walk of one pagination, with no I/O: which request to send next, and each page.

`Walk` says which request to send next and turns each response into a page; the page
loops of `pages` only send and await, so the sync and async helpers (and bulk, and the
CLI) share every rule: how `page_size` and `max_items` become `limit`, when to stop, how
errors are typed. The next page is always asked for with `meta.cursor` through the
operation itself, never by following `links.next`, so the key cannot leave the API's
origin through a link.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from types import MappingProxyType, ModuleType
from typing import Any, Final, NoReturn

import httpx

from vt_refs_api import AuthenticatedClient, Client
from vt_refs_api.types import UNSET, Unset

from .._checks import check_count
from .._errors import MalformedResponseError, UsageError, VTError
from .._ids import check_path_value, check_text
from .._parsing import DEFAULT_ON_DRIFT, OnDrift, parse_body
from .._transport import (
    FROM_CACHE,
    KEEP_WHEN_PARSED,
    SKIP_CACHE,
    api_error_from,
    body_excerpt,
    malformed_from,
    mark_cached,
    transport_error,
    unexpected_error,
)
from .catalog import get_catalog, page_model

# More pages than this in a row with no items, each with a cursor, end a walk.
EMPTY_PAGES_ALLOWED: Final = 5
# httpx refuses to send a URL longer than this (httpx._urlparse.MAX_URL_LENGTH).
_MAX_URL_CHARS: Final = 65_536
_KEEP_WHEN_PARSED: Final = MappingProxyType({KEEP_WHEN_PARSED: True})
_SKIP_CACHE: Final = MappingProxyType({SKIP_CACHE: True})

AnyClient = AuthenticatedClient | Client


def client_on_drift(client: object) -> OnDrift:
    """The `on_drift` that `connect()` gave `client`; the default for clients built otherwise."""
    value = getattr(client, "on_drift", DEFAULT_ON_DRIFT)
    return "error" if value == "error" else "warn"


@functools.lru_cache(maxsize=64)
def _prefix(base_url: httpx.URL) -> str:
    """A client's `base_url` as the start of a page's URL: its origin and raw path (which
    httpx ends with "/"; its text leaves out a path that is only "/")."""
    bare = base_url.copy_with(query=None, fragment=None)
    path = bare.raw_path.decode("ascii")
    return str(bare).removesuffix(path) + path


@functools.lru_cache(maxsize=256)
def _refused_names(operation: ModuleType, names: tuple[str, ...]) -> str | None:
    """Why `operation` takes no parameters by these names (None: it takes them). Binding
    depends on the names alone, and a bulk run starts a walk per indicator with the same
    ones: reading the signature and binding cost more than the rest of starting one."""
    try:
        inspect.signature(operation._get_kwargs).bind(**dict.fromkeys(names), cursor=UNSET, limit=1)
    except TypeError as error:
        return str(error)
    return None


@functools.cache
def _path_parameters(operation: ModuleType) -> tuple[str, ...]:
    """The parameters of `operation` that go into its URL's path.

    openapi-python-client puts path parameters first, before the `*`, and every other
    parameter after it: an operation added to the spec later is checked with no change here.
    """
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = inspect.signature(operation._get_kwargs).parameters.values()
    return tuple(p.name for p in params if p.kind in positional)


def page_size_for(operation: ModuleType, page_size: int | None, default_limit: int) -> int:
    """The `limit` a walk of `operation` sends: `page_size` when given (a `UsageError` over
    the operation's maximum), else the largest page the API serves (the `maximum` of
    `limit` in openapi.yaml, through the catalog), so each request of quota buys the most
    items it can; the operation's default for one that declares no maximum."""
    entry = get_catalog().of(operation)
    if entry is not None:
        entry.check_page_size(page_size)
    if page_size is not None:
        return page_size
    largest = None if entry is None else entry.max_limit
    return default_limit if largest is None else largest


def _seen_key(cursor: str) -> bytes:
    """What a walk remembers of a cursor it sent: 16 bytes, however long the cursor."""
    return hashlib.blake2b(cursor.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Walk:
    """The state of one pagination: the cursor, what is left to fetch, the parsing.

    The server decides when a walk ends, so the walk bounds what a wrong or hostile one can
    make it do: a cursor it already sent (a loop of any length) and more than
    `EMPTY_PAGES_ALLOWED` pages in a row with no items raise `MalformedResponseError` at
    `$.meta.cursor`, and with `max_items` it sends at most `max_items` +
    `EMPTY_PAGES_ALLOWED` requests. `cut` is how many items of the last page were dropped
    because the server sent more than `max_items` left room for.

    Each request buys as much as the quota allows: with no `page_size` it asks for the
    largest page the operation serves (`page_size_for`), and once `meta.count` says one
    page holds what is left (`left`, known for a walk from the start), for exactly that
    many; never for more than `max_items` leaves.
    """

    def __init__(
        self,
        operation: object,  # a module at run time; the helpers type it as a PagingOperation
        client: object,
        *,
        max_items: int | None,
        page_size: int | None,
        cursor: str | None,
        params: dict[str, Any],
    ) -> None:
        if not isinstance(operation, ModuleType):
            raise UsageError(f"operation must be a generated endpoint module, not {operation!r}")
        if not isinstance(client, AnyClient):
            raise UsageError(f"client must come from vt_refs.connect(), not {client!r}")
        check_count("max_items", max_items, 0, optional=True)
        check_count("page_size", page_size, 1, optional=True)
        if cursor is not None:
            if not isinstance(cursor, str) or not cursor:
                raise UsageError(
                    f"cursor must be a non-empty str (a page's meta.cursor), not {cursor!r}"
                )
            check_text("cursor", cursor)
        for reserved in ("limit", "client"):
            if reserved in params:
                raise UsageError(f"pass {reserved!r} as page_size=/the client argument")
        self.model, default_limit = page_model(operation)
        self.page_size = page_size_for(operation, page_size, default_limit)
        # How many items meta.count says are still to come; known for a walk from the start.
        self.left: int | None = None
        self._got = 0 if cursor is None else None  # items the server sent from the start
        self.operation = operation
        self.remaining = max_items
        self.cursor = cursor
        self.params = params
        self.done = max_items == 0
        self.on_drift = client_on_drift(client)
        self.cut = 0
        self.skip_cache = False  # set: every request passes the cache by (fresh answers)
        self.pages = 0
        self.max_pages = None if max_items is None else max_items + EMPTY_PAGES_ALLOWED
        self.empty_run = 0
        self.seen: set[bytes] = set() if cursor is None else {_seen_key(cursor)}
        self.last: httpx.Response | None = None
        # The first request, built by `_check_first_request`: (limit, cursor, kwargs, query).
        self._first: tuple[int, str | None, dict[str, Any], str | None] | None = None
        refused = _refused_names(operation, tuple(sorted(params)))
        if refused is not None:  # bound now, so a bad name fails before any request
            raise UsageError(f"{operation.__name__}: {refused}")
        for name in _path_parameters(operation):
            if name in params:
                check_path_value(name, params[name])
        self._check_first_request()

    def _check_first_request(self) -> None:
        """Build the first request now, so that what the operation cannot send fails here,
        before anything is sent, rather than at the first `next()`; the first page is then
        sent from what was built here (a bulk run's walk is a page or two long)."""
        if self.done:
            return
        limit = self._limit()
        try:
            kwargs, query = self._built(limit)
        except VTError:
            raise
        except Exception as error:  # e.g. a query value of the wrong type
            name = self.operation.__name__
            raise UsageError(f"{name}: {type(error).__name__}: {error}") from None
        url = kwargs["url"] if query is None else f"{kwargs['url']}?{query}"
        if len(url) > _MAX_URL_CHARS:
            raise UsageError(
                f"{self.operation.__name__}: its URL would be {len(url)} "
                f"characters long, over the {_MAX_URL_CHARS} httpx sends: is the id right?"
            )
        self._first = (limit, self.cursor, kwargs, query)

    def _limit(self) -> int:
        """The page size the next request asks for."""
        limit = self.page_size
        if self.left is not None and 0 < self.left < limit:
            limit = self.left  # one page holds what meta.count says is left: ask for that
        if self.remaining is not None:
            # Asking for no more than is left keeps `meta.cursor` exact for resuming.
            limit = min(limit, self.remaining)
        return limit

    def _built(self, limit: int) -> tuple[dict[str, Any], str | None]:
        """The operation's request arguments for `limit` at the current cursor, with its
        query encoded (the second item) when the URL is to carry one."""
        cursor: str | Unset = UNSET if self.cursor is None else self.cursor
        kwargs: dict[str, Any] = self.operation._get_kwargs(
            **self.params, limit=limit, cursor=cursor
        )
        params = kwargs.get("params")
        if not params or "?" in kwargs["url"]:
            return kwargs, None
        # The query encoded here exactly as httpx would encode it, and merged with
        # `base_url` as httpx merges it: each URL is then parsed once, in `next_request`,
        # where httpx would parse it three times (each parse is ~4% of the CPU the raw
        # httpx loop spends on a page).
        del kwargs["params"]
        return kwargs, str(httpx.QueryParams(params))

    def next_request(self, base_url: httpx.URL | None = None) -> dict[str, Any] | None:
        """The arguments of `httpx.Client.request` for the next page, or None when done.

        Given the client's `base_url`, the URL is the absolute one httpx would build.
        """
        if self.done:
            return None
        limit = self._limit()
        first, self._first = self._first, None
        if first is not None and first[:2] == (limit, self.cursor):
            kwargs, query = first[2], first[3]  # built by the check, and handed out once
        else:
            kwargs, query = self._built(limit)
        if query is not None:
            path = kwargs["url"]
            relative = f"{path}?{query}"
            kwargs["url"] = (
                relative if base_url is None else self._absolute(base_url, path, query, relative)
            )
        # The cache keeps the answer only once the page loop says it parsed (`kept`).
        kwargs["extensions"] = _SKIP_CACHE if self.skip_cache else _KEEP_WHEN_PARSED
        return kwargs

    def _absolute(
        self, base_url: httpx.URL, path: str, query: str, relative: str
    ) -> httpx.URL | str:
        """`relative` merged with `base_url` as httpx merges it (base path + path without
        its "/", `Client._merge_url`), in one parse of the whole URL: a bulk run's walks
        are a page or two long, so merging the path once per walk saved nothing there."""
        if len(relative) > _MAX_URL_CHARS:
            return relative  # httpx refuses it with the error it always gives
        try:
            return httpx.URL(f"{_prefix(base_url)}{path.lstrip('/')}?{query}")
        except httpx.InvalidURL:
            return relative  # raised again by httpx, where the page loop types it

    def take(self, response: httpx.Response) -> Any:
        """The page in `response`, after which the walk moves on or ends."""
        if not 200 <= response.status_code < 300:
            self.done = True
            raise api_error_from(response)
        malformed: MalformedResponseError | None = None
        try:
            page: Any = parse_body(
                self.model, response.content, status_code=response.status_code,
                on_drift=self.on_drift,
            )  # fmt: skip
        except MalformedResponseError as error:
            malformed = malformed_from(error, response)
        if malformed is not None:
            # Raised out here, it carries neither the parser's frames nor the first error,
            # whose frames hold a half-built model that breaks tracebacks rendered with locals.
            self.done = True
            raise malformed.with_traceback(None)
        if response.extensions.get(FROM_CACHE):
            mark_cached(page, *page.data)
        self.pages += 1
        self.last = response
        data = page.data
        meta = getattr(page, "meta", UNSET)
        if self._got is not None:
            self._got += len(data)
            count = getattr(meta, "count", UNSET)
            self.left = count - self._got if isinstance(count, int) else None
        if self.remaining is not None:
            self.cut = max(0, len(data) - self.remaining)
            if self.cut:
                del data[self.remaining :]
            self.remaining -= len(data)
        next_cursor = getattr(meta, "cursor", UNSET)
        if isinstance(next_cursor, Unset) or not next_cursor or self.remaining == 0:
            self.done = True
            return page
        key = _seen_key(next_cursor)
        if key in self.seen:
            again = "did not advance" if next_cursor == self.cursor else "repeats an earlier one"
            self._malformed(response, f"meta.cursor {again}: paging on would never end")
        self.seen.add(key)
        self.empty_run = 0 if data else self.empty_run + 1
        if self.empty_run > EMPTY_PAGES_ALLOWED:
            self._malformed(
                response,
                f"{self.empty_run} pages in a row with no items but a cursor: "
                "paging on might never end",
            )
        if self.max_pages is not None and self.pages >= self.max_pages:
            self._malformed(
                response,
                f"{self.pages} pages, most of them empty, for max_items="
                f"{self.max_pages - EMPTY_PAGES_ALLOWED}: paging on might never end",
            )
        self.cursor = next_cursor
        return page

    def _malformed(self, response: httpx.Response, reason: str) -> NoReturn:
        self.done = True
        raise MalformedResponseError(
            reason,
            path="$.meta.cursor",
            excerpt=body_excerpt(response),
            status_code=response.status_code,
        )

    def failed(self, error: Exception, http: httpx.Client | httpx.AsyncClient) -> VTError:
        """The `VTError` for what sending the next request raised, other than a VTError."""
        self.done = True
        if isinstance(error, httpx.InvalidURL):
            if self.last is not None:  # the URL grew by a cursor the server sent
                return MalformedResponseError(
                    f"meta.cursor makes the next URL impossible to send ({error})",
                    path="$.meta.cursor",
                    excerpt=body_excerpt(self.last),
                    status_code=self.last.status_code,
                )
            return UsageError(f"{self.operation.__name__}: cannot send it: {error}")
        if isinstance(error, httpx.HTTPError):
            return transport_error(error)
        return unexpected_error(error, closed=http.is_closed)
