"""A misbehaving HTTP/1.1 server on 127.0.0.1, raw sockets, for the transport's tests.

httpx's and the standard library's server helpers cannot misbehave enough (drip a byte a
second, cut a body half way, send a gzip bomb they never hold in memory), so this one
speaks HTTP by hand. Each request is answered by the next scripted `Behaviour`, or by
`default`; every request's head is recorded. TLS (a trustme CA) makes it an https:// API.

Every wait here is bounded: the server stops within about a second of `stop()`, and a
behaviour gives up writing when the client goes away.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from support import pages
from support.listener import Listener, read_head

# Pauses wait on this (never set) rather than time.sleep, which tests may patch.
_NEVER = threading.Event()
IDS = [f"ref-{n:03d}" for n in range(23)]


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query))


# A behaviour writes an answer (or not) to the connection; True keeps it open.
Behaviour = Callable[[socket.socket, Seen], bool]


def head(status: int, headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def page_for(seen: Seen, ids: list[str] = IDS) -> bytes:
    """A valid page of `ids` for the request: `limit` items from the cursor (an offset)."""
    return pages.encode(pages.offset_page(ids, seen.query))


def ok(sock: socket.socket, seen: Seen) -> bool:
    """A correct page, as the API would send it."""
    body = page_for(seen)
    sock.sendall(head(200, {"Content-Type": "application/json"}, len(body)) + body)
    return True


def document(doc: Any, code: int = 200, headers: dict[str, str] | None = None) -> Behaviour:
    """`doc` (see `support.pages`) as a JSON body with status `code`, every time."""
    body = pages.encode(doc)
    sent = {"Content-Type": "application/json", **(headers or {})}

    def answer(sock: socket.socket, seen: Seen) -> bool:
        sock.sendall(head(code, sent, len(body)) + body)
        return True

    return answer


def status(
    code: int, retry_after: str | None = None, code_name: str = "TransientError"
) -> Behaviour:
    """VirusTotal's error `code_name` with status `code`, and `Retry-After` if given."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return document(pages.error(code_name), code, headers)


def drip(where: str, interval: float = 0.25, total: float = 8.0) -> Behaviour:
    """The headers (`where="headers"`) or the body (`"body"`) one byte per `interval`."""

    def answer(sock: socket.socket, seen: Seen) -> bool:
        body = page_for(seen)
        whole = head(200, {"Content-Type": "application/json"}, len(body))
        fast, slow = (b"", whole + body) if where == "headers" else (whole, body)
        sock.sendall(fast)
        ends = time.monotonic() + total
        for byte in slow:
            if time.monotonic() > ends:
                break
            sock.sendall(bytes([byte]))
            _NEVER.wait(interval)
        return False

    return answer


def cut_body(after: int = 20) -> Behaviour:
    """Announces the whole page, sends `after` bytes of it, and hangs up."""

    def answer(sock: socket.socket, seen: Seen) -> bool:
        body = page_for(seen)
        sock.sendall(head(200, {"Content-Type": "application/json"}, len(body)) + body[:after])
        return False

    return answer


def stall_body(seconds: float) -> Behaviour:
    """Sends the head and a little of the body, then nothing for `seconds`."""

    def answer(sock: socket.socket, seen: Seen) -> bool:
        body = page_for(seen)
        sock.sendall(head(200, {"Content-Type": "application/json"}, len(body)) + body[:5])
        _NEVER.wait(seconds)
        return False

    return answer


def compressed(encoding: str, payload: bytes) -> bytes:
    """`payload` in `encoding` (gzip, deflate or br), made whole: for pages."""
    if encoding == "br":
        import brotli

        return bytes(brotli.compress(payload))
    wbits = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}[encoding]
    deflater = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return deflater.compress(payload) + deflater.flush()


def bomb(encoding: str, decoded_mib: int) -> bytes:
    """About `decoded_mib` MiB of '0' once decoded, made in well under a second.

    gzip/deflate: one fully flushed 1 MiB block repeated (each decodes on its own), so the
    stream is valid up to its trailer, which a client with a size limit never reaches.
    """
    block = b"0" * (1 << 20)
    if encoding == "br":
        import brotli

        compressor = brotli.Compressor(quality=1)
        parts = [compressor.process(block) for _ in range(decoded_mib)]
        return b"".join(parts) + compressor.finish()
    wbits = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}[encoding]
    deflater = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
    again = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
    return first + again * (decoded_mib - 1) + deflater.flush()


def encoded(encoding: str, payload: bytes, status_code: int = 200) -> Behaviour:
    """A body sent with `Content-Encoding: encoding` (already encoded)."""

    def answer(sock: socket.socket, seen: Seen) -> bool:
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": encoding,
            "Connection": "close",
        }
        sock.sendall(head(status_code, headers, len(payload)))
        with contextlib.suppress(OSError):  # the client stops reading at its limit
            sock.sendall(payload)
        return False

    return answer


def endless(chunked: bool = True, piece: int = 1 << 16, total: int = 1 << 30) -> Behaviour:
    """A body of `total` bytes (or with no length at all), sent as fast as it is read."""

    def answer(sock: socket.socket, seen: Seen) -> bool:
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        sock.sendall(head(200, headers, None if chunked else total))
        block = b"1" * piece
        sent = 0
        with contextlib.suppress(OSError):
            while sent < total:
                data = block[: min(piece, total - sent)]
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
        return False

    return answer


@dataclass(eq=False)
class HostileServer(Listener):
    """The server: `script` answers the first requests in order, then `default`."""

    script: list[Behaviour] = field(default_factory=list)
    default: Behaviour = ok
    tls: ssl.SSLContext | None = None
    host: str = "127.0.0.1"
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        Listener.__init__(self, self.host)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.tls else self.host
        return f"{scheme}://{host}:{self.port}/api/v3"

    def __enter__(self) -> HostileServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self) -> Behaviour:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def serve(self, raw: socket.socket) -> None:
        sock: socket.socket = raw
        try:
            raw.settimeout(10)
            if self.tls is not None:
                sock = self.tls.wrap_socket(raw, server_side=True)
            buffer = b""
            while not self._stopping.is_set():
                read = read_head(sock, buffer)
                if read is None:
                    return
                text, buffer = read
                request_line, *lines = text.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                seen = Seen(method, target, headers)
                with self._lock:
                    self.seen.append(seen)
                keep_open = self._next()(sock, seen)
                if not keep_open or headers.get("connection", "").lower() == "close":
                    return
        except (OSError, ValueError, ssl.SSLError):
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()
