"""The cache layer of the transport stack: answers a repeated GET from a shared store.

It sits under the key layer and above the retry and quota layers, so a hit sends nothing
and spends no quota. Storage is hishel 2.x's (`SqliteStorage` for the processes of one host,
`RedisStorage` for many hosts): expiry, the SQLite size cap (1 GiB; expired entries are
dropped as new ones come) and the Redis layout are hishel's. The policy is ours, as the API
sends no caching headers to go by: every 2xx answer to a GET is kept for `ttl` seconds,
errors never.

The API key never reaches the store: entries are keyed by a SHA-256 over a keyed digest of
the API key (two keys never share an entry: their privileges differ) and the URL, and the
stored request is the method and URL alone, without any header. hishel's storages are
synchronous and thread-safe; async requests use them on a worker thread, so one store
serves every thread and event loop of the process.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import threading
from typing import Any, Final

import hishel
import httpx

from .digest import key_digest
from .layer import Layer
from .provenance import FROM_CACHE
from .settings import Settings
from .stores import StoreURL

logger = logging.getLogger("vt_refs.cache")

# Headers that describe the body on the wire, not the decoded bytes the store keeps.
_WIRE_HEADERS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class CacheTransport(Layer):
    """Serves GETs it has a fresh 2xx answer for; stores the 2xx answers it passes on."""

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        *,
        storage: hishel.BaseStorage,
        partition: str,
        ttl: float,
    ) -> None:
        super().__init__(sync, async_)
        self._storage = storage
        self._partition = partition
        self._ttl = ttl

    def _entry_key(self, request: httpx.Request) -> str | None:
        if request.method != "GET":
            return None
        return hashlib.sha256(f"{self._partition} GET {request.url}".encode()).hexdigest()

    def _lookup(self, key: str, request: httpx.Request) -> httpx.Response | None:
        try:
            for entry in self._storage.get_entries(key):
                stream: Any = entry.response.stream
                body = b"".join(stream)
                headers = [(k, v) for k in entry.response.headers
                           for v in entry.response.headers.get_list(k) or []]  # fmt: skip
                return httpx.Response(
                    entry.response.status_code,
                    headers=headers,
                    content=body,
                    request=request,
                    extensions={FROM_CACHE: True},
                )
        except Exception:  # a cache that fails is a miss, never a lost answer
            logger.warning("vt_refs: cache lookup failed; fetching instead", exc_info=True)
        return None

    def _store(self, key: str, request: httpx.Request, response: httpx.Response) -> None:
        grouped: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            if name.lower() not in _WIRE_HEADERS:
                grouped.setdefault(name, []).append(value)
        stored = hishel.Response(
            status_code=response.status_code,
            headers=hishel.Headers(grouped),
            stream=iter([response.content]),
        )
        try:
            entry = self._storage.create_entry(
                hishel.Request(method="GET", url=str(request.url)), stored, key, ttl=self._ttl
            )
            stream: Any = entry.response.stream
            for _ in stream:  # the entry is published once its body has been read through
                pass
        except Exception:
            logger.warning("vt_refs: could not store an answer in the cache", exc_info=True)

    @staticmethod
    def _keep(response: httpx.Response) -> bool:
        return response.is_success and response.status_code != 206

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = self._entry_key(request)
        if key is None:
            return self._sync.handle_request(request)
        hit = self._lookup(key, request)
        if hit is not None:
            return hit
        response = self._sync.handle_request(request)
        if self._keep(response):
            response.read()
            self._store(key, request, response)
            response.extensions = {**response.extensions, FROM_CACHE: False}
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = self._entry_key(request)
        if key is None:
            return await self._async.handle_async_request(request)
        hit = await asyncio.to_thread(self._lookup, key, request)
        if hit is not None:
            return hit
        response = await self._async.handle_async_request(request)
        if self._keep(response):
            await response.aread()
            await asyncio.to_thread(self._store, key, request, response)
            response.extensions = {**response.extensions, FROM_CACHE: False}
        return response


_STORAGES: dict[tuple[int, StoreURL], hishel.BaseStorage] = {}
_STORAGES_LOCK = threading.Lock()


def _storage(store: StoreURL) -> hishel.BaseStorage:
    # Per process: a forked child must not reuse its parent's connection.
    shared_key = (os.getpid(), store)
    with _STORAGES_LOCK:
        found = _STORAGES.get(shared_key)
        if found is None:
            found = _STORAGES[shared_key] = _open(store)
        return found


def _open(store: StoreURL) -> hishel.BaseStorage:
    if store.kind == "sqlite":
        directory = os.path.dirname(store.location)
        if directory:
            os.makedirs(directory, exist_ok=True)
        # Our own connection: left to open its own, hishel would move a bare file name
        # into .cache/hishel/ and write a .gitignore of "*" beside the file, which in a
        # project folder would hide the whole project from git.
        connection = sqlite3.connect(store.location, check_same_thread=False,
                                     isolation_level=None)  # fmt: skip
        return hishel.SqliteStorage(connection=connection, default_ttl=None)
    import redis  # only when a Redis cache is used

    client = redis.Redis.from_url(store.location)
    return hishel.RedisStorage(client, default_ttl=None, key_prefix="vt-refs:cache")


def cache_layer(
    sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport, settings: Settings
) -> CacheTransport:
    """The transports behind the cache in `settings.cache`, partitioned by the key."""
    assert settings.cache is not None
    return CacheTransport(
        sync,
        async_,
        storage=_storage(settings.cache),
        partition=key_digest(settings.key, "cache"),
        ttl=settings.cache_ttl,
    )
