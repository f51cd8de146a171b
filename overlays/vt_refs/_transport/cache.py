"""The cache layer of the transport stack: answers a repeated GET from a shared store.

It sits under the key layer and above the retry and quota layers, so a hit sends nothing
and spends no quota. Storage is hishel 2.x's (`SqliteStorage` for the processes of one host,
`RedisStorage` for many hosts): expiry, the SQLite size cap (1 GiB; expired entries are
dropped as new ones come) and the Redis layout are hishel's. The policy is ours, as the API
sends no caching headers to go by: a 2xx answer to a GET is kept for `ttl` seconds once it
is known good, errors never.

A request with the `SKIP_CACHE` extension passes by untouched: it is sent, and its
answer is neither served from nor kept in the store (a watch wants the API's answer now).

Known good: a page walk (iter_pages, paginate, enrich, the CLI) marks its requests
`KEEP_WHEN_PARSED` and says when the page parsed (`provenance.kept`); a page that did not
parse (a proxy's HTML page, a cut body) is never stored, so a retry after the server
recovers fetches afresh. Any other GET (a plain generated operation) is kept when its body
is a JSON object.

The API key never reaches the store: entries are keyed by a SHA-256 over a keyed digest of
the API key (two keys never share an entry: their privileges differ) and the URL, the
stored request is the method and URL alone, and the stored response keeps only its
content type; an answer that holds the key anywhere (a server echoing it) is not stored.

A store that fails or hangs turns the cache off for the rest of the client's life, with
one warning on the "vt_refs.cache" logger, and requests go on to the API: each store call
is bounded by `cache_timeout` and hishel's own error logging is captured (`cache_guard`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import hishel
import httpx

from .cache_guard import StoreFailed, abounded, bounded, describe
from .digest import key_digest
from .layer import Layer
from .provenance import FROM_CACHE, KEEP_WHEN_PARSED, PENDING, SKIP_CACHE
from .redact import Redactor
from .settings import Settings
from .stores import StoreURL, open_error

logger = logging.getLogger("vt_refs.cache")

# The only response header kept: how to read the body. Wire headers (encoding, length)
# describe bytes the store does not keep, and any other header may echo what was sent.
_KEPT_HEADERS: Final = frozenset({"content-type"})


class _Answer(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class CacheTransport(Layer):
    """Serves GETs it has a fresh 2xx answer for; stores the good 2xx answers it passes on."""

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        *,
        storage: hishel.BaseStorage,
        partition: str,
        ttl: float,
        timeout: float = 1.0,
        redactor: Redactor | None = None,
        where: str = "the cache",
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(sync, async_)
        self._storage = storage
        self._partition = partition
        self._ttl = ttl
        self._timeout = timeout
        self._redactor = redactor
        self._where = where
        self._on_failure = on_failure
        self._off_lock = threading.Lock()
        self.off: str | None = None  # why the cache is off, once it is

    def _entry_key(self, request: httpx.Request) -> str | None:
        if request.method != "GET" or self.off is not None or request.extensions.get(SKIP_CACHE):
            return None  # not for the cache: passed on untouched, neither read nor kept
        return hashlib.sha256(f"{self._partition} GET {request.url}".encode()).hexdigest()

    def _turn_off(self, reason: str) -> None:
        with self._off_lock:
            if self.off is not None:
                return
            self.off = reason
        logger.warning(
            "the cache is off for the rest of this run: %s failed (%s); requests go to the API",
            self._where,
            reason,
        )
        if self._on_failure is not None:
            self._on_failure()

    # -- what runs on the store's worker thread -------------------------------------------

    def _read(self, key: str) -> _Answer | None:
        for entry in self._storage.get_entries(key):
            stream: Any = entry.response.stream
            body = b"".join(stream)
            headers = [(k, v) for k in entry.response.headers
                       for v in entry.response.headers.get_list(k) or []]  # fmt: skip
            return _Answer(entry.response.status_code, headers, body)
        return None

    def _write(self, key: str, url: str, answer: _Answer) -> None:
        grouped: dict[str, list[str]] = {}
        for name, value in answer.headers:
            grouped.setdefault(name, []).append(value)
        stored = hishel.Response(
            status_code=answer.status,
            headers=hishel.Headers(grouped),
            stream=iter([answer.body]),
        )
        entry = self._storage.create_entry(hishel.Request(method="GET", url=url), stored, key,
                                           ttl=self._ttl)  # fmt: skip
        stream: Any = entry.response.stream
        for _ in stream:  # the entry is published once its body has been read through
            pass

    # -- the two halves ---------------------------------------------------------------------

    def _hit(self, answer: _Answer | None, request: httpx.Request) -> httpx.Response | None:
        if answer is None:
            return None
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body,
                              request=request, extensions={FROM_CACHE: True})  # fmt: skip

    def _lookup(self, key: str, request: httpx.Request) -> httpx.Response | None:
        try:
            answer = bounded(lambda: self._read(key), self._timeout)
        except StoreFailed as failure:
            self._turn_off(failure.reason)
            return None
        return self._hit(answer, request)

    async def _alookup(self, key: str, request: httpx.Request) -> httpx.Response | None:
        try:
            answer = await abounded(lambda: self._read(key), self._timeout)
        except StoreFailed as failure:
            self._turn_off(failure.reason)
            return None
        return self._hit(answer, request)

    def peek(self, request: httpx.Request) -> httpx.Response | None:
        """The fresh answer held for `request` (a GET), or None; never goes below."""
        key = self._entry_key(request)
        return None if key is None else self._lookup(key, request)

    def store(self, key: str, url: str, answer: _Answer) -> None:
        """Keep `answer` (called by a `_Pending`, or at once for a JSON object)."""
        if self.off is not None:
            return
        try:
            bounded(lambda: self._write(key, url, answer), self._timeout)
        except StoreFailed as failure:
            self._turn_off(failure.reason)

    async def astore(self, key: str, url: str, answer: _Answer) -> None:
        if self.off is not None:
            return
        try:
            await abounded(lambda: self._write(key, url, answer), self._timeout)
        except StoreFailed as failure:
            self._turn_off(failure.reason)

    def _storable(self, response: httpx.Response) -> _Answer | None:
        """What of `response` would be stored, or None when it must not be."""
        if not response.is_success or response.status_code == 206:
            return None
        headers = [(name, value) for name, value in response.headers.multi_items()
                   if name.lower() in _KEPT_HEADERS]  # fmt: skip
        body = response.content
        redactor = self._redactor
        if redactor is not None and (
            redactor.found_in(body)
            or any(redactor.found_in(value.encode("utf-8", "replace")) for _, value in headers)
        ):
            return None  # a server that echoes the key: nothing of it goes to disk
        return _Answer(response.status_code, headers, body)

    def _fresh(self, key: str, request: httpx.Request, response: httpx.Response) -> _Pending | None:
        """What to do with a fresh answer: a `_Pending` to keep it, or None."""
        answer = self._storable(response)
        response.extensions = {**response.extensions, FROM_CACHE: False}
        if answer is None:
            return None
        pending = _Pending(self, key, str(request.url), answer)
        if request.extensions.get(KEEP_WHEN_PARSED):
            response.extensions[PENDING] = pending  # the walk keeps it once it parsed
            return None
        return pending if _json_object(answer.body) else None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = self._entry_key(request)
        if key is None:
            return self._sync.handle_request(request)
        hit = self._lookup(key, request)
        if hit is not None:
            return hit
        response = self._sync.handle_request(request)
        if response.is_success:
            response.read()
            pending = self._fresh(key, request, response)
            if pending is not None:
                pending.keep()
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = self._entry_key(request)
        if key is None:
            return await self._async.handle_async_request(request)
        hit = await self._alookup(key, request)
        if hit is not None:
            return hit
        response = await self._async.handle_async_request(request)
        if response.is_success:
            await response.aread()
            pending = self._fresh(key, request, response)
            if pending is not None:
                await pending.akeep()
        return response


class _Pending:
    """A fresh answer, stored by the first `keep`/`akeep` (a `provenance.Keeper`)."""

    __slots__ = ("_answer", "_cache", "_key", "_url")

    def __init__(self, cache: CacheTransport, key: str, url: str, answer: _Answer) -> None:
        self._cache: CacheTransport | None = cache
        self._key = key
        self._url = url
        self._answer = answer

    def keep(self) -> None:
        cache, self._cache = self._cache, None
        if cache is not None:
            cache.store(self._key, self._url, self._answer)

    async def akeep(self) -> None:
        cache, self._cache = self._cache, None
        if cache is not None:
            await cache.astore(self._key, self._url, self._answer)


def _json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


class _SqliteStorage(hishel.SqliteStorage):
    """hishel's SQLite storage, waiting on a locked file no longer than our bound (hishel
    sets a 5 s busy timeout when it sets the file up)."""

    def __init__(self, *, busy_ms: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._busy_ms = busy_ms

    def _initialize_database(self) -> None:
        super()._initialize_database()
        if self.connection is not None:
            self.connection.execute(f"PRAGMA busy_timeout={int(self._busy_ms)}")


_STORAGES: dict[tuple[int, StoreURL, float], hishel.BaseStorage] = {}
_STORAGES_LOCK = threading.Lock()


def _storage(store: StoreURL, timeout: float) -> hishel.BaseStorage:
    # Per process: a forked child must not reuse its parent's connection.
    shared_key = (os.getpid(), store, timeout)
    with _STORAGES_LOCK:
        found = _STORAGES.get(shared_key)
        if found is None:
            found = _STORAGES[shared_key] = _open(store, timeout)
        return found


def _forget(store: StoreURL, timeout: float) -> Callable[[], None]:
    """What a client whose store failed calls: the next client opens it anew."""

    def forget() -> None:
        with _STORAGES_LOCK:
            _STORAGES.pop((os.getpid(), store, timeout), None)

    return forget


def _open(store: StoreURL, timeout: float) -> hishel.BaseStorage:
    if store.kind == "sqlite":
        try:
            directory = os.path.dirname(store.location)
            if directory:
                os.makedirs(directory, exist_ok=True)
            # Our own connection: left to open its own, hishel would move a bare file name
            # into .cache/hishel/ and write a .gitignore of "*" beside the file, which in a
            # project folder would hide the whole project from git.
            connection = sqlite3.connect(store.location, check_same_thread=False,
                                         isolation_level=None, timeout=timeout)  # fmt: skip
        except (OSError, sqlite3.Error) as error:  # an unwritable place: the caller's to fix
            raise open_error("cache", store, describe(error)) from None
        return _SqliteStorage(connection=connection, default_ttl=None,
                              busy_ms=int(timeout * 1000))  # fmt: skip
    import redis  # only when a Redis cache is used
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Our bound on every socket operation, and no retries of redis-py's own: a store that
    # does not answer at once turns the cache off instead of stalling each request.
    client = redis.Redis.from_url(store.location, socket_timeout=timeout,
                                  socket_connect_timeout=timeout,
                                  retry=Retry(NoBackoff(), 0))  # fmt: skip
    return hishel.RedisStorage(client, default_ttl=None, key_prefix="vt-refs:cache")


def cache_layer(
    sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport, settings: Settings
) -> CacheTransport:
    """The transports behind the cache in `settings.cache`, partitioned by the key."""
    assert settings.cache is not None
    store, timeout = settings.cache, settings.cache_timeout
    return CacheTransport(
        sync,
        async_,
        storage=_storage(store, timeout),
        partition=key_digest(settings.key, "cache"),
        ttl=settings.cache_ttl,
        timeout=timeout,
        redactor=Redactor(settings.key.reveal()),
        where=store.shown,
        on_failure=_forget(store, timeout),
    )
