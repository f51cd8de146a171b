"""`vt-refs bulk` with a cache that fails: one `vt-refs:` line, no traceback, no stall; a
malformed 200 is retried afresh by `--retry-errors`; an unwritable cache is exit 2."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import time
from pathlib import Path

from vt_refs.testing import FakeVirusTotal

from support.cli import cli
from support.files import read_only
from support.redis_faults import hung_listener, own_redis

KEY = "bulk-stores-key-0e9d1c"


def sha(i: int) -> str:
    return hashlib.sha256(f"bulk-stores-{i}".encode()).hexdigest()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _input(tmp_path: Path, n: int) -> str:
    path = tmp_path / "iocs.txt"
    path.write_text("".join(f"{sha(i)}\n" for i in range(n)), encoding="utf-8")
    return str(path)


def _bulk(fake: FakeVirusTotal, *args: str) -> tuple[int, list[str], str, float]:
    started = time.monotonic()
    done = cli("bulk", *args, "--base-url", fake.base_url, "--max-retries", "1", key=KEY)
    return done.returncode, done.stderr.splitlines(), done.stdout, time.monotonic() - started


def _cache_lines(lines: list[str]) -> list[str]:
    """The lines about the cache, the summary's "answers from the cache" aside."""
    return [line for line in lines if "cache" in line and " indicators: " not in line]


def test_a_cache_that_is_down_is_one_line_and_the_run_goes_on(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=3) as fake:
        status, lines, out, _ = _bulk(fake, _input(tmp_path, 40), "--cache",
                                      f"redis://127.0.0.1:{_closed_port()}/0")  # fmt: skip
        assert len(fake.requests) == 40
    assert status == 0, lines
    assert len(out.splitlines()) == 40 * 3
    (warning,) = _cache_lines(lines)
    assert warning.startswith("vt-refs: the cache is off") and "ConnectionError" in warning
    assert len(lines) == 2, lines  # the warning and the summary: nothing else


def test_a_redis_cache_killed_mid_run_is_one_line(tmp_path: Path) -> None:
    with own_redis() as server, FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        source = _input(tmp_path, 200)
        fake.delay_next(200, seconds=0.01)
        killer = __import__("threading").Timer(0.4, server.stop)
        killer.start()
        status, lines, out, _ = _bulk(fake, source, "--cache", server.url, "--concurrency", "2")
        killer.join()
    assert status == 0, lines
    assert len(out.splitlines()) == 200
    assert len(_cache_lines(lines)) <= 1 and len(lines) <= 2, lines


def test_a_hung_cache_costs_the_run_a_second_not_a_minute(tmp_path: Path) -> None:
    with hung_listener() as hung, FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        source = _input(tmp_path, 8)
        _, _, _, uncached = _bulk(fake, source)
        status, lines, out, cached = _bulk(
            fake, source, "--cache", f"redis://127.0.0.1:{hung.port}/0"
        )
    assert status == 0, lines
    assert len(out.splitlines()) == 8
    assert cached < uncached + 3.0, (cached, uncached)
    (warning,) = _cache_lines(lines)
    assert "within 1 s" in warning or "Timeout" in warning, warning  # our bound or the socket's


def test_a_corrupt_or_read_only_sqlite_cache_is_one_line(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        source = _input(tmp_path, 20)
        corrupt = tmp_path / "corrupt.db"
        corrupt.write_bytes(b"\x07\x1b[31mnot a database\n" * 500)
        status, lines, _, _ = _bulk(fake, source, "--cache", f"sqlite:///{corrupt}")
        assert status == 0 and len(_cache_lines(lines)) == 1 and len(lines) == 2, lines
        good = tmp_path / "ro" / "cache.db"
        good.parent.mkdir()
        _bulk(fake, source, "--cache", f"sqlite:///{good}")  # filled
        with sqlite3.connect(good) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for extra in good.parent.glob("cache.db-*"):
            extra.unlink()
        with read_only(good), read_only(good.parent):
            status, lines, out, _ = _bulk(fake, _input(tmp_path, 25), "--cache",
                                          f"sqlite:///{good}")  # fmt: skip
        assert status == 0 and len(out.splitlines()) == 25
        assert len(_cache_lines(lines)) <= 1 and len(lines) <= 2, lines


def test_an_unwritable_cache_directory_is_a_usage_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with FakeVirusTotal(api_key=KEY) as fake, read_only(locked):
        status, lines, _, _ = _bulk(fake, _input(tmp_path, 2), "--cache",
                                    f"sqlite:///{locked}/sub/cache.db")  # fmt: skip
        quota_store = f"sqlite:///{locked}/sub/q.db"
        quota, quota_lines, _, _ = _bulk(fake, _input(tmp_path, 2), "--quota", "60/min",
                                         "--quota-store", quota_store)  # fmt: skip
    assert status == quota == 2, (lines, quota_lines)
    assert len(lines) == 1 and "cannot open" in lines[0] and "internal error" not in lines[0]


def test_retry_errors_after_a_malformed_200_fetches_afresh(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=2) as fake:
        source = _input(tmp_path, 3)
        args = (source, "--out", str(tmp_path / "out.jsonl"), "--checkpoint",
                str(tmp_path / "run.sqlite"), "--cache", f"sqlite:///{tmp_path}/cache.db",
                "--concurrency", "1")  # fmt: skip
        fake.malform_next(3, body=b"<html>captive portal</html>", content_type="text/html")
        status, lines, _, _ = _bulk(fake, *args)
        assert status == 6, lines
        fake.clear_requests()
        status, lines, _, _ = _bulk(fake, *args, "--retry-errors")
        assert status == 0, lines
        assert len(fake.requests) == 3  # not the poison from the cache
    rows = (tmp_path / "out.jsonl").read_text().splitlines()
    assert sum('"reference":{' in row for row in rows) == 3 * 2
