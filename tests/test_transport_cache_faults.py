"""The cache under a hostile environment: a Redis that is down, dies mid-run, hangs or
speaks no TLS; a SQLite file corrupt, truncated, read-only or locked; an unwritable
directory; malformed 200s; a server echoing the key. Each store fault is one warning on
`vt_refs.cache`, then the cache is off for the client and every answer still comes, in
about the time it would take with no cache. Nothing of hishel's own logging escapes."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

import vt_refs
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.files import read_only
from support.redis_faults import HungListener, OwnRedis, hung_listener, own_redis

OBJECT = "d" * 64
COUNT = 40  # 4 pages of 10


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=f"k-{uuid.uuid4().hex}", default_count=COUNT) as running:
        yield running


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record that reaches a handler: vt_refs' and anything hishel lets through."""
    caplog.set_level(logging.DEBUG)
    return caplog


def _cache_warnings(records: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in records.records if r.name == "vt_refs.cache"]


def _escaped(records: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in records.records if r.name.startswith("hishel")]


def _walk(client: Any, object_id: str = OBJECT) -> list[Any]:
    pages = vt_refs.iter_pages(get_url_related_references, client, id=object_id, page_size=10)
    return [item for page in pages for item in page.data]


def _connect(fake: FakeVirusTotal, cache: str, **kwargs: Any) -> Any:
    return vt_refs.connect(fake.api_key, base_url=fake.base_url, cache=cache, max_retries=0,
                           **kwargs)  # fmt: skip


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_warning(records: pytest.LogCaptureFixture, *words: str) -> None:
    warnings = _cache_warnings(records)
    assert len(warnings) == 1, warnings
    assert "off" in warnings[0]
    for word in words:
        assert word in warnings[0], warnings[0]
    assert _escaped(records) == []


def test_a_redis_down_at_the_start_is_one_warning_and_the_walk_goes_on(
    fake: FakeVirusTotal, records: pytest.LogCaptureFixture
) -> None:
    cache = f"redis://:s3cret-pw@127.0.0.1:{_closed_port()}/0"
    with _connect(fake, cache) as client:
        items = _walk(client)
        again = _walk(client)
    assert len(items) == len(again) == COUNT
    assert len(fake.requests) == 8  # uncached, both times
    _one_warning(records, "ConnectionError")
    assert "s3cret-pw" not in _cache_warnings(records)[0]


def test_a_redis_killed_mid_run_is_one_warning(
    fake: FakeVirusTotal, records: pytest.LogCaptureFixture
) -> None:
    with own_redis() as server, _connect(fake, server.url) as client:
        assert len(_walk(client)) == COUNT
        assert len(_walk(client)) == COUNT and len(fake.requests) == 4  # served by Redis
        server.stop()
        for n in range(5):
            assert len(_walk(client, f"{n:x}" * 64)) == COUNT
    assert len(fake.requests) == 4 + 5 * 4
    _one_warning(records)


def _timed_walks(fake: FakeVirusTotal, cache: str, walks: int) -> float:
    started = time.monotonic()
    with _connect(fake, cache, cache_timeout=0.5) as client:
        for n in range(walks):
            assert len(_walk(client, f"{n:x}" * 64)) == COUNT
    return time.monotonic() - started


def test_a_hung_redis_turns_the_cache_off_within_its_bound(
    fake: FakeVirusTotal, records: pytest.LogCaptureFixture
) -> None:
    with hung_listener() as hung:
        seconds = _timed_walks(fake, f"redis://127.0.0.1:{hung.port}/0", walks=8)
    assert hung.accepted >= 1
    # 32 requests; with the cache off after its first 0.5 s, not 32 timeouts of 5 s.
    assert seconds < 5, seconds
    _one_warning(records)
    # Our bound or the socket's (both cache_timeout), whichever fires first.
    warning = _cache_warnings(records)[0]
    assert "0.5 s" in warning or "Timeout" in warning, warning


def test_rediss_to_a_plain_port_turns_the_cache_off_within_its_bound(
    fake: FakeVirusTotal, records: pytest.LogCaptureFixture
) -> None:
    with own_redis() as server:
        seconds = _timed_walks(fake, server.url.replace("redis://", "rediss://"), walks=8)
    assert seconds < 5, seconds
    _one_warning(records)


def test_the_async_path_is_bounded_too(
    fake: FakeVirusTotal, records: pytest.LogCaptureFixture
) -> None:
    async def walk(hung: HungListener) -> float:
        started = time.monotonic()
        cache = f"redis://127.0.0.1:{hung.port}/0"
        async with _connect(fake, cache, cache_timeout=0.5) as client:
            for n in range(4):
                pages = vt_refs.aiter_pages(get_url_related_references, client, id=f"{n}" * 64)
                assert sum([len(p.data) async for p in pages]) == COUNT
        return time.monotonic() - started

    with hung_listener() as hung:
        assert asyncio.run(walk(hung)) < 4
    _one_warning(records)


def _filled_sqlite(fake: FakeVirusTotal, path: Path) -> None:
    """A cache file holding the walk of OBJECT, that no storage of this process has open
    (as a new run finds it): filled under another name, then copied."""
    filled = path.with_name(f"filled-{uuid.uuid4().hex}.db")
    with _connect(fake, f"sqlite:///{filled}") as client:
        _walk(client)
    with sqlite3.connect(filled) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path.write_bytes(filled.read_bytes())
    fake.clear_requests()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed"])
