"""connect(): the key, its safety, and argument checking."""

from __future__ import annotations

import ast
import asyncio
import base64
import inspect
import logging
import pickle
import textwrap
from typing import Any

import attrs
import httpx
import pytest

import vt_refs
from vt_refs import _client
from vt_refs._transport import Settings
from vt_refs_api import AuthenticatedClient
from vt_refs_api.api.urls import get_url_related_references

from support.keys import KEY
from support.mock_api import BASE_URL, ScriptedAPI
from support.mock_api import ok as ok_response
from support.pages import page


def test_default_base_url() -> None:
    assert vt_refs.DEFAULT_BASE_URL == "https://www.virustotal.com/api/v3"


def test_url_id_is_unpadded_urlsafe_base64_of_utf8() -> None:
    url = "https://www.virustotal.com"
    expected = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    assert vt_refs.url_id(url) == expected == "aHR0cHM6Ly93d3cudmlydXN0b3RhbC5jb20"
    tricky = "http://exämple.test/?q=ü&x=>>>??"
    encoded = vt_refs.url_id(tricky)
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() == tricky


def test_connect_reads_vt_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VT_API_KEY", KEY)
    api = ScriptedAPI([ok_response(page([]))])
    client = vt_refs.connect(base_url=BASE_URL, transport=api.transport)
    list(vt_refs.iter_pages(get_url_related_references, client, id="a"))
    assert api.requests[0].headers["x-apikey"] == KEY


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_key_at_all_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    if value is None:
        monkeypatch.delenv("VT_API_KEY", raising=False)
    else:
        monkeypatch.setenv("VT_API_KEY", value)
    with pytest.raises(vt_refs.UsageError, match="VT_API_KEY"):
        vt_refs.connect()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "ftp://vt.test/api/v3"},
        {"base_url": "not a url"},
        {"timeout": 0},
        {"timeout": float("nan")},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"backoff_factor": -0.1},
        {"requests_per_minute": 0},
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs: dict[str, object]) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect(KEY, **kwargs)  # type: ignore[arg-type]


def test_key_with_a_newline_is_refused() -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.connect("abc\ndef")


def test_client_is_a_generated_authenticated_client() -> None:
    client = vt_refs.connect(KEY)
    assert isinstance(client, AuthenticatedClient)


def test_repr_and_str_never_show_the_key() -> None:
    api = ScriptedAPI([ok_response(page(["a"]))])
    client = api.client()
    before = repr(client) + str(client)
    list(vt_refs.iter_pages(get_url_related_references, client, id="a"))
    after = repr(client) + str(client) + repr(client.get_httpx_client().headers)
    assert KEY not in before and KEY not in after
    assert "redacted" in before


def test_client_does_not_pickle_the_key() -> None:
    client = vt_refs.connect(KEY)
    with pytest.raises(TypeError):
        pickle.dumps(client)


def test_key_is_sent_to_the_base_url_origin() -> None:
    api = ScriptedAPI([ok_response(page(["a"]))])
    list(vt_refs.iter_pages(get_url_related_references, api.client(), id="a"))
    assert api.requests[0].headers["x-apikey"] == KEY
    assert api.requests[0].url.host == "vt.test"


def test_key_is_not_sent_to_another_origin_even_by_a_direct_request() -> None:
    api = ScriptedAPI(default=ok_response({}))
    client = api.client()
    http = client.get_httpx_client()
    http.get("https://elsewhere.test/steal")
    http.get("http://vt.test/api/v3/urls/a/related_references")  # other scheme: other origin
    http.get("https://vt.test:8443/api/v3/urls/a/related_references")  # other port
    assert all("x-apikey" not in r.headers for r in api.requests)


def test_a_header_set_by_hand_is_stripped_for_other_origins() -> None:
    api = ScriptedAPI(default=ok_response({}))
    client = api.client()
    client.get_httpx_client().get("https://elsewhere.test/", headers={"x-apikey": KEY})
    assert "x-apikey" not in api.requests[0].headers


def _redirecting(location: str) -> httpx.Response:
    return httpx.Response(307, headers={"location": location})


def test_redirect_to_another_origin_is_followed_without_the_key() -> None:
    api = ScriptedAPI([_redirecting("https://mirror.test/api/v3/page"), ok_response(page(["a"]))])
    client = api.client(follow_redirects=True)
    pages = list(vt_refs.iter_pages(get_url_related_references, client, id="a"))
    assert [p.data[0].id for p in pages] == ["a"]
    first, second = api.requests
    assert first.headers["x-apikey"] == KEY
    assert second.url.host == "mirror.test" and "x-apikey" not in second.headers


