"""vt_refs.testing.FakeVirusTotal behaves like the API, driven by plain httpx."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import http.client
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from vt_refs._ids import url_id
from vt_refs.testing import (
    SEED_URL,
    SEED_URL_SHA256,
    DelayFault,
    DropFault,
    FailFault,
    FakeVirusTotal,
    MalformFault,
    RecordedRequest,
    RedirectFault,
)

from support.cli import stdout_lines
from support.fixtures import TLS, fake_http
from support.keys import KEY
from support.paths import ROOT

URL = url_id("https://example.com/login")
MD5 = "44d88612fea8a8f36de82e1278abb02f"
SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
ACTOR = "threat-actor--5e2f9a1b"
NOT_UTF8 = base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("=")
REFS = "related_references"
DESCRIPTORS = "relationships/related_references"


def _fetch(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, verify=TLS, timeout=5, **kwargs)


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal() as running:
        yield running


@pytest.fixture
def client(fake: FakeVirusTotal) -> Iterator[httpx.Client]:
    with fake_http(fake) as session:
        yield session


def _get(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _pages(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of `path`, following `meta.cursor` as a client does."""
    pages = [_get(client, path, **params)]
    while "cursor" in pages[-1]["meta"]:
        pages.append(_get(client, path, **params, cursor=pages[-1]["meta"]["cursor"]))
    return pages


