"""`vt_refs.server_quota(client, user=...)` / `aserver_quota` and `vt-refs quota --user`:
the server's view of the quota from /users/{id}/overall_quotas, against the fake; a user
holding the key is refused before anything is sent."""

from __future__ import annotations

import asyncio
import json

import attrs
import pytest

import vt_refs
from vt_refs.testing import DEFAULT_USER, FakeVirusTotal

from support.cli import cli
from support.keys import KEY


def _fake() -> FakeVirusTotal:
    return FakeVirusTotal(api_key=KEY, quota=vt_refs.Quota.public(), quota_scale=1 / 30)


def _spend(fake: FakeVirusTotal, client: object, n: int) -> None:
    for i in range(n):
        list(vt_refs.related_references(client, id=f"{i + 1:064x}", page_size=40))  # type: ignore[arg-type]


def test_allowed_used_and_left_per_hour_day_and_month() -> None:
    with _fake() as fake, vt_refs.connect(KEY, base_url=fake.base_url) as client:
        _spend(fake, client, 3)
        quota = vt_refs.server_quota(client, user=DEFAULT_USER)
    assert quota.user == DEFAULT_USER
    assert (quota.hourly.allowed, quota.hourly.used, quota.hourly.left) == (240, 3, 237)
    assert (quota.daily.allowed, quota.daily.used, quota.daily.left) == (500, 3, 497)
    assert (quota.monthly.allowed, quota.monthly.used) == (15500, 3)
    assert quota.daily.group_allowed is None
    # Quotas the SDK does not describe are kept as they came.
    assert "intelligence_searches_monthly" in quota.quotas.additional_properties
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        quota.user = "x"  # type: ignore[misc]


def test_the_async_twin_reads_the_same() -> None:
    async def read(fake: FakeVirusTotal) -> vt_refs.ServerQuota:
        async with vt_refs.connect(KEY, base_url=fake.base_url) as client:
            return await vt_refs.aserver_quota(client, user=DEFAULT_USER)

    with _fake() as fake:
        quota = asyncio.run(read(fake))
    assert (quota.daily.allowed, quota.daily.used) == (500, 0)


@pytest.mark.parametrize("user", [KEY, f" {KEY} ", f"prefix{KEY}"])
def test_a_user_holding_the_key_is_refused_and_nothing_is_sent(user: str) -> None:
    with _fake() as fake, vt_refs.connect(KEY, base_url=fake.base_url) as client:
        with pytest.raises(vt_refs.UsageError, match="not the API key") as caught:
            vt_refs.server_quota(client, user=user)
        assert fake.requests == []
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("user", ["", "  ", None, 3])
def test_a_missing_user_is_a_usage_error(user: object) -> None:
    fake = _fake()
    with (
        fake,
        vt_refs.connect(KEY, base_url=fake.base_url) as client,
        pytest.raises(vt_refs.UsageError, match="user id"),
    ):
        vt_refs.server_quota(client, user=user)  # type: ignore[arg-type]


def test_an_unknown_user_is_the_api_s_not_found() -> None:
    fake = _fake()
    with (
        fake,
        vt_refs.connect(KEY, base_url=fake.base_url) as client,
        pytest.raises(vt_refs.NotFoundError),
    ):
        vt_refs.server_quota(client, user="someone-else")


def test_the_command_prints_the_quota() -> None:
    with _fake() as fake:
        text = cli("quota", "--user", DEFAULT_USER, "--base-url", fake.base_url)
        as_json = cli("quota", "--user", DEFAULT_USER, "--json", "--base-url", fake.base_url)
        refused = cli("quota", "--user", KEY, "--base-url", fake.base_url)
        unknown = cli("quota", "--user", "nobody", "--base-url", fake.base_url)
    assert text.returncode == 0, text.stderr
    assert "daily    0 used of 500, 500 left (resets at 00:00 UTC)" in text.stdout
    assert json.loads(as_json.stdout)["hourly"] == {"allowed": 240, "used": 0, "left": 240}
    assert refused.returncode == 2 and "not the API key" in refused.stderr
    assert unknown.returncode != 0 and "NotFoundError" in unknown.stderr
