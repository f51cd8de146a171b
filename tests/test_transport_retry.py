"""Retries, backoff and Retry-After, with the clock under the test's control (the quota's
waits are tested in test_quota.py)."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest

import vt_refs
from vt_refs_api.api.urls import get_url_related_references

from support.mock_api import ScriptedAPI, error, ok
from support.pages import page


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
    api = ScriptedAPI(default=error(503, "TransientError"))
    with pytest.raises(vt_refs.TransientError) as caught:
        _ids(api, max_retries=3)
    assert caught.value.status_code == 503
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
    assert sleeps == [pytest.approx(7.0, abs=0.05)]  # waited for by the quota layer


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


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), (" 3 ", 3.0), ("1.5", 1.5), ("0", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_values(header: str, seconds: float) -> None:
    from vt_refs._transport.retry import retry_after_seconds

    assert retry_after_seconds(header) == seconds


@pytest.mark.parametrize("header", ["-1", "soon", "1e9", "9" * 13, "Wed, 21 Oct 2015", ""])
def test_unusable_retry_after_falls_back_to_backoff(header: str, sleeps: list[float]) -> None:
    api = ScriptedAPI([httpx.Response(503, headers={"retry-after": header}), ok(page(["a"]))])
    assert _ids(api, backoff_factor=0.5) == ["a"]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5