def _error(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return response.status_code, body["error"]["code"], body["error"]["message"]


def _cursor(**fields: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()


# Lifecycle


def test_addresses_are_loopback_with_api_prefix(fake: FakeVirusTotal) -> None:
    assert fake.origin == f"http://127.0.0.1:{fake.port}"
    assert fake.base_url == fake.origin + "/api/v3"
    assert fake.port > 0
    assert repr(fake) == f"<FakeVirusTotal {fake.base_url}>"


def test_start_stop_restart_and_misuse() -> None:
    fake = FakeVirusTotal(api_key=KEY)
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.base_url
    fake.set_count(URL, 3)  # objects can be set up before start
    fake.stop()  # harmless before start
    assert fake.start() is fake
    with pytest.raises(RuntimeError, match="already running"):
        fake.start()
    first = fake.base_url
    headers = {"x-apikey": KEY}
    assert _fetch(f"{first}/urls/{URL}/{REFS}", headers=headers).json()["meta"]["count"] == 3
    fake.stop()
    fake.stop()
    assert repr(fake) == "<FakeVirusTotal stopped>"
    with pytest.raises(httpx.ConnectError):
        _fetch(f"{first}/urls/{URL}/{REFS}", headers=headers)
    with fake:
        body = _fetch(f"{fake.base_url}/urls/{URL}/{REFS}", headers=headers).json()
        assert body["meta"]["count"] == 3
        assert body["data"][0]["links"]["self"].startswith(fake.base_url + "/references/")


def test_stop_cuts_idle_keep_alive_connections_and_pending_delays() -> None:
    with (
        FakeVirusTotal() as fake,
        httpx.Client(headers={"x-apikey": fake.api_key}, verify=TLS) as session,
    ):
        url = f"{fake.base_url}/urls/{URL}/{REFS}"
        assert session.get(url).status_code == 200  # leaves a pooled connection open
        fake.delay_next(seconds=30)
        errors: list[Exception] = []

        def slow() -> None:
            try:
                httpx.get(url, headers={"x-apikey": fake.api_key}, timeout=10, verify=TLS)
            except httpx.TransportError as error:
                errors.append(error)

        waiter = threading.Thread(target=slow)
        waiter.start()
        deadline = time.monotonic() + 5
        while len(fake.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the delayed request has arrived
        assert fake.requests[-1].fault == DelayFault(30.0)
        started = time.monotonic()
        fake.stop()
        waiter.join(5)
        assert time.monotonic() - started < 2
        assert len(errors) == 1
        with pytest.raises(httpx.TransportError):
            session.get(url)


def test_fixed_port_is_reusable_at_once() -> None:
    with FakeVirusTotal() as first:
        port = first.port
    with FakeVirusTotal(port=port) as second:  # SO_REUSEADDR: no wait for TIME_WAIT
        assert second.base_url == f"http://127.0.0.1:{port}/api/v3"
        assert _fetch(f"{second.base_url}/urls/{URL}/{REFS}").status_code == 401


def test_keep_alive_and_content_length(fake: FakeVirusTotal) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    for _ in range(3):  # three requests, one connection
        connection.request("GET", f"/api/v3/urls/{URL}/{REFS}", headers={"x-apikey": "nope"})
        response = connection.getresponse()
        assert response.status == 401
        assert response.version == 11
        assert response.getheader("Content-Length") == str(len(response.read()))
        assert response.getheader("Connection") is None
    connection.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": -1}, "port must be in 0..65535"),
        ({"port": "80"}, "port must be an int"),
        ({"api_key": ""}, "api_key must be a non-empty str"),
        ({"api_key": "a b\n"}, "api_key must be printable ASCII"),
        ({"default_count": -1}, "default_count must be at least 0"),
        ({"max_limit": 0}, "max_limit must be at least 1"),
        ({"max_limit": True}, "max_limit must be an int"),
        ({"host": ""}, "host must be a non-empty str"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FakeVirusTotal(**kwargs)


# Pagination


@pytest.mark.parametrize("suffix", [REFS, DESCRIPTORS])
def test_pages_end_to_end(fake: FakeVirusTotal, client: httpx.Client, suffix: str) -> None:
    fake.set_count(URL, 25)
    path = f"/urls/{URL}/{suffix}"
    pages = _pages(client, path, limit=10)
    assert [len(p["data"]) for p in pages] == [10, 10, 5]
    assert all(p["meta"]["count"] == 25 for p in pages)
    assert "cursor" not in pages[-1]["meta"] and "next" not in pages[-1]["links"]
    ids = [item["id"] for page in pages for item in page["data"]]
    assert len(set(ids)) == 25
    assert ids == [item["id"] for item in _get(client, path, limit=40)["data"]]
    for page, following in itertools.pairwise(pages):
        cursor = quote(page["meta"]["cursor"], safe="")
        assert page["links"]["next"] == f"{fake.base_url}{path}?cursor={cursor}&limit=10"
        via_next = client.get(page["links"]["next"]).json()
        assert via_next["links"]["self"] == page["links"]["next"]
        assert (via_next["meta"], via_next["data"]) == (following["meta"], following["data"])


def test_links_self_is_the_request_url(fake: FakeVirusTotal, client: httpx.Client) -> None:
    page = _get(client, f"/urls/{URL}/{REFS}", limit=3, unknown="ignored")
    assert page["links"]["self"] == f"{fake.base_url}/urls/{URL}/{REFS}?limit=3&unknown=ignored"
    cursor = page["meta"]["cursor"]
    assert json.loads(base64.urlsafe_b64decode(cursor)) == {"limit": 3, "offset": 3}
    assert page["links"]["next"] == (
        f"{fake.base_url}/urls/{URL}/{REFS}?cursor={quote(cursor, safe='')}&limit=3"
    )


def test_default_limit_and_cursor_keeps_page_size(client: httpx.Client) -> None:
    first = _get(client, f"/files/{MD5}/{REFS}")
    assert len(first["data"]) == 10 and first["meta"]["count"] == 25
    second = _get(client, f"/files/{MD5}/{REFS}", cursor=_cursor(limit=7, offset=10))
    assert len(second["data"]) == 7  # no limit sent: the cursor's
    third = _get(client, f"/files/{MD5}/{REFS}", cursor=_cursor(limit=7, offset=10), limit=2)
    assert third["data"] == second["data"][:2]


def test_limit_is_clamped_to_max_limit(client: httpx.Client) -> None:
    for limit in ("41", "1000", "9" * 5000):
        assert len(_get(client, f"/files/{MD5}/{REFS}", limit=limit)["data"]) == 25
    with FakeVirusTotal(default_count=100, max_limit=40) as fake:
        url = f"{fake.base_url}/threat_actors/{ACTOR}/{REFS}"
        body = _fetch(url, params={"limit": 1000}, headers={"x-apikey": fake.api_key}).json()
        assert len(body["data"]) == 40
        assert json.loads(base64.urlsafe_b64decode(body["meta"]["cursor"]))["limit"] == 40
    with FakeVirusTotal(max_limit=3) as fake:
        url = f"{fake.base_url}/threat_actors/{ACTOR}/{REFS}"
        assert len(_fetch(url, headers={"x-apikey": fake.api_key}).json()["data"]) == 3


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "", " 5", "0x10", "\u0661"])
def test_bad_limit_is_400(client: httpx.Client, limit: str) -> None:
    status, code, _ = _error(client.get(f"/urls/{URL}/{REFS}", params={"limit": limit}))
    assert (status, code) == (400, "InvalidArgumentError")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24=",  # "not json"
        _cursor(limit=10, offset=-1),
        _cursor(limit=0, offset=0),
        _cursor(limit=10, offset=26),  # beyond count (25)
        _cursor(limit=10, offset="1"),
        _cursor(limit=10, offset=1, extra=True),
        _cursor(limit=10, offset=True),
        base64.urlsafe_b64encode(b"[" * 30000).decode(),  # nested too deep for json
        _cursor(limit=10, offset=3).rstrip("="),
    ],
)
def test_bad_cursor_is_400(client: httpx.Client, cursor: str) -> None:
    response = client.get(f"/urls/{URL}/{REFS}", params={"cursor": cursor})
    assert _error(response) == (400, "InvalidArgumentError", "Invalid cursor")


