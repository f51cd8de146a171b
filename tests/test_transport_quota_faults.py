"""The shared quota when its store misbehaves: a Redis restarted, script-flushed or down
for a while (the client recovers by itself), and a SQLite store whose host's wall clock
steps forward or back (neither releases more than the windows allow nor locks the key)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

import vt_refs
from vt_refs._transport.quota import clock as quota_clock
from vt_refs._transport.quota.shared_slowest import SQLiteSlowest

from support.redis_faults import own_redis

_REAL_HOST_MS = quota_clock.host_ms
URL = "https://vt.example/api/v3/urls/" + "a" * 64 + "/related_references"


def _transport() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json={"data": []}))


def _client(store: str, quota: vt_refs.Quota, **kwargs: Any) -> Any:
    """A client of a key of its own (quotas are shared per key in the process)."""
    return vt_refs.connect(f"quota-faults-{uuid.uuid4().hex}", base_url="https://vt.example/api/v3",
                           transport=_transport(), quota=quota, quota_store=store,
                           max_retries=0, **kwargs)  # fmt: skip


def _get(client: Any) -> int:
    return int(client.get_httpx_client().get(URL).status_code)


def test_the_quota_survives_a_redis_restart_and_a_script_flush() -> None:
    with own_redis() as server:
        client = _client(server.url, vt_refs.Quota(per_second=1000))
        with client:
            assert _get(client) == 200
            server.restart()  # the script cache is empty on a new server
            assert _get(client) == 200
            redis.Redis.from_url(server.url).script_flush()  # a failover, a SCRIPT FLUSH
            assert _get(client) == 200
            assert _get(client) == 200


def test_a_redis_down_for_a_while_is_the_typed_error_then_the_client_recovers() -> None:
    with own_redis() as server:
        client = _client(server.url, vt_refs.Quota(per_second=1000))
        with client:
            assert _get(client) == 200
            server.stop()
            for _ in range(2):
                with pytest.raises(vt_refs.APIConnectionError, match="quota store"):
                    _get(client)
            server.start()  # same port, empty: no script, no entries
            assert _get(client) == 200
            assert _get(client) == 200


class _WallClock:
    """The wall clock, steppable: what NTP, an admin or a restored snapshot does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset_ns = 0
        real_ns, real = time.time_ns, time.time
        monkeypatch.setattr(time, "time_ns", lambda: real_ns() + self.offset_ns)
        monkeypatch.setattr(time, "time", lambda: real() + self.offset_ns / 1e9)

    def step(self, seconds: float) -> None:
        self.offset_ns += int(seconds * 1e9)


def test_a_wall_clock_step_forward_releases_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = _WallClock(monkeypatch)
    with _client(f"sqlite:///{tmp_path}/q.db", vt_refs.Quota(per_second=2, per_hour=3),
                 max_quota_wait=0) as client:  # fmt: skip
        assert [_get(client), _get(client)] == [200, 200]
        wall.step(2 * 3600)  # every entry looks two hours old by the wall clock
        with pytest.raises(vt_refs.QuotaExhaustedError):
            _get(client)  # per_second is full: the step released no permit
        time.sleep(1.2)
        assert _get(client) == 200
        with pytest.raises(vt_refs.QuotaExhaustedError) as spent:
            _get(client)  # 3 in the hour, however far the clock went
        assert spent.value.window == "per_hour"


def test_a_wall_clock_step_back_does_not_lock_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = _WallClock(monkeypatch)
    with _client(f"sqlite:///{tmp_path}/q.db", vt_refs.Quota(per_second=2),
                 max_quota_wait=0) as client:  # fmt: skip
        assert [_get(client), _get(client)] == [200, 200]
        wall.step(-3600)  # the entries now lie an hour in the future by the wall clock
        time.sleep(1.2)
        assert [_get(client), _get(client)] == [200, 200]  # the window slid as usual


