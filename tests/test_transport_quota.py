"""The client's quota: every window at once, every attempt counted, per key, shared by
the clients of a key; waits sleep (sync) or await (async); a spent window raises."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import itertools
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

import vt_refs
from vt_refs import _transport
from vt_refs._transport import digest as _digest
from vt_refs._transport.quota import gate as _quota
from vt_refs._transport.quota import permits as _quota_store
from vt_refs._transport.stores import parse_store_url
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.keys import KEY, own_key
from support.mock_api import BASE_URL, ScriptedAPI, ok
from support.pages import page, walk


class _Clock:
    """Monotonic time under the test's control, for the limiter and the waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 5000.0
        self.sleeps: list[float] = []
        monkeypatch.setattr(_quota_store, "_monotonic_ms", lambda: int(self.now * 1000))
        monkeypatch.setattr(_quota.time, "monotonic", lambda: self.now)
        monkeypatch.setattr(_quota.time, "sleep", self.sleep)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _connect(api: ScriptedAPI, key: str | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("backoff_factor", 0)
    return vt_refs.connect(
        key or own_key("quota"), base_url=BASE_URL, transport=api.transport, **kwargs
    )


def _walk(client: Any) -> list[str]:
    return [r.id for r in vt_refs.paginate(get_url_related_references, client, id="x")]


# The Quota value


def test_quota_parses_the_cli_spelling() -> None:
    assert vt_refs.Quota.parse("4/min,500/day") == vt_refs.Quota(per_minute=4, per_day=500)
    assert vt_refs.Quota.parse("public") == vt_refs.Quota.public()
    assert vt_refs.Quota.public() == vt_refs.Quota(per_minute=4, per_day=500)
    spec = "20/s, 100/min ,1000/h,5000/day,100000/month"
    quota = vt_refs.Quota.parse(spec)
    assert quota == vt_refs.Quota(20, 100, 1000, 5000, 100000)
    assert vt_refs.Quota.parse(str(quota)) == quota


@pytest.mark.parametrize(
    "spec", ["", "4", "4/week", "0/s", "4/min,5/min", "-1/s", "4/min;500/day", "public,4/s"]
)
def test_a_bad_quota_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.Quota.parse(spec)


@pytest.mark.parametrize(
    "kwargs", [{}, {"per_second": 0}, {"per_minute": 1.5}, {"per_day": True}, {"per_hour": "4"}]
)
def test_a_bad_quota_is_a_usage_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.Quota(**kwargs)


def test_windows_implied_by_shorter_ones_are_dropped() -> None:
    names = [w.name for w in vt_refs.Quota(per_second=10, per_minute=1000).windows()]
    assert names == ["per_second"]  # 10/s allows 600 a minute at most
    names = [w.name for w in vt_refs.Quota(per_minute=4, per_hour=4, per_day=50).windows()]
    assert names == ["per_hour", "per_day"]
    assert [w.name for w in vt_refs.Quota.public().windows()] == ["per_minute", "per_day"]


# Waiting and raising


def test_every_window_holds_and_waits_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    api = ScriptedAPI(walk([str(i) for i in range(5)], 1))
    with _connect(api, quota=vt_refs.Quota(per_second=2, per_minute=3)) as client:
        assert _walk(client) == ["0", "1", "2", "3", "4"]
    # Two at once, the third after the per-second window (plus the arrival margin), the
    # fourth and fifth after the per-minute window.
    assert 2 <= len(clock.sleeps) <= 4
    assert 1.0 < clock.sleeps[0] <= 1.2
    assert 60.0 < sum(clock.sleeps) <= 66.5


def test_requests_per_minute_is_a_shorthand(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    api = ScriptedAPI(walk([str(i) for i in range(3)], 1))
    with _connect(api, requests_per_minute=2) as client:
        assert _walk(client) == ["0", "1", "2"]
    assert len(clock.sleeps) == 1 and 60.0 < clock.sleeps[0] <= 62.5


@pytest.mark.parametrize("rpm", [0, 1.5, float("inf"), True, "4"])
def test_bad_requests_per_minute_is_a_usage_error(rpm: object) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect(own_key("quota"), requests_per_minute=rpm)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quota": vt_refs.Quota(per_second=1), "requests_per_minute": 4},
        {"quota": "4/min"},
        {"quota_store": "sqlite:///tmp/q.db"},  # a store without a quota
        {"quota": vt_refs.Quota(per_second=1), "quota_store": "postgres://db/1"},
        {"quota": vt_refs.Quota(per_second=1), "quota_store": "sqlite://"},
        {"quota": vt_refs.Quota(per_second=1), "max_quota_wait": -1},
        {"quota": vt_refs.Quota(per_second=1), "max_quota_wait": float("nan")},
    ],
)
def test_bad_quota_arguments_are_usage_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect(own_key("quota"), **kwargs)


