"""A small forward proxy on 127.0.0.1 that records what went through it.

CONNECT opens a tunnel (as for any https:// request) and records the bytes the client
sent into it, so a test can check that the key never travels in the clear; an absolute-
form request (http:// through a proxy) is forwarded, one request per connection, and its
head recorded. Bounded: every socket has a timeout and `stop()` ends every thread.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
from dataclasses import dataclass, field

from support.listener import Listener, read_head


@dataclass
class Passage:
    """One request the proxy handled: `CONNECT host:port` or `GET http://...`."""

    method: str
    target: str
    head: bytes
    tunnelled: bytearray = field(default_factory=bytearray)


class ForwardProxy(Listener):
    """With `tls`, an https:// proxy: TLS to the proxy, and the tunnel inside that."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.tls = tls
        self.passages: list[Passage] = []

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}" if self.tls else f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(10)
            if self.tls is not None:
                client = self.tls.wrap_socket(client, server_side=True)
            read = read_head(client)
            if read is None:
                return
            head, rest = read
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            passage = Passage(method, target, head)
            with self._lock:
                self.passages.append(passage)
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection((host, int(port)), timeout=10)
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                passage.tunnelled += rest
                if rest:
                    upstream.sendall(rest)
                self._relay(client, upstream, passage)
            else:
                upstream = self._forward(target, head, rest)
                self._answer(client, upstream)
        except (OSError, ValueError, ssl.SSLError):
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()

    def _forward(self, target: str, head: bytes, rest: bytes) -> socket.socket:
        """Sends an absolute-form request on as origin-form, asking the origin to close."""
        without_scheme = target.split("://", 1)[1]
        hostport, slash, path = without_scheme.partition("/")
        host, _, port = hostport.rpartition(":")
        lines = head.split(b"\r\n")
        method = lines[0].split(b" ", 1)[0]
        kept = [
            line
            for line in lines[1:]
            if not line.lower().startswith((b"connection:", b"proxy-connection:"))
        ]
        request_line = method + b" " + (slash + path).encode("latin-1") + b" HTTP/1.1"
        out = b"\r\n".join([request_line, *kept, b"Connection: close"]) + b"\r\n\r\n" + rest
        upstream = socket.create_connection((host, int(port or 80)), timeout=10)
        upstream.sendall(out)
        return upstream

    def _answer(self, client: socket.socket, upstream: socket.socket) -> None:
        """The origin's whole answer, marked `Connection: close`: one request a connection."""
        answer = b""
        while chunk := upstream.recv(65536):
            answer += chunk
        response_head, _, body = answer.partition(b"\r\n\r\n")
        lines = [
            line
            for line in response_head.split(b"\r\n")
            if not line.lower().startswith(b"connection:")
        ]
        client.sendall(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body)

    def _relay(self, client: socket.socket, upstream: socket.socket, passage: Passage) -> None:
        sockets = [client, upstream]
        while not self._stopping.is_set():
            # TLS may hold decrypted bytes that select() cannot see.
            buffered = [s for s in sockets if isinstance(s, ssl.SSLSocket) and s.pending()]
            ready = buffered or select.select(sockets, [], [], 0.1)[0]
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if sock is client:
                    passage.tunnelled += data
                    upstream.sendall(data)
                else:
                    client.sendall(data)
