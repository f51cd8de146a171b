"""`make bench`, the quota and the cache: how much of a shared quota 4 processes use, and
what a cache hit costs against a fetch.

Quota: 4 processes of 2 walkers each (one sync, one async; tests/support/quota_worker.py) share a
store (SQLite, then Redis) and page a FakeVirusTotal that enforces the same quota on
arrival. Utilisation is what the server admitted over the most its quota admits in the
same interval (20 x (whole seconds + 1) for 20/s); the steady rate is the rate after the
first window's burst over the quota's rate. Targets: utilisation >= 0.95 and at most 1%
rejected. The client counts each window longer than the server (the arrival margin,
vt_refs/_transport/quota/permits.py: 5%, or the longest round trip within the window
when longer), which costs a per-second quota 5% of its rate, more while round trips are
long (a loaded machine).

Cache: the median cost of one GET answered by a SQLite or Redis cache against the same GET
fetched from the fake on loopback (the cheapest fetch there is; the real API's round trip
is tens of milliseconds).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import vt_refs  # noqa: E402
from vt_refs.testing import FakeVirusTotal  # noqa: E402

from support.quota_worker import fake_process, run_processes  # noqa: E402
from support.redis_server import redis_server  # noqa: E402

QUOTA = vt_refs.Quota(per_second=20, per_minute=2000)
PROCESSES = 4
WALK_PAGES = 30  # per walker: 240 requests, about 13 s per store
HITS = 300
TARGET_UTILISATION = 0.95
TARGET_REJECTED = 0.01


def _quota_run(store: str) -> dict[str, Any]:
    with fake_process(str(QUOTA), WALK_PAGES) as fake:  # its own process, its own GIL
        run_processes(fake, store, str(QUOTA), PROCESSES)
    arrivals = fake.quota_arrivals
    rejected = fake.quota_rejected
    admitted = [t for t, ok in arrivals if ok]
    busy = admitted[-1] - admitted[0]
    per_second = QUOTA.per_second or 0
    most = per_second * (int(busy) + 1)
    # Past the first window's burst: the rate the quota sustains is per_second.
    steady = (len(admitted) - per_second) / busy if busy > 0 else 0.0
    return {
        "requests": len(arrivals),
        "admitted": len(admitted),
        "rejected": rejected,
        "rejected_share": rejected / len(arrivals),
        "busy_seconds": busy,
        "utilisation": len(admitted) / most,
        "steady_rate_share": steady / per_second,
    }


def _median_seconds(http: Any, url: str, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        http.get(url).read()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cache_costs(redis_url: str, workdir: Path) -> dict[str, Any]:
    object_id = "b" * 64
    path = f"/urls/{object_id}/related_references?limit=40"
    results: dict[str, float] = {}
    with FakeVirusTotal(default_count=40, record_requests=False) as fake:
        stores = {"raw fetch": None, "sqlite hit": f"sqlite:///{workdir}/cache.db",
                  "redis hit": redis_url}  # fmt: skip
        for name, cache in stores.items():
            client = vt_refs.connect(fake.api_key, base_url=fake.base_url, cache=cache)
            http = client.get_httpx_client()
            for _ in range(20):  # warm: connections, statements, and the entry stored
                http.get(fake.base_url + path).read()
            results[name] = _median_seconds(http, fake.base_url + path, HITS)
            client.get_httpx_client().close()
    return {
        "median_seconds": results,
        "ratio_to_fetch": {k: v / results["raw fetch"] for k, v in results.items()},
    }


def run() -> dict[str, Any]:
    """Both measurements, as the JSON the benchmark writes."""
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url:
        workdir = Path(tmp)
        quota = {
            "sqlite": _quota_run(f"sqlite:///{workdir}/quota-{uuid.uuid4().hex}.db"),
            "redis": _quota_run(redis_url),
        }
        cache = _cache_costs(redis_url, workdir)
    passed = all(
        q["utilisation"] >= TARGET_UTILISATION and q["rejected_share"] <= TARGET_REJECTED
        for q in quota.values()
    )
    return {"quota": str(QUOTA), "processes": PROCESSES, "walkers_per_process": 2,
            "stores": quota, "cache": cache, "quota_targets_met": passed}  # fmt: skip


def table(results: dict[str, Any]) -> str:
    lines = [
        f"Shared quota: 4 processes x 2 walkers (sync + async), quota {results['quota']}, "
        "enforced by the fake on arrival",
        f"  {'store':<8} {'requests':>8} {'rejected':>9} {'utilisation':>12} {'steady rate':>12}",
    ]
    for name, q in results["stores"].items():
        lines.append(
            f"  {name:<8} {q['requests']:>8} {q['rejected_share']:>8.1%} "
            f"{q['utilisation']:>12.3f} {q['steady_rate_share']:>12.3f}"
        )
    verdict = "pass" if results["quota_targets_met"] else "FAIL"
    lines.append(f"  {verdict}  utilisation >= {TARGET_UTILISATION}, rejected <= 1%")
    lines += ["", "Cache: one GET of a 40-reference page, median"]
    cache = results["cache"]
    for name, seconds in cache["median_seconds"].items():
        ratio = cache["ratio_to_fetch"][name]
        lines.append(f"  {name:<12} {seconds * 1e6:8.0f} us {ratio:6.2f}x the loopback fetch")
    return "\n".join(lines)


if __name__ == "__main__":
    measured = run()
    print(table(measured))
