"""A scripted HTTP server on 127.0.0.1 that answers as a wrong or hostile API would.

`HostileServer(respond)` calls `respond(request)` for every request and sends back what it
returns, verbatim: any status, reason phrase, headers and body, so a test can echo the key,
loop cursors or send empty pages for ever. It stops answering (closing connections) after
`max_requests`, so a client that does not stop cannot keep a test running: the count it
reached is the evidence.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

KEY = "hostile-test-key-6c0ffee5a1b2c3d4e5f60718293a4b5c6d7e8f90"


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None


Respond = Callable[[Seen], Answer]


def page(ids: list[str], cursor: str | None = None) -> Answer:
    """A valid page of references (descriptor pages accept the same items)."""
    data = [{"type": "reference", "id": i, "attributes": {"title": f"t{i}"}} for i in ids]
    meta: dict[str, Any] = {"count": 1000}
    if cursor is not None:
        meta["cursor"] = cursor
    body = {"meta": meta, "data": data, "links": {"self": "http://127.0.0.1/x"}}
    return Answer(body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def error(status: int, code: str, message: str, **headers: str) -> Answer:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return Answer(status, body, {"Content-Type": "application/json", **headers})


class HostileServer:
    """Runs `respond` behind a threading HTTP/1.1 server; use as a context manager."""

    def __init__(self, respond: Respond, *, max_requests: int = 200) -> None:
        self.respond = respond
        self.max_requests = max_requests
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                seen = Seen(
                    "GET",
                    split.path,
                    dict(parse_qsl(split.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                )
                with server._lock:
                    if len(server.requests) >= server.max_requests:
                        self.close_connection = True
                        return
                    server.requests.append(seen)
                answer = server.respond(seen)
                self.send_response_only(answer.status, answer.reason)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/v3"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def cycling(cursors: list[str], ids_per_page: int = 1) -> Respond:
    """Pages whose `meta.cursor` goes round `cursors` for ever (A, B, A, B, ...)."""
    state = {"n": 0}

    def respond(seen: Seen) -> Answer:
        n = state["n"]
        state["n"] += 1
        ids = [f"{n}-{i}" for i in range(ids_per_page)]
        return page(ids, cursors[n % len(cursors)])

    return respond


def empty_pages() -> Respond:
    """Pages with no items and a fresh cursor each time, for ever."""

    count = iter(range(10**9))

    def respond(seen: Seen) -> Answer:
        return page([], f"fresh-{next(count)}")

    return respond
