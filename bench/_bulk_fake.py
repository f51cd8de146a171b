"""The fake VirusTotal for the bulk benchmark, as a process of its own.

    python bench/_bulk_fake.py --latency 0.05 [--quota 1200] --iocs 1000

Every indicator (a file hash, `bench_ids(n)`) holds 1 to 30 references: 1 to 3 pages of
10. It prints `base_url=` and `api_key=`, then answers each `stats` line on stdin with a
JSON line (requests served, rejected by the quota), and stops when stdin closes.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import sys
from typing import Any

import vt_refs
from vt_refs.testing import FakeVirusTotal


def bench_ids(n: int) -> list[str]:
    """The indicators of the benchmark: file SHA-256s, deterministic."""
    return [hashlib.sha256(f"bulk-bench-{i}".encode()).hexdigest() for i in range(n)]


def reference_count(i: int) -> int:
    """How many references indicator `i` has: 1 to 30, so 1 to 3 pages of 10."""
    return 1 + (i * 7) % 30


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--quota", type=int, help="requests per minute the fake allows")
    parser.add_argument("--iocs", type=int, default=1000)
    args = parser.parse_args()
    options: dict[str, Any] = {"latency": args.latency}
    if args.quota is not None:
        if "quota" not in inspect.signature(FakeVirusTotal).parameters:
            print("this FakeVirusTotal enforces no quota", file=sys.stderr)
            return 2
        options["quota"] = vt_refs.Quota(per_minute=args.quota)
    fake = FakeVirusTotal(**options)
    for i, object_id in enumerate(bench_ids(args.iocs)):
        fake.set_count(object_id, reference_count(i), collection="files")
    with fake:
        print(f"base_url={fake.base_url}\napi_key={fake.api_key}", flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                stats = {"requests": len(fake.requests), "rejected": fake.quota_rejected}
                print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