def test_a_corrupt_sqlite_file_is_one_warning(
    fake: FakeVirusTotal, tmp_path: Path, records: pytest.LogCaptureFixture, damage: str
) -> None:
    path = tmp_path / "cache.db"
    _filled_sqlite(fake, path)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"this is not a SQLite database at all\n" * 200)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 3 + 100])
    else:
        path.write_bytes(data[:100] + b"\0" * (len(data) - 100))
    with _connect(fake, f"sqlite:///{path}") as client:
        for _ in range(3):
            assert len(_walk(client)) == COUNT
    warnings = _cache_warnings(records)
    assert len(warnings) <= 1 and _escaped(records) == []
    if damage != "zeroed":  # SQLite may read a zeroed page as empty rather than broken
        _one_warning(records)
    assert len(fake.requests) >= 8


def test_a_read_only_sqlite_file_is_one_warning(
    fake: FakeVirusTotal, tmp_path: Path, records: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.db"
    _filled_sqlite(fake, path)
    with read_only(path), read_only(tmp_path), _connect(fake, f"sqlite:///{path}") as client:
        for n in range(3):
            assert len(_walk(client, f"{n}" * 64)) == COUNT
    _one_warning(records)


def test_a_locked_sqlite_file_is_one_warning_within_the_bound(
    fake: FakeVirusTotal, tmp_path: Path, records: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.db"
    _filled_sqlite(fake, path)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("PRAGMA locking_mode=EXCLUSIVE")
    locker.execute("BEGIN EXCLUSIVE")
    locker.execute("CREATE TABLE IF NOT EXISTS held (x)")
    try:
        seconds = _timed_walks(fake, f"sqlite:///{path}", walks=4)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert seconds < 4, seconds
    _one_warning(records)


def test_an_unwritable_cache_directory_is_a_usage_error_like_the_quota_stores(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only(locked):
        for place in (locked / "cache.db", locked / "sub" / "cache.db"):
            with pytest.raises(vt_refs.UsageError, match="cannot open") as cache_error:
                _connect(fake, f"sqlite:///{place}")
            with pytest.raises(vt_refs.UsageError, match="cannot open") as quota_error:
                vt_refs.connect(fake.api_key, base_url=fake.base_url,
                                quota=vt_refs.Quota(per_minute=60),
                                quota_store=f"sqlite:///{place}")  # fmt: skip
            assert type(cache_error.value) is type(quota_error.value)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Proxy authentication required</body></html>", "text/html"),
        (b'{"data": [{"type": "reference", "id": "r1"', "application/json"),
        (b'{"meta": {"count": 1}}', "application/json"),  # JSON, but no page
    ],
)
def test_a_malformed_200_is_never_served_from_the_cache(
    fake: FakeVirusTotal, tmp_path: Path, body: bytes, content_type: str
) -> None:
    with _connect(fake, f"sqlite:///{tmp_path}/cache.db") as client:
        fake.malform_next(body=body, content_type=content_type)
        with pytest.raises(vt_refs.MalformedResponseError):
            _walk(client)
        # The server recovered: the same request goes to it again, and now it is kept.
        assert len(_walk(client)) == COUNT
        assert len(fake.requests) == 1 + 4
        assert len(_walk(client)) == COUNT
        assert len(fake.requests) == 1 + 4


def test_a_malformed_200_to_a_plain_operation_is_not_kept(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    with _connect(fake, f"sqlite:///{tmp_path}/cache.db") as client:
        fake.malform_next(body=b"<html>maintenance</html>", content_type="text/html")
        with pytest.raises(Exception):  # noqa: B017  the generated parser's own error
            get_url_related_references.sync(OBJECT, client=client)
        assert get_url_related_references.sync(OBJECT, client=client) is not None
        assert get_url_related_references.sync(OBJECT, client=client) is not None
    assert len(fake.requests) == 2  # the HTML page was not kept, the good page was


def _echoing(key_holder: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["x-apikey"]
        key_holder.append(key)
        if "echo-body" in request.url.path:
            page = {"data": [], "meta": {"count": 0, "note": key}}
        else:
            page = {"data": [], "meta": {"count": 0}}
        return httpx.Response(200, json=page, headers={
            "x-echo-key": key, "set-cookie": f"session={key}", "x-request-id": "abc"})  # fmt: skip

    return httpx.MockTransport(handler)


def test_no_store_holds_the_key_in_any_header_or_body(tmp_path: Path, redis_url: str) -> None:
    key = f"echoed-key-{uuid.uuid4().hex}"
    seen: list[str] = []
    path = tmp_path / "cache.db"
    for cache in (f"sqlite:///{path}", redis_url):
        with vt_refs.connect(key, base_url="https://vt.example/api/v3", cache=cache,
                             transport=_echoing(seen)) as client:  # fmt: skip
            for object_id in ("echo-header" + "a" * 53, "echo-body" + "b" * 55):
                for _ in range(2):
                    list(vt_refs.iter_pages(get_url_related_references, client, id=object_id))
    assert seen.count(key) == 2 * 3  # header echo: cached after one; body echo: never kept
    for file in tmp_path.iterdir():
        assert key.encode() not in file.read_bytes(), file
    store = redis.Redis.from_url(redis_url)
    for name in store.scan_iter("vt-refs:cache:*"):
        value = store.dump(name) or b""
        assert key.encode() not in value and key.encode() not in name


def test_a_new_client_tries_a_store_that_came_back(
    fake: FakeVirusTotal, records: pytest.LogCaptureFixture
) -> None:
    server = OwnRedis()
    try:
        with _connect(fake, server.url) as client:  # not started yet: off
            _walk(client)
        server.start()
        with _connect(fake, server.url) as client:
            _walk(client)
            _walk(client)
    finally:
        server.close()
    assert len(fake.requests) == 4 + 4
    assert len(_cache_warnings(records)) == 1
