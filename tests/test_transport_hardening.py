"""The transport against hostile servers on 127.0.0.1: size, time, retries of the body,
the retry budget, proxies and TLS, clear text, closing, numbers that overflow.

Servers are raw sockets (`hostile_server`), the proxy a real CONNECT proxy
(`forward_proxy`); memory is measured in a subprocess under RLIMIT_AS. Every wait is
bounded, and timing assertions leave a loaded machine room while still failing when a
deadline is not kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

import vt_refs
from vt_refs_api.api.urls import get_url_related_references as operation

from support.forward_proxy import ForwardProxy
from support.hostile_server import (
    IDS,
    HostileServer,
    bomb,
    compressed,
    cut_body,
    document,
    drip,
    encoded,
    endless,
    ok,
    page_for,
    stall_body,
    status,
)
from support.keys import KEY
from support.mock_api import ScriptedAPI
from support.pages import encode, page

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_ambient_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the proxy variables they need; none leak in from the machine."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _connect(server: HostileServer, **kwargs: Any) -> Any:
    kwargs.setdefault("max_retries", 0)
    return vt_refs.connect(KEY, base_url=server.base_url, **kwargs)


def _walk(client: Any, page_size: int = 10) -> list[str]:
    return [r.id for r in vt_refs.paginate(operation, client, id="x", page_size=page_size)]


async def _awalk(client: Any, page_size: int = 10) -> list[str]:
    items = vt_refs.apaginate(operation, client, id="x", page_size=page_size)
    return [r.id async for r in items]


# 1. Size ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_encoded_pages_are_decoded(encoding: str) -> None:
    def answer(sock: Any, seen: Any) -> bool:
        return encoded(encoding, compressed(encoding, page_for(seen)))(sock, seen)

    with HostileServer(default=answer) as server, _connect(server) as client:
        assert _walk(client) == IDS
    assert encoding in server.seen[0].headers["accept-encoding"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_decompression_bomb_stops_at_the_limit(encoding: str) -> None:
    payload = bomb(encoding, 64)
    with (
        HostileServer(default=encoded(encoding, payload)) as server,
        _connect(server, max_response_bytes=2**20, max_retries=3) as client,
        pytest.raises(vt_refs.ResponseTooLargeError) as caught,
    ):
        _walk(client)
    assert (caught.value.status_code, caught.value.limit) == (200, 2**20)
    assert isinstance(caught.value, vt_refs.VTError)
    assert len(server.seen) == 1, "a response too large is not retried"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_body_that_is_not_its_encoding_is_malformed(encoding: str) -> None:
    garbage = encoded(encoding, b"\xff" * 64 + b"not compressed at all")
    with (
        HostileServer(default=garbage) as server,
        _connect(server, max_retries=2) as client,
        pytest.raises(vt_refs.MalformedResponseError, match=f"not valid {encoding}"),
    ):
        _walk(client)
    assert len(server.seen) == 1


def test_the_limit_counts_decoded_bytes_exactly() -> None:
    body = encode(page([]))
    gz = compressed("gzip", body)
    with HostileServer(default=encoded("gzip", gz)) as server:
        with _connect(server, max_response_bytes=len(body)) as client:
            assert _walk(client) == []
        with (
            _connect(server, max_response_bytes=len(body) - 1) as client,
            pytest.raises(vt_refs.ResponseTooLargeError),
        ):
            _walk(client)


@pytest.mark.parametrize("chunked", [True, False])
def test_a_huge_plain_body_is_refused(chunked: bool) -> None:
    with (
        HostileServer(default=endless(chunked=chunked)) as server,
        _connect(server, max_response_bytes=100_000, max_retries=2) as client,
        pytest.raises(vt_refs.ResponseTooLargeError, match="100000 bytes"),
    ):
        _walk(client)
    assert len(server.seen) == 1


def test_a_head_request_announcing_a_large_body_is_fine() -> None:
    def answer(sock: Any, seen: Any) -> bool:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n")
        return True

    with HostileServer(default=answer) as server, _connect(server, max_response_bytes=10) as c:
        assert c.get_httpx_client().head("/urls/x/related_references").status_code == 200


def test_an_error_body_too_large_carries_its_status() -> None:
    def answer(sock: Any, seen: Any) -> bool:
        return encoded("gzip", bomb("gzip", 8), status_code=503)(sock, seen)

    with (
        HostileServer(default=answer) as server,
        _connect(server, max_response_bytes=1000) as client,
        pytest.raises(vt_refs.ResponseTooLargeError) as caught,
    ):
        _walk(client)
    assert caught.value.status_code == 503


def test_async_refuses_a_bomb_too() -> None:
    with HostileServer(default=encoded("gzip", bomb("gzip", 32))) as server:
        client = _connect(server, max_response_bytes=2**20)

        async def run() -> None:
            async with client:
                await _awalk(client)

        with pytest.raises(vt_refs.ResponseTooLargeError):
            asyncio.run(run())


_MEMORY_CHILD = """
import asyncio, json, resource, sys
import vt_refs
from vt_refs_api.api.urls import get_url_related_references as op

