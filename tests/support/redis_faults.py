"""Redis servers a test owns and breaks: stopped, restarted on the same port, flushed, or a
listener that accepts connections and never answers (a hung Redis, or `rediss://` to a
plain port). Unlike the session's shared server, each is started and stopped by its test.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from support.redis_server import _binary, _free_port, _wait_ready, stop_process


class OwnRedis:
    """A Redis-protocol server on 127.0.0.1 that this test stops and starts at will; the
    port stays the same across restarts, as a restarted or failed-over server's does."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="vt-refs-own-redis-"))
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> OwnRedis:
        log = self.workdir / "server.log"
        command = [_binary(), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                   "--appendonly", "no", "--dir", str(self.workdir),
                   "--daemonize", "no"]  # fmt: skip
        with log.open("wb") as out:
            self._process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _wait_ready(self.url, self._process, log)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis().start()
    try:
        yield server
    finally:
        server.close()


class HungListener:
    """Accepts every connection and never sends a byte back."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            self._held.append(connection)  # read nothing, answer nothing

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(5)
        for connection in self._held:
            connection.close()
        self._socket.close()


@contextlib.contextmanager
def hung_listener() -> Iterator[HungListener]:
    listener = HungListener()
    try:
        yield listener
    finally:
        listener.close()
