"""Every kind of response FakeVirusTotal serves conforms to openapi.yaml.

Bodies are validated with jsonschema against the operation's own response schema, looked
up in the spec by path template and status, with the spec's components as the referencing
registry; so a change to either the spec or the fake that makes them disagree fails here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from vt_refs._ids import url_id
from vt_refs.testing import SEED_URL_SHA256, FakeVirusTotal

from support.fixtures import TLS, fake_http
from support.spec_strategies import resolve_ref

SPEC_URI = "urn:vt-refs:openapi.yaml"
SAMPLE_IDS = {
    "urls": url_id("https://example.com/login"),
    "files": "44d88612fea8a8f36de82e1278abb02f",
    "domains": "example.com",
    "ip_addresses": "2001:db8::1",
    "threat_actors": "threat-actor--5e2f9a1b",
    "users": "jane_analyst",
}
COUNT = 25  # three pages of 10: first, middle, last


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry[Any]:
    """openapi.yaml as one resource, so `#/components/...` references resolve inside it."""
    resource: Resource[Any] = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(default_count=COUNT) as running:
        yield running


@pytest.fixture
def client(fake: FakeVirusTotal) -> Iterator[httpx.Client]:
    with fake_http(fake) as http:
        yield http


def _declared(spec: dict[str, Any], template: str, status: int) -> dict[str, Any]:
    """The response openapi.yaml declares for GET `template` with `status`."""
    responses = spec["paths"][template]["get"]["responses"]
    assert str(status) in responses, f"{template} does not declare {status}"
    return resolve_ref(spec, responses[str(status)])


def _validate(registry: Registry[Any], schema: dict[str, Any], body: Any) -> None:
    assert set(schema) == {"$ref"} and schema["$ref"].startswith("#/components/schemas/")
    validator = Draft202012Validator({"$ref": SPEC_URI + schema["$ref"]}, registry=registry)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


def _conforms(
    spec: dict[str, Any], registry: Registry[Any], template: str, response: httpx.Response
) -> dict[str, Any]:
    """Check `response` against its declared response; return its body."""
    declared = _declared(spec, template, response.status_code)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    body: dict[str, Any] = response.json()
    _validate(registry, declared["content"]["application/json"]["schema"], body)
    if "headers" in declared:  # e.g. Retry-After on 429, when sent, is a string
        for name in set(declared["headers"]) & set(response.headers):
            assert isinstance(response.headers[name], str)
    if response.status_code >= 400:
        code = body["error"]["code"]
        assert code in declared["description"], f"{code} not documented for {template}"
    return body


def _pages(spec: dict[str, Any]) -> list[str]:
    """The path templates of relationship pages: those taking `limit` (and `cursor`)."""
    limit = {"$ref": "#/components/parameters/Limit"}
    return [t for t, item in spec["paths"].items() if limit in item["get"]["parameters"]]


def _path(template: str, object_id: str | None = None) -> str:
    collection = template.split("/")[1]
    return template.replace("{id}", object_id or SAMPLE_IDS[collection])


def _cursor(limit: int, offset: int) -> str:
    return base64.urlsafe_b64encode(
        json.dumps({"limit": limit, "offset": offset}).encode()
    ).decode()


def test_the_fake_serves_exactly_the_spec_paths(spec: dict[str, Any]) -> None:
    assert set(spec["paths"]) == FakeVirusTotal.PATHS
    assert {template.split("/")[1] for template in spec["paths"]} == set(SAMPLE_IDS)
    assert all(set(item) == {"get"} for item in spec["paths"].values())


def test_default_page_size_is_the_specs(spec: dict[str, Any], client: httpx.Client) -> None:
    default = spec["components"]["parameters"]["Limit"]["schema"]["default"]
    for template in _pages(spec):
        assert len(client.get(_path(template)).json()["data"]) == default


@pytest.mark.parametrize(("position", "offset"), [("first", None), ("middle", 10), ("last", 20)])
def test_pages_conform(
    spec: dict[str, Any],
    registry: Registry[Any],
    client: httpx.Client,
    position: str,
    offset: int | None,
) -> None:
    for template in _pages(spec):
        params: dict[str, Any] = {"limit": 10}
        if offset is not None:
            params["cursor"] = _cursor(10, offset)
        body = _conforms(spec, registry, template, client.get(_path(template), params=params))
        assert len(body["data"]) == (5 if position == "last" else 10)
        assert body["meta"]["count"] == COUNT
        assert ("cursor" in body["meta"]) is ("next" in body["links"]) is (position != "last")


def test_seed_empty_and_added_pages_conform(
    spec: dict[str, Any], registry: Registry[Any], fake: FakeVirusTotal, client: httpx.Client
) -> None:
    fake.set_count(SAMPLE_IDS["files"], 0, collection="files")
    fake.add_references(
        SAMPLE_IDS["threat_actors"],
        [{"type": "reference", "id": "a" * 64}],
        collection="threat_actors",
    )
    for template in _pages(spec):
        collection = template.split("/")[1]
        ids = [SAMPLE_IDS[collection]] + ([SEED_URL_SHA256] if collection == "urls" else [])
        for object_id in ids:
            response = client.get(_path(template, object_id), params={"limit": 40})
            _conforms(spec, registry, template, response)


def test_generated_references_use_only_documented_attributes(
    spec: dict[str, Any], client: httpx.Client
) -> None:
    documented = set(spec["components"]["schemas"]["ReferenceAttributes"]["properties"])
    for template in _pages(spec):
        for reference in client.get(_path(template), params={"limit": 40}).json()["data"]:
            assert set(reference.get("attributes", {})) <= documented


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"limit": "0"}, {}, 400),
        ({"limit": "ten"}, {}, 400),
        ({"cursor": "not-a-cursor"}, {}, 400),
        ({"cursor": _cursor(10, COUNT + 1)}, {}, 400),
        ({}, {"x-apikey": None}, 401),
        ({}, {"x-apikey": "wrong"}, 401),
    ],
)
def test_request_errors_conform(
    spec: dict[str, Any],
    registry: Registry[Any],
    fake: FakeVirusTotal,
    params: dict[str, str],
    headers: dict[str, str | None],
    status: int,
) -> None:
    sent = {"x-apikey": fake.api_key} | headers
    with httpx.Client(base_url=fake.base_url, verify=TLS) as http:
        for template in _pages(spec):
            send = {k: v for k, v in sent.items() if v is not None}
            response = http.get(_path(template), params=params, headers=send)
            assert response.status_code == status
            _conforms(spec, registry, template, response)


def test_unknown_and_removed_objects_conform(
    spec: dict[str, Any], registry: Registry[Any], fake: FakeVirusTotal, client: httpx.Client
) -> None:
    for collection, object_id in SAMPLE_IDS.items():
        if collection != "users":
            fake.remove_object(object_id, collection=collection)
    for template in _pages(spec):
        for object_id in (None, "%00not%20an%20id"):
            response = client.get(_path(template, object_id))
            assert response.status_code == 404
            _conforms(spec, registry, template, response)


def test_unknown_paths_answer_the_error_schema(
    registry: Registry[Any], client: httpx.Client
) -> None:
    response = client.get("/urls/x/related_reports")
    assert response.status_code == 404
    _validate(registry, {"$ref": "#/components/schemas/ErrorResponse"}, response.json())


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [
        (429, "QuotaExceededError", "3"),
        (429, "TooManyRequestsError", None),
        (429, "TooManyRequests", None),
        (503, "TransientError", None),
        (504, "DeadlineExceededError", None),
    ],
)
def test_injected_errors_conform(
    spec: dict[str, Any],
    registry: Registry[Any],
    fake: FakeVirusTotal,
    client: httpx.Client,
    status: int,
    code: str,
    retry_after: str | None,
) -> None:
    for template in _pages(spec):
        fake.fail_next(status=status, code=code, retry_after=retry_after)
        response = client.get(_path(template))
        assert response.status_code == status
        assert response.headers.get("retry-after") == retry_after
        _conforms(spec, registry, template, response)


def test_chaos_errors_conform(
    spec: dict[str, Any], registry: Registry[Any], fake: FakeVirusTotal, client: httpx.Client
) -> None:
    fake.chaos(1.0, seed=11, kinds=("fail",))
    template = "/urls/{id}/related_references"
    statuses = set()
    for _ in range(20):
        response = client.get(_path(template))
        statuses.add(response.status_code)
        _conforms(spec, registry, template, response)
    assert statuses == {429, 503, 504}


def test_overall_quotas_and_their_errors_conform(
    spec: dict[str, Any], registry: Registry[Any], fake: FakeVirusTotal, client: httpx.Client
) -> None:
    template = "/users/{id}/overall_quotas"
    path = template.replace("{id}", "fake-user")
    _conforms(spec, registry, template, client.get(path))
    _conforms(spec, registry, template, client.get(_path(template)))  # unknown user: 404
    _conforms(spec, registry, template, client.get(path, headers={"x-apikey": "wrong"}))
    fake.fail_next(status=429, code="QuotaExceededError")
    _conforms(spec, registry, template, client.get(path))
