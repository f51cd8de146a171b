"""The quota-spending part of `make bench` (issue 18: full pages, each indicator once),
called from bench/run.py.

    .venv/bin/python bench/quota_spend.py [--dedupe-lines N]   # on its own

- On a mixed list of 1,000 indicators (domains, IP addresses, hashes, URLs, threat
  actors), 10% of them other spellings of earlier ones (defanged, upper case, another
  IPv6 form), enriched with default options against the fake: the requests sent over the
  minimum the API allows, the sum over distinct indicators of max(1, ceil(count / 40))
  (target 1.00), and the requests spent on the duplicates (target 0).
- The memory of the dedupe over a long input (10 million lines by default, 10% of them
  repeats): the peak RSS of a process that only keys them, and the time per line.

The request counts come from the fake's own record of what it received, not from the
client: what the quota would be charged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import vt_refs
from vt_refs._paging import get_catalog
from vt_refs.testing import FakeVirusTotal

HERE = Path(__file__).resolve()
IOCS = 1000
DUPLICATE_SHARE = 0.10
# The largest page: openapi.yaml's maximum of `limit`, as the walks read it (the catalog).
PAGE_MAX = get_catalog().find("files").max_limit or 1
DEDUPE_LINES = 10_000_000
SEED = 18


def _indicators(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(text, collection, object id, another spelling) of each distinct indicator."""
    found = []
    for n in range(int(IOCS * (1 - DUPLICATE_SHARE))):
        kind = n % 5
        if kind == 0:
            name = f"host-{n}.bench.example"
            found.append((name, "domains", name, name.upper().replace(".", "[.]")))
        elif kind == 1:
            address = f"2001:db8::{n:x}"
            long_form = f"2001:0db8:0000:0000:0000:0000:0000:{n:04x}"
            found.append((address, "ip_addresses", address, long_form))
        elif kind == 2:
            digest = hashlib.sha256(f"bench-{n}".encode()).hexdigest()
            found.append((digest, "files", digest, digest.upper()))
        elif kind == 3:
            url = f"https://bench.example/{n}"
            found.append((url, "urls", vt_refs.url_id(url), url.replace("https", "hxxps")))
        else:
            actor = f"APT-{n}"
            found.append((f"threat_actor:{actor}", "threat_actors", actor, f"THREAT_ACTOR:{actor}"))
    return found


def requests_over_minimum() -> dict[str, Any]:
    """Enrich the mixed list with default options; the fake counts what it was sent."""
    rng = random.Random(SEED)
    distinct = _indicators(rng)
    # Counts around the page boundaries (0, 39-41, 79-81, ...) and beyond.
    counts = [rng.choice([0, 1, 10, 39, 40, 41, 79, 80, 81, 120, 200]) for _ in distinct]
    lines = [text for text, *_ in distinct]
    repeats = rng.sample(range(len(distinct)), IOCS - len(distinct))
    for where, which in zip(sorted(rng.sample(range(IOCS), len(repeats))), repeats, strict=True):
        lines.insert(min(where, len(lines)), distinct[which][3])
    minimum = sum(max(1, math.ceil(count / PAGE_MAX)) for count in counts)
    with FakeVirusTotal() as fake:
        for (_, collection, object_id, _), count in zip(distinct, counts, strict=True):
            fake.set_count(object_id, count, collection=collection)
        started = time.perf_counter()
        with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            results = list(vt_refs.enrich(client, lines))
        seconds = time.perf_counter() - started
        sent = [r for r in fake.requests if "/relationships/" not in r.path]
    walks = Counter(r.path for r in sent if "cursor" not in r.query)
    per_object = Counter(r.path for r in sent)
    # A walk's later pages go with it: each object walked twice paid twice its pages.
    duplicate_requests = sum(
        per_object[path] * (times - 1) / times for path, times in walks.items()
    )
    statuses = Counter(r.status for r in results)
    return {
        "indicators": len(lines),
        "distinct": len(distinct),
        "statuses": dict(statuses),
        "references": sum(len(r.references) for r in results),
        "minimum_requests": minimum,
        "requests": len(sent),
        "ratio": len(sent) / minimum,
        "duplicate_requests": duplicate_requests,
        "limits_sent": dict(Counter(r.query.get("limit", "-") for r in sent).most_common(6)),
        "seconds": seconds,
    }


