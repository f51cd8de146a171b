"""Send one Dramatiq task per indicator of a file and wait for every result.

    VT_REFS_REDIS_URL=redis://... python examples/task_queue/enqueue.py iocs.txt \\
        --out results.jsonl [--timeout 3600]

Prints the run id; results land in Redis under it (see tasks.py) and, at the end, in
`--out` as JSON Lines (one line per indicator, its references in a list).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import redis
import tasks


def indicators(path: Path) -> list[str]:
    """The file's indicators, one a line; blank lines and `#` comments skipped; each once."""
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            seen[text] = None
    return list(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    iocs = indicators(args.file)
    run = uuid.uuid4().hex
    print(f"run {run}: {len(iocs)} indicators", file=sys.stderr, flush=True)
    for ioc in iocs:
        tasks.enrich_ioc.send(run, ioc)
    store = redis.Redis.from_url(tasks.REDIS_URL)
    deadline = time.monotonic() + args.timeout
    while (done := store.hlen(tasks.results_key(run))) < len(iocs):
        if time.monotonic() > deadline:
            print(f"run {run}: {done}/{len(iocs)} done at the timeout", file=sys.stderr)
            return 1
        time.sleep(0.2)
    if args.out is not None:
        results = store.hgetall(tasks.results_key(run))
        with args.out.open("w", encoding="utf-8") as out:
            for ioc in iocs:
                out.write(results[ioc.encode()].decode() + "\n")
    print(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
