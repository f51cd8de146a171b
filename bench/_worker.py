"""One measurement, in a fresh process: `python bench/_worker.py KIND [options]`.

It prints one JSON object on stdout. run.py starts it with the project's python (vt_refs,
httpx) or, for vt-py, with the bench environment's; so only the standard library is
imported at module level and each contender imports its own client.

Paging contenders time only their paging loop, after a warm-up page (connection open,
parsers compiled): not interpreter start-up, not imports. Each keeps the ids it got, so
run.py can check that every contender saw the same references in the same order.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import resource
import sys
import time
import timeit
import warnings
from collections.abc import Callable
from typing import Any

PATH = "/urls/{id}/related_references"
# Every contender asks for the same bytes: VirusTotal (and the fake) compress only for a
# User-Agent that says "gzip", as vt_refs' and vt-py's do, so the raw loops and the
# generated client say it too. Without it a raw loop reads ~7x the bytes uncompressed
# and skips the decompression that vt_refs pays (~13% of a raw page's CPU).
GZIP_HEADERS = {"User-Agent": "bench-raw-loop (python-httpx); gzip"}


# Set by --profile: then it profiles exactly what the clock times, the paging loop.
PROFILER: Any = None  # a pyinstrument.Profiler, imported only when profiling


class Run:
    """The clock of one paging loop and the ids it got."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._wall = self._cpu = 0.0

    def start(self) -> None:
        # Every contender starts its loop from a collected heap. Without it, vt_refs' first
        # page (its catalog of operations and compiled parsers, ~17,000 objects made once
        # per process) set off one full collection inside the timed loop, 25-35 ms of a
        # 0.6 s walk; paging itself sets off none, and the raw loops' imports none either.
        gc.collect()
        if PROFILER is not None:
            PROFILER.start()
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def result(self) -> dict[str, Any]:
        """Wall and CPU seconds since start(), and what was got: count, ends, digest."""
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        if PROFILER is not None:
            PROFILER.stop()
        return {
            "seconds": wall,
            "cpu_seconds": cpu,
            "items": len(self.ids),
            "first": self.ids[0] if self.ids else None,
            "last": self.ids[-1] if self.ids else None,
            "digest": hashlib.sha256("\n".join(self.ids).encode()).hexdigest(),
        }


def page_raw(base_url: str, api_key: str, object_id: str, page_size: int) -> dict[str, Any]:
    """The floor: httpx.Client, json.loads, follow meta.cursor; no models, no checks."""
    import httpx

    run, url = Run(), PATH.format(id=object_id)
    with httpx.Client(base_url=base_url, headers={"x-apikey": api_key, **GZIP_HEADERS}) as http:
        http.get(url, params={"limit": page_size})  # warm-up page
        run.start()
        params: dict[str, str | int] = {"limit": page_size}
        while True:
            page = json.loads(http.get(url, params=params).content)
            run.ids.extend(item["id"] for item in page["data"])
            if not page["meta"].get("cursor"):
                break
            params = {"limit": page_size, "cursor": page["meta"]["cursor"]}
        return run.result()


def page_raw_async(base_url: str, api_key: str, object_id: str, page_size: int) -> dict[str, Any]:
    """The async floor: the same loop on httpx.AsyncClient."""
    import httpx

    async def main() -> dict[str, Any]:
        run, url = Run(), PATH.format(id=object_id)
        headers = {"x-apikey": api_key, **GZIP_HEADERS}
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
            await http.get(url, params={"limit": page_size})  # warm-up page
            run.start()
            params: dict[str, str | int] = {"limit": page_size}
            while True:
                page = json.loads((await http.get(url, params=params)).content)
                run.ids.extend(item["id"] for item in page["data"])
                if not page["meta"].get("cursor"):
                    break
                params = {"limit": page_size, "cursor": page["meta"]["cursor"]}
            return run.result()

    return asyncio.run(main())


