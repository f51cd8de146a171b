"""The cache: a second identical walk sends nothing and spends no quota, across processes
(SQLite, Redis); it expires after cache_ttl; another key misses; errors are never kept;
the key is nowhere in the stores; cached pages parse like fresh ones."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

import vt_refs
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.keys import KEY, own_key

OBJECT = "c" * 64
COUNT = 30


@pytest.fixture(params=["sqlite", "redis"])
def cache_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cache.db"
    url: str = request.getfixturevalue("redis_url")
    return url  # never flushed ($REDIS_URL may be shared): each test uses keys of its own


def _fake(**kwargs: Any) -> FakeVirusTotal:
    """A fake with a key of its own: entries (and quotas) are per key, so no test sees
    another's, whatever the store held before."""
    kwargs.setdefault("api_key", own_key("cache"))
    return FakeVirusTotal(**kwargs)


def _pages(client: Any) -> list[Any]:
    return list(vt_refs.iter_pages(get_url_related_references, client, id=OBJECT, page_size=10))


def _connect(fake: FakeVirusTotal, cache: str, key: str | None = None, **kw: Any) -> Any:
    return vt_refs.connect(key or fake.api_key, base_url=fake.base_url, cache=cache, **kw)


def test_a_second_walk_sends_nothing_and_spends_no_quota(cache_url: str) -> None:
    quota = vt_refs.Quota(per_minute=3)
    # A key of its own: the process shares one quota per key, whatever the test.
    with _fake(default_count=COUNT) as fake:
        with _connect(fake, cache_url, quota=quota, max_quota_wait=0) as client:
            first = _pages(client)
            assert len(fake.requests) == 3 and not any(map(vt_refs.from_cache, first))
            second = _pages(client)  # the quota is spent: a single request would raise
        assert len(fake.requests) == 3
        assert all(map(vt_refs.from_cache, second))
        assert [p.to_dict() for p in second] == [p.to_dict() for p in first]
        assert type(second[0]) is type(first[0])  # parsed exactly like a fresh page


def test_async_walks_share_the_cache(cache_url: str) -> None:
    with _fake(default_count=COUNT) as fake:
        with _connect(fake, cache_url) as client:
            first = _pages(client)

        async def walk() -> list[Any]:
            async with _connect(fake, cache_url) as client:
                pages = vt_refs.aiter_pages(get_url_related_references, client, id=OBJECT,
                                            page_size=10)  # fmt: skip
                return [p async for p in pages]

        second = asyncio.run(walk())
        assert len(fake.requests) == 3
        assert all(map(vt_refs.from_cache, second))
        assert [p.to_dict() for p in second] == [p.to_dict() for p in first]


def test_another_process_is_served_from_the_cache(cache_url: str, tmp_path: Path) -> None:
    script = (
        "import sys, vt_refs\n"
        "base, key, cache, quota_store, object_id = sys.argv[1:]\n"
        "quota = vt_refs.Quota(per_day=3)  # shared: a 4th request would raise at once\n"
        "with vt_refs.connect(key, base_url=base, cache=cache, quota=quota,\n"
        "                     quota_store=quota_store, max_quota_wait=0) as client:\n"
        "    refs = list(vt_refs.related_references(client, id=object_id, page_size=10))\n"
        "print(len(refs))\n"
    )
    with _fake(default_count=COUNT) as fake:
        quota_store = f"sqlite:///{tmp_path}/quota.db"
        command = [sys.executable, "-c", script, fake.base_url, fake.api_key, cache_url,
                   quota_store, OBJECT]  # fmt: skip
        for _ in range(2):
            out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
            assert out.stdout.strip() == str(COUNT)
        assert len(fake.requests) == 3  # the second process sent nothing, spent nothing


def test_entries_expire_after_the_ttl(cache_url: str) -> None:
    with (
        _fake(default_count=5) as fake,
        _connect(fake, cache_url, cache_ttl=0.5) as client,
    ):
        _pages(client)
        _pages(client)
        assert len(fake.requests) == 1
        time.sleep(0.8)
        assert not any(map(vt_refs.from_cache, _pages(client)))
        assert len(fake.requests) == 2


def test_another_key_misses(cache_url: str) -> None:
    other = own_key("other")
    with _fake(default_count=5) as fake:
        with _connect(fake, cache_url) as client:
            _pages(client)
        with (
            _connect(fake, cache_url, key=other, max_retries=0) as client,
            pytest.raises(vt_refs.WrongCredentialsError),  # sent, not served
        ):
            _pages(client)
        assert [r.headers["x-apikey"] for r in fake.requests] == [fake.api_key, other]


