"""The fake as issue 18 needs it: gzip only for a "gzip" User-Agent, a quota per key that
scales for tests, latency, `/users/{id}/overall_quotas`, and the same from the command
line; and the SDK's side of it: the User-Agent and headers every request carries."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

import vt_refs
from vt_refs.testing import DEFAULT_USER, FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.cli import stdout_lines
from support.fixtures import TLS
from support.keys import KEY, own_key

OBJECT = "e" * 64
PAGE = f"/urls/{OBJECT}/related_references"
QUOTAS = f"/users/{DEFAULT_USER}/overall_quotas"
AGENT = re.compile(r"vt-refs/[0-9][^ ]* \(python-httpx/[0-9.]+\); gzip\Z")


def _raw(fake: FakeVirusTotal, **headers: str) -> httpx.Client:
    """A plain client that does not decode bodies, so what the fake sent can be seen."""
    sent = {"x-apikey": fake.api_key, "accept-encoding": "gzip", **headers}
    return httpx.Client(base_url=fake.base_url, headers=sent, timeout=5, verify=TLS)


def _body(response: httpx.Response) -> Any:
    """The JSON of a streamed response (read raw) or of a read one (httpx decoded it)."""
    if response.is_stream_consumed:
        return response.json()
    raw = b"".join(response.iter_raw())
    if response.headers.get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


# gzip


def _fetch(fake: FakeVirusTotal, **headers: str) -> tuple[dict[str, str], bytes]:
    """The headers and raw (undecoded) body of a 40-item page."""
    with _raw(fake, **headers) as http, http.stream("GET", PAGE, params={"limit": 40}) as got:
        return dict(got.headers), b"".join(got.iter_raw())


def test_only_a_gzip_user_agent_gets_a_compressed_body() -> None:
    with FakeVirusTotal(default_count=40) as fake:
        plain_headers, plain = _fetch(fake, **{"user-agent": "python-httpx/0.28"})
        assert "content-encoding" not in plain_headers
        packed_headers, packed = _fetch(fake, **{"user-agent": "my-tool/1.0; gzip"})
        assert packed_headers["content-encoding"] == "gzip"
        assert len(packed) < 0.35 * len(plain)
        assert json.loads(gzip.decompress(packed)) == json.loads(plain)
        # The User-Agent alone is not enough: the client must offer gzip too.
        headers, _ = _fetch(fake, **{"user-agent": "x; gzip", "accept-encoding": "identity"})
        assert "content-encoding" not in headers


def test_every_request_of_the_sdk_asks_for_gzip_and_gets_it() -> None:
    with FakeVirusTotal(default_count=120) as fake:
        with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            pages = list(
                vt_refs.iter_pages(get_url_related_references, client, id=OBJECT, page_size=40)
            )
            stats = client.stats
        assert sum(len(p.data) for p in pages) == 120
        for request in fake.requests:
            assert AGENT.fullmatch(request.headers["user-agent"])
            assert "gzip" in request.headers["accept-encoding"]
        assert stats.bytes_received == fake.bytes_sent
        with _raw(fake, **{"user-agent": "plain"}) as http:
            before = fake.bytes_sent
            for cursor in (None, "eyJsaW1pdCI6IDQwLCAib2Zmc2V0IjogNDB9"):
                params = {"limit": 40} | ({} if cursor is None else {"cursor": cursor})
                http.get(PAGE, params=params)
            plain = fake.bytes_sent - before
    assert stats.bytes_received < 0.35 * plain * 3 / 2  # 3 pages against 2 uncompressed


def test_a_gzip_bomb_stops_at_max_response_bytes() -> None:
    bomb = b'{"data": [' + b" " * (24 * 2**20) + b"]}"
    with FakeVirusTotal() as fake:
        fake.malform_next(body=bomb)
        limit = 2**20
        with vt_refs.connect(fake.api_key, base_url=fake.base_url, max_response_bytes=limit) as c:
            with pytest.raises(vt_refs.ResponseTooLargeError):
                list(vt_refs.iter_pages(get_url_related_references, c, id=OBJECT))
            # What came over the wire was the compressed bomb, a few KiB of it at most.
            assert c.stats.bytes_received < 200 * 1024


# The User-Agent and headers= of connect()


def test_an_integration_names_itself_and_adds_its_headers() -> None:
    with FakeVirusTotal() as fake:
        with vt_refs.connect(
            fake.api_key,
            base_url=fake.base_url,
            user_agent="MyTool/2.1",
            headers={"X-Tool": "MyTool"},
        ) as client:
            list(vt_refs.iter_pages(get_url_related_references, client, id=OBJECT))
        (request, *_) = fake.requests
    agent = request.headers["user-agent"]
    assert agent.startswith("MyTool/2.1 vt-refs/") and AGENT.search(agent)
    assert request.headers["x-tool"] == "MyTool"
    assert request.headers["x-apikey"] == fake.api_key


@pytest.mark.parametrize("name", ["x-apikey", "X-APIKEY", "X-ApiKey"])
def test_the_key_header_in_headers_is_a_usage_error(name: str) -> None:
    with pytest.raises(vt_refs.UsageError, match="api_key="):
        vt_refs.connect(KEY, headers={name: "anything"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"headers": {"x-tool": KEY}}, "must not carry the API key"),
        ({"user_agent": f"tool/{KEY}"}, "must not carry the API key"),
        ({"headers": {"User-Agent": "x"}}, "user_agent="),
        ({"headers": {"accept-encoding": "identity"}}, "Accept-Encoding"),
        ({"headers": {"bad name": "x"}}, "not a valid header name"),
        ({"headers": {"x-tool": "a\r\nb"}}, "printable ASCII"),
        ({"headers": ["x-tool"]}, "mapping"),
        ({"user_agent": ""}, "printable ASCII"),
        ({"user_agent": 3}, "must be a str"),
    ],
)
def test_bad_headers_and_user_agents_are_usage_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(vt_refs.UsageError, match=message) as caught:
        vt_refs.connect(KEY, **kwargs)
    assert KEY not in str(caught.value)


# The quota, latency, overall_quotas


def test_a_scaled_public_quota_is_4_per_2_seconds_per_key() -> None:
    fake = FakeVirusTotal(quota=vt_refs.Quota.public(), quota_scale=1 / 30)
    with fake, _raw(fake) as http:
        statuses = [http.get(PAGE).status_code for _ in range(5)]
        assert statuses == [200] * 4 + [429]
        other = http.get(PAGE, headers={"x-apikey": "another-key"})
        assert other.status_code == 401  # refused as a wrong key, after the quota let it in
        time.sleep(2.05)
        assert http.get(PAGE).status_code == 200
        assert fake.quota_rejected == 1


def test_latency_delays_every_answer() -> None:
    fake = FakeVirusTotal(latency=0.2)
    with fake, _raw(fake) as http:
        started = time.monotonic()
        http.get(PAGE)
        assert time.monotonic() - started >= 0.2


def test_overall_quotas_report_allowed_and_used_and_spend_nothing() -> None:
    fake = FakeVirusTotal(quota=vt_refs.Quota.public(), quota_scale=1 / 30)
    with fake, _raw(fake) as http:
        for _ in range(3):
            http.get(PAGE)
        for _ in range(6):  # reading the quotas spends none of it
            answer = http.get(QUOTAS)
            assert answer.status_code == 200
        data = _body(answer)["data"]
        assert data["api_requests_hourly"] == {"user": {"allowed": 240, "used": 3}}
        assert data["api_requests_daily"] == {"user": {"allowed": 500, "used": 3}}
        assert data["api_requests_monthly"] == {"user": {"allowed": 15500, "used": 3}}
        assert "intelligence_searches_monthly" in data  # quotas the SDK does not describe
        assert http.get(PAGE).status_code == 200  # the 4th of the window: still admitted
        missing = http.get("/users/someone-else/overall_quotas")
        assert missing.status_code == 404 and _body(missing)["error"]["code"] == "NotFoundError"
        assert http.get(QUOTAS, headers={"x-apikey": "wrong"}).status_code == 401


def test_overall_quotas_without_a_quota_count_what_was_served() -> None:
    fake = FakeVirusTotal(user="jane", api_key=own_key("users"))
    with fake, _raw(fake) as http:
        http.get(PAGE)
        data = _body(http.get("/users/jane/overall_quotas"))["data"]
    assert data["api_requests_daily"]["user"]["used"] == 1


def test_the_command_line_fake_takes_quota_scale_latency_and_user() -> None:
    command = [sys.executable, "-m", "vt_refs.testing", "--port", "0", "--api-key", KEY,
               "--quota", "public", "--quota-scale", "0.0333", "--latency", "0.05",
               "--user", "jane"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = stdout_lines(process).get(timeout=15).removeprefix("base_url=")
        headers = {"x-apikey": KEY}
        with httpx.Client(base_url=base_url, headers=headers, timeout=5, verify=TLS) as http:
            started = time.monotonic()
            statuses = [http.get(PAGE).status_code for _ in range(5)]
            assert time.monotonic() - started >= 4 * 0.05
            assert statuses == [200] * 4 + [429]
            used = http.get("/users/jane/overall_quotas").json()["data"]
            assert used["api_requests_daily"]["user"] == {"allowed": 500, "used": 4}
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.communicate(timeout=10)