def page_generated(base_url: str, api_key: str, object_id: str, page_size: int) -> dict[str, Any]:
    """The generated client alone: its own httpx client, `sync()`, unchecked `from_dict`."""
    from vt_refs_api import AuthenticatedClient
    from vt_refs_api.api.urls import get_url_related_references as operation
    from vt_refs_api.models import ReferenceCollection
    from vt_refs_api.types import UNSET, Unset

    run = Run()
    client = AuthenticatedClient(
        base_url=base_url,
        token=api_key,
        prefix="",
        auth_header_name="x-apikey",
        headers=GZIP_HEADERS,
    )
    with client:
        operation.sync(object_id, client=client, limit=page_size)  # warm-up page
        run.start()
        cursor: str | Unset = UNSET
        while True:
            page = operation.sync(object_id, client=client, limit=page_size, cursor=cursor)
            assert isinstance(page, ReferenceCollection)  # not an error body, not None
            run.ids.extend(reference.id for reference in page.data)
            if isinstance(page.meta, Unset) or not page.meta.cursor:
                break
            cursor = page.meta.cursor
        return run.result()


def page_vt_refs(base_url: str, api_key: str, object_id: str, page_size: int) -> dict[str, Any]:
    """`vt_refs.paginate`: typed models, strict parsing, retries, key safety."""
    import vt_refs
    from vt_refs_api.api.urls import get_url_related_references as operation

    run = Run()
    with vt_refs.connect(api_key, base_url=base_url) as client:
        warm_up = vt_refs.paginate(
            operation, client, id=object_id, page_size=page_size, max_items=page_size
        )
        list(warm_up)
        run.start()
        for reference in vt_refs.paginate(operation, client, id=object_id, page_size=page_size):
            run.ids.append(reference.id)
        return run.result()


def page_vt_refs_async(
    base_url: str, api_key: str, object_id: str, page_size: int
) -> dict[str, Any]:
    """`vt_refs.apaginate`, the async twin, on httpx.AsyncClient."""
    import vt_refs
    from vt_refs_api.api.urls import get_url_related_references as operation

    async def main() -> dict[str, Any]:
        run = Run()
        async with vt_refs.connect(api_key, base_url=base_url) as client:
            warm_up = vt_refs.apaginate(
                operation, client, id=object_id, page_size=page_size, max_items=page_size
            )
            _ = [reference async for reference in warm_up]
            run.start()
            references = vt_refs.apaginate(operation, client, id=object_id, page_size=page_size)
            async for reference in references:
                run.ids.append(reference.id)
            return run.result()

    return asyncio.run(main())


def page_vt_py(base_url: str, api_key: str, object_id: str, page_size: int) -> dict[str, Any]:
    """vt-py's sync `client.iterator(path, batch_size=...)` (aiohttp underneath)."""
    import vt  # type: ignore[import-not-found,unused-ignore]  # only in the bench environment

    run, path = Run(), PATH.format(id=object_id)
    host = base_url.removesuffix("/api/v3")  # vt-py appends /api/v3 itself
    with vt.Client(api_key, host=host) as client:
        list(client.iterator(path, batch_size=page_size, limit=page_size))  # warm-up page
        run.start()
        for obj in client.iterator(path, batch_size=page_size):
            run.ids.append(obj.id)
        return run.result()


CONTENDERS: dict[str, Callable[[str, str, str, int], dict[str, Any]]] = {
    "raw": page_raw,
    "raw_async": page_raw_async,
    "generated": page_generated,
    "vt_refs": page_vt_refs,
    "vt_refs_async": page_vt_refs_async,
    "vt_py": page_vt_py,
}


