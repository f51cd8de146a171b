"""A refused connection names where it tried, and one to this machine (nothing listening
there) is not retried for the whole budget; a refused remote one still is."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

import vt_refs
from vt_refs_api.api.urls import get_url_related_references

from support.cli import cli


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_a_refused_local_connection_names_host_and_port_and_fails_fast(host: str) -> None:
    port = _closed_port()
    started = time.monotonic()
    client = vt_refs.connect("k" * 16, base_url=f"http://{host}:{port}/api/v3")
    with client, pytest.raises(vt_refs.APIConnectionError) as caught:
        list(vt_refs.iter_pages(get_url_related_references, client, id="a" * 64))
    took = time.monotonic() - started
    shown = host.strip("[]") if host != "[::1]" else "[::1]"
    assert f"{shown}:{port}" in str(caught.value), caught.value
    assert took < 2.0, took  # one retry at most, not five with backoff


def test_a_refused_remote_connection_is_retried_for_the_whole_budget(
    sleeps: list[float],
) -> None:
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client = vt_refs.connect("k" * 16, base_url="https://vt.example/api/v3",
                             transport=httpx.MockTransport(refuse))  # fmt: skip
    with client, pytest.raises(vt_refs.APIConnectionError, match=r"vt\.example:443"):
        list(vt_refs.iter_pages(get_url_related_references, client, id="a" * 64))
    assert attempts == 6 and len(sleeps) == 5


def test_the_cli_says_where_it_could_not_connect_at_once() -> None:
    port = _closed_port()
    started = time.monotonic()
    done = cli("--id", "a" * 64, "--base-url", f"http://127.0.0.1:{port}/api/v3")
    assert done.returncode == 4
    assert f"127.0.0.1:{port}" in done.stderr
    assert time.monotonic() - started < 5.0