def test_cursor_at_count_is_an_empty_last_page(client: httpx.Client) -> None:
    page = _get(client, f"/urls/{URL}/{REFS}", cursor=_cursor(limit=10, offset=25))
    assert page["data"] == [] and page["meta"] == {"count": 25}


def test_seeds_own_cursor_is_accepted(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.set_count(SEED_URL_SHA256, 5)
    seed_cursor = "eyJsaW1pdCI6IDIsICJvZmZzZXQiOiAyfQ=="
    page = _get(client, f"/urls/{SEED_URL_SHA256}/{REFS}", cursor=seed_cursor, limit=2)
    assert len(page["data"]) == 2 and page["meta"]["count"] == 5


def test_ten_thousand_references_page_quickly(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.set_count(SHA256, 10_000, collection="files")
    started = time.monotonic()
    pages = _pages(client, f"/files/{SHA256}/{REFS}", limit=40)
    assert len(pages) == 250
    assert len({item["id"] for page in pages for item in page["data"]}) == 10_000
    assert time.monotonic() - started < 10  # ~0.5 s; a lost TCP_NODELAY makes it ~11 s


# Data


@pytest.mark.parametrize("object_id", [SEED_URL_SHA256, url_id(SEED_URL)])
def test_seed_references_under_both_ids(
    client: httpx.Client, seed_page: dict[str, Any], object_id: str
) -> None:
    page = _get(client, f"/urls/{object_id}/{REFS}")
    assert page["data"] == seed_page["data"]
    assert page["meta"] == {"count": 2}
    assert "β" in page["data"][1]["attributes"]["title"]
    descriptors = _get(client, f"/urls/{object_id}/{DESCRIPTORS}")["data"]
    assert descriptors == [
        {"type": r["type"], "id": r["id"], "context_attributes": r["context_attributes"]}
        for r in seed_page["data"]
    ]


def test_generated_references_are_deterministic_and_realistic(client: httpx.Client) -> None:
    with FakeVirusTotal() as other:
        theirs = _fetch(
            f"{other.base_url}/files/{MD5}/{REFS}", headers={"x-apikey": other.api_key}
        ).json()
    ours = _get(client, f"/files/{MD5}/{REFS}")
    assert [r["id"] for r in ours["data"]] == [r["id"] for r in theirs["data"]]
    assert [r["attributes"] for r in ours["data"]] == [r["attributes"] for r in theirs["data"]]
    reference = ours["data"][0]
    assert reference["id"] == hashlib.sha256(f"files/{MD5}/0".encode()).hexdigest()
    assert reference["type"] == "reference"
    assert reference["links"]["self"] == f"{client.base_url}references/{reference['id']}"
    attributes = reference["attributes"]
    assert {"title", "author", "url", "creation_date", "tags", "description"} <= set(attributes)
    assert attributes["last_modification_date"] >= attributes["creation_date"] >= 1420070400
    related = reference["context_attributes"]["related_from"]
    assert related[0]["type"] == "collection" and related[0]["attributes"]["name"]
    other_ids = {r["id"] for r in _get(client, f"/files/{SHA256}/{REFS}")["data"]}
    assert other_ids.isdisjoint(r["id"] for r in ours["data"])


def test_url_id_and_sha256_forms_name_one_object(
    fake: FakeVirusTotal, client: httpx.Client
) -> None:
    url = "https://example.com/login"
    fake.set_count(url_id(url), 4)
    by_sha = _get(client, f"/urls/{hashlib.sha256(url.encode()).hexdigest()}/{REFS}")
    assert by_sha["data"] == _get(client, f"/urls/{url_id(url)}/{REFS}")["data"]
    assert by_sha["meta"]["count"] == 4


def test_file_hashes_are_case_insensitive(client: httpx.Client) -> None:
    lower = _get(client, f"/files/{MD5}/{DESCRIPTORS}")["data"]
    assert _get(client, f"/files/{MD5.upper()}/{DESCRIPTORS}")["data"] == lower


def test_add_references_appends_and_copies(fake: FakeVirusTotal, client: httpx.Client) -> None:
    added: dict[str, Any] = {
        "type": "reference",
        "id": "f" * 64,
        "attributes": {"title": "Mine", "extra": [1]},
    }
    fake.set_count(ACTOR, 1, collection="threat_actors")
    fake.add_references(ACTOR, [added], collection="threat_actors")
    added["attributes"]["title"] = "changed later"
    page = _get(client, f"/threat_actors/{ACTOR}/{REFS}")
    assert page["meta"]["count"] == 2
    assert page["data"][1] == {**added, "attributes": {"title": "Mine", "extra": [1]}}
    assert _get(client, f"/threat_actors/{ACTOR}/{DESCRIPTORS}")["data"][1] == {
        "type": "reference",
        "id": "f" * 64,
    }
    fake.add_references(SEED_URL_SHA256, [{"type": "reference", "id": "e" * 64}])
    assert _get(client, f"/urls/{url_id(SEED_URL)}/{REFS}")["meta"]["count"] == 3


@pytest.mark.parametrize(
    ("references", "message"),
    [
        ([["not", "a", "mapping"]], r"references\[0\] must be a mapping"),
        ([{"type": "reference"}], r"references\[0\] needs str 'type' and 'id'"),
        ([{"type": "reference", "id": "x", "bad": object()}], "not JSON-serialisable"),
        ([{"type": "reference", "id": "x", "bad": float("nan")}], "not JSON-serialisable"),
    ],
)
def test_add_references_rejects_bad_references(
    fake: FakeVirusTotal, references: list[Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fake.add_references(URL, references)


def test_set_count(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.set_count(URL, 0)
    assert _get(client, f"/urls/{URL}/{REFS}") == {
        "meta": {"count": 0},
        "data": [],
        "links": {"self": f"{fake.base_url}/urls/{URL}/{REFS}"},
    }
    fake.set_count(SEED_URL_SHA256, 3)
    page = _get(client, f"/urls/{SEED_URL_SHA256}/{REFS}")
    assert page["meta"]["count"] == 3
    assert page["data"][0]["id"].startswith("0082e682") and page["data"][1]["id"].startswith("00c5")
    assert page["data"][2]["links"]["self"].startswith(fake.base_url)
    fake.set_count(MD5, 7, collection="files")
    assert _get(client, f"/files/{MD5}/{REFS}")["meta"]["count"] == 7
    assert _get(client, f"/files/{SHA256}/{REFS}")["meta"]["count"] == 25


def test_remove_object(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.remove_object(ACTOR, collection="threat_actors")
    for suffix in (REFS, DESCRIPTORS):
        status, code, message = _error(client.get(f"/threat_actors/{ACTOR}/{suffix}"))
        assert (status, code, message) == (
            404,
            "NotFoundError",
            f'Threat actor "{ACTOR}" not found',
        )
    fake.set_count(ACTOR, 2, collection="threat_actors")
    assert _get(client, f"/threat_actors/{ACTOR}/{REFS}")["meta"]["count"] == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.set_count("not hex", 1, collection="files"), "not a well-formed id in files"),
        (lambda f: f.set_count(URL, 1, collection="emails"), "collection must be one of"),
        (lambda f: f.set_count(URL, -1), "n must be at least 0"),
        (lambda f: f.remove_object("a/b", collection="threat_actors"), "not a well-formed"),
        (lambda f: f.fail_next(0), "n must be at least 1"),
        (lambda f: f.fail_next(status=200), "status must be in 400..599"),
        (lambda f: f.fail_next(code=""), "code must be a non-empty str or None"),
        (lambda f: f.fail_next(retry_after="1\r\nX: y"), "retry_after must be printable"),
        (lambda f: f.delay_next(seconds=-1), "seconds must be a finite number"),
        (lambda f: f.malform_next(body="text"), "body must be bytes"),
        (lambda f: f.redirect_next(status=200), "status must be one of"),
        (lambda f: f.chaos(1.5, 0), "rate must be a number in 0..1"),
        (lambda f: f.chaos(0.5, "seed"), "seed must be an int"),
        (lambda f: f.chaos(0.5, 0, kinds=()), "kinds must be a non-empty choice"),
        (lambda f: f.chaos(0.5, 0, kinds=("explode",)), "kinds must be a non-empty choice"),
    ],
)
def test_bad_method_arguments(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(FakeVirusTotal())


# Authentication, unknown objects and paths, methods


def test_missing_and_wrong_api_key(fake: FakeVirusTotal) -> None:
    url = f"{fake.base_url}/urls/{URL}/{REFS}"
    assert _error(_fetch(url)) == (
        401,
        "AuthenticationRequiredError",
        "X-Apikey header is missing",
    )
    assert _error(_fetch(url, headers={"x-apikey": "wrong"}))[:2] == (
        401,
        "WrongCredentialsError",
    )
    assert _error(_fetch(url, headers={"x-apikey": ""}))[1] == "WrongCredentialsError"
    assert _fetch(url, headers={"X-APIKEY": fake.api_key}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/urls/{'A' * 64}/{REFS}",  # neither lowercase hex nor base64 of UTF-8
        f"/urls/{url_id('https://example.com/')}=/{REFS}",  # padded
        f"/urls/{NOT_UTF8}/{REFS}",
        "/urls/QR/related_references",  # not what url_id would produce
        f"/urls/{'a' * 63}/{DESCRIPTORS}",  # is base64 of non-UTF-8 bytes
        f"/files/{'a' * 33}/{REFS}",
        f"/files/{'g' * 32}/{DESCRIPTORS}",
        f"/threat_actors/{'a' * 201}/{REFS}",
        f"/threat_actors/bad%20id/{REFS}",
        f"/domains/example.com./{REFS}",  # trailing dot
        f"/domains/-example.com/{REFS}",
        f"/domains/exa%20mple.com/{DESCRIPTORS}",
        f"/domains/{'a' * 64}.com/{REFS}",  # a label longer than 63
        f"/domains/b%C3%BCcher.de/{REFS}",  # not punycode
        f"/domains/192.0.2.1/{REFS}",  # an IP address, not a domain
        f"/domains/https%3A%2F%2Fexample.com/{REFS}",
        f"/ip_addresses/256.0.0.1/{REFS}",
        f"/ip_addresses/192.0.2.01/{REFS}",  # leading zeros are ambiguous
        f"/ip_addresses/example.com/{DESCRIPTORS}",
        f"/ip_addresses/fe80::1%25eth0/{REFS}",  # scoped
        f"/ip_addresses/2001:db8::1::2/{REFS}",
    ],
)
def test_malformed_ids_are_404(client: httpx.Client, path: str) -> None:
    assert _error(client.get(path))[:2] == (404, "NotFoundError")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/urls",
        f"/urls/{URL}",
        f"/urls/{URL}/{REFS}/",
        f"/urls/{URL}/related_reports",
        f"/domains/example.com/{REFS}/x",
        f"/ip_addresses/{REFS}",
        f"/urls//{REFS}",
        f"/references/{'a' * 64}",
    ],
)
def test_unknown_paths_are_404(client: httpx.Client, path: str) -> None:
    assert _error(client.get(path))[:2] == (404, "NotFoundError")


def test_paths_outside_the_api_are_404(fake: FakeVirusTotal, client: httpx.Client) -> None:
    assert _error(client.get(f"{fake.origin}/urls/{URL}/{REFS}"))[:2] == (404, "NotFoundError")


def test_threat_actor_ids_may_be_percent_encoded(client: httpx.Client) -> None:
    page = _get(client, f"/threat_actors/{ACTOR.replace('-', '%2D')}/{REFS}")
    assert page["data"] == _get(client, f"/threat_actors/{ACTOR}/{REFS}")["data"]


@pytest.mark.parametrize(
    ("collection", "spellings"),
    [
        ("domains", ["example.com", "EXAMPLE.com", "Example.Com"]),
        ("domains", ["xn--bcher-kva.de", "XN--BCHER-KVA.DE"]),
        ("domains", ["_dmarc.example.com"]),
        ("ip_addresses", ["2001:db8::1", "2001:DB8:0:0::1", "2001%3Adb8%3A%3A1"]),
        ("ip_addresses", ["192.0.2.1"]),
    ],
)
def test_domains_and_ip_addresses_name_one_object_in_every_spelling(
    fake: FakeVirusTotal, client: httpx.Client, collection: str, spellings: list[str]
) -> None:
    fake.set_count(spellings[0], 3, collection=collection)
    for spelling in spellings:
        for suffix in (REFS, DESCRIPTORS):
            page = _get(client, f"/{collection}/{spelling}/{suffix}")
            assert page["meta"]["count"] == 3, spelling
    fake.remove_object(spellings[-1].replace("%3A", ":"), collection=collection)
    status, code, message = _error(client.get(f"/{collection}/{spellings[0]}/{REFS}"))
    assert (status, code) == (404, "NotFoundError")
    noun = {"domains": "Domain", "ip_addresses": "IP address"}[collection]
    assert message == f'{noun} "{spellings[0]}" not found'


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, f"/urls/{URL}/{REFS}", content=b'{"x": 1}')
    assert _error(response)[:2] == (405, "MethodNotAllowedError")
    assert response.headers["allow"] == "GET"
    assert client.get(f"/urls/{URL}/{REFS}").status_code == 200  # the connection still works