def maxrss_mb() -> float:
    """Peak resident set size of this process so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes there, KiB here


def memory(
    base_url: str, api_key: str, object_id: str, page_size: int, items: int, keep: bool
) -> dict[str, Any]:
    """Peak RSS of paging `items` references with vt_refs.paginate.

    Normally each reference is dropped as soon as it is seen; `keep` holds them all in a
    list instead, a control showing what the measurement sees when memory does grow.
    """
    import vt_refs
    from vt_refs_api.api.urls import get_url_related_references as operation

    before = maxrss_mb()
    with vt_refs.connect(api_key, base_url=base_url) as client:
        references = vt_refs.paginate(
            operation, client, id=object_id, page_size=page_size, max_items=items
        )
        count = len(list(references)) if keep else sum(1 for _ in references)
    return {"items": count, "maxrss_mb_before": before, "maxrss_mb": maxrss_mb()}


def realistic_page(body: bytes) -> bytes:
    """The fake's page with fields the spec does not declare added to each reference.

    The real API adds fields without notice and the parser must keep them, so the page
    benchmarked carries some at three levels; the fake's own pages have none.
    """
    page = json.loads(body)
    for reference in page["data"]:
        reference["attributes"]["analysis_status"] = "published"
        reference["attributes"]["threat_categories"] = ["trojan", "downloader"]
        reference["context_attributes"]["relevance"] = 0.87
        reference["first_seen"] = reference["attributes"]["creation_date"]
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def drifted_page(body: bytes) -> bytes:
    """The page with every reference drifting in one field: `creation_date` sent as a
    string, as Google's data from the same backend sends epoch seconds."""
    page = json.loads(body)
    for reference in page["data"]:
        reference["attributes"]["creation_date"] = str(reference["attributes"]["creation_date"])
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def parse(base_url: str, api_key: str, object_id: str, page_size: int) -> dict[str, Any]:
    """Seconds per call (best of 7 rounds of 200, GC on) of four ways to read one page.

    msgspec's decoding alone is there to show what of vt_refs.parse is decoding (which it
    does with msgspec) and what is checking and building models. The drifted page is
    parsed under the default on_drift="warn", after its one warning (steady state).
    """
    import httpx
    import msgspec

    import vt_refs
    from vt_refs_api.models import ReferenceCollection

    response = httpx.get(
        f"{base_url}{PATH.format(id=object_id)}",
        params={"limit": page_size},
        headers={"x-apikey": api_key},
    )
    body = realistic_page(response.raise_for_status().content)
    parsed = vt_refs.parse(ReferenceCollection, body)  # also compiles the parser
    assert len(parsed.data) == page_size and parsed.to_dict() == json.loads(body)
    drifted = drifted_page(body)
    # Filtered in place, not in a catch_warnings block: the field stays warned about.
    warnings.simplefilter("ignore", vt_refs.SchemaDriftWarning)
    kept = vt_refs.parse(ReferenceCollection, drifted)
    assert kept.to_dict() == json.loads(drifted) and "creation_date" in kept.data[-1].attributes
    ways: dict[str, Callable[[], object]] = {
        "json_loads": lambda: json.loads(body),
        "msgspec_decode": lambda: msgspec.json.decode(body),
        "from_dict": lambda: ReferenceCollection.from_dict(json.loads(body)),
        "vt_refs_parse": lambda: vt_refs.parse(ReferenceCollection, body),
        "json_loads_drift": lambda: json.loads(drifted),
        "vt_refs_parse_drift": lambda: vt_refs.parse(ReferenceCollection, drifted),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(7):  # interleaved, so a noisy moment hits every way alike
        for name, way in ways.items():
            timer = timeit.Timer(way, setup=gc.enable)  # timeit turns GC off; real use has it
            best[name] = min(best[name], timer.timeit(number=200) / 200)
    return {"seconds": best, "page_bytes": len(body), "references": len(parsed.data)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=[*CONTENDERS, "memory", "parse"])
    parser.add_argument(
        "--profile",
        action="store_true",
        help="paging contenders: print where the paging loop's time goes (pyinstrument)",
    )
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--page-size", type=int, default=40)
    parser.add_argument("--items", type=int, default=0, help="memory: references to page")
    parser.add_argument("--keep", action="store_true", help="memory: keep every reference")
    args = parser.parse_args()
    common = (args.base_url, args.api_key, args.id, args.page_size)
    if args.kind == "memory":
        result = memory(*common, items=args.items, keep=args.keep)
    elif args.kind == "parse":
        result = parse(*common)
    else:
        if args.profile:
            from pyinstrument import Profiler

            global PROFILER
            PROFILER = Profiler(interval=0.0002)  # a walk takes about 0.2 s
        result = CONTENDERS[args.kind](*common)
        if PROFILER is not None:
            print(PROFILER.output_text(time="percent_of_total"), file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