def _peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _dedupe_worker(lines: int) -> None:
    """Key `lines` indicators (10% repeats) as a run does; print the figures as JSON."""
    from vt_refs._bulk.distinct import Seen

    base = _peak_rss_kib()
    seen = Seen()
    distinct = int(lines * (1 - DUPLICATE_SHARE))
    repeats = 0
    started = time.perf_counter()
    for position in range(lines):
        n = position if position < distinct else (position * 7919) % distinct
        name = f"host-{n}.bench.example"
        if seen.first(vt_refs.IOC("domains", name, name), position) is not None:
            repeats += 1
    seconds = time.perf_counter() - started
    peak = _peak_rss_kib()
    seen.close()
    print(json.dumps({
        "lines": lines, "distinct": seen.distinct, "repeats": repeats,
        "maxrss_mb": peak / 1024, "growth_mb": (peak - base) / 1024,
        "microseconds_per_line": seconds / lines * 1e6, "seconds": seconds,
    }))  # fmt: skip


def start_dedupe(lines: int) -> subprocess.Popen[str]:
    """The dedupe over `lines` lines, started in a process of its own (a clean peak RSS)."""
    command = [sys.executable, str(HERE), "--dedupe-worker", str(lines)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def dedupe_figures(worker: subprocess.Popen[str], timeout: float = 3600) -> dict[str, Any]:
    """What a `start_dedupe` worker measured, once it ends."""
    try:
        out, err = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        raise RuntimeError(f"the dedupe worker took over {timeout:.0f} s") from None
    if worker.returncode != 0:
        raise RuntimeError(f"the dedupe worker failed: {err[-2000:]}")
    figures: dict[str, Any] = json.loads(out)
    return figures


def dedupe_memory(lines: int) -> dict[str, Any]:
    """The dedupe's figures over `lines` lines, in a process of its own."""
    return dedupe_figures(start_dedupe(lines))


def run(dedupe_lines: int = DEDUPE_LINES) -> dict[str, Any]:
    """Both figures, one after the other (bench/run.py runs the dedupe beside others)."""
    print("quota spending: requests over the minimum...", file=sys.stderr, flush=True)
    spend = requests_over_minimum()
    print(f"quota spending: the dedupe over {dedupe_lines:,} lines...", file=sys.stderr,
          flush=True)  # fmt: skip
    return {"requests": spend, "dedupe": dedupe_memory(dedupe_lines)}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    spend, dedupe = results["requests"], results["dedupe"]
    rows = [
        ("spend_ratio", "bulk, default options: requests sent / the API's minimum",
         spend["ratio"], 1.0),
        ("spend_duplicates", "bulk, default options: requests spent on duplicates",
         spend["duplicate_requests"], 0.0),
        ("dedupe_memory", f"dedupe: peak RSS over {dedupe['lines']:,} lines (MB)",
         dedupe["maxrss_mb"], 100.0),
    ]  # fmt: skip
    return [
        {"name": name, "what": what, "limit": limit, "value": value, "passed": value <= limit}
        for name, what, value, limit in rows
    ]


def table(results: dict[str, Any]) -> str:
    spend, dedupe = results["requests"], results["dedupe"]
    return "\n".join([
        f"\nQuota spending: {spend['indicators']:,} indicators, {spend['distinct']} distinct "
        f"({IOCS - spend['distinct']} other spellings), default options",
        f"  requests sent {spend['requests']:,}, the API's minimum {spend['minimum_requests']:,}"
        f" (sum of max(1, ceil(count/{PAGE_MAX}))): {spend['ratio']:.2f}x (target 1.00)",
        f"  requests spent on duplicates: {spend['duplicate_requests']:.0f} (target 0); "
        f"limits sent: {spend['limits_sent']}",
        f"  dedupe over {dedupe['lines']:,} lines ({dedupe['repeats']:,} repeats): peak RSS "
        f"{dedupe['maxrss_mb']:.1f} MB (+{dedupe['growth_mb']:.1f} MB), "
        f"{dedupe['microseconds_per_line']:.1f} us a line",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dedupe-lines", type=int, default=DEDUPE_LINES)
    parser.add_argument("--dedupe-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dedupe_worker is not None:
        _dedupe_worker(args.dedupe_worker)
        return 0
    results = run(args.dedupe_lines)
    print(table(results))
    for target in targets(results):
        verdict = "pass" if target["passed"] else "FAIL"
        print(f"  {verdict}  {target['what']}: {target['value']:.3g} (limit {target['limit']:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
