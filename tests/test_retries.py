"""Retries, backoff, Retry-After and pacing, with the clock under the test's control."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest

import vt_refs
from vt_refs import _transport
from vt_refs_api.api.urls import get_url_related_references

from mock_api import ScriptedAPI, error, ok, page


def _ids(api: ScriptedAPI, page_size: int | None = None, **kwargs: object) -> list[str]:
    client = api.client(**kwargs)
    items = vt_refs.paginate(get_url_related_references, client, id="x", page_size=page_size)
    return [r.id for r in items]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 522, 599])
def test_retryable_statuses_are_retried(status: int, sleeps: list[float]) -> None:
    api = ScriptedAPI([httpx.Response(status), ok(page(["a"]))])
    assert _ids(api) == ["a"]
    assert len(api.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 501])
def test_other_statuses_are_not_retried(status: int, sleeps: list[float]) -> None:
    api = ScriptedAPI([httpx.Response(status), ok(page(["a"]))])
    with pytest.raises(vt_refs.APIError):
        _ids(api)
    assert len(api.requests) == 1


def test_at_most_max_retries_then_the_typed_error(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=error(429, "QuotaExceededError"))
    with pytest.raises(vt_refs.QuotaExceededError) as caught:
        _ids(api, max_retries=3)
    assert caught.value.status_code == 429
    assert len(api.requests) == 4 and len(sleeps) == 3


def test_max_retries_zero_sends_once(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=error(503, "TransientError"))
    with pytest.raises(vt_refs.TransientError):
        _ids(api, max_retries=0)
    assert len(api.requests) == 1


def test_backoff_is_jittered_exponential(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=httpx.Response(503))
    with pytest.raises(vt_refs.APIError):
        _ids(api, max_retries=5, backoff_factor=0.5)
    assert len(sleeps) == 5
    for attempt, slept in enumerate(sleeps, start=1):
        assert 0 <= slept <= 0.5 * 2**attempt
    assert len(set(sleeps)) > 1, "jitter makes the waits differ"


def test_retry_after_seconds_is_honoured(sleeps: list[float]) -> None:
    api = ScriptedAPI([error(429, "QuotaExceededError", **{"retry-after": "7"}), ok(page(["a"]))])
    assert _ids(api, backoff_factor=0.01) == ["a"]
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured(sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    api = ScriptedAPI([httpx.Response(503, headers={"retry-after": when}), ok(page(["a"]))])
    assert _ids(api) == ["a"]
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_retry_after_past_the_budget_is_not_waited_for(sleeps: list[float]) -> None:
    api = ScriptedAPI([error(429, "QuotaExceededError", **{"retry-after": "86400"})])
    with pytest.raises(vt_refs.QuotaExceededError):
        _ids(api)
    assert sleeps == [] and len(api.requests) == 1


def test_connection_errors_and_timeouts_are_retried(sleeps: list[float]) -> None:
    api = ScriptedAPI([httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok(page(["a"]))])
    assert _ids(api) == ["a"]
    assert len(api.requests) == 3


def test_retried_pages_lose_and_repeat_nothing(sleeps: list[float]) -> None:
    api = ScriptedAPI(
        [
            ok(page(["1", "2"], cursor="c1")),
            httpx.Response(503),
            httpx.ReadTimeout("slow"),
            ok(page(["3", "4"], cursor="c2")),
            error(429, "TooManyRequestsError"),
            ok(page(["5"])),
        ]
    )
    assert _ids(api, page_size=2) == ["1", "2", "3", "4", "5"]
    cursors = [q.get("cursor") for q in api.queries()]
    assert cursors == [None, "c1", "c1", "c1", "c2", "c2"]


def test_async_retries_share_the_behaviour(sleeps: list[float]) -> None:
    api = ScriptedAPI([httpx.Response(503), httpx.ConnectError("x"), ok(page(["a", "b"]))])
    client = api.client()

    async def run() -> list[str]:
        return [r.id async for r in vt_refs.apaginate(get_url_related_references, client, id="x")]

    assert asyncio.run(run()) == ["a", "b"]
    assert len(api.requests) == 3 and len(sleeps) == 2


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pacer_spaces_requests_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(_transport.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(_transport.time, "sleep", clock.sleep)
    api = ScriptedAPI([ok(page(["1"], cursor="a")), ok(page(["2"], cursor="b")), ok(page(["3"]))])
    assert _ids(api, requests_per_minute=4) == ["1", "2", "3"]
    assert clock.sleeps == [15.0, 15.0]


def test_pacer_counts_retried_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(_transport.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(_transport.time, "sleep", clock.sleep)
    api = ScriptedAPI([httpx.Response(503), ok(page(["1"]))])
    assert _ids(api, requests_per_minute=60) == ["1"]
    # The retry's own wait (0 s with backoff_factor=0) goes through the same clock.
    assert [s for s in clock.sleeps if s] == [1.0]


def test_async_pacing_awaits_instead_of_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    awaited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        awaited.append(seconds)
        clock.now += seconds

    def forbidden(seconds: float) -> None:
        raise AssertionError("the async path must not block the event loop")

    monkeypatch.setattr(_transport.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(_transport.time, "sleep", forbidden)
    monkeypatch.setattr(_transport.asyncio, "sleep", fake_sleep)
    api = ScriptedAPI([ok(page(["1"], cursor="a")), ok(page(["2"]))])
    client = api.client(requests_per_minute=30)

    async def run() -> list[str]:
        return [r.id async for r in vt_refs.apaginate(get_url_related_references, client, id="x")]

    assert asyncio.run(run()) == ["1", "2"]
    assert awaited == [2.0]


def test_pacer_is_shared_by_sync_and_async_use_of_one_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()

    async def fake_sleep(seconds: float) -> None:
        clock.sleeps.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(_transport.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(_transport.time, "sleep", clock.sleep)
    monkeypatch.setattr(_transport.asyncio, "sleep", fake_sleep)
    api = ScriptedAPI(default=lambda request: ok(page(["1"])))
    client = api.client(requests_per_minute=6)
    list(vt_refs.paginate(get_url_related_references, client, id="x"))

    async def run() -> None:
        async for _ in vt_refs.apaginate(get_url_related_references, client, id="x"):
            pass

    asyncio.run(run())
    assert clock.sleeps == [10.0]
