"""Scripted answers of a wrong or hostile API, served by `hostile_server.HostileServer`.

`serve(respond)` answers every request with what `respond(seen)` returns, verbatim: any
status, reason phrase, headers and body, so a test can echo the key, loop cursors or send
empty pages for ever. Past `max_requests` it closes connections unanswered, so a client
that does not stop cannot keep a test running: `server.seen` is the evidence.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from support.hostile_server import Behaviour, HostileServer, Seen

KEY = "hostile-test-key-6c0ffee5a1b2c3d4e5f60718293a4b5c6d7e8f90"

__all__ = ["KEY", "Answer", "HostileServer", "Seen", "cycling", "empty_pages", "error", "page"]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = "X"


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


def _answering(respond: Callable[[Seen], Answer], max_requests: int) -> Behaviour:
    count = itertools.count()

    def behaviour(sock: socket.socket, seen: Seen) -> bool:
        if next(count) >= max_requests:
            return False  # closed unanswered
        answer = respond(seen)
        lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        lines.append(f"Content-Length: {len(answer.body)}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body)
        return True

    return behaviour


def serve(respond: Callable[[Seen], Answer], *, max_requests: int = 200) -> HostileServer:
    """A server answering every request with `respond(seen)`; use it as a context manager."""
    return HostileServer(default=_answering(respond, max_requests))


def cycling(cursors: list[str], ids_per_page: int = 1) -> Callable[[Seen], Answer]:
    """Pages whose `meta.cursor` goes round `cursors` for ever (A, B, A, B, ...)."""
    count = itertools.count()

    def respond(seen: Seen) -> Answer:
        n = next(count)
        return page([f"{n}-{i}" for i in range(ids_per_page)], cursors[n % len(cursors)])

    return respond


def empty_pages() -> Callable[[Seen], Answer]:
    """Pages with no items and a fresh cursor each time, for ever."""
    count = itertools.count()

    def respond(seen: Seen) -> Answer:
        return page([], f"fresh-{next(count)}")

    return respond
