"""`vt_refs.transport_stats(client)` / `client.stats`: what went on the wire, what the
cache answered, retries, server 429s and the time spent waiting on the quota, counted by
the layer that sees each (sync and async alike), against the fake."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
import pytest

import vt_refs
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.keys import own_key

OBJECT = "d" * 64


def _walk(client: Any) -> int:
    pages = vt_refs.iter_pages(get_url_related_references, client, id=OBJECT, page_size=10)
    return sum(len(page.data) for page in pages)


def _connect(fake: FakeVirusTotal, **kwargs: Any) -> Any:
    kwargs.setdefault("backoff_factor", 0.01)
    return vt_refs.connect(fake.api_key, base_url=fake.base_url, **kwargs)


def test_a_fresh_client_has_counted_nothing() -> None:
    with FakeVirusTotal() as fake, _connect(fake) as client:
        assert vt_refs.transport_stats(client) == vt_refs.TransportStats()
        assert client.stats == vt_refs.TransportStats()


def test_requests_retries_and_bytes() -> None:
    with FakeVirusTotal(default_count=25) as fake, _connect(fake) as client:
        fake.fail_next(2, status=503, code="TransientError")
        assert _walk(client) == 25
        stats = vt_refs.transport_stats(client)
    # 3 pages and the 2 failed attempts before the first: all went on the wire.
    assert stats.requests == len(fake.requests) == 5
    assert stats.retries == 2
    assert stats.cache_hits == 0 and stats.rate_limited == 0
    assert stats.bytes_received > 3 * 1000


def test_cache_hits_are_not_requests(tmp_path: Path) -> None:
    cache = f"sqlite:///{tmp_path}/cache.db"
    fake = FakeVirusTotal(default_count=25, api_key=own_key("stats"))
    with fake, _connect(fake, cache=cache) as client:
        _walk(client)
        before = client.stats
        _walk(client)
        after = client.stats
    assert before.requests == 3 and before.cache_hits == 0
    run = after - before
    assert run == vt_refs.TransportStats(cache_hits=3)


def test_server_429s_are_counted_as_such_not_as_retries() -> None:
    with FakeVirusTotal(default_count=5) as fake, _connect(fake) as client:
        fake.fail_next(2, status=429, code="QuotaExceededError", retry_after="0")
        assert _walk(client) == 5
        stats = client.stats
    assert stats.requests == 3 and stats.rate_limited == 2 and stats.retries == 0


def test_the_own_quota_s_waits_are_counted() -> None:
    quota = vt_refs.Quota(per_second=2)
    fake = FakeVirusTotal(default_count=40, api_key=own_key("stats-wait"))
    with fake, _connect(fake, quota=quota) as client:
        assert _walk(client) == 40  # 4 pages at 2 per second: about a second waited
        stats = client.stats
    assert stats.requests == 4
    assert 0.5 < stats.quota_wait_seconds < 5


def test_async_walks_count_the_same() -> None:
    async def walk(client: Any) -> int:
        count = 0
        async for page in vt_refs.aiter_pages(
            get_url_related_references, client, id=OBJECT, page_size=10
        ):
            count += len(page.data)
        return count

    async def main(fake: FakeVirusTotal) -> vt_refs.TransportStats:
        async with _connect(fake) as client:
            fake.fail_next(1, status=503, code="TransientError")
            assert await walk(client) == 25
            return vt_refs.transport_stats(client)

    with FakeVirusTotal(default_count=25) as fake:
        stats = asyncio.run(main(fake))
    assert (stats.requests, stats.retries) == (4, 1)


def test_stats_are_a_frozen_value_and_subtract() -> None:
    stats = vt_refs.TransportStats(requests=3, quota_wait_seconds=1.5)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stats.requests = 4  # type: ignore[misc]
    assert stats - stats == vt_refs.TransportStats()


def test_a_client_not_made_by_connect_is_a_usage_error() -> None:
    from vt_refs_api import AuthenticatedClient

    with pytest.raises(vt_refs.UsageError, match="connect"):
        vt_refs.transport_stats(AuthenticatedClient(base_url="http://127.0.0.1:9", token="t"))