def test_redirect_back_to_the_origin_keeps_the_key() -> None:
    target = f"{BASE_URL}/urls/b/related_references"
    api = ScriptedAPI([_redirecting(target), ok_response(page(["b"]))])
    list(vt_refs.iter_pages(get_url_related_references, api.client(follow_redirects=True), id="a"))
    assert api.requests[1].headers["x-apikey"] == KEY


def test_redirects_are_not_followed_by_default() -> None:
    api = ScriptedAPI([_redirecting("https://mirror.test/x")])
    with pytest.raises(vt_refs.APIError) as caught:
        list(vt_refs.iter_pages(get_url_related_references, api.client(), id="a"))
    assert caught.value.status_code == 307
    assert len(api.requests) == 1


def test_async_redirect_to_another_origin_drops_the_key() -> None:
    api = ScriptedAPI([_redirecting("https://mirror.test/p"), ok_response(page(["a"]))])
    client = api.client(follow_redirects=True)

    async def run() -> list[str]:
        async with client:
            return [
                r.id async for r in vt_refs.apaginate(get_url_related_references, client, id="a")
            ]

    assert asyncio.run(run()) == ["a"]
    assert api.requests[0].headers["x-apikey"] == KEY
    assert "x-apikey" not in api.requests[1].headers


def test_key_never_reaches_log_records(caplog: pytest.LogCaptureFixture) -> None:
    api = ScriptedAPI([httpx.Response(503), ok_response(page(["a"]))])
    with caplog.at_level(logging.DEBUG):
        list(vt_refs.iter_pages(get_url_related_references, api.client(), id="a"))
    assert caplog.records, "httpx and vt_refs log at DEBUG and INFO: the check must see them"
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_with_and_async_with_close_their_httpx_clients() -> None:
    client = vt_refs.connect(KEY, base_url=BASE_URL)
    with client:
        pass
    assert client.get_httpx_client().is_closed

    async def run() -> bool:
        async with client:
            pass
        return client.get_async_httpx_client().is_closed

    assert asyncio.run(run())


# connect() and Settings: one option, one parameter there and one field here.

SHORTHANDS = {"max_retries", "backoff_factor", "max_retry_wait", "requests_per_minute"}


def _connect_parameters() -> dict[str, inspect.Parameter]:
    parameters = dict(inspect.signature(vt_refs.connect).parameters)
    return {n: p for n, p in parameters.items() if n not in SHORTHANDS | {"api_key"}}


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The Settings each connect() call builds, as client_for receives them."""
    seen: list[Settings] = []
    real = _client.client_for

    def spy(settings: Settings) -> Any:
        seen.append(settings)
        return real(settings)

    monkeypatch.setattr(_client, "client_for", spy)
    return seen


def test_every_parameter_of_connect_is_a_field_of_settings() -> None:
    fields = set(attrs.fields_dict(Settings)) - {"key"}
    assert set(_connect_parameters()) == fields


def test_the_defaults_of_connect_are_those_of_settings(
    built: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VT_BASE_URL", raising=False)
    defaults = Settings(key=KEY)
    vt_refs.connect(KEY)
    (settings,) = built
    for name, parameter in _connect_parameters().items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert getattr(settings, name) == getattr(defaults, name), name
        if name == "retry":  # None: "no policy given", which the shorthands fill
            assert parameter.default is None
            continue
        if name == "base_url":  # None: "VT_BASE_URL, else VirusTotal's" (the fixture unsets it)
            assert parameter.default is None
            continue
        # The default as written in connect's signature, converted as Settings converts it.
        given = Settings(key=KEY, **{name: parameter.default})
        assert getattr(given, name) == getattr(defaults, name), name


def test_the_shorthands_fill_the_policy(built: list[Settings]) -> None:
    vt_refs.connect(KEY, max_retries=2, backoff_factor=0.25, max_retry_wait=9)
    vt_refs.connect(KEY, requests_per_minute=4)
    policy = vt_refs.RetryPolicy(max_retries=2, backoff_factor=0.25, retry_budget=9)
    assert built[0].retry == policy
    assert built[1].quota == vt_refs.Quota(per_minute=4)
    assert built[1].retry == vt_refs.RetryPolicy()
    given = vt_refs.RetryPolicy(codes={"NotAvailableYet"})
    vt_refs.connect(KEY, retry=given)
    assert built[2].retry is given


def test_connect_stays_short() -> None:
    """Its body only turns arguments into Settings: a new option is a field, not code."""
    function = ast.parse(textwrap.dedent(inspect.getsource(vt_refs.connect))).body[0]
    assert isinstance(function, ast.FunctionDef)
    docstring = function.body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    lines = (function.end_lineno or 0) - function.lineno + 1
    without_docstring = lines - ((docstring.end_lineno or 0) - docstring.lineno + 1)
    assert without_docstring <= 50
