"""Four processes, two walkers each (one sync, one async), share one quota store and page
one fake that enforces the same quota: the fake rejects next to nothing, nothing is lost,
and together they use the quota nearly in full."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from support.quota_worker import FakeInProcess, fake_process, run_processes, walker_ids

PROCESSES = 4
PAGES = 30  # per walker: 4 processes x 2 walkers x 30 = 240 requests, within 300/min
QUOTA = "20/s,300/min"


def allowed_in(seconds: float, per_second: int, cap: int) -> int:
    """The most a sliding per-second window lets through in an interval this long."""
    return min(per_second * (math.floor(seconds) + 1), cap)


def check_shared_quota(fake: FakeInProcess, results: list[dict[str, Any]]) -> None:
    for process, result in enumerate(results):
        for object_id in walker_ids(process):  # every walker got every item: nothing lost
            assert len(set(result["items"][object_id])) == PAGES
    arrivals = fake.quota_arrivals
    admitted = [t for t, ok in arrivals if ok]
    assert len(admitted) == PROCESSES * 2 * PAGES
    assert fake.quota_rejected <= 0.02 * len(arrivals), fake.quota_rejected
    # No 1 s window ever held more than 20 admitted requests (the fake enforces it) ...
    busy = admitted[-1] - admitted[0]
    utilisation = len(admitted) / allowed_in(busy, 20, 300)
    # ... and together the processes went nearly as fast as the quota allows.
    assert utilisation >= 0.90, (utilisation, busy)


@pytest.mark.timeout(120)
def test_processes_share_a_sqlite_quota(tmp_path: Path) -> None:
    with fake_process(QUOTA, PAGES) as fake:
        results = run_processes(fake, f"sqlite:///{tmp_path}/quota.db", QUOTA, PROCESSES)
    check_shared_quota(fake, results)


@pytest.mark.timeout(120)
def test_processes_share_a_redis_quota(redis_url: str) -> None:
    with fake_process(QUOTA, PAGES) as fake:
        results = run_processes(fake, redis_url, QUOTA, PROCESSES)
    check_shared_quota(fake, results)
