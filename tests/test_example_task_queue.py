"""examples/task_queue: three Dramatiq worker processes share one quota through Redis.

A real Redis-protocol server, the `dramatiq` command starting 3 worker processes, 300
indicators sent by the recipe's enqueue.py, the fake VirusTotal enforcing a quota: every
indicator must be done exactly once, and the fake must have rejected at most 2% of the
requests (the client retries those)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import vt_refs
from vt_refs.testing import FakeVirusTotal

from support.keys import KEY
from support.paths import ROOT

RECIPE = ROOT / "examples" / "task_queue"
INDICATORS = 300
PER_SECOND = 25  # the quota, on the fake and on the workers: 300 requests in ~12 s
REFERENCES = 5  # one page each
TIMEOUT = 120.0


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    quota = vt_refs.Quota(per_second=PER_SECOND)
    with FakeVirusTotal(api_key=KEY, quota=quota, default_count=REFERENCES) as running:
        yield running


def _env(fake: FakeVirusTotal, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    env.update(
        VT_API_KEY=KEY,
        VT_REFS_BASE_URL=fake.base_url,
        VT_REFS_REDIS_URL=redis_url,
        VT_REFS_QUOTA=f"{PER_SECOND}/s",
        PYTHONPATH=str(RECIPE),
    )
    return env


def _indicators() -> list[str]:
    lines = [hashlib.sha256(f"task-{i}".encode()).hexdigest() for i in range(INDICATORS - 2)]
    return [*lines, "threat_actor:apt-task", "not an indicator"]


def test_three_workers_share_the_quota_and_do_each_indicator_once(
    fake: FakeVirusTotal, redis_url: str, tmp_path: Path
) -> None:
    workers_env = _env(fake, redis_url)
    dramatiq = Path(sys.executable).with_name("dramatiq")
    log = (tmp_path / "workers.log").open("wb")
    workers = subprocess.Popen(
        [str(dramatiq), "tasks", "--path", str(RECIPE), "--processes", "3", "--threads", "2"],
        env=workers_env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    try:
        source = tmp_path / "iocs.txt"
        source.write_text("\n".join(_indicators()) + "\n", encoding="utf-8")
        out = tmp_path / "results.jsonl"
        enqueue = subprocess.run(
            [sys.executable, str(RECIPE / "enqueue.py"), str(source), "--out", str(out),
             "--timeout", str(TIMEOUT)],
            env=workers_env, capture_output=True, text=True, timeout=TIMEOUT + 30,
        )  # fmt: skip
        assert enqueue.returncode == 0, enqueue.stderr
        run = enqueue.stdout.strip()
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        runs = redis.Redis.from_url(workers_env["VT_REFS_REDIS_URL"]).hgetall(f"vt-refs:{run}:runs")
    finally:
        workers.send_signal(signal.SIGTERM)
        try:
            workers.wait(timeout=30)
        except subprocess.TimeoutExpired:
            workers.kill()
            workers.wait()
        log.close()
    assert "Traceback" not in (tmp_path / "workers.log").read_text(errors="replace")
    assert [r["ioc"] for r in results] == _indicators()
    assert {int(count) for count in runs.values()} == {1} and len(runs) == INDICATORS
    statuses = [r["status"] for r in results]
    assert statuses.count("ok") == INDICATORS - 1 and statuses[-1] == "invalid"
    assert all(len(r["references"]) == REFERENCES for r in results[:-1])
    assert len({r["worker"] for r in results}) == 3  # every process took part
    requests = len(fake.requests)
    assert requests >= INDICATORS - 1  # one page each; the invalid one sends nothing
    assert fake.quota_rejected <= 0.02 * requests, (fake.quota_rejected, requests)