base_url, key, margin, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
before = 0

def cap():
    # After a first page, so that every import (and the event loop) is done already.
    global before
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    vm = next(l for l in open("/proc/self/status") if l.startswith("VmSize:"))
    limit = int(vm.split()[1]) * 1024 + margin
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

async def walk(client, **kwargs):
    return [r async for r in vt_refs.apaginate(op, client, **kwargs)]

async def run_async(client):
    async with client:
        await walk(client, id="warm", page_size=1, max_items=1)
        cap()
        await walk(client, id="x")

client = vt_refs.connect(key, base_url=base_url, max_retries=0)
try:
    if mode == "sync":
        with client:
            list(vt_refs.paginate(op, client, id="warm", page_size=1, max_items=1))
            cap()
            list(vt_refs.paginate(op, client, id="x"))
    else:
        asyncio.run(run_async(client))
    outcome = "no error"
except BaseException as error:
    outcome = type(error).__name__
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"outcome": outcome, "grown_mib": grown / 1024}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    "behaviour",
    [encoded("gzip", bomb("gzip", 1024)), endless(total=200 * 2**20)],
    ids=["1 GiB gzip bomb", "200 MiB chunked body"],
)
def test_memory_stays_near_the_limit(behaviour: Any, mode: str) -> None:
    """Default limit (16 MiB), address space capped at +160 MiB: a client reading the
    whole body would die of MemoryError; this one raises ResponseTooLargeError."""
    # The first request (the warm-up) gets a tiny valid body, the next the hostile one.
    with HostileServer(script=[document(page([]))], default=behaviour) as s:
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, s.base_url, KEY, str(160 * 2**20), mode],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["outcome"] == "ResponseTooLargeError"
    assert result["grown_mib"] < 80, result


# 2. Time ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_slow_drip_times_out_within_timeout_plus_one_second(where: str) -> None:
    with (
        HostileServer(default=drip(where, interval=0.2)) as server,
        _connect(server, timeout=1.0) as client,
    ):
        started = time.monotonic()
        with pytest.raises(vt_refs.APITimeoutError):
            _walk(client)
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.0, elapsed


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_slow_drip_times_out_in_async_too(where: str) -> None:
    with HostileServer(default=drip(where, interval=0.2)) as server:
        client = _connect(server, timeout=1.0)

        async def run() -> float:
            async with client:
                started = time.monotonic()
                with pytest.raises(vt_refs.APITimeoutError):
                    await _awalk(client)
                return time.monotonic() - started

        elapsed = asyncio.run(run())
    assert 0.9 <= elapsed < 2.0, elapsed


