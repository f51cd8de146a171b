"""The transport stack's own cost per request.

`vt_refs.connect()`'s httpx client and a plain `httpx.Client` send the same GET to the same
in-memory transport (no sockets, no parsing), so the difference is what the SDK's layers
add to each request: the key, the retry loop, the body read within the size limit and the
attempt deadline. Best of several rounds of CPU time, in this process.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

BASE_URL = "https://vt.bench/api/v3"
PATH = "/urls/x/related_references?limit=40"


class _Page(httpx.BaseTransport):
    """Answers every request with the same 40-reference page, streamed like the network."""

    def __init__(self) -> None:
        data = [
            {"type": "reference", "id": f"r{n}", "attributes": {"title": "t" * 800}}
            for n in range(40)
        ]
        self._body = json.dumps({"meta": {"cursor": "c"}, "data": data}).encode()
        self._headers = [(b"content-type", b"application/json")]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=self._headers, stream=_Stream(self._body))


class _Stream(httpx.SyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Any:
        yield self._body


def _per_request(client: httpx.Client, requests: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            _ = client.get(PATH).content
        best = min(best, (time.process_time() - started) / requests)
    return best


def bench_stack_cost(requests: int = 3000, rounds: int = 5) -> dict[str, Any]:
    """Microseconds of CPU per request: plain httpx, through the stack, and the difference."""
    import vt_refs

    plain_client = httpx.Client(base_url=BASE_URL, transport=_Page())
    with plain_client, vt_refs.connect("bench-key", base_url=BASE_URL, transport=_Page()) as sdk:
        http = sdk.get_httpx_client()
        _per_request(plain_client, 200, 1)  # warm both up
        _per_request(http, 200, 1)
        plain = _per_request(plain_client, requests, rounds)
        stacked = _per_request(http, requests, rounds)
    return {
        "requests": requests,
        "rounds": rounds,
        "plain_httpx_us": plain * 1e6,
        "vt_refs_stack_us": stacked * 1e6,
        "stack_cost_us": (stacked - plain) * 1e6,
    }


def line(result: dict[str, Any]) -> str:
    return (
        f"transport stack: {result['stack_cost_us']:.1f} µs of CPU per request "
        f"({result['vt_refs_stack_us']:.1f} µs through vt_refs.connect's client, "
        f"{result['plain_httpx_us']:.1f} µs through a plain httpx.Client, same in-memory page)"
    )


if __name__ == "__main__":
    print(line(bench_stack_cost()))
