"""One process of the shared-quota tests and benchmark: 2 walkers (a sync thread and an
async one) paging the fake under one quota store; prints one JSON line of what it got.

Usage: quota_worker.py BASE_URL API_KEY QUOTA STORE ID [ID ...]; it prints `ready`, waits
for a line on stdin (so every process starts at once), then walks one ID per walker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import vt_refs


def _connect(base_url: str, key: str, quota: str, store: str, cache: str | None) -> Any:
    return vt_refs.connect(
        key,
        base_url=base_url,
        quota=vt_refs.Quota.parse(quota),
        quota_store=None if store == "-" else store,
        cache=cache,
        backoff_factor=0.05,
        max_retries=8,
        max_quota_wait=120,
    )


def main(argv: list[str]) -> int:
    base_url, key, quota, store, cache, *ids = argv
    results: dict[str, Any] = {}

    def sync_walk(object_id: str) -> None:
        with _connect(base_url, key, quota, store, cache or None) as client:
            refs = list(vt_refs.related_references(client, id=object_id, page_size=1))
        results[object_id] = [r.id for r in refs]

    def async_walk(object_id: str) -> None:
        async def run() -> list[str]:
            async with _connect(base_url, key, quota, store, cache or None) as client:
                pages = vt_refs.arelated_references(client, id=object_id, page_size=1)
                return [r.id async for r in pages]

        results[object_id] = asyncio.run(run())

    with _connect(base_url, key, quota, store, cache or None):  # imports, opens the stores
        pass
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    threads = [
        threading.Thread(target=sync_walk if i % 2 == 0 else async_walk, args=(object_id,))
        for i, object_id in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"items": results, "seconds": time.monotonic() - started}), flush=True)
    return 0


@dataclass
class FakeInProcess:
    """A quota-enforcing FakeVirusTotal in a process of its own, as seen from the test:
    where it listens, then (once stopped) what its quota counted.

    Its own process, so that neither the clients nor the test process's garbage collector
    delay the moment it stamps an arrival (a pause there is a request's delay on its way).
    """

    base_url: str
    api_key: str
    quota_arrivals: list[tuple[float, bool]] = field(default_factory=list)
    quota_rejected: int = 0


def _serve(conn: Connection, quota: str, count: int) -> None:
    from vt_refs.testing import FakeVirusTotal

    with FakeVirusTotal(quota=vt_refs.Quota.parse(quota), default_count=count) as fake:
        conn.send((fake.base_url, fake.api_key))
        conn.recv()
        conn.send((fake.quota_arrivals, fake.quota_rejected))


@contextlib.contextmanager
def fake_process(quota: str, count: int) -> Iterator[FakeInProcess]:
    """Serve a fake enforcing `quota` from a fresh process; filled in when the block ends."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, quota, count), daemon=True)
    process.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the fake's process did not start")
        fake = FakeInProcess(*ours.recv())
        yield fake
        ours.send("stop")
        if not ours.poll(60):
            raise RuntimeError("the fake's process did not report")
        fake.quota_arrivals, fake.quota_rejected = ours.recv()
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(10)


def walker_ids(process: int) -> list[str]:
    """The ids the two walkers of process number `process` page, one each."""
    return [f"{process:x}{walker:x}".ljust(64, "c") for walker in range(2)]


def run_processes(
    fake: FakeInProcess,
    store: str,
    quota: str,
    processes: int,
    *,
    key: str | None = None,
    cache: str = "",
) -> list[dict[str, Any]]:
    """Start `processes` workers under `quota` and `store`, release them together, and
    collect what each got (process p's walkers page `walker_ids(p)`)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                fake.base_url,
                key or fake.api_key,
                quota,
                store,
                cache,
                *walker_ids(p),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for p in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, _ = worker.communicate(timeout=90)
            assert worker.returncode == 0
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
