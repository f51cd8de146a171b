"""Scripted answers of a wrong or hostile API, served by `hostile_server.HostileServer`.

`serve(respond)` answers every request with what `respond(seen)` returns, verbatim: any
status, reason phrase, headers and body, so a test can echo the key or send what no API
would; `serve_pages(docs)` answers each request with the next of endless pages (see
`pages.cycling` and `pages.fresh_cursors`). Past `max_requests` it closes connections
unanswered, so a client that does not stop cannot keep a test running: `server.seen` is
the evidence.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from support import pages
from support.hostile_server import Behaviour, HostileServer, Seen

__all__ = ["Answer", "HostileServer", "Seen", "error", "ok", "serve", "serve_pages"]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = "X"


def ok(doc: Any) -> Answer:
    """A 200 with `doc` as its JSON body (a page of `support.pages`, say)."""
    return Answer(body=json.dumps(doc).encode(), headers={"Content-Type": "application/json"})


def error(status: int, code: str, message: str, **headers: str) -> Answer:
    body = pages.encode(pages.error(code, message))
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


def serve_pages(docs: Iterator[Mapping[str, Any]], *, max_requests: int = 200) -> HostileServer:
    """A server answering each request with `ok(next(docs))`, in the order they arrive."""
    lock = threading.Lock()

    def respond(seen: Seen) -> Answer:
        with lock:  # requests may come on several connections at once
            return ok(next(docs))

    return serve(respond, max_requests=max_requests)
