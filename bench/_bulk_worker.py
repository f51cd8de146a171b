"""One measurement of the bulk benchmark, in a fresh process; prints one JSON line.

    python bench/_bulk_worker.py vt_refs --base-url U --api-key K --iocs 1000 --concurrency 16
    python bench/_bulk_worker.py vt_py ...      (in .venv-bench: vt-py the way its examples
                                                 do bulk, asyncio workers over a queue)
    python bench/_bulk_worker.py memory --lines 100000   (peak RSS of `vt-refs bulk`)

Standard library at the top: the vt_py mode runs where vt_refs is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import resource
import sys
import tempfile
import time
from typing import Any

PAGE_SIZE = 10
STEADY_AFTER = 1.0  # seconds: the start of a run that its steady rate leaves out


def bench_ids(n: int) -> list[str]:
    return [hashlib.sha256(f"bulk-bench-{i}".encode()).hexdigest() for i in range(n)]


def run_vt_refs(args: argparse.Namespace) -> dict[str, Any]:
    """vt_refs.enrich over the indicators, paced or under a quota when asked."""
    import vt_refs

    settings: dict[str, Any] = {"base_url": args.base_url, "max_retries": 8}
    if args.quota is not None:
        quota = getattr(vt_refs, "Quota", None)
        if quota is not None:
            settings["quota"] = quota(per_minute=args.quota)
        else:  # before client-side quotas: even pacing at the same rate
            settings["requests_per_minute"] = args.quota
    statuses: dict[str, int] = {}
    references = 0
    options: dict[str, Any] = {"concurrency": args.concurrency, "page_size": PAGE_SIZE}
    marks: list[tuple[float, int]] = []  # per result: (seconds in, requests sent by then)
    with vt_refs.connect(args.api_key, **settings) as client:
        started = time.perf_counter()

        def marked(result: Any) -> Any:
            stats = getattr(client, "stats", None)  # None before clients counted requests
            if stats is not None:
                marks.append((time.perf_counter() - started, stats.requests))
            return result

        if args.use_async:

            async def main() -> list[Any]:
                iocs = bench_ids(args.iocs)
                return [marked(r) async for r in vt_refs.aenrich(client, iocs, **options)]

            results = asyncio.run(main())
        else:
            results = [marked(r) for r in vt_refs.enrich(client, bench_ids(args.iocs), **options)]
        seconds = time.perf_counter() - started
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
        references += len(result.references)
    return {"seconds": seconds, "statuses": statuses, "references": references,
            "steady_requests_per_second": _steady(marks)}  # fmt: skip


def _steady(marks: list[tuple[float, int]]) -> float | None:
    """Requests a second from `STEADY_AFTER` seconds in to the end: the run without its
    start (the catalog built, connections opened, the learned quota's slow start)."""
    later = [mark for mark in marks if mark[0] >= STEADY_AFTER]
    if len(later) < 2 or later[-1][0] <= later[0][0]:
        return None
    return (later[-1][1] - later[0][1]) / (later[-1][0] - later[0][0])


def run_vt_py(args: argparse.Namespace) -> dict[str, Any]:
    """vt-py as its bulk examples use it: a queue, `concurrency` asyncio workers, each
    listing one object's relationship with `client.iterator`. vt-py has no retries nor
    pacing, so a 429 fails the indicator; they are counted."""
    import vt  # type: ignore[import-not-found,unused-ignore]  # only in .venv-bench

    host = args.base_url.removesuffix("/api/v3")
    statuses: dict[str, int] = {}
    references = 0
    quota_errors = 0

    async def main() -> float:
        nonlocal references, quota_errors
        queue: asyncio.Queue[str] = asyncio.Queue()
        for object_id in bench_ids(args.iocs):
            queue.put_nowait(object_id)
        async with vt.Client(args.api_key, host=host) as client:

            async def worker() -> None:
                nonlocal references, quota_errors
                while not queue.empty():
                    object_id = queue.get_nowait()
                    path = f"/files/{object_id}/related_references"
                    try:
                        async for _ in client.iterator(path, batch_size=PAGE_SIZE):
                            references += 1
                        status = "ok"
                    except vt.APIError as error:
                        quota_errors += error.code in ("QuotaExceededError", "TooManyRequestsError")
                        status = "error"
                    statuses[status] = statuses.get(status, 0) + 1
                    queue.task_done()

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            return time.perf_counter() - started

    seconds = asyncio.run(main())
    return {"seconds": seconds, "statuses": statuses, "references": references,
            "quota_errors": quota_errors}  # fmt: skip


def run_memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of the `vt-refs bulk` code path over an input of `lines` indicators, with
    a checkpoint, jsonl to /dev/null, and the network replaced by an in-process transport
    answering one reference per indicator (100,000 real requests would take minutes)."""
    import functools

    import httpx

    import vt_refs._cli.bulk as bulk_run
    from vt_refs._cli.bulk_args import build_bulk_parser, parse_bulk_options

    body = json.dumps(
        {
            "data": [{"type": "reference", "id": "r" * 64, "attributes": {"title": "t"}}],
            "meta": {"count": 1},
            "links": {"self": "http://bench.invalid/"},
        }
    ).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    bulk_run.connect = functools.partial(  # type: ignore[assignment]
        bulk_run.connect, transport=httpx.MockTransport(answer)
    )
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "iocs.txt")
        with open(source, "w", encoding="ascii") as out:
            for i in range(args.lines):
                out.write(hashlib.sha256(str(i).encode()).hexdigest() + "\n")
        argv = [source, "--checkpoint", os.path.join(folder, "run.sqlite"),
                "--concurrency", "4", "--api-key", "bench-key"]  # fmt: skip
        options = parse_bulk_options(build_bulk_parser(), argv)
        stderr = io.StringIO()
        started = time.perf_counter()
        with open(os.devnull, "wb") as devnull:
            status = bulk_run.run_bulk(options, stdin=sys.stdin.buffer, stdout=devnull,
                                       stderr=stderr)  # fmt: skip
        seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"vt-refs bulk exited {status}: {stderr.getvalue()}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"lines": args.lines, "seconds": seconds, "maxrss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["vt_refs", "vt_py", "memory"])
    parser.add_argument("--base-url")
    parser.add_argument("--api-key")
    parser.add_argument("--iocs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quota", type=int, help="requests per minute, on the client")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--async", dest="use_async", action="store_true", help="aenrich")
    args = parser.parse_args()
    run = {"vt_refs": run_vt_refs, "vt_py": run_vt_py, "memory": run_memory}[args.mode]
    cpu = time.process_time()
    result = run(args)
    result["cpu_seconds"] = time.process_time() - cpu  # the whole process's, set-up included
    print(json.dumps(result))


if __name__ == "__main__":
    main()