class _SlowStream(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        for _ in range(30):
            threading.Event().wait(0.1)
            yield b" "


def test_a_transport_given_to_connect_is_held_to_the_deadline_too() -> None:
    slow = ScriptedAPI(default=lambda request: httpx.Response(200, stream=_SlowStream()))
    client = slow.client(timeout=0.5, max_retries=0)
    with client:
        started = time.monotonic()
        with pytest.raises(vt_refs.APITimeoutError):
            _walk(client)
        assert time.monotonic() - started < 1.5


def test_a_request_that_switches_the_read_timeout_off_has_no_deadline() -> None:
    with HostileServer(script=[_delayed(0.8)]) as server, _connect(server, timeout=0.3) as c:
        http = c.get_httpx_client()
        patient = httpx.Timeout(0.3, read=None)
        assert http.get("/urls/x/related_references", timeout=patient).status_code == 200


def test_the_deadline_is_per_attempt_not_per_walk() -> None:
    """Ten quick pages take longer than `timeout` in total, and that is fine."""
    slow_but_fine = [_delayed(0.15) for _ in range(3)]
    with HostileServer(script=slow_but_fine) as server, _connect(server, timeout=0.4) as c:
        assert _walk(c, page_size=3) == IDS


def _delayed(seconds: float) -> Any:
    def answer(sock: Any, seen: Any) -> bool:
        threading.Event().wait(seconds)
        return ok(sock, seen)

    return answer


# 3. Retries cover the body ------------------------------------------------------------


def test_a_body_cut_or_stalled_is_retried_and_the_walk_loses_and_repeats_nothing(
    sleeps: list[float],
) -> None:
    script = [ok, cut_body(), stall_body(1.3), ok]
    with (
        HostileServer(script=script) as server,
        _connect(server, max_retries=3, timeout=1.0) as client,
    ):
        assert _walk(client) == IDS
    cursors = [seen.query.get("cursor") for seen in server.seen]
    assert cursors == [None, "10", "10", "10", "20"]
    assert len(sleeps) == 2


def test_async_retries_a_cut_body(sleeps: list[float]) -> None:
    with HostileServer(script=[cut_body(), cut_body(5)]) as server:
        client = _connect(server, max_retries=2)

        async def run() -> list[str]:
            async with client:
                return await _awalk(client)

        assert asyncio.run(run()) == IDS
    assert [seen.query.get("cursor") for seen in server.seen] == [None, None, None, "10", "20"]


def test_a_cut_body_past_the_retries_is_a_connection_error(sleeps: list[float]) -> None:
    with (
        HostileServer(default=cut_body()) as server,
        _connect(server, max_retries=2) as client,
        pytest.raises(vt_refs.APIConnectionError),
    ):
        _walk(client)
    assert len(server.seen) == 3


# 4. The retry budget ------------------------------------------------------------------


def test_a_retry_after_past_the_budget_is_raised_at_once() -> None:
    quota = status(429, retry_after="100000", code_name="QuotaExceededError")
    with HostileServer(default=quota) as server, _connect(server, max_retries=5) as client:
        started = time.monotonic()
        with pytest.raises(vt_refs.QuotaExceededError) as caught:
            _walk(client)
        assert time.monotonic() - started < 1.0
    assert len(server.seen) == 1
    assert caught.value.retry_after == 100000.0


def test_retry_after_waits_add_up_to_the_budget(sleeps: list[float]) -> None:
    again = status(503, retry_after="2")
    with (
        HostileServer(default=again) as server,
        _connect(server, max_retries=10, max_retry_wait=5.0) as client,
        pytest.raises(vt_refs.TransientError),
    ):
        _walk(client)
    assert sleeps == [2.0, 2.0]  # a third 2 s would make 6 s > 5 s
    assert len(server.seen) == 3


def test_backoff_is_shortened_to_what_the_budget_leaves(sleeps: list[float]) -> None:
    with (
        HostileServer(default=status(503)) as server,
        _connect(server, max_retries=4, backoff_factor=100.0, max_retry_wait=1.5) as client,
        pytest.raises(vt_refs.TransientError),
    ):
        _walk(client)
    assert len(sleeps) == 4 and sum(sleeps) <= 1.5 + 1e-9
    assert len(server.seen) == 5


def test_each_retry_is_logged_and_long_waits_are_warnings(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vt_refs")
    script = [status(503, retry_after="3"), cut_body(), status(429, retry_after="30")]
    with HostileServer(script=script) as server, _connect(server, max_retries=3) as client:
        assert _walk(client) == IDS
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "vt_refs"]
    assert [level for level, _ in records] == [logging.INFO, logging.INFO]
    assert "HTTP 503, retry 1 of 3 in 3.0 s" in records[0][1]
    assert "RemoteProtocolError, retry 2 of 3" in records[1][1]
    # A 429 is the quota layer's: a wait for the quota, said as a warning when long.
    waits = [r for r in caplog.records if r.name == "vt_refs.quota"]
    (quota,) = [r for r in waits if r.levelno == logging.WARNING]
    assert "waiting for quota until" in quota.getMessage() and "30.0 s" in quota.getMessage()
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_a_refused_retry_after_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="vt_refs")
    with (
        HostileServer(default=status(429, retry_after="86400")) as server,
        _connect(server, max_retries=3) as client,
        pytest.raises(vt_refs.APIError),
    ):
        _walk(client)
    assert any("past max_quota_wait" in r.getMessage() for r in caplog.records)


