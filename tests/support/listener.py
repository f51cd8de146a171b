"""A TCP listener on loopback that serves each connection on a thread of its own.

The base of the hostile server and the forward proxy: accepting, tracking the open
connections (tests check that a client closed them) and stopping within seconds;
`read_head()` for both, and `closed_base_url()`, where nothing listens.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Listener:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.connections: set[socket.socket] = set()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def start(self) -> None:
        self._acceptor.start()

    def stop(self) -> None:
        """Stops accepting, cuts the connections still open and waits for their threads."""
        self._stopping.set()
        self._acceptor.join(timeout=5)
        with self._lock:
            for sock in self.connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=10)
        self._listener.close()

    def serve(self, sock: socket.socket) -> None:
        """Speaks to one connection; it is closed after this returns."""
        raise NotImplementedError

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
            with self._lock:
                self.connections.add(sock)
                self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket) -> None:
        try:
            self.serve(sock)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self.connections.discard(sock)


def read_head(sock: socket.socket, buffer: bytes = b"") -> tuple[bytes, bytes] | None:
    """Reads on from `buffer` to the end of a request's head: the head and what came after
    it, or None when the peer closed first."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            return None
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def closed_base_url() -> str:
    """An API base URL on a loopback port nobody listens on: connecting is refused at once
    (the port was free a moment ago; nothing in the suite listens on a port it did not get
    from the system)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v3"
