"""The bulk-enrichment part of `make bench` (issue 13), called from bench/run.py.

    .venv/bin/python bench/bulk.py --vt-py-python .venv-bench/bin/python   # on its own

1,000 indicators of 1 to 3 pages each, against the fake (its own process) answering
every request after 50 ms:
- under a quota of 1,200 requests a minute set on the fake and on the client: the
  rate achieved over the quota (target >= 0.95) and the share the fake rejected (<= 1%);
- with no quota and concurrency 16: requests a second (target >= 0.9 x 16 / 0.05 s);
- vt-py driven as its examples do bulk (asyncio workers over a queue, same concurrency),
  in the same run, both ways, with the 429s it met;
- peak RSS of `vt-refs bulk` over a 100,000-indicator file (target < 100 MB).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
FAKE = HERE / "_bulk_fake.py"
WORKER = HERE / "_bulk_worker.py"
IOCS = 1000
LATENCY = 0.05
CONCURRENCY = 16
QUOTA = 1200  # requests a minute
MEMORY_LINES = 100_000
TIMEOUT = 600.0


class BulkBenchError(Exception):
    """A measurement could not be taken."""


class _Fake(NamedTuple):
    base_url: str
    api_key: str
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        stats: dict[str, int] = json.loads(self.process.stdout.readline())
        return stats


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _fake(*extra: str) -> Iterator[_Fake]:
    command = [sys.executable, str(FAKE), "--iocs", str(IOCS), "--latency", str(LATENCY), *extra]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(process.stdout.readline() for _ in range(2)),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(60)
        settings = dict(line.strip().partition("=")[::2] for line in lines if "=" in line)
        if "base_url" not in settings:
            raise BulkBenchError(f"the bulk fake did not start ({' '.join(extra)})")
        yield _Fake(settings["base_url"], settings["api_key"], process)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _work(python: str, mode: str, fake: _Fake | None, *extra: str) -> dict[str, Any]:
    command = [python, str(WORKER), mode, *extra]
    if fake is not None:
        command += ["--base-url", fake.base_url, "--api-key", fake.api_key, "--iocs", str(IOCS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        raise BulkBenchError(f"bulk {mode} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _measured(python: str, mode: str, fake: _Fake, *extra: str) -> dict[str, Any]:
    """One run, with the requests the fake served and rejected during it."""
    before = fake.stats()
    result = _work(python, mode, fake, "--concurrency", str(CONCURRENCY), *extra)
    after = fake.stats()
    result["requests"] = after["requests"] - before["requests"]
    result["rejected"] = after["rejected"] - before["rejected"]
    result["requests_per_second"] = result["requests"] / result["seconds"]
    return result


def _fake_has_quota() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import inspect; from vt_refs.testing import FakeVirusTotal; "
         "print('quota' in inspect.signature(FakeVirusTotal).parameters)"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return probe.stdout.strip() == "True"


def _quota_pace(results: dict[str, Any]) -> float:
    """The quickest a sliding per-minute quota lets the run end, over how long it took.

    A per-minute quota (VirusTotal's, the fake's) admits a whole minute's requests at
    once, so over a run of a minute or two the rate achieved exceeds the nominal one.
    The quickest possible run sends a minute's worth at the unpaced rate, waits for the
    window to slide, and so on; this is that time over the measured one (1.0: no slot
    wasted, no wait longer than the quota imposes)."""
    run, free = results["vt_refs_quota"], results["vt_refs_free"]
    waits = -(-run["requests"] // QUOTA) - 1  # whole windows to wait out
    last = run["requests"] - waits * QUOTA
    quickest = waits * 60.0 + last / free["requests_per_second"]
    return float(quickest / run["seconds"])


def memory() -> dict[str, Any]:
    """Peak RSS of `vt-refs bulk` over 1,000 and `MEMORY_LINES` indicators, each in a
    process of its own (no fake: the network is an in-process transport): peak memory
    only, so bench/run.py runs it beside the runs under a quota, with the dedupe."""
    _log(f"bulk: peak memory over {MEMORY_LINES:,} indicators...")
    return {
        "small": _work(sys.executable, "memory", None, "--lines", "1000"),
        "large": _work(sys.executable, "memory", None, "--lines", str(MEMORY_LINES)),
    }


def free(vt_py_python: str) -> dict[str, Any]:
    """The runs with no quota: the CPU sets their pace, so they want the machine to
    themselves (bench/run.py runs nothing beside them)."""
    results: dict[str, Any] = {"iocs": IOCS, "latency": LATENCY, "concurrency": CONCURRENCY}
    _log(f"bulk: {IOCS} indicators, no quota, concurrency {CONCURRENCY}...")
    with _fake() as fake:
        results["vt_refs_free"] = _measured(sys.executable, "vt_refs", fake)
        results["vt_py_free"] = _measured(vt_py_python, "vt_py", fake)
    return results


def under_quota(vt_py_python: str, results: dict[str, Any]) -> None:
    """The runs under a quota, added to `results` (`free`'s): the quota's windows set
    their pace, at 20 requests a second, so a measurement on the other core moves them
    little (bench/run.py runs the dedupe and the memory runs beside them)."""
    quota_on_fake = _fake_has_quota()
    results["quota_on_fake"] = quota_on_fake
    _log(f"bulk: under a quota of {QUOTA}/min (about {2 * IOCS * 60 // QUOTA} s)...")
    with _fake(*(("--quota", str(QUOTA)) if quota_on_fake else ())) as fake:
        results["vt_refs_quota"] = _measured(sys.executable, "vt_refs", fake, "--quota", str(QUOTA))
        results["vt_py_quota"] = _measured(vt_py_python, "vt_py", fake)
    results["quota_pace"] = _quota_pace(results)


def bench(vt_py_python: str) -> dict[str, Any]:
    """Every bulk measurement, one after another (`bulk.py` on its own)."""
    results = free(vt_py_python)
    under_quota(vt_py_python, results)
    results["memory"] = memory()
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets; a figure passes when it is on the right side of its limit."""
    quota = results["vt_refs_quota"]
    free = results["vt_refs_free"]
    rows = [
        ("bulk_quota_use", "bulk: requests/s achieved / quota", quota["requests_per_second"]
         / (QUOTA / 60), 0.95, ">="),
        ("bulk_free_rate", "bulk: requests/s, concurrency 16, 50 ms latency",
         free["requests_per_second"], 0.9 * CONCURRENCY / LATENCY, ">="),
        ("bulk_memory", "bulk: peak RSS over 100,000 indicators (MB)",
         results["memory"]["large"]["maxrss_mb"], 100.0, "<="),
    ]  # fmt: skip
    if results["quota_on_fake"]:
        share = quota["rejected"] / max(quota["requests"], 1)
        rows.append(("bulk_quota_rejected", "bulk: share rejected by the fake's quota",
                     share, 0.01, "<="))  # fmt: skip
    return [
        {"name": name, "what": what, "limit": limit, "value": value,
         "passed": value >= limit if way == ">=" else value <= limit}
        for name, what, value, limit, way in rows
    ]  # fmt: skip


def table(results: dict[str, Any]) -> str:
    """The bulk figures, as lines for the bench's table."""
    lines = [f"\nBulk enrichment: {IOCS} indicators (1-3 pages each), {LATENCY * 1000:.0f} ms"
             f" latency, concurrency {CONCURRENCY}"]  # fmt: skip
    for key, label in (
        ("vt_refs_free", "vt_refs.enrich, no quota"),
        ("vt_py_free", "vt-py queue + workers, no quota"),
        ("vt_refs_quota", f"vt_refs.enrich, quota {QUOTA}/min"),
        ("vt_py_quota", f"vt-py queue + workers, quota {QUOTA}/min"),
    ):
        run = results[key]
        errors = run["statuses"].get("error", 0)
        extra = f", {run['quota_errors']} 429s met" if "quota_errors" in run else ""
        if key.endswith("_free") and run.get(
            "steady_requests_per_second"
        ):  # a quota paces the others
            extra += f", {run['steady_requests_per_second']:.0f} req/s after its first second"
        if "cpu_seconds" in run:  # the client process's, over its requests
            extra += f", {run['cpu_seconds'] / max(run['requests'], 1) * 1e3:.2f} ms CPU each"
        lines.append(
            f"  {label:<40} {run['requests_per_second']:7.1f} req/s  {run['seconds']:6.1f} s"
            f"  {run['requests']} requests, {run['rejected']} rejected, {errors} failed{extra}"
        )
    lines.append(
        f"  under the quota: {results['quota_pace']:.2f} of the quickest pace a sliding "
        f"{QUOTA}/min window allows (it admits a minute's requests at once)"
    )
    memory = results["memory"]
    lines.append(
        f"  peak RSS of vt-refs bulk: {memory['large']['maxrss_mb']:.1f} MB over "
        f"{memory['large']['lines']:,} indicators ({memory['small']['maxrss_mb']:.1f} MB "
        f"over {memory['small']['lines']:,})"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vt-py-python", required=True)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    try:
        results = bench(args.vt_py_python)
    except BulkBenchError as error:
        _log(f"bench: {error}")
        return 1
    results["targets"] = targets(results)
    print(table(results))
    for target in results["targets"]:
        verdict = "pass" if target["passed"] else "FAIL"
        print(f"  {verdict}  {target['what']}: {target['value']:.3g} (limit {target['limit']:g})")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