def test_errors_are_never_kept(cache_url: str) -> None:
    with _fake(default_count=5) as fake:
        fake.fail_next(1, status=404, code="NotFoundError")
        with _connect(fake, cache_url, max_retries=0) as client:
            with pytest.raises(vt_refs.NotFoundError):
                _pages(client)
            assert not any(map(vt_refs.from_cache, _pages(client)))
        assert len(fake.requests) == 2


def test_items_of_a_cached_page_parse_like_fresh_ones(cache_url: str) -> None:
    with _fake(default_count=COUNT) as fake:
        with _connect(fake, cache_url) as client:
            walk = {"id": OBJECT, "max_items": 25, "page_size": 10}  # three pages, then cached
            fresh = list(vt_refs.related_references(client, **walk))
            cached = list(vt_refs.related_references(client, **walk))
        assert cached == fresh
        assert len(fake.requests) == 3


def test_the_key_is_nowhere_in_the_stores(tmp_path: Path, redis_url: str) -> None:
    key = own_key("secret")
    secrets = [key.encode(), hashlib.sha256(key.encode()).hexdigest().encode(),
               hashlib.sha256(key.encode()).digest()]  # fmt: skip
    sqlite_url = f"sqlite:///{tmp_path}/cache.db"
    with FakeVirusTotal(default_count=COUNT, api_key=key) as fake:
        for url in (sqlite_url, redis_url):
            with _connect(fake, url) as client:
                _pages(client)
                assert all(map(vt_refs.from_cache, _pages(client)))
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    with sqlite3.connect(tmp_path / "cache.db") as db:
        dumped = "\n".join(db.iterdump()).encode()
    server = redis.Redis.from_url(redis_url)
    stored = []
    for name in server.keys("*"):
        stored.append(name)
        kind = server.type(name)
        if kind == b"string":
            stored.append(server.get(name) or b"")
        elif kind == b"zset":
            stored.extend(m for m, _ in server.zrange(name, 0, -1, withscores=True))
        elif kind == b"list":
            stored.extend(server.lrange(name, 0, -1))
        elif kind == b"hash":
            stored.extend(b"%s=%s" % kv for kv in server.hgetall(name).items())
    assert len(stored) > 3
    everything = files + dumped + b"\n".join(stored)
    assert b"related_references" in everything  # the stores were read, and hold pages
    for secret in secrets:
        assert secret not in everything


def test_a_failing_store_is_a_miss_not_a_lost_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _fake(default_count=5) as fake:
        with (
            _connect(fake, "redis://127.0.0.1:1/0") as client,  # nothing listens there
            caplog.at_level(logging.WARNING, logger="vt_refs.cache"),
        ):
            assert len(_pages(client)[0].data) == 5
        assert "cache" in caplog.text


@pytest.mark.parametrize(
    "kwargs",
    [{"cache": "memcached://x"}, {"cache": 1}, {"cache_ttl": 0}, {"cache_ttl": float("inf")}],
)
def test_bad_cache_arguments_are_usage_errors(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("cache", "sqlite:///tmp/vt-refs-never-created.db")
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect(KEY, **kwargs)


def test_from_cache_tells_items_and_forgets_them_with_their_page(cache_url: str) -> None:
    import gc

    from vt_refs._transport import provenance as _provenance

    with _fake(default_count=5) as fake, _connect(fake, cache_url) as client:
        fresh = list(vt_refs.related_references(client, id=OBJECT))
        cached = list(vt_refs.related_references(client, id=OBJECT))
    assert not any(map(vt_refs.from_cache, fresh))
    assert all(map(vt_refs.from_cache, cached))
    assert not vt_refs.from_cache(object())
    remembered = len(_provenance._cached)
    del cached
    gc.collect()
    assert len(_provenance._cached) <= remembered - 5


def test_the_sqlite_cache_is_the_file_named_and_nothing_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with _fake(default_count=5) as fake, _connect(fake, "sqlite://vt-cache.db") as client:
        _pages(client)
        assert all(map(vt_refs.from_cache, _pages(client)))
    names = {p.name for p in tmp_path.iterdir()}
    assert "vt-cache.db" in names
    assert not names & {".gitignore", ".cache"}  # hishel's own defaults would add them


def test_a_relative_sqlite_cache_is_in_the_directory_current_at_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same relative URL from two directories names two files: the store shared in the
    # process is keyed by the absolute path, not by the URL as written.
    first, second = tmp_path / "first", tmp_path / "second"
    with _fake(default_count=5) as fake:
        for directory in (first, second):
            directory.mkdir()
            monkeypatch.chdir(directory)
            with _connect(fake, "sqlite://relative-cache.db") as client:
                assert not any(map(vt_refs.from_cache, _pages(client)))
                assert all(map(vt_refs.from_cache, _pages(client)))
            assert (directory / "relative-cache.db").is_file()
