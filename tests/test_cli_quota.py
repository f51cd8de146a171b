"""`vt-refs --quota/--quota-store/--cache/--cache-ttl` and VT_QUOTA, VT_QUOTA_STORE, VT_CACHE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import vt_refs
from vt_refs.testing import FakeVirusTotal

from support.cli import cli
from support.keys import KEY, own_key

OBJECT = "d" * 64


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY, default_count=25) as running:
        yield running


def test_a_second_run_is_answered_by_the_cache(fake: FakeVirusTotal, tmp_path: Path) -> None:
    args = ("--id", OBJECT, "--page-size", "10", "--cache", f"sqlite:///{tmp_path}/c.db")
    first = cli(*args, fake=fake)
    assert first.returncode == 0
    assert first.stderr.strip().splitlines()[-1] == "vt-refs: the cache answered 0 of 3 requests"
    second = cli(*args, fake=fake)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert second.stderr.strip().splitlines()[-1] == "vt-refs: the cache answered 3 of 3 requests"
    assert len(fake.requests) == 3
    assert len([json.loads(line) for line in second.stdout.splitlines()]) == 25


def test_the_environment_gives_the_defaults(
    fake: FakeVirusTotal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VT_CACHE", f"sqlite:///{tmp_path}/c.db")
    monkeypatch.setenv("VT_QUOTA", "2/day")
    monkeypatch.setenv("VT_QUOTA_STORE", f"sqlite:///{tmp_path}/q.db")
    assert cli("--id", OBJECT, "--page-size", "20", fake=fake).returncode == 0
    assert (tmp_path / "c.db").exists() and (tmp_path / "q.db").exists()
    assert len(fake.requests) == 2
    # The cache answers the same walk; the quota shared through the store is spent for
    # anything new, so that fails at once.
    again = cli("--id", OBJECT, "--page-size", "20", fake=fake)
    assert again.returncode == 0
    assert again.stderr.strip().endswith("the cache answered 2 of 2 requests")
    spent = cli("--id", "e" * 64, "--page-size", "20", fake=fake)
    assert spent.returncode == 3 and "per_day=2" in spent.stderr
    assert len(fake.requests) == 2


def test_a_spent_quota_fails_at_once_with_status_3(fake: FakeVirusTotal, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/q.db"
    args = ("--page-size", "10", "--quota", "2/day", "--quota-store", store)
    assert cli("--id", OBJECT, "--max-items", "20", *args, fake=fake).returncode == 0
    done = cli("--id", OBJECT, *args, fake=fake)
    assert done.returncode == 3
    assert "quota per_day=2 is spent" in done.stderr
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--quota", "4/week"), "bad quota"),
        (("--quota-store", "sqlite:///x.db"), "needs --quota"),
        (("--cache-ttl", "5"), "needs --cache"),
        (("--cache-ttl", "-1", "--cache", "sqlite:///x.db"), "above 0"),
        (("--quota", "public", "--quota-store", "ftp://x"), "quota_store"),
    ],
)
def test_bad_options_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    done = cli("--id", OBJECT, *args, key=own_key("cli"))
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_quota_public_is_the_public_quota() -> None:
    assert vt_refs.Quota.parse("public") == vt_refs.Quota(per_minute=4, per_day=500)