def test_retried_attempts_spend_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    api = ScriptedAPI([httpx.Response(503), ok(page(["1"]))])
    with _connect(api, quota=vt_refs.Quota(per_minute=1), max_quota_wait=None) as client:
        assert _walk(client) == ["1"]
    assert len(api.requests) == 2
    assert [s for s in clock.sleeps if s > 1] == [pytest.approx(62.001, abs=0.01)]


def test_a_spent_window_raises_at_once_without_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    api = ScriptedAPI(default=lambda _: ok(page(["1"])))
    with _connect(api, quota=vt_refs.Quota(per_minute=10, per_day=2)) as client:
        assert _walk(client) == ["1"]
        assert _walk(client) == ["1"]
        before = datetime.datetime.now(datetime.UTC)
        with pytest.raises(vt_refs.QuotaExhaustedError) as raised:
            _walk(client)
    assert clock.sleeps == []  # raised, not slept on
    assert len(api.requests) == 2  # and nothing sent
    error = raised.value
    assert isinstance(error, vt_refs.VTError)
    assert error.window == "per_day" and error.limit == 2
    assert error.retry_at.tzinfo is not None and error.retry_at.utcoffset() == datetime.timedelta()
    wait = (error.retry_at - before).total_seconds()
    assert 86_400 <= wait <= 86_400 + 5
    assert "per_day" in str(error)


def test_max_quota_wait_none_waits_as_long_as_it_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    api = ScriptedAPI(walk([str(i) for i in range(2)], 1))
    with _connect(api, quota=vt_refs.Quota(per_day=1), max_quota_wait=None) as client:
        assert _walk(client) == ["0", "1"]
    assert len(clock.sleeps) == 1 and 86_400 < clock.sleeps[0] <= 86_403


