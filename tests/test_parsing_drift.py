"""Schema drift: `on_drift` for parse and for every helper of a client, and the warning.

The per-field rules themselves are fuzzed in test_fuzz_parsing.py and listed by example in
test_parse.py; here: the settings, the once-per-field warning and where it points.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import json
import pickle
import threading
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import vt_refs
from vt_refs._paging import client_on_drift
from vt_refs_api import AuthenticatedClient
from vt_refs_api.api.ip_addresses import get_ip_address_related_references
from vt_refs_api.api.urls import get_url_related_references
from vt_refs_api.models import ErrorResponse, Reference, ReferenceCollection
from vt_refs_api.types import UNSET, Unset

from support.drift import drift_warnings
from support.keys import KEY
from support.mock_api import ScriptedAPI, ok
from support.pages import drifting_references, page, walk


def test_the_warning_is_public_and_a_user_warning() -> None:
    assert "SchemaDriftWarning" in vt_refs.__all__
    assert issubclass(vt_refs.SchemaDriftWarning, UserWarning)
    warning = vt_refs.SchemaDriftWarning("M", "f", "$.f", "string", "null")
    copied = pickle.loads(pickle.dumps(warning))
    assert (copied.model, copied.path, str(copied)) == ("M", "$.f", str(warning))


@pytest.mark.parametrize("bad", ["strict", "WARN", None, True, ""])
def test_bad_on_drift_values_are_usage_errors(bad: Any) -> None:
    with pytest.raises(vt_refs.UsageError, match="on_drift"):
        vt_refs.parse(Reference, {"type": "t", "id": "i"}, on_drift=bad)
    with pytest.raises(vt_refs.UsageError, match="on_drift"):
        vt_refs.connect(KEY, on_drift=bad)


def test_parse_keeps_the_raw_value_and_names_everything_in_the_warning() -> None:
    body = {"type": "reference", "id": "r", "attributes": {"title": 42, "author": "A"}}
    for data in (json.dumps(body).encode(), json.dumps(body), copy.deepcopy(body)):
        with drift_warnings() as drifted:
            ref = vt_refs.parse(Reference, data)
        assert isinstance(ref.attributes.title, Unset)
        assert ref.attributes["title"] == 42 and ref.attributes.author == "A"
        assert ref.to_dict() == body
        (warning,) = drifted
        assert (warning.model, warning.field, warning.path) == (
            "ReferenceAttributes",
            "title",
            "$.attributes.title",
        )
        assert (warning.declared, warning.received) == ("string", "integer")
        for part in ("ReferenceAttributes", "$.attributes.title", "string", "integer"):
            assert part in str(warning)
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        vt_refs.parse(Reference, body, on_drift="error")
    assert caught.value.path == "$.attributes.title"


def test_the_warning_points_at_the_callers_line() -> None:
    body = {"type": "reference", "id": "r", "attributes": {"url": None}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vt_refs.parse(Reference, body)
    assert caught[0].filename == __file__
    api = ScriptedAPI(walk(drifting_references(2), 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(vt_refs.paginate(get_url_related_references, api.client(), id="x"))
    assert {w.filename for w in caught} == {__file__}


def test_once_per_field_across_items_pages_and_walks() -> None:
    api = ScriptedAPI(walk(drifting_references(30), 10) + walk(drifting_references(5), 5))
    client = api.client()
    with drift_warnings() as drifted:
        first = list(vt_refs.paginate(get_url_related_references, client, id="x"))
        second = list(vt_refs.paginate(get_url_related_references, client, id="y"))
    assert len(first) == 30 and len(second) == 5
    assert [(w.field, w.path) for w in drifted] == [
        ("title", "$.data[0].attributes.title"),
        ("creation_date", "$.data[0].attributes.creation_date"),
    ]
    assert all(r.attributes["title"] is None for r in first + second)
    assert all(isinstance(r.attributes.creation_date, Unset) for r in first + second)


def test_a_warning_turned_into_an_error_is_raised_every_time() -> None:
    body = {"type": "reference", "id": "r", "attributes": {"tags": "not-a-list"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error", vt_refs.SchemaDriftWarning)
        for _ in range(2):
            with pytest.raises(vt_refs.SchemaDriftWarning):
                vt_refs.parse(Reference, body)
        # Through a walk too: as itself, not as an unexpected error of the SDK.
        client = ScriptedAPI(walk(drifting_references(2), 2)).client()
        with pytest.raises(vt_refs.SchemaDriftWarning):
            list(vt_refs.paginate(get_url_related_references, client, id="x"))
        client = ScriptedAPI(walk(drifting_references(2), 2)).client()
        with pytest.raises(vt_refs.SchemaDriftWarning):
            asyncio.run(_collect(vt_refs.apaginate(get_url_related_references, client, id="x")))


HELPERS: dict[str, Callable[[Any], list[Any]]] = {
    "paginate": lambda c: list(vt_refs.paginate(get_url_related_references, c, id="x")),
    "iter_pages": lambda c: list(vt_refs.iter_pages(get_url_related_references, c, id="x")),
    "related_references": lambda c: list(vt_refs.related_references(c, id="x")),
    "apaginate": lambda c: asyncio.run(
        _collect(vt_refs.apaginate(get_url_related_references, c, id="x"))
    ),
    "aiter_pages": lambda c: asyncio.run(
        _collect(vt_refs.aiter_pages(get_url_related_references, c, id="x"))
    ),
    "arelated_references": lambda c: asyncio.run(_collect(vt_refs.arelated_references(c, id="x"))),
}


async def _collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


@pytest.mark.parametrize("helper", HELPERS, ids=list(HELPERS))
def test_connect_sets_on_drift_for_every_helper(helper: str) -> None:
    strict = ScriptedAPI(walk(drifting_references(6), 3)).client(on_drift="error")
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        HELPERS[helper](strict)
    assert caught.value.path == "$.data[0].attributes.title"
    assert caught.value.status_code == 200
    lenient = ScriptedAPI(walk(drifting_references(6), 3)).client()  # "warn" is the default
    with drift_warnings() as drifted:
        got = HELPERS[helper](lenient)
    assert len(got) == (2 if helper == "iter_pages" or helper == "aiter_pages" else 6)
    assert [w.field for w in drifted] == ["title", "creation_date"]


def test_a_client_not_made_by_connect_gets_the_default() -> None:
    api = ScriptedAPI(walk(drifting_references(2), 2))
    client = AuthenticatedClient(base_url="https://vt.test/api/v3", token=KEY)
    client.set_httpx_client(
        httpx.Client(base_url="https://vt.test/api/v3", transport=api.transport)
    )
    assert client_on_drift(client) == "warn"
    with drift_warnings() as drifted:
        assert len(list(vt_refs.paginate(get_url_related_references, client, id="x"))) == 2
    assert len(drifted) == 2


def test_the_setting_goes_with_the_client() -> None:
    strict = vt_refs.connect(KEY, on_drift="error")
    lenient = vt_refs.connect(KEY)
    assert (client_on_drift(strict), client_on_drift(lenient)) == ("error", "warn")
    # A field of the client itself: no registry to forget it, nothing keyed by id().
    assert (strict.on_drift, lenient.on_drift) == ("error", "warn")  # type: ignore[attr-defined]
    del strict
    gc.collect()
    assert client_on_drift(lenient) == "warn"


def test_a_null_cursor_is_the_last_page_and_a_mistyped_one_an_error() -> None:
    last = page(["a"])
    last["meta"]["cursor"] = None
    api = ScriptedAPI([ok(page(["b"], cursor="c1")), ok(last)])
    with drift_warnings() as drifted:
        items = list(vt_refs.paginate(get_url_related_references, api.client(), id="x"))
    assert [i.id for i in items] == ["b", "a"] and drifted == []
    assert vt_refs.parse(ReferenceCollection, last).meta.cursor is None
    for on_drift in ("warn", "error"):
        bad = page(["a"], cursor="c1")
        bad["meta"]["cursor"] = 3
        api = ScriptedAPI([ok(bad)])
        client = api.client(on_drift=on_drift)
        with pytest.raises(vt_refs.MalformedResponseError) as caught:
            list(vt_refs.paginate(get_url_related_references, client, id="x"))
        assert caught.value.path == "$.meta.cursor"


def test_an_error_without_a_message_parses_without_drift() -> None:
    with drift_warnings() as drifted:
        error = vt_refs.parse(ErrorResponse, b'{"error": {"code": "TooManyRequests"}}')
    assert error.error.code == "TooManyRequests" and error.error.message is UNSET
    assert drifted == []


def test_drift_in_new_operations_through_the_fake() -> None:
    from vt_refs.testing import FakeVirusTotal

    refs = [
        {"type": "reference", "id": f"{i:064x}", "attributes": {"files_count": "7"}}
        for i in range(12)
    ]
    with FakeVirusTotal(default_count=0) as fake:
        fake.add_references("2001:db8::1", refs, collection="ip_addresses")
        with (
            vt_refs.connect(fake.api_key, base_url=fake.base_url) as client,
            drift_warnings() as d,
        ):
            got = list(
                vt_refs.paginate(
                    get_ip_address_related_references, client, id="2001:db8::1", page_size=5
                )
            )
    assert [r.to_dict() for r in got] == refs
    assert [w.path for w in d] == ["$.data[0].attributes.files_count"]


def test_threads_parsing_drifted_pages_all_get_the_right_models() -> None:
    (doc,) = walk(drifting_references(40), 40)
    body = json.dumps(doc).encode()
    results: list[bool] = []

    def work() -> None:
        for _ in range(20):
            parsed = vt_refs.parse(ReferenceCollection, body)
            results.append(
                parsed.to_dict() == doc
                and all(isinstance(r.attributes.title, Unset) for r in parsed.data)
            )

    with drift_warnings() as drifted:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert results == [True] * 80
    # Two threads may both see a field before either warned: never more than one each.
    assert 2 <= len(drifted) <= 8 and {w.field for w in drifted} == {"title", "creation_date"}
