"""The wire part of `make bench` (issue 18), called from bench/run.py.

    .venv/bin/python bench/wire.py   # on its own, ~30 s

- Bytes on the wire: one mixed enrichment (200 indicators, as bench/quota_spend.py's)
  with vt_refs' default client, whose User-Agent ends "; gzip" so the fake compresses,
  then the very same requests replayed by a raw httpx client with a plain User-Agent,
  which the fake answers uncompressed (it compresses only for a "gzip" User-Agent, as
  VirusTotal's front end does). The fake counts the body bytes it wrote (`bytes_sent`).
- No quota given, against a fake enforcing the public quota scaled by 1/30 (4 requests
  per 2 s): a bulk enrichment of 40 indicators with default options. The indicators
  failed, the share of requests the fake rejected (429), and the run's time over the
  quota's minimum (requests / rate).
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

import httpx
import quota_spend

import vt_refs
from vt_refs.testing import FakeVirusTotal

WIRE_INDICATORS = 200
QUOTA_INDICATORS = 40
QUOTA_SCALE = 1 / 30  # the public 4 a minute becomes 4 per 2 s
QUOTA_RATE = 4 / 2.0  # requests a second under it


def bytes_on_the_wire() -> dict[str, Any]:
    rng = random.Random(quota_spend.SEED)
    distinct = quota_spend._indicators(rng)[:WIRE_INDICATORS]
    counts = [rng.choice([1, 10, 39, 40, 41, 80, 120]) for _ in distinct]
    with FakeVirusTotal() as fake:
        for (_, collection, object_id, _), count in zip(distinct, counts, strict=True):
            fake.set_count(object_id, count, collection=collection)
        with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            results = list(vt_refs.enrich(client, [text for text, *_ in distinct]))
        gzip_bytes = fake.bytes_sent
        sent = list(fake.requests)
        headers = {"x-apikey": fake.api_key, "User-Agent": "vt-refs-bench/plain"}
        with httpx.Client(headers=headers) as raw:  # paths recorded from the root
            for request in sent:
                raw.get(fake.origin + request.path, params=request.query).raise_for_status()
        plain_bytes = fake.bytes_sent - gzip_bytes
    failed = sum(r.status != "ok" for r in results)
    return {
        "indicators": len(distinct),
        "failed": failed,
        "requests": len(sent),
        "gzip_bytes": gzip_bytes,
        "plain_bytes": plain_bytes,
        "ratio": gzip_bytes / plain_bytes,
    }


def learned_quota() -> dict[str, Any]:
    iocs = [f"{i:064x}" for i in range(1, QUOTA_INDICATORS + 1)]
    fake = FakeVirusTotal(quota=vt_refs.Quota.public(), quota_scale=QUOTA_SCALE, default_count=3)
    with fake, vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
        started = time.monotonic()
        results = list(vt_refs.enrich(client, iocs))
        seconds = time.monotonic() - started
        requests = len(fake.requests)
        rejected = fake.quota_rejected
    accepted = requests - rejected
    minimum = accepted / QUOTA_RATE
    return {
        "indicators": len(iocs),
        "failed": sum(r.status != "ok" for r in results),
        "requests": requests,
        "rejected": rejected,
        "rejected_share": rejected / requests,
        "seconds": seconds,
        "minimum_seconds": minimum,
        "time_ratio": seconds / minimum,
    }


def run() -> dict[str, Any]:
    print("wire: bytes with and without gzip...", file=sys.stderr, flush=True)
    wire = bytes_on_the_wire()
    print("wire: a learned public quota (4 per 2 s)...", file=sys.stderr, flush=True)
    return {"bytes": wire, "quota": learned_quota()}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    wire, quota = results["bytes"], results["quota"]
    rows = [
        ("gzip_bytes", "body bytes with gzip / without", wire["ratio"], 0.35),
        ("learned_failed", "no quota given, public quota enforced: indicators failed",
         quota["failed"], 0.0),
        ("learned_rejected", "no quota given: share of requests rejected (429)",
         quota["rejected_share"], 0.10),
        ("learned_time", "no quota given: time / the quota's minimum (accepted / rate)",
         quota["time_ratio"], 1.15),
    ]  # fmt: skip
    return [
        {"name": name, "what": what, "limit": limit, "value": value, "passed": value <= limit}
        for name, what, value, limit in rows
    ]


def table(results: dict[str, Any]) -> str:
    wire, quota = results["bytes"], results["quota"]
    return "\n".join([
        f"\nBytes on the wire: {wire['indicators']} mixed indicators, {wire['requests']} "
        f"requests ({wire['failed']} failed)",
        f"  with gzip {wire['gzip_bytes']:,} bytes, without {wire['plain_bytes']:,}: "
        f"{wire['ratio']:.3f}x (target at most 0.35)",
        f"Learned quota: {quota['indicators']} indicators, no quota given, the fake enforcing "
        f"4 per 2 s",
        f"  failed {quota['failed']} (target 0); {quota['requests']} requests, "
        f"{quota['rejected']} rejected: {quota['rejected_share']:.1%} (target at most 10%)",
        f"  {quota['seconds']:.1f} s against the minimum {quota['minimum_seconds']:.1f} s: "
        f"{quota['time_ratio']:.2f}x (target at most 1.15)",
    ])  # fmt: skip


def main() -> int:
    results = run()
    print(table(results))
    for target in targets(results):
        verdict = "pass" if target["passed"] else "FAIL"
        print(f"  {verdict}  {target['what']}: {target['value']:.3g} (limit {target['limit']:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