def test_async_waits_await_and_never_block(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    awaited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        awaited.append(seconds)
        clock.now += seconds

    def forbidden(seconds: float) -> None:
        raise AssertionError("the async path must not block the event loop")

    monkeypatch.setattr(_quota.time, "sleep", forbidden)
    monkeypatch.setattr(_quota.asyncio, "sleep", fake_sleep)
    api = ScriptedAPI(walk([str(i) for i in range(3)], 1))
    client = _connect(api, quota=vt_refs.Quota(per_second=2))

    async def run() -> list[str]:
        async with client:
            pages = vt_refs.apaginate(get_url_related_references, client, id="x")
            return [r.id async for r in pages]

    assert asyncio.run(run()) == ["0", "1", "2"]
    assert len(awaited) == 1 and 1.0 < awaited[0] <= 1.2


# Sharing, and not sharing


def _spend(api: ScriptedAPI, key: str, store: str | None, n: int) -> None:
    with _connect(api, key, quota=vt_refs.Quota(per_minute=2), quota_store=store,
                  max_quota_wait=0) as client:  # fmt: skip
        for _ in range(n):
            _walk(client)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if request.param == "memory":
        return None
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/quota.db"
    url: str = request.getfixturevalue("redis_url")
    return url


def test_clients_of_a_key_share_and_other_keys_do_not(store: str | None) -> None:
    api = ScriptedAPI(default=lambda _: ok(page(["1"])))
    key_a, key_b = own_key("quota"), own_key("quota")
    _spend(api, key_a, store, 1)
    _spend(api, key_a, store, 1)  # another client of the same key: the same quota
    with pytest.raises(vt_refs.QuotaExhaustedError):
        _spend(api, key_a, store, 1)
    _spend(api, key_b, store, 2)  # another key has its own
    assert len(api.requests) == 4


def test_sync_and_async_use_of_one_client_share_its_quota() -> None:
    api = ScriptedAPI(default=lambda _: ok(page(["1"])))
    client = _connect(api, quota=vt_refs.Quota(per_minute=2), max_quota_wait=0)
    assert _walk(client) == ["1"]

    async def walk() -> list[str]:
        pages = vt_refs.apaginate(get_url_related_references, client, id="x")
        return [r.id async for r in pages]

    assert asyncio.run(walk()) == ["1"]
    with pytest.raises(vt_refs.QuotaExhaustedError):
        asyncio.run(walk())


def test_the_stores_hold_no_key(tmp_path: Path, redis_url: str) -> None:
    key = own_key("quota")
    api = ScriptedAPI(default=lambda _: ok(page(["1"])))
    _spend(api, key, f"sqlite:///{tmp_path}/quota.db", 1)
    _spend(api, key, redis_url, 1)
    secrets = [key.encode(), hashlib.sha256(key.encode()).hexdigest().encode()]
    raw = (tmp_path / "quota.db").read_bytes()
    with sqlite3.connect(tmp_path / "quota.db") as db:
        dumped = "\n".join(db.iterdump()).encode()
    server = redis.Redis.from_url(redis_url)
    stored = b"".join(
        k + repr(server.zrange(k, 0, -1, withscores=True)).encode()
        for k in server.keys("*")
        if server.type(k) == b"zset"
    )
    for secret in secrets:
        assert secret not in raw and secret not in dumped and secret not in stored


# The fake's quota


def test_the_fake_enforces_a_quota_per_key() -> None:
    with FakeVirusTotal(quota=vt_refs.Quota(per_minute=2)) as fake:
        url = f"{fake.base_url}/urls/{'a' * 64}/related_references"
        with httpx.Client() as http:
            statuses = [http.get(url, headers={"x-apikey": fake.api_key}).status_code
                        for _ in range(3)]  # fmt: skip
            other = http.get(url, headers={"x-apikey": "another-key"})
        assert statuses == [200, 200, 429]
        assert other.status_code == 401  # counted apart: its own quota is not spent
        assert fake.quota_rejected == 1
        assert [ok for _, ok in fake.quota_arrivals] == [True, True, False, True]
        with (
            vt_refs.connect(fake.api_key, base_url=fake.base_url, max_quota_wait=0) as client,
            pytest.raises(vt_refs.QuotaExceededError),
        ):
            list(vt_refs.related_references(client, id="a" * 64))
        assert fake.quota_rejected == 2


def test_the_fake_rejects_a_bad_quota() -> None:
    with pytest.raises((ValueError, vt_refs.UsageError)):
        FakeVirusTotal(quota="4/min")  # type: ignore[arg-type]


def test_a_redis_quota_outlives_its_longest_window(redis_url: str) -> None:
    key = own_key("quota")
    api = ScriptedAPI(default=lambda _: ok(page(["1"])))
    with _connect(api, key, quota=vt_refs.Quota(per_second=5), quota_store=redis_url) as client:
        _walk(client)
    server = redis.Redis.from_url(redis_url)
    digest = _digest.key_digest(_transport.Secret(key), "quota")
    name = f"vt-refs:quota:{digest}"
    assert server.zcard(name) == 1
    # Expiring sooner would forget requests still inside the window (it did, once).
    assert server.pttl(name) > 1100 + 10_000


def _first_window(store: str, slow_elsewhere: bool) -> _quota_store.Denial | None:
    """Process one spends a 5/s window; its answers take 400 ms when `slow_elsewhere`.
    What process two (its own bucket and connection, the same key and store) is told 1.2 s
    after the first permit: past the 5% margin of its own, inside the 400 ms one saw."""
    windows = vt_refs.Quota(per_second=5).windows()
    digest = hashlib.sha256(own_key("slow-elsewhere").encode()).hexdigest()
    url = parse_store_url("quota_store", store)
    one = _quota_store._open(windows, url, digest)
    two = _quota_store._open(windows, url, digest)
    started = time.monotonic()
    assert all(one.take() is None for _ in range(5))
    if slow_elsewhere:
        time.sleep(0.4)
        for _ in range(5):
            one.observe(0.4)
    assert one.take() is not None  # the window is full: the ask reports the 400 ms
    time.sleep(max(0.0, started + 1.2 - time.monotonic()))
    return two.take()


@pytest.mark.parametrize("kind", ["redis", "sqlite"])
def test_a_slow_round_trip_one_process_saw_widens_every_process_margin(
    kind: str, redis_url: str, tmp_path: Path
) -> None:
    """A process whose own requests came back quickly counts the first window longer by
    the round trips another process saw (arrivals that late land in a later server
    window): shared through the store, it waits instead of sending a request the server
    would refuse at the window's edge."""
    stores = iter([redis_url] * 2 if kind == "redis" else [f"sqlite:///{tmp_path}/q.db"] * 2)
    denial = _first_window(next(stores), slow_elsewhere=True)
    assert denial is not None
    assert 0.1 < denial.wait <= 0.45  # until 1.4 s after the first permit, not 1.05 s
    # Without the slow answers the same ask is granted: the margin came from the other.
    assert _first_window(next(stores), slow_elsewhere=False) is None


def test_the_fake_as_a_process_takes_a_quota() -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "vt_refs.testing", "--port", "0", "--quota", "1/min"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip().removeprefix("base_url=")
            key = process.stdout.readline().strip().removeprefix("api_key=")
            url = f"{base_url}/urls/{'a' * 64}/related_references"
            with httpx.Client(timeout=10) as http:
                statuses = [http.get(url, headers={"x-apikey": key}).status_code
                            for _ in range(2)]  # fmt: skip
            assert statuses == [200, 429]
        finally:
            process.terminate()
            process.wait(10)
    bad = subprocess.run([*command[:-1], "4/week"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "bad quota" in bad.stderr


def test_an_unreachable_quota_store_is_a_typed_error() -> None:
    with pytest.raises(vt_refs.APIConnectionError, match="quota store"):
        vt_refs.connect(own_key("quota"), quota=vt_refs.Quota(per_second=1),
                        quota_store="redis://127.0.0.1:1/0")  # fmt: skip


def test_every_quota_makes_a_limiter() -> None:
    """Margins must never break pyrate-limiter's rule of falling rates (they did once)."""
    limits = (1, 4, 10, 59, 60, 61, 585, 590, 600, 10_000)
    names = ("per_second", "per_minute", "per_hour", "per_day", "per_month")
    made = 0
    for first, second in itertools.combinations(names, 2):
        for low, high in itertools.product(limits, limits):
            quota = vt_refs.Quota(**{first: low, second: high})
            _quota_store.permits(quota.windows(), None, f"all-quotas-{made}")
            made += 1
    assert made == 10 * len(limits) ** 2


def test_slow_round_trips_widen_the_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request delayed on its way reaches the server's next window: slow answers make
    the client count its windows longer (the round trips, at most half the window)."""
    clock = _Clock(monkeypatch)
    sent_at: list[float] = []

    def slow(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        clock.now += 3.0  # the answer takes 3 s
        n = len(sent_at)
        return ok(page([str(n)], cursor=None if n == 4 else f"c{n}"))

    api = ScriptedAPI(default=slow)
    with _connect(api, quota=vt_refs.Quota(per_minute=2)) as client:
        _walk(client)
    assert len(sent_at) == 4
    # The third goes 60 s + 3 s after the first; without the round trips, 60 s + 2 s.
    assert 62.9 <= sent_at[2] - sent_at[0] <= 63.1


def test_a_slow_answer_widens_the_margin_for_as_long_as_its_window_counts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow request's entry is counted for a window after it was sent, so its delay is
    remembered that long: quicker answers since do not narrow the margin before then."""
    now = [5_000_000]
    monkeypatch.setattr(_quota_store, "_monotonic_ms", lambda: now[0])
    store = _quota_store.permits(vt_refs.Quota(per_second=1).windows(), None, own_key("slow"))
    assert store.take() is None  # at 5000.0 s
    now[0] += 400
    store.observe(0.4)  # its answer took 400 ms
    for _ in range(20):  # twenty quick answers since
        now[0] += 10
        store.observe(0.001)
    now[0] = 5_001_100
    denial = store.take()  # 1.1 s after the first: it may have reached the server at 0.4 s
    assert denial is not None
    assert denial.margin == pytest.approx(0.4, abs=0.011)
    now[0] = 5_001_500  # the slow answer is a window old: back to the 5% margin
    assert store.take() is None


def test_the_limiter_and_the_cache_load_only_when_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys, vt_refs\n"
        "vt_refs.Quota.public(); vt_refs.from_cache(object())\n"
        f"vt_refs.connect({KEY!r}).get_httpx_client().close()\n"
        "heavy = ('pyrate_limiter', 'hishel', 'redis', 'filelock')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
        f"vt_refs.connect({KEY!r}, quota=vt_refs.Quota(per_second=1))\n"
        "print('pyrate_limiter' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.split("\n")[:2] == ["[]", "True"]
