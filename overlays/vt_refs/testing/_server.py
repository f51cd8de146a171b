"""The HTTP/1.1 transport: a threading server on a background thread.

It turns each request into a `RecordedRequest`, asks `dispatch` what to answer, and
writes it with Content-Length always set, so connections stay alive between requests as
they do with the real API. `dispatch` returning None closes the connection without a
response. Stopping also closes idle keep-alive connections, so a client holding a pooled
connection sees the server go away instead of a handler thread that outlived it.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, cast
from urllib.parse import parse_qsl, urlsplit

from ._records import RecordedRequest
from ._responses import Response

Dispatch = Callable[[RecordedRequest], Response | None]

_MAX_SKIPPED_BODY: Final = 1 << 20
_DIGITS: Final = re.compile(r"[0-9]{1,12}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    timeout = 0  # handle_request() never waits: the accept loop only calls it when ready

    def __init__(self, host: str, port: int, dispatch: Dispatch) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.dispatch = dispatch
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def close_connections(self) -> None:
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # the client may have closed it already
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        """Stay quiet when a client goes away (or stop() cut it off); report real bugs."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second waits for the
    # client's delayed ACK (~40 ms a response on Linux), which would swamp any benchmark.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        server = cast(_Server, self.server)
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = cast(_Server, self.server)
        with server.connections_lock:
            server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: tests read `FakeVirusTotal.requests` instead of a log."""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        request = RecordedRequest(
            method=self.command,
            target=self.path,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
        )
        self._discard_body(headers)
        response = cast(_Server, self.server).dispatch(request)
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _discard_body(self, headers: dict[str, str]) -> None:
        """Read a request body the fake ignores, so the connection can serve the next request.

        A body it cannot cheaply skip (chunked, or large) ends the connection instead.
        """
        length = headers.get("content-length", "0")
        chunked = "transfer-encoding" in headers
        if chunked or not _DIGITS.fullmatch(length) or int(length) > _MAX_SKIPPED_BODY:
            self.close_connection = True
        else:
            self.rfile.read(int(length))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class HttpServer:
    """A bound listening socket, served on a daemon thread between start() and stop()."""

    def __init__(self, host: str, port: int, dispatch: Dispatch) -> None:
        self._server = _Server(host, port, dispatch)
        # stop() writes here to wake the accept loop at once, rather than polling for it.
        self._wake_read, self._wake_write = socket.socketpair()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"FakeVirusTotal:{self.port}", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port (the kernel's choice when 0 was asked for)."""
        return self._server.server_address[1]

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while all(key.fileobj is not self._wake_read for key, _ in selector.select()):
                self._server.handle_request()  # returns at once: the server's timeout is 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, cut open connections, release the port."""
        self._wake_write.send(b"\0")
        self._thread.join()
        self._server.close_connections()
        self._server.server_close()
        self._wake_read.close()
        self._wake_write.close()
