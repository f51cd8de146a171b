"""`APIError.retry_after`: the server's Retry-After in seconds, or None."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

import vt_refs
from vt_refs._transport.answers import retry_after
from vt_refs_api.api.urls import get_url_related_references

from support.mock_api import ScriptedAPI, error, walk_error

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("100000", 100000.0),
        ("Wed, 25 Nov 2026 12:01:30 GMT", 90.0),
        ("Wed, 25 Nov 2026 12:00:00 GMT", 0.0),
        ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),  # in the past: now, never negative
        ("Wed, 25 Nov 2026 12:00:10 -0000", 10.0),
        ("Wed, 25 Nov 2026 13:00:10 +0100", 10.0),
        (None, None),
        ("", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("1e3", None),
        ("0x10", None),
        ("9" * 5000, None),
        ("soon", None),
        ("Wed, 99 Foo 2026 12:00:00 GMT", None),
        ("Wed, 25 Nov 99999 12:00:00 GMT", None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize("run_async", [False, True], ids=["sync", "async"])
def test_the_quota_error_carries_it(run_async: bool) -> None:
    quota = error(429, "QuotaExceededError", "daily quota", **{"Retry-After": "100000"})
    caught = walk_error(ScriptedAPI([quota]), run_async=run_async)
    assert isinstance(caught, vt_refs.QuotaExceededError)
    assert caught.retry_after == 100000.0
    assert caught.status_code == 429


def test_an_http_date_is_seconds_from_now() -> None:
    later = format_datetime(datetime.fromtimestamp(time.time() + 3600, UTC), usegmt=True)
    api = ScriptedAPI([error(503, "TransientError", "busy", **{"Retry-After": later})])
    with pytest.raises(vt_refs.TransientError) as caught:
        list(vt_refs.paginate(get_url_related_references, api.client(max_retries=0), id="x"))
    assert caught.value.retry_after is not None
    assert 3500.0 <= caught.value.retry_after <= 3600.0


def test_none_when_absent() -> None:
    api = ScriptedAPI([error(404, "NotFoundError", "no such URL")])
    with pytest.raises(vt_refs.NotFoundError) as caught:
        list(vt_refs.paginate(get_url_related_references, api.client(), id="x"))
    assert caught.value.retry_after is None
    assert vt_refs.APIError(500, None, "x").retry_after is None
    quota = vt_refs.QuotaExceededError(429, "QuotaExceededError", "q", retry_after=3.0)
    assert quota.retry_after == 3.0