def test_head_is_405_without_a_body(client: httpx.Client) -> None:
    response = client.head(f"/urls/{URL}/{REFS}")
    assert response.status_code == 405 and response.content == b""
    assert int(response.headers["content-length"]) > 0
    assert client.get(f"/urls/{URL}/{REFS}").status_code == 200


# Faults


def test_fail_next_default_is_one_transient_error(
    fake: FakeVirusTotal, client: httpx.Client
) -> None:
    fake.fail_next()
    assert _error(client.get(f"/urls/{URL}/{REFS}")) == (
        503,
        "TransientError",
        "TransientError injected by FakeVirusTotal",
    )
    assert client.get(f"/urls/{URL}/{REFS}").status_code == 200


def test_fail_next_quota_with_and_without_retry_after(
    fake: FakeVirusTotal, client: httpx.Client
) -> None:
    fake.fail_next(status=429, code="QuotaExceededError", message="Quota", retry_after="7")
    fake.fail_next(status=429, code="QuotaExceededError")
    first, second = client.get("/anything"), client.get("/anything")
    assert _error(first) == (429, "QuotaExceededError", "Quota")
    assert first.headers["retry-after"] == "7"
    assert _error(second)[:2] == (429, "QuotaExceededError")
    assert "retry-after" not in second.headers


