"""`vt-refs` against the same hostile servers and proxy as the library (issue 10, point 12):
the size limit, the attempt deadline, retries of the body, the retry budget, proxies and
TLS, clear text and numbers out of range, each ending in one line and its exit status."""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import time

import pytest

import vt_refs

from support.cli import one_line
from support.forward_proxy import ForwardProxy
from support.hostile_server import (
    IDS,
    HostileServer,
    bomb,
    cut_body,
    drip,
    encoded,
    endless,
    stall_body,
    status,
)
from support.keys import KEY

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def run(
    server: HostileServer | None,
    *args: str,
    env: dict[str, str] | None = None,
    address_space: int | None = None,
) -> tuple[int, list[str], str, float]:
    """Exit status, stdout ids, stderr and wall seconds of one `vt-refs` run."""
    base = ["--base-url", server.base_url] if server is not None else []
    environment = {
        k: v for k, v in os.environ.items() if k.upper() not in (*PROXY_VARIABLES, "VT_API_KEY")
    }
    environment.update({"VT_API_KEY": KEY, "PYTHONIOENCODING": "utf-8", **(env or {})})

    def limit() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, resource.RLIM_INFINITY))

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "vt_refs.cli", *base, "--id", "x", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )
    elapsed = time.monotonic() - started
    assert "Traceback" not in done.stderr, done.stderr
    assert KEY not in done.stderr and KEY not in done.stdout
    ids = [json.loads(line)["id"] for line in done.stdout.splitlines()]
    return done.returncode, ids, done.stderr, elapsed


# Size


def test_max_response_bytes() -> None:
    with HostileServer(default=endless()) as server:
        code, ids, err, _ = run(server, "--max-response-bytes", "5000")
    assert (code, ids) == (5, [])
    assert "too large" in one_line(err) and "5000" in err
    assert len(server.seen) == 1


def test_a_bomb_under_a_capped_address_space() -> None:
    with HostileServer(default=encoded("gzip", bomb("gzip", 1024))) as server:
        code, _, err, _ = run(server, address_space=400 * 2**20)
    assert code == 5, err
    assert "too large" in one_line(err)


# Time


@pytest.mark.parametrize("where", ["headers", "body"])
def test_timeout_bounds_a_slow_drip(where: str) -> None:
    with HostileServer(default=drip(where, interval=0.2)) as server:
        code, _, err, elapsed = run(server, "--timeout", "1", "--max-retries", "0")
    assert code == 4
    assert "timed out" in one_line(err)
    assert elapsed < 4.0, elapsed  # 1 s + 1 s, and room for the interpreter to start


# Retries cover the body


def test_a_cut_or_stalled_body_is_retried() -> None:
    with HostileServer(script=[cut_body(), stall_body(1.3)]) as server:
        code, ids, err, _ = run(server, "--timeout", "1", "--max-retries", "3", "--page-size", "10")
    assert (code, ids) == (0, IDS), err
    assert [seen.query.get("cursor") for seen in server.seen] == [None, None, None, "10", "20"]


# The retry budget


def test_a_retry_after_past_the_budget_fails_at_once() -> None:
    quota = status(429, retry_after="100000", code_name="QuotaExceededError")
    with HostileServer(default=quota) as server:
        code, _, err, elapsed = run(server)
    assert code == 3
    assert "QuotaExceededError" in err
    assert elapsed < 10.0 and len(server.seen) == 1


def test_max_retry_wait_zero_still_retries_without_waiting() -> None:
    with HostileServer(script=[status(503), status(503)]) as server:
        code, ids, err, _ = run(server, "--max-retry-wait", "0")
    assert (code, ids) == (0, IDS), err


# Proxies and TLS


def test_proxy_and_ca_bundle(tls_server: HostileServer, ca_file: str, proxy: ForwardProxy) -> None:
    code, ids, err, _ = run(tls_server, "--proxy", proxy.url, "--ca-bundle", ca_file)
    assert (code, ids) == (0, IDS), err
    assert [p.method for p in proxy.passages] == ["CONNECT"]
    assert all(KEY.encode() not in p.tunnelled + p.head for p in proxy.passages)
    assert all(seen.headers["x-apikey"] == KEY for seen in tls_server.seen)


def test_the_proxy_variables_are_honoured(
    tls_server: HostileServer, ca_file: str, proxy: ForwardProxy
) -> None:
    code, ids, err, _ = run(tls_server, "--ca-bundle", ca_file, env={"https_proxy": proxy.url})
    assert (code, ids) == (0, IDS), err
    assert [p.method for p in proxy.passages] == ["CONNECT"]


def test_no_proxy_is_honoured(tls_server: HostileServer, ca_file: str, proxy: ForwardProxy) -> None:
    env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "localhost"}
    code, ids, err, _ = run(tls_server, "--ca-bundle", ca_file, env=env)
    assert (code, ids) == (0, IDS), err
    assert proxy.passages == []


def test_without_the_ca_bundle_tls_fails(tls_server: HostileServer) -> None:
    code, _, err, _ = run(tls_server, "--max-retries", "0")
    assert code == 4
    one_line(err)


# Clear text and numbers out of range: usage errors before anything is sent


@pytest.mark.parametrize(
    "args",
    [
        ("--base-url", "http://some.host/api/v3"),
        ("--timeout", "1e300"),
        ("--requests-per-minute", "1e-300"),
        ("--max-retry-wait", "1e300"),
        ("--max-response-bytes", "0"),
        ("--ca-bundle", "/nonexistent/ca.pem"),
        ("--proxy", "ftp://127.0.0.1:21"),
    ],
)
def test_usage_errors(args: tuple[str, ...]) -> None:
    code, _, err, _ = run(None, *args)
    assert code == 2
    one_line(err)


def test_long_waits_show_as_vt_refs_lines() -> None:
    """A warning of the library (a retry after a long wait) is one `vt-refs:` line; the
    quieter records stay out of the way."""
    from vt_refs._cli.errors import Reporter
    from vt_refs._cli.notices import warnings_to

    lines: list[str] = []
    logger = logging.getLogger("vt_refs")
    # The library redacts the keys of live clients from log records; the CLI relies on it.
    with (
        vt_refs.connect(KEY, base_url="http://127.0.0.1:9") as _client,
        warnings_to(Reporter(lines.append)),
    ):
        logger.warning("HTTP 429, retry 1 of 5 in %.1f s (%s)", 30.0, KEY)
        logger.info("HTTP 503, retry 1 of 5 in 0.4 s")
    logger.warning("after the run: not ours")
    assert lines == ["vt-refs: HTTP 429, retry 1 of 5 in 30.0 s (<redacted>)\n"]
