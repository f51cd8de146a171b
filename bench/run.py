"""`make bench`: vt_refs against a raw httpx loop and vt-py, on a local fake VirusTotal.

    .venv/bin/python bench/run.py --vt-py-python .venv-bench/bin/python [--rounds 7]
    .venv/bin/python bench/run.py --profile vt_refs   # where one walk's time goes

Runs under the project's environment; vt-py lives in its own (`--vt-py-python`). Every
measurement runs in a fresh process (bench/_worker.py) against the fake running as a
process of its own on 127.0.0.1, so no client shares a GIL with the server. Prints a table
and writes the same figures to bench-results/latest.json. Only ratios measured in one run
mean anything: the absolute times depend on the machine and on what else it runs.
Exits 1 if a contender fails or gets wrong data; missed targets are reported, not fatal.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import bulk  # bench/bulk.py: the bulk-enrichment figures (issue 13)
import httpx
import quota_cache
import quota_spend  # bench/quota_spend.py: full pages, each indicator once (issue 18)
import wire  # bench/wire.py: gzip bytes on the wire, a learned quota under 429s (issue 18)

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).with_name("_worker.py")
RESULTS = ROOT / "bench-results" / "latest.json"
# A URL id in SHA-256 form: the fake serves generated references for any well-formed id.
OBJECT_ID = hashlib.sha256(b"https://bench.example/").hexdigest()
PAGE_SIZE = 40
PAGINATION_ITEMS = 10_000
MEMORY_ITEMS = (400, 20_000)
WORKER_TIMEOUT = 180.0  # seconds; no single measurement comes near it

# name -> what the table calls it. Ratios are to `raw`, the floor: the sync httpx loop.
CONTENDERS = {
    "raw": "raw httpx loop",
    "generated": "generated client (no checks)",
    "vt_refs": "vt_refs.paginate",
    "raw_async": "raw httpx loop, async",
    "vt_refs_async": "vt_refs.apaginate",
    "vt_py": "vt-py client.iterator",
}
# The run order of a round: each pair compared runs back to back (see bench_pagination).
_PAIRS = (("raw", "vt_refs"), ("raw_async", "vt_refs_async"), ("generated", "vt_py"))
TARGETS = {  # name -> (what, limit): a figure passes when it is at most its limit
    "pagination": ("vt_refs.paginate / raw httpx loop, wall", 1.15),
    "pagination_cpu": ("vt_refs.paginate / raw httpx loop, client CPU", 1.15),
    "parsing": ("vt_refs.parse / json.loads", 2.0),
    "memory": ("peak RSS growth, 20,000 vs 400 references (MB)", 5.0),
    "duration": ("whole benchmark (s)", 300.0),
}


class BenchError(Exception):
    """A measurement could not be taken, or a contender got the wrong data."""


class Fake(NamedTuple):
    base_url: str
    api_key: str
    pid: int


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def fake_server(count: int) -> Iterator[Fake]:
    """`python -m vt_refs.testing` as a process, every object holding `count` references."""
    command = [sys.executable, "-m", "vt_refs.testing", "--port", "0", "--count", str(count)]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            stdout = process.stdout
            assert stdout is not None
            lines: list[str] = []  # `base_url=...` and `api_key=...`, or less if it failed

            def read_settings() -> None:
                lines.extend(stdout.readline() for _ in range(2))

            reader = threading.Thread(target=read_settings, daemon=True)
            reader.start()
            reader.join(timeout=30)
            settings = dict(line.strip().partition("=")[::2] for line in lines if "=" in line)
            if "base_url" not in settings or "api_key" not in settings:
                stderr.seek(0)
                raise BenchError(f"the fake did not start: {stderr.read().decode()[-2000:]}")
            yield Fake(settings["base_url"], settings["api_key"], process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def work(python: str, kind: str, fake: Fake, *extra: str, stderr: Any = None) -> dict[str, Any]:
    """Run one measurement of bench/_worker.py in a fresh process; its JSON result.

    The worker's stderr is kept for the error message, unless `stderr` says where to go.
    """
    command = [python, str(WORKER), kind, *extra]
    command += ["--base-url", fake.base_url, "--api-key", fake.api_key]
    command += ["--id", OBJECT_ID, "--page-size", str(PAGE_SIZE)]
    try:
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stderr is None else stderr,
            text=True,
            timeout=WORKER_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{kind}: no result within {WORKER_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        raise BenchError(f"{kind} failed (exit {done.returncode}):\n{(done.stderr or '')[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def reference_walk(fake: Fake) -> dict[str, Any]:
    """Every id of the object, walked once unmeasured: what each contender must get.

    It also warms the fake's page cache, so no timed run pays for generating pages.
    """
    ids: list[str] = []
    url = f"{fake.base_url}/urls/{OBJECT_ID}/related_references"
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    with httpx.Client(headers={"x-apikey": fake.api_key}) as http:
        while True:
            page = http.get(url, params=params).raise_for_status().json()
            ids += [item["id"] for item in page["data"]]
            if not page["meta"].get("cursor"):
                break
            params = {"limit": PAGE_SIZE, "cursor": page["meta"]["cursor"]}
    if (
        len(ids) != PAGINATION_ITEMS
        or len(set(ids)) != len(ids)
        or page["meta"]["count"] != len(ids)
    ):
        raise BenchError(f"the fake served {len(ids)} ids ({len(set(ids))} distinct)")
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    return {"items": len(ids), "first": ids[0], "last": ids[-1], "digest": digest}


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds a process has used so far, from Linux's /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_pagination(fake: Fake, vt_py_python: str, rounds: int) -> dict[str, Any]:
    """Median seconds of each contender over interleaved rounds, and the median of each
    round's ratios.

    The ratios are those of one round (each contender against the raw loop run seconds
    before it or after it), the median over the rounds: on the machines measured the
    same walk's CPU time drifted by up to 2x within one run, so a ratio of medians
    over the whole run said more about when each contender ran than about its cost.
    Each round runs the pairs compared (raw and vt_refs, raw_async and vt_refs_async)
    back to back, the pairs in rotated order and each pair's order flipped every round.

    Besides each contender's own wall and CPU time, the fake's CPU time during the run
    (where /proc tells it) says whether the server, not the client, sets the pace.
    """
    expected = reference_walk(fake)
    names = [name for pair in _PAIRS for name in pair]
    server_cpu = Path(f"/proc/{fake.pid}/stat").exists()
    measures = ("seconds", "cpu_seconds", *(("server_cpu_seconds",) if server_cpu else ()))
    runs: dict[str, dict[str, list[float]]] = {m: {name: [] for name in names} for m in measures}
    for round_ in range(rounds):
        pairs = _PAIRS[round_ % len(_PAIRS) :] + _PAIRS[: round_ % len(_PAIRS)]
        order = [name for pair in pairs for name in (pair[::-1] if round_ % 2 else pair)]
        for name in order:
            python = vt_py_python if name == "vt_py" else sys.executable
            server_before = cpu_seconds_of(fake.pid) if server_cpu else 0.0
            result = work(python, name, fake)
            if server_cpu:
                result["server_cpu_seconds"] = cpu_seconds_of(fake.pid) - server_before
            got = {key: result[key] for key in expected}
            if got != expected:
                raise BenchError(f"{name} got {got}, expected {expected}")
            for measure in measures:
                runs[measure][name].append(result[measure])
        log(f"  pagination round {round_ + 1}/{rounds} done")
    median = {m: {name: statistics.median(r) for name, r in runs[m].items()} for m in measures}
    wall, cpu = median["seconds"], median["cpu_seconds"]
    return {
        "items": PAGINATION_ITEMS,
        "page_size": PAGE_SIZE,
        "rounds": rounds,
        "expected": expected,
        "runs": runs,
        "median": median,
        "ratio_to_raw": _round_ratios(runs["seconds"], "raw"),
        "cpu_ratio_to_raw": _round_ratios(runs["cpu_seconds"], "raw"),
        "async_ratio_to_raw_async": _round_ratios(runs["seconds"], "raw_async")["vt_refs_async"],
        # The ratio of the run's medians, as the bench reported it before 2026-12-03.
        "ratio_of_medians": {name: wall[name] / wall["raw"] for name in names},
        "cpu_ratio_of_medians": {name: cpu[name] / cpu["raw"] for name in names},
    }


def _round_ratios(runs: dict[str, list[float]], base: str) -> dict[str, float]:
    """Each contender's median over the rounds of its time / `base`'s in the same round."""
    return {
        name: statistics.median(a / b for a, b in zip(times, runs[base], strict=True))
        for name, times in runs.items()
    }


def bench_parsing(fake: Fake) -> dict[str, Any]:
    result = work(sys.executable, "parse", fake)
    base = result["seconds"]["json_loads"]
    result["ratio_to_json_loads"] = {name: s / base for name, s in result["seconds"].items()}
    # The drifted page against json.loads of the same (slightly longer) bytes.
    seconds = result["seconds"]
    drift = seconds["vt_refs_parse_drift"] / seconds["json_loads_drift"]
    result["ratio_to_json_loads"]["vt_refs_parse_drift"] = drift
    return result


def bench_memory() -> dict[str, Any]:
    """Peak RSS of fresh processes paging 400 and 20,000 references, and a control run
    that keeps all 20,000, to show what the measurement sees when memory does grow."""
    small, large = MEMORY_ITEMS
    with fake_server(large) as fake:
        runs = {
            "small": work(sys.executable, "memory", fake, "--items", str(small)),
            "large": work(sys.executable, "memory", fake, "--items", str(large)),
            "large_kept": work(sys.executable, "memory", fake, "--items", str(large), "--keep"),
        }
    for name, run in runs.items():
        if run["items"] != (small if name == "small" else large):
            raise BenchError(f"memory {name}: paged {run['items']} references")
    peak = {name: run["maxrss_mb"] for name, run in runs.items()}
    return {
        "items": {"small": small, "large": large},
        "peak_rss_mb": peak,
        "peak_rss_after_imports_mb": {name: run["maxrss_mb_before"] for name, run in runs.items()},
        "growth_mb": peak["large"] - peak["small"],
        "control_growth_mb": peak["large_kept"] - peak["small"],
    }


def bench_imports(repeats: int) -> dict[str, Any]:
    """Median wall time of fresh interpreters doing nothing, importing vt_refs, CLI --help."""
    python = sys.executable
    commands: dict[str, Sequence[str]] = {
        "python -c pass": [python, "-c", "pass"],
        "import vt_refs": [python, "-c", "import vt_refs"],
    }
    script = Path(python).with_name("vt-refs")
    if script.exists():
        commands["vt-refs --help"] = [str(script), "--help"]
    else:
        log("  no vt-refs console script in the environment: CLI --help not measured")
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, timeout=60)
            runs[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise BenchError(f"{name} failed: {done.stderr.decode()[-2000:]}")
    medians = {name: statistics.median(r) for name, r in runs.items()}
    base = medians["python -c pass"]
    return {
        "repeats": repeats,
        "seconds": runs,
        "median_seconds": medians,
        "ratio_to_python": {name: m / base for name, m in medians.items()},
    }


def cpu_model() -> str | None:
    """The `Model name` lscpu gives, where there is lscpu."""
    if not shutil.which("lscpu"):
        return None
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return None


def machine(vt_py_python: str) -> dict[str, Any]:
    """Where the figures come from: the machine, the interpreter, the library versions."""
    vt_py = subprocess.run(
        [vt_py_python, "-c", "import importlib.metadata as m; print(m.version('vt-py'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if vt_py.returncode != 0:
        raise BenchError(f"no vt-py in {vt_py_python}: {vt_py.stderr[-1000:]}")
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_average_at_start": os.getloadavg(),
        "versions": {
            "vt-refs": importlib.metadata.version("vt-refs"),
            "httpx": importlib.metadata.version("httpx"),
            "vt-py": vt_py.stdout.strip(),
        },
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    values = {
        "pagination": results["pagination"]["ratio_to_raw"]["vt_refs"],
        "pagination_cpu": results["pagination"]["cpu_ratio_to_raw"]["vt_refs"],
        "parsing": results["parsing"]["ratio_to_json_loads"]["vt_refs_parse"],
        "memory": results["memory"]["growth_mb"],
        "duration": results["duration_seconds"],
    }
    return [
        {
            "name": name,
            "what": what,
            "limit": limit,
            "value": values[name],
            "passed": values[name] <= limit,
        }
        for name, (what, limit) in TARGETS.items()
    ]


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    pag, par, mem, imp = (results[k] for k in ("pagination", "parsing", "memory", "import_time"))
    lines = [
        f"vt-refs benchmark, {results['date']}",
        f"{m['platform']}, Python {m['python']}, {m['cpu_count']} CPUs, {m['cpu_model']}",
        f"load average at start: {m['load_average_at_start'][0]:.2f} (other work on the machine "
        "stretches wall times; client CPU times are steadier)",
        "",
        f"Pagination: {pag['items']:,} references in pages of {pag['page_size']}, "
        f"median of {pag['rounds']} interleaved rounds (ratios: the median of each round's)",
        f"  {'':<30} {'wall':>7} {'vs raw':>7} {'client CPU':>11} {'vs raw':>7}",
    ]
    median = pag["median"]
    for name, label in CONTENDERS.items():
        lines.append(
            f"  {label:<30} {median['seconds'][name]:6.3f}s {pag['ratio_to_raw'][name]:6.2f}x"
            f" {median['cpu_seconds'][name]:10.3f}s {pag['cpu_ratio_to_raw'][name]:6.2f}x"
        )
    lines.append(f"  vt_refs.apaginate / raw async loop: {pag['async_ratio_to_raw_async']:.2f}x")
    lines.append(
        f"  vt_refs.paginate / raw, ratio of the run's medians: "
        f"{pag['ratio_of_medians']['vt_refs']:.2f}x wall, "
        f"{pag['cpu_ratio_of_medians']['vt_refs']:.2f}x CPU"
    )
    if "server_cpu_seconds" in median:
        server, floor = max(median["server_cpu_seconds"].values()), median["seconds"]["raw"]
        pace = "may set the pace" if server > 0.8 * floor else "does not set the pace"
        lines.append(
            f"  the fake: at most {server:.3f}s CPU per walk, against the raw loop's "
            f"{floor:.3f}s wall: it {pace}"
        )
    labels = {
        "json_loads": "json.loads",
        "msgspec_decode": "msgspec.json.decode (no models)",
        "from_dict": "generated from_dict (no checks)",
        "vt_refs_parse": "vt_refs.parse (strict)",
        "vt_refs_parse_drift": "vt_refs.parse, every item drifting",
    }
    lines += [
        "",
        f"Parsing one page of {par['references']} references ({par['page_bytes']:,} bytes in, "
        "models out), best of 7 x 200 calls",
    ]
    for name, label in labels.items():
        lines.append(
            f"  {label:<34} {par['seconds'][name] * 1e6:6.0f} us "
            f"{par['ratio_to_json_loads'][name]:6.2f}x"
        )
    lines += ["", "Memory: peak RSS of a fresh process paging with vt_refs.paginate"]
    small, large = mem["items"]["small"], mem["items"]["large"]
    memory_labels = {
        "small": f"{small:,} references",
        "large": f"{large:,} references",
        "large_kept": f"{large:,} kept in a list (control)",
    }
    for name, label in memory_labels.items():
        lines.append(f"  {label:<34} {mem['peak_rss_mb'][name]:6.1f} MB")
    lines.append(
        f"  growth {small:,} -> {large:,}: {mem['growth_mb']:+.1f} MB "
        f"(control: {mem['control_growth_mb']:+.1f} MB)"
    )
    lines += ["", f"Start-up: median of {imp['repeats']} fresh processes"]
    for name, seconds in imp["median_seconds"].items():
        lines.append(f"  {name:<34} {seconds * 1e3:6.0f} ms {imp['ratio_to_python'][name]:6.2f}x")
    lines += ["", "Targets"]
    for target in results["targets"]:
        verdict = "pass" if target["passed"] else "FAIL"
        lines.append(
            f"  {verdict}  {target['what']}: {target['value']:.2f} (limit {target['limit']:g})"
        )
    return "\n".join(lines)


def profile(contender: str) -> None:
    """One pagination walk of `contender` under pyinstrument: where its time goes."""
    with fake_server(PAGINATION_ITEMS) as fake:
        reference_walk(fake)  # warms the fake's page cache, as for the timed runs
        log(f"{CONTENDERS[contender]}: where one walk of {PAGINATION_ITEMS:,} references goes")
        work(sys.executable, contender, fake, "--profile", stderr=sys.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vt-py-python", help="a python with vt-py installed (required)")
    parser.add_argument("--rounds", type=int, default=7, help="pagination rounds (default 7)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the JSON results file")
    parser.add_argument(
        "--profile",
        choices=[name for name in CONTENDERS if name != "vt_py"],
        help="instead of benchmarking, profile one pagination walk of this contender",
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not args.profile and not args.vt_py_python:
        parser.error("--vt-py-python is required to benchmark")
    import stack_cost  # bench/stack_cost.py, beside this script

    if args.profile:
        try:
            profile(args.profile)
        except BenchError as error:
            log(f"bench: {error}")
            return 1
        return 0
    start = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    sections: dict[str, float] = {}  # name -> wall seconds: where the duration goes

    @contextmanager
    def section(name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        sections[name] = time.perf_counter() - began

    try:
        results["machine"] = machine(args.vt_py_python)
        log(f"pagination ({PAGINATION_ITEMS:,} references, {args.rounds} rounds)...")
        with section("pagination and parsing"), fake_server(PAGINATION_ITEMS) as fake:
            results["pagination"] = bench_pagination(fake, args.vt_py_python, args.rounds)
            log("parsing...")
            results["parsing"] = bench_parsing(fake)
        log("memory...")
        with section("memory"):
            results["memory"] = bench_memory()
        log("start-up...")
        with section("start-up"):
            results["import_time"] = bench_imports(repeats=9)
        log("transport stack...")
        with section("transport stack"):
            results["transport"] = stack_cost.bench_stack_cost()
        log("quota and cache...")
        with section("quota and cache"):
            results["quota_cache"] = quota_cache.run()
        with section("bulk without a quota"):
            results["bulk"] = bulk.free(args.vt_py_python)
        # Two measurements of peak memory only, each a process of its own: the
        # 10-million-line dedupe (minutes of one core) and `vt-refs bulk` over 100,000
        # indicators (a minute of the other). What follows measures counts and runs that a
        # quota's windows pace, none of which busy cores move (the runs the CPU paces came
        # first), so both run beside it all.
        log(f"the dedupe over {quota_spend.DEDUPE_LINES:,} lines and the bulk memory runs, "
            "beside what follows...")  # fmt: skip
        beside_began = time.perf_counter()
        dedupe = quota_spend.start_dedupe(quota_spend.DEDUPE_LINES)
        # On a failure the bench waits for the memory runs (a minute), not for the dedupe.
        with concurrent.futures.ThreadPoolExecutor(1) as beside:
            memory = beside.submit(bulk.memory)
            try:
                with section("bulk under a quota"):
                    bulk.under_quota(args.vt_py_python, results["bulk"])
                log("quota spending: requests over the minimum...")
                with section("quota spent"):
                    spend = quota_spend.requests_over_minimum()
                with section("wire"):
                    results["wire"] = wire.run()
                with section("the memory runs, after the rest"):
                    results["bulk"]["memory"] = memory.result()
                    results["quota_spend"] = {
                        "requests": spend,
                        "dedupe": quota_spend.dedupe_figures(dedupe),
                    }
            finally:
                if dedupe.poll() is None:  # a measurement failed: the bench ends now
                    dedupe.kill()
                    dedupe.communicate()
        beside_seconds = time.perf_counter() - beside_began
    except (BenchError, bulk.BulkBenchError) as error:
        log(f"bench: {error}")
        return 1
    results["section_seconds"] = sections
    results["dedupe_seconds"] = results["quota_spend"]["dedupe"]["seconds"]
    results["bulk_memory_seconds"] = sum(
        run["seconds"] for run in results["bulk"]["memory"].values()
    )
    results["duration_seconds"] = time.perf_counter() - start
    results["targets"] = [
        *targets(results),
        *bulk.targets(results["bulk"]),
        *quota_spend.targets(results["quota_spend"]),
        *wire.targets(results["wire"]),
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(stack_cost.line(results["transport"]))
    print()
    print(quota_cache.table(results["quota_cache"]))
    print(bulk.table(results["bulk"]))
    print(quota_spend.table(results["quota_spend"]))
    print(wire.table(results["wire"]))
    spent = ", ".join(f"{name} {seconds:.0f}" for name, seconds in sections.items())
    print(f"\nWall seconds by section: {spent}")
    print(
        f"(the dedupe took {results['dedupe_seconds']:.0f} s and the bulk memory runs "
        f"{results['bulk_memory_seconds']:.0f} s of them, beside the sections from bulk "
        f"under a quota on, {beside_seconds:.0f} s)"
    )
    print(f"(written to {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