def test_faults_are_consumed_in_order(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.fail_next(2, status=504, code="DeadlineExceededError")
    fake.fail_next(status=503)
    statuses = [client.get(f"/urls/{URL}/{REFS}").status_code for _ in range(4)]
    assert statuses == [504, 504, 503, 200]


@pytest.mark.parametrize("status", [500, 502, 520])
def test_fail_next_without_code_sends_html(
    fake: FakeVirusTotal, client: httpx.Client, status: int
) -> None:
    fake.fail_next(status=status, code=None, message="upstream <gone>")
    response = client.get(f"/urls/{URL}/{REFS}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<html>") and "upstream &lt;gone&gt;" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_drop_next_closes_without_response(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.drop_next(2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"/urls/{URL}/{REFS}")
    assert client.get(f"/urls/{URL}/{REFS}").status_code == 200
    assert [r.fault for r in fake.requests] == [DropFault(), DropFault(), None]


def test_delay_next_answers_late(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.delay_next(seconds=0.2)
    started = time.monotonic()
    assert client.get(f"/urls/{URL}/{REFS}").status_code == 200
    assert time.monotonic() - started >= 0.2
    fake.delay_next(seconds=0.3)
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"/urls/{URL}/{REFS}", timeout=0.05)
    assert fake.requests[-1].fault == DelayFault(0.3)


def test_malform_next(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.malform_next()
    fake.malform_next(body=b"<oops>", status=502, content_type="text/plain")
    first, second = client.get(f"/urls/{URL}/{REFS}"), client.get(f"/urls/{URL}/{REFS}")
    assert (first.status_code, first.content) == (200, b'{"data": [')
    assert first.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        first.json()
    assert (second.status_code, second.content, second.headers["content-type"]) == (
        502,
        b"<oops>",
        "text/plain",
    )


def test_redirect_next(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.redirect_next(location="http://127.0.0.1:9/elsewhere", status=302)
    fake.redirect_next()
    first = client.get(f"/urls/{URL}/{REFS}")
    assert (first.status_code, first.headers["location"]) == (302, "http://127.0.0.1:9/elsewhere")
    second = client.get(f"/urls/{URL}/{REFS}", params={"limit": 2})
    assert second.status_code == 307
    assert second.headers["location"] == f"{fake.base_url}/urls/{URL}/{REFS}?limit=2"
    assert fake.requests[-1].fault == RedirectFault(None, 307)


def test_clear_faults(fake: FakeVirusTotal, client: httpx.Client) -> None:
    fake.fail_next(3)
    fake.chaos(1.0, seed=1)
    fake.clear_faults()
    assert client.get(f"/urls/{URL}/{REFS}").status_code == 200


def test_faults_are_taken_once_under_concurrency(
    fake: FakeVirusTotal, client: httpx.Client
) -> None:
    fake.fail_next(5)
    statuses: list[int] = []

    def hit() -> None:
        statuses.append(client.get(f"/urls/{URL}/{REFS}").status_code)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(statuses) == [200] * 15 + [503] * 5


def _chaos_run(seed: int, kinds: tuple[Any, ...] = ("fail", "malform", "redirect")) -> list[Any]:
    with (
        FakeVirusTotal() as fake,
        httpx.Client(headers={"x-apikey": fake.api_key}, verify=TLS) as session,
    ):
        fake.chaos(0.5, seed, kinds)
        for _ in range(30):
            with contextlib.suppress(httpx.TransportError):
                session.get(f"{fake.base_url}/urls/{URL}/{REFS}")
        return [r.fault for r in fake.requests]


def test_chaos_is_deterministic_per_seed() -> None:
    first, again, other = _chaos_run(7), _chaos_run(7), _chaos_run(8)
    assert first == again
    assert first != other
    assert 5 < sum(f is not None for f in first) < 25
    kinds = {f.kind for f in first if f is not None}
    assert kinds == {"fail", "malform", "redirect"}
    statuses = {f.status for f in first if isinstance(f, FailFault)}
    assert statuses <= {429, 503, 504}


def test_chaos_default_kinds_are_retryable_and_queued_faults_come_first() -> None:
    with (
        FakeVirusTotal() as fake,
        httpx.Client(headers={"x-apikey": fake.api_key}, verify=TLS) as session,
    ):
        fake.chaos(1.0, seed=3, delay=0.01)
        fake.malform_next()
        for _ in range(12):
            with contextlib.suppress(httpx.TransportError):
                session.get(f"{fake.base_url}/urls/{URL}/{REFS}")
        fake.chaos(0, seed=3)  # rate 0 turns it off
        assert session.get(f"{fake.base_url}/urls/{URL}/{REFS}").status_code == 200
        faults = [r.fault for r in fake.requests]
    assert isinstance(faults[0], MalformFault)
    assert all(f is not None and f.kind in {"fail", "drop", "delay"} for f in faults[1:-1])
    assert faults[-1] is None


# Recording


def test_requests_are_recorded(fake: FakeVirusTotal, client: httpx.Client) -> None:
    client.get(f"/urls/{URL}/{REFS}", params={"limit": "2", "x": "1"}, headers={"X-Trace": "t"})
    _fetch(f"{fake.base_url}/files/{MD5}/{DESCRIPTORS}")
    first, second = fake.requests
    assert isinstance(first, RecordedRequest)
    assert (first.method, first.path, first.query) == (
        "GET",
        f"/api/v3/urls/{URL}/{REFS}",
        {"limit": "2", "x": "1"},
    )
    assert first.target == f"/api/v3/urls/{URL}/{REFS}?limit=2&x=1"
    assert first.headers["x-apikey"] == fake.api_key and first.headers["x-trace"] == "t"
    assert first.fault is None
    assert "x-apikey" not in second.headers
    records = fake.requests
    records.clear()  # a copy
    assert len(fake.requests) == 2
    fake.clear_requests()
    assert fake.requests == []


def test_recording_can_be_turned_off() -> None:
    with FakeVirusTotal(record_requests=False) as fake:
        fake.fail_next()
        assert _fetch(f"{fake.base_url}/urls/{URL}/{REFS}").status_code == 503
        assert fake.requests == []


# Async clients and the process entry point


def test_async_client_pages_concurrently(fake: FakeVirusTotal) -> None:
    fake.set_count(SHA256, 100, collection="files")

    async def fetch_all() -> list[dict[str, Any]]:
        headers = {"x-apikey": fake.api_key}
        async with httpx.AsyncClient(
            base_url=fake.base_url, headers=headers, verify=TLS
        ) as session:
            cursors = [_cursor(limit=20, offset=offset) for offset in range(0, 100, 20)]
            responses = await asyncio.gather(
                *(session.get(f"/files/{SHA256}/{REFS}", params={"cursor": c}) for c in cursors)
            )
        return [response.json() for response in responses]

    pages = asyncio.run(fetch_all())
    ids = [item["id"] for page in pages for item in page["data"]]
    assert len(set(ids)) == 100
    assert "cursor" not in pages[-1]["meta"]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_runs_as_a_process(stop_signal: signal.Signals) -> None:
    command = [sys.executable, "-m", "vt_refs.testing", "--port", "0", "--api-key", KEY]
    process = subprocess.Popen(
        [*command, "--count", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = stdout_lines(process)
        base_url = lines.get(timeout=15).removeprefix("base_url=")
        assert lines.get(timeout=5) == f"api_key={KEY}"
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v3")
        page = _fetch(f"{base_url}/urls/{URL}/{REFS}", headers={"x-apikey": KEY}).json()
        assert page["meta"]["count"] == 3
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.communicate(timeout=10)


def test_process_rejects_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vt_refs.testing", "--count", "-1"],
        capture_output=True,
        text=True,
        timeout=15,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "default_count must be at least 0" in done.stderr