def test_a_new_process_after_a_step_agrees_with_the_running_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stamps do not depend on when a process started: one opening the file after a step
    counts the same entries as the one that wrote them."""
    store = f"sqlite:///{tmp_path}/q.db"
    key = f"quota-faults-{uuid.uuid4().hex}"
    options: dict[str, Any] = {"base_url": "https://vt.example/api/v3", "transport": _transport(),
                               "quota": vt_refs.Quota(per_minute=2), "quota_store": store,
                               "max_quota_wait": 0, "max_retries": 0}  # fmt: skip
    with vt_refs.connect(key, **options) as client:
        assert [_get(client), _get(client)] == [200, 200]
    _WallClock(monkeypatch).step(-7200)
    from vt_refs._transport.quota import permits

    permits._SHARED.clear()  # a new process: nothing kept in memory
    with vt_refs.connect(key, **options) as client, pytest.raises(vt_refs.QuotaExhaustedError):
        _get(client)


def _stamps(path: Path) -> list[int]:
    with sqlite3.connect(path) as connection:
        (table,) = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'vt_quota_%' "
            "AND name != 'vt_quota_clock'")]  # fmt: skip
        return [int(ts) for (ts,) in connection.execute(f'SELECT item_timestamp FROM "{table}"')]


def test_after_a_reboot_stamps_move_to_the_new_boots_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "q.db"
    key = f"quota-faults-{uuid.uuid4().hex}"
    options: dict[str, Any] = {"base_url": "https://vt.example/api/v3", "transport": _transport(),
                               "quota": vt_refs.Quota(per_hour=3), "quota_store": f"sqlite:///{path}",
                               "max_quota_wait": 0, "max_retries": 0}  # fmt: skip
    monkeypatch.setattr(quota_clock, "boot_id", lambda: "boot-one")
    with vt_refs.connect(key, **options) as client:
        assert [_get(client), _get(client)] == [200, 200]
    written = _stamps(path)
    # A reboot a minute ago: the boot clock starts again from zero.
    uptime = quota_clock.host_ms()
    monkeypatch.setattr(quota_clock, "boot_id", lambda: "boot-two")
    monkeypatch.setattr(quota_clock, "host_ms", lambda: 60_000 + _REAL_HOST_MS() - uptime)
    from vt_refs._transport.quota import permits

    monkeypatch.setattr(permits, "host_ms", quota_clock.host_ms)
    permits._SHARED.clear()
    with vt_refs.connect(key, **options) as client:
        assert _get(client) == 200  # the third of the hour
        with pytest.raises(vt_refs.QuotaExhaustedError):
            _get(client)  # the two from before the reboot still count
    moved = sorted(_stamps(path))[:2]
    assert all(stamp <= 60_000 + 5_000 for stamp in moved), (written, moved)


def test_a_file_stamped_with_the_wall_clock_is_converted(tmp_path: Path) -> None:
    """A store an earlier vt-refs wrote (wall-clock stamps, no clock record)."""
    path = tmp_path / "q.db"
    key = f"quota-faults-{uuid.uuid4().hex}"
    options: dict[str, Any] = {"base_url": "https://vt.example/api/v3", "transport": _transport(),
                               "quota": vt_refs.Quota(per_hour=2), "quota_store": f"sqlite:///{path}",
                               "max_quota_wait": 0, "max_retries": 0}  # fmt: skip
    with vt_refs.connect(key, **options) as client:
        assert _get(client) == 200
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE vt_quota_clock")
        query = "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'vt_quota_%'"
        (table,) = [n for (n,) in connection.execute(query)]
        connection.execute(f'UPDATE "{table}" SET item_timestamp = ?', (time.time_ns() // 10**6,))
    from vt_refs._transport.quota import permits

    permits._SHARED.clear()
    with vt_refs.connect(key, **options) as client:
        assert _get(client) == 200
        with pytest.raises(vt_refs.QuotaExhaustedError):
            _get(client)
    assert max(_stamps(path)) <= quota_clock.host_ms()


def test_redis_stamps_each_permit_itself_in_one_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The script stamps an entry with the server's clock as it admits it: the client
    sends one command per permit and no TIME before it (a stamp taken one round trip
    early frees its slot that early)."""
    sent: list[str] = []
    execute = redis.Redis.execute_command

    def counted(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return execute(self, *args, **options)

    with own_redis() as server:
        admin = redis.Redis.from_url(server.url)
        client = _client(server.url, vt_refs.Quota(per_second=1000))
        with client:
            assert _get(client) == 200  # opens the store, loads the script
            monkeypatch.setattr(redis.Redis, "execute_command", counted)
            for _ in range(5):
                assert _get(client) == 200
            monkeypatch.undo()
            seconds, micros = admin.time()
            (key,) = admin.keys("vt-refs:quota:*")
            stamps = [score for _, score in admin.zrange(key, 0, -1, withscores=True)]
    assert sent == ["EVALSHA"] * 5
    server_now = seconds * 1000 + micros // 1000
    assert len(stamps) == 6
    assert all(server_now - 60_000 < stamp <= server_now for stamp in stamps)


def test_the_shared_round_trips_ignore_rows_from_before_a_reboot(tmp_path: Path) -> None:
    """A row whose end lies further off than a window was written on another boot's clock
    (which starts at zero again): it must not widen this boot's margin for its uptime."""
    windows = vt_refs.Quota(per_second=5).windows()
    connection = sqlite3.connect(tmp_path / "quota.db")
    shared = SQLiteSlowest(connection, threading.Lock(), "vt_slowest_test", windows)
    insert = "INSERT OR REPLACE INTO vt_slowest_test VALUES (0, ?, ?)"
    connection.execute(insert, (500, quota_clock.host_ms() + 10**9))
    assert shared.exchange((0,)) == (0,)
    connection.execute(insert, (300, quota_clock.host_ms() + 600))  # this boot, in its window
    assert shared.exchange((0,)) == (300,)
    assert shared.exchange((400,)) == (400,)  # a slower one is kept for the others
    assert shared.exchange((0,)) == (400,)