# 9. Proxies and TLS -------------------------------------------------------------------


def _tunnels(proxy: ForwardProxy) -> list[str]:
    return [p.target for p in proxy.passages if p.method == "CONNECT"]


def test_https_through_proxy_keeps_the_key_inside_the_tunnel(
    tls_server: HostileServer, ca_file: str, proxy: ForwardProxy
) -> None:
    with _connect(tls_server, proxy=proxy.url, verify=ca_file) as client:
        assert _walk(client) == IDS
    assert _tunnels(proxy) == [f"localhost:{tls_server.port}"]
    assert all(seen.headers["x-apikey"] == KEY for seen in tls_server.seen)
    for passage in proxy.passages:
        assert KEY.encode() not in passage.head and KEY.encode() not in passage.tunnelled
        assert passage.tunnelled, "the pages went through the tunnel"


def test_through_an_https_proxy_the_key_is_only_inside_the_tunnel(
    ca: trustme.CA, tls_server: HostileServer, ca_file: str
) -> None:
    """TLS to the proxy, and the API's own TLS inside the tunnel: the proxy, which sees
    everything the client sends it decrypted, still never sees the key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with ForwardProxy(tls=context) as https_proxy:
        with _connect(tls_server, proxy=https_proxy.url, verify=ca_file) as client:
            assert _walk(client) == IDS
            assert asyncio.run(_awalk(client)) == IDS
        passages = https_proxy.passages
    assert [p.method for p in passages] == ["CONNECT", "CONNECT"]
    assert all(p.tunnelled and KEY.encode() not in p.tunnelled + p.head for p in passages)
    assert len(tls_server.seen) == 6


def test_proxy_variables_are_honoured_by_default(
    tls_server: HostileServer, ca_file: str, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with _connect(tls_server, verify=ca_file) as client:
        assert _walk(client) == IDS
    assert len(_tunnels(proxy)) == 1


@pytest.mark.parametrize("name", ["https_proxy", "ALL_PROXY", "all_proxy"])
def test_every_spelling_of_the_variables_counts(
    name: str,
    tls_server: HostileServer,
    ca_file: str,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(name, proxy.url)
    with _connect(tls_server, verify=ca_file) as client:
        assert _walk(client) == IDS
    assert _tunnels(proxy)


@pytest.mark.parametrize("setting", ["no_proxy", "trust_env"])
def test_no_proxy_and_trust_env_false_go_direct(
    setting: str,
    tls_server: HostileServer,
    ca_file: str,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    kwargs: dict[str, Any] = {"verify": ca_file}
    if setting == "no_proxy":
        monkeypatch.setenv("NO_PROXY", "localhost")
    else:
        kwargs["trust_env"] = False
    with _connect(tls_server, **kwargs) as client:
        assert _walk(client) == IDS
    assert proxy.passages == []
    assert len(tls_server.seen) == 3


def test_plain_http_to_loopback_through_http_proxy(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with HostileServer() as server, _connect(server) as client:
        assert _walk(client) == IDS
        origin = f"http://127.0.0.1:{server.port}/"
    assert [p.method for p in proxy.passages] == ["GET", "GET", "GET"]
    assert all(p.target.startswith(origin) for p in proxy.passages)


def test_retries_work_the_same_through_a_proxy(
    tls_server: HostileServer, ca_file: str, proxy: ForwardProxy, sleeps: list[float]
) -> None:
    tls_server.script[:] = [status(503), cut_body()]
    with _connect(tls_server, proxy=proxy.url, verify=ca_file, max_retries=3) as client:
        assert _walk(client) == IDS
    assert len(tls_server.seen) == 5 and len(sleeps) == 2
    assert all(KEY.encode() not in p.tunnelled for p in proxy.passages)


def test_async_goes_through_the_proxy_too(
    tls_server: HostileServer, ca_file: str, proxy: ForwardProxy
) -> None:
    client = _connect(tls_server, proxy=proxy.url, verify=ca_file)

    async def run() -> list[str]:
        async with client:
            return await _awalk(client)

    assert asyncio.run(run()) == IDS
    assert _tunnels(proxy)


def test_proxy_credentials_go_to_the_proxy_only(
    tls_server: HostileServer, ca_file: str, proxy: ForwardProxy
) -> None:
    with_login = proxy.url.replace("http://", "http://scott:tiger-secret@")
    client = vt_refs.connect(KEY, base_url=tls_server.base_url, proxy=with_login, verify=ca_file)
    with client:
        assert _walk(client) == IDS
        assert "tiger-secret" not in repr(client) and KEY not in repr(client)
    assert b"Proxy-Authorization: Basic" in proxy.passages[0].head
    assert all("proxy-authorization" not in seen.headers for seen in tls_server.seen)


def test_verify_takes_an_ssl_context(ca: trustme.CA, tls_server: HostileServer) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with _connect(tls_server, verify=context) as client:
        assert _walk(client) == IDS


def test_an_unknown_ca_is_refused(tls_server: HostileServer) -> None:
    with _connect(tls_server) as client, pytest.raises(vt_refs.APIConnectionError):
        _walk(client)
    assert tls_server.seen == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"verify": False},
        {"verify": "/nonexistent/ca.pem"},
        {"verify": 3},
        {"proxy": "ftp://127.0.0.1:21"},
        {"proxy": "not a url"},
        {"proxy": 8080},
        {"trust_env": "yes"},
        {"proxy": "http://127.0.0.1:1", "transport": ScriptedAPI().transport},
    ],
)
def test_bad_network_settings_are_usage_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect(KEY, **kwargs)


def test_verify_false_needs_allow_insecure_http() -> None:
    client = vt_refs.connect(KEY, verify=False, allow_insecure_http=True)
    with client:
        pass


def test_a_bad_proxy_variable_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "ftp://proxy.example:21")
    with pytest.raises(vt_refs.UsageError, match="proxy"):
        vt_refs.connect(KEY)


# 10. Clear text -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://some.host/api/v3", "http://10.0.0.1/api/v3"])
def test_clear_text_to_another_host_needs_allow_insecure_http(url: str) -> None:
    with pytest.raises(vt_refs.UsageError, match="clear text"):
        vt_refs.connect(KEY, base_url=url)
    with vt_refs.connect(KEY, base_url=url, allow_insecure_http=True):
        pass


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8/api/v3", "http://localhost/api/v3", "http://[::1]:8/api/v3"]
)
def test_clear_text_to_this_machine_is_fine(url: str) -> None:
    with vt_refs.connect(KEY, base_url=url):
        pass


# 11. Closing, and event loops ---------------------------------------------------------


def _wait_until_no_connections(server: HostileServer) -> bool:
    ends = time.monotonic() + 5
    while time.monotonic() < ends:
        if not server.connections:
            return True
        threading.Event().wait(0.02)
    return False


def test_with_closes_both_halves() -> None:
    with HostileServer() as server:
        with _connect(server) as client:
            assert _walk(client) == IDS
            assert asyncio.run(_awalk(client)) == IDS
            assert server.connections, "connections are kept alive while the client is open"
        assert client.get_httpx_client().is_closed
        assert client.get_async_httpx_client().is_closed
        assert _wait_until_no_connections(server)


def test_async_with_closes_both_halves() -> None:
    with HostileServer() as server:
        client = _connect(server)

        async def run() -> None:
            async with client:
                assert _walk(client) == IDS
                assert await _awalk(client) == IDS

        asyncio.run(run())
        assert client.get_httpx_client().is_closed
        assert client.get_async_httpx_client().is_closed
        assert _wait_until_no_connections(server)


def test_a_closed_client_is_a_usage_error() -> None:
    with HostileServer() as server:
        with _connect(server) as client:
            pass
        with pytest.raises(vt_refs.UsageError, match="client is closed"):
            _walk(client)
        with pytest.raises(vt_refs.UsageError, match="client is closed"):
            asyncio.run(_awalk(client))
        with pytest.raises(vt_refs.UsageError, match="client is closed"):
            operation.sync(id="x", client=client)
    assert server.seen == []


def test_a_client_works_in_one_event_loop_after_another() -> None:
    with HostileServer() as server:
        client = _connect(server)

        async def run() -> list[str]:
            async with client:
                return await _awalk(client)

        assert asyncio.run(_awalk(client)) == IDS
        assert asyncio.run(_awalk(client)) == IDS  # a new loop: new connections
        assert asyncio.run(run()) == IDS  # `async with` closes the client at its end...
        assert asyncio.run(run()) == IDS  # ...and a new block opens it again, in a new loop
        with client:
            pass
        assert _wait_until_no_connections(server)


def test_a_loop_that_ends_closes_its_connections() -> None:
    with HostileServer() as server:
        client = _connect(server)
        assert asyncio.run(_awalk(client)) == IDS
        assert _wait_until_no_connections(server)
        with client:
            pass


# 6. Numbers that overflow -------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests_per_minute": 1e-300},
        {"timeout": 1e300},
        {"max_retry_wait": 1e300},
        {"max_retry_wait": -1},
        {"max_retry_wait": float("inf")},
        {"backoff_factor": 1e300},
        {"max_response_bytes": 0},
        {"max_response_bytes": 1.5},
        {"max_response_bytes": True},
    ],
)
def test_numbers_out_of_range_are_usage_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect(KEY, **kwargs)


def test_a_per_request_timeout_too_large_for_a_socket_is_clamped() -> None:
    with HostileServer() as server, _connect(server) as client:
        response = client.get_httpx_client().get("/urls/x/related_references", timeout=1e300)
    assert response.status_code == 200


def test_huge_but_valid_numbers_work(sleeps: list[float]) -> None:
    with (
        HostileServer(script=[status(503)]) as server,
        _connect(
            server, max_retries=10**30, requests_per_minute=1e9, max_response_bytes=10**30
        ) as client,
    ):
        assert _walk(client) == IDS


def test_nothing_from_the_transport_escapes_as_a_non_vt_error() -> None:
    """The same hostile answers through the generated operations raise httpx's errors
    (their documented contract), and through the helpers only VTError."""
    with HostileServer(default=cut_body()) as server, _connect(server) as client:
        with pytest.raises(vt_refs.VTError):
            _walk(client)
        with pytest.raises(httpx.RemoteProtocolError):
            operation.sync_detailed(id="x", client=client)
