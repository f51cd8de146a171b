"""paginate / iter_pages and their async twins, over every generated paging operation."""

from __future__ import annotations

import asyncio
import functools
from types import ModuleType
from typing import Any

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import vt_refs
from vt_refs._paging import Walk
from vt_refs._transport import SKIP_CACHE
from vt_refs_api.api.urls import get_url_related_references
from vt_refs_api.models import Reference, ReferenceCollection

from support.keys import KEY
from support.mock_api import BASE_URL, ScriptedAPI, ok
from support.operations import paging_operations
from support.pages import descriptor, hex_ids, page, walk
from support.spec_strategies import load_spec


def test_every_paging_operation_of_the_spec_is_found() -> None:
    """As many generated paging operations as the spec has operations taking limit and cursor."""
    spec = load_spec()
    names = {"#/components/parameters/Limit", "#/components/parameters/Cursor"}
    paging = [
        op
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
        and names <= {p.get("$ref") for p in op.get("parameters", []) + path.get("parameters", [])}
    ]
    assert paging and len(paging_operations()) == len(paging)


@pytest.mark.parametrize(
    "operation", paging_operations(), ids=lambda m: m.__name__.rpartition(".")[2]
)
def test_every_generated_operation_pages_with_no_overlay_change(operation: ModuleType) -> None:
    last = page([descriptor("2", "t")], meta=False)  # a page may come with no meta at all
    api = ScriptedAPI([page([descriptor("1", "t")], cursor="n1"), last])
    items = list(vt_refs.paginate(operation, api.client(), id="obj/1", page_size=1))
    assert [i.id for i in items] == ["1", "2"]
    assert api.requests[0].url.raw_path.decode().startswith("/api/v3/")
    assert "obj%2F1" in api.requests[0].url.raw_path.decode()
    assert api.queries() == [{"limit": "1"}, {"limit": "1", "cursor": "n1"}]


def test_items_across_pages_in_order() -> None:
    api = ScriptedAPI(walk(hex_ids(7), 3, count=7))
    items = list(vt_refs.paginate(get_url_related_references, api.client(), id="x", page_size=3))
    assert all(isinstance(i, Reference) for i in items)
    assert [int(i.id, 16) for i in items] == list(range(7))
    assert [q.get("cursor") for q in api.queries()] == [None, "c1", "c2"]
    # Full pages of 3, then the one meta.count says is left.
    assert [q["limit"] for q in api.queries()] == ["3", "3", "1"]


def test_default_limit_is_the_specs_maximum() -> None:
    """No page_size: the largest page the API serves (tests/test_paging_full_pages.py)."""
    api = ScriptedAPI(walk(hex_ids(2), 10, count=2))
    list(vt_refs.paginate(get_url_related_references, api.client(), id="x"))
    assert api.queries() == [{"limit": "40"}]


def test_iter_pages_yields_page_models_with_resumable_cursors() -> None:
    api = ScriptedAPI(walk(hex_ids(5), 2, count=5))
    pages = list(vt_refs.iter_pages(get_url_related_references, api.client(), id="x", page_size=2))
    assert all(isinstance(p, ReferenceCollection) for p in pages)
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert [p.meta.cursor for p in pages[:2]] == ["c1", "c2"]
    assert pages[0].meta.count == 5


def test_resume_from_a_cursor() -> None:
    api = ScriptedAPI(walk(hex_ids(6), 2, count=6)[1:])
    client = api.client()
    items = list(
        vt_refs.paginate(get_url_related_references, client, id="x", page_size=2, cursor="c1")
    )
    assert [int(i.id, 16) for i in items] == [2, 3, 4, 5]
    assert api.queries()[0] == {"limit": "2", "cursor": "c1"}


@pytest.mark.parametrize(
    "cursor",
    ["c1", "a+b/c==", "x&limit=99#f?g", "caf\u00e9 \u2603 %20%zz", "\U0001f600;[]@!$'()*,"],
)
def test_requests_match_what_the_generated_operation_sends(cursor: str) -> None:
    """paginate encodes the query itself (it spares httpx a URL parse): the URL must be
    byte for byte the one the generated operation sends for the same arguments."""
    object_id = "https://ex.ample/a b?c=d&e#f"
    api = ScriptedAPI([ok(page(["1"], cursor=cursor)), ok(page(["2"]))], default=ok(page([])))
    client = api.client()
    list(vt_refs.paginate(get_url_related_references, client, id=object_id, page_size=7))
    get_url_related_references.sync(object_id, client=client, limit=7, cursor=cursor)
    sent, expected = api.requests[1].url, api.requests[2].url
    assert (sent.raw_path, str(sent)) == (expected.raw_path, str(expected))
    assert dict(sent.params) == {"limit": "7", "cursor": cursor}


@functools.cache
def _clients(base_url: str) -> tuple[Any, tuple[httpx.Client, httpx.AsyncClient]]:
    """A client and the two httpx clients for `base_url`, made once (connect() is slow)."""
    https = (httpx.Client(base_url=base_url), httpx.AsyncClient(base_url=base_url))
    return vt_refs.connect(KEY, base_url=base_url), https


@settings(max_examples=60, deadline=None)
@given(
    cursor=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    object_id=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
    base_url=st.sampled_from(
        [BASE_URL, BASE_URL + "/", "http://127.0.0.1:8080", "https://h.example:444/a%20b/c"]
    ),
)
def test_the_absolute_url_is_the_one_httpx_merges(
    cursor: str, object_id: str, base_url: str
) -> None:
    """The page loops give httpx an absolute URL, parsed once (it spares httpx two URL
    parses per page): it must be exactly what httpx makes of the relative one, sync and
    async, for every page."""
    assume(object_id not in (".", "..") and cursor.strip())
    client, https = _clients(base_url)
    for http in https:
        walk = Walk(get_url_related_references, client, max_items=None, page_size=7,
                    cursor=cursor, params={"id": object_id})  # fmt: skip
        for _ in range(2):
            absolute, relative = walk.next_request(http.base_url), walk.next_request()
            assert absolute is not None and relative is not None
            assert isinstance(absolute["url"], httpx.URL)
            expected = http.build_request(**relative).url
            assert (absolute["url"].raw_path, str(absolute["url"])) == (
                expected.raw_path,
                str(expected),
            )
            assert http.build_request(**absolute).url == expected


def test_the_first_request_is_built_once_and_still_follows_the_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The walk builds its first request when it is made (so a bad argument fails before
    anything is sent) and sends that one: one build per page, not two. What is set on the
    walk after it was made (`skip_cache`, as a watch sets it) still applies."""
    built: list[dict[str, Any]] = []
    real = get_url_related_references._get_kwargs

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(get_url_related_references, "_get_kwargs", counting)
    api = ScriptedAPI(walk(hex_ids(6), 4, count=6))
    items = list(vt_refs.paginate(get_url_related_references, api.client(), id="x", page_size=4))
    assert len(items) == 6 and len(api.requests) == 2
    assert [k["limit"] for k in built] == [4, 2]  # the second page asks for what is left
    assert api.queries()[0] == {"limit": "4"}

    client, (http, _) = _clients(BASE_URL)
    fresh = Walk(get_url_related_references, client, max_items=None, page_size=4, cursor=None,
                 params={"id": "x"})  # fmt: skip
    fresh.skip_cache = True
    request = fresh.next_request(http.base_url)
    assert request is not None and request["extensions"].get(SKIP_CACHE) is True
    again = Walk(get_url_related_references, client, max_items=None, page_size=4, cursor=None,
                 params={"id": "x"})  # fmt: skip
    first = again.next_request(http.base_url)
    assert first is not None and SKIP_CACHE not in first["extensions"]
    assert str(first["url"]) == str(request["url"])


def test_max_items_stops_without_fetching_pages_it_does_not_need() -> None:
    api = ScriptedAPI(walk(hex_ids(20), 4, count=20))
    items = list(
        vt_refs.paginate(get_url_related_references, api.client(), id="x", page_size=4, max_items=6)
    )
    assert len(items) == 6
    assert len(api.requests) == 2
    # The last request asks only for what is left, so its cursor resumes exactly after it.
    assert [q["limit"] for q in api.queries()] == ["4", "2"]


def test_max_items_within_the_first_page_sends_one_request() -> None:
    api = ScriptedAPI(walk(hex_ids(30), 10, count=30))
    items = list(vt_refs.paginate(get_url_related_references, api.client(), id="x", max_items=3))
    assert len(items) == 3 and api.queries() == [{"limit": "3"}]


def test_max_items_zero_sends_nothing() -> None:
    api = ScriptedAPI()
    assert (
        list(vt_refs.paginate(get_url_related_references, api.client(), id="x", max_items=0)) == []
    )
    assert api.requests == []


def test_server_sending_more_than_asked_is_cut_at_max_items() -> None:
    api = ScriptedAPI([ok(page([str(i) for i in range(10)], cursor="more"))])
    items = list(vt_refs.paginate(get_url_related_references, api.client(), id="x", max_items=4))
    assert [i.id for i in items] == ["0", "1", "2", "3"]


def test_pages_are_fetched_lazily() -> None:
    api = ScriptedAPI(walk(hex_ids(6), 2, count=6))
    iterator = vt_refs.paginate(get_url_related_references, api.client(), id="x", page_size=2)
    assert api.requests == []
    next(iterator)
    next(iterator)
    assert len(api.requests) == 1
    next(iterator)
    assert len(api.requests) == 2


def test_a_cursor_that_does_not_advance_is_malformed() -> None:
    api = ScriptedAPI(default=lambda request: ok(page(["a"], cursor="same")))
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        list(vt_refs.paginate(get_url_related_references, api.client(), id="x", cursor="same"))
    assert caught.value.path == "$.meta.cursor"
    assert len(api.requests) == 1


def test_malformed_page_names_its_path_and_status() -> None:
    bad = page(["a", "b"])
    bad["data"][1]["attributes"]["creation_date"] = "yesterday"
    api = ScriptedAPI([ok(bad)])
    client = api.client(on_drift="error")
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        list(vt_refs.paginate(get_url_related_references, client, id="x"))
    assert caught.value.path == "$.data[1].attributes.creation_date"
    assert caught.value.status_code == 200


def test_non_json_200_is_malformed() -> None:
    api = ScriptedAPI([httpx.Response(200, content=b"<html>oops</html>")])
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        list(vt_refs.paginate(get_url_related_references, api.client(), id="x"))
    assert caught.value.path == "$" and caught.value.status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": "10"}, "page_size"),
        ({"max_items": -1}, "max_items"),
        ({"limit": 5}, "limit"),
        ({"bogus": 1}, "bogus"),
        ({"cursor": 5}, "cursor"),
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs: dict[str, Any], match: str) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError, match=match):
        vt_refs.paginate(get_url_related_references, api.client(), id="x", **kwargs)
    assert api.requests == []


def test_missing_operation_parameter_fails_before_any_request() -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError, match="id"):
        vt_refs.iter_pages(get_url_related_references, api.client())


def test_something_that_is_not_an_operation_is_refused() -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.paginate(vt_refs, ScriptedAPI().client())  # type: ignore[arg-type]


def test_something_that_is_not_a_client_is_refused() -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.paginate(get_url_related_references, object(), id="x")  # type: ignore[arg-type]


def test_related_references_from_a_url_uses_url_id() -> None:
    api = ScriptedAPI(walk(hex_ids(3), 10, count=3))
    url = "https://seed.example/a?b=c"
    items = list(vt_refs.related_references(api.client(), url))
    assert len(items) == 3
    assert api.requests[0].url.path == f"/api/v3/urls/{vt_refs.url_id(url)}/related_references"


def test_related_references_from_an_id() -> None:
    api = ScriptedAPI(walk(hex_ids(3), 2, count=3))
    items = list(vt_refs.related_references(api.client(), id="abc", page_size=2, max_items=3))
    assert len(items) == 3
    assert api.requests[0].url.path == "/api/v3/urls/abc/related_references"


@pytest.mark.parametrize(
    "kwargs", [{}, {"url": "https://a.example", "id": "abc"}, {"url": ""}, {"id": 5}]
)
def test_related_references_needs_exactly_one_of_url_and_id(kwargs: dict[str, Any]) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.related_references(ScriptedAPI().client(), **kwargs)


def test_async_twins_yield_the_same() -> None:
    client_pages = ScriptedAPI(walk(hex_ids(5), 2, count=5))
    client_items = ScriptedAPI(walk(hex_ids(5), 2, count=5))
    client_refs = ScriptedAPI(walk(hex_ids(5), 2, count=5))

    async def run() -> tuple[list[int], list[str], list[str]]:
        op = get_url_related_references
        sizes = [
            len(p.data)
            async for p in vt_refs.aiter_pages(op, client_pages.client(), id="x", page_size=2)
        ]
        items = [
            i.id
            async for i in vt_refs.apaginate(
                op, client_items.client(), id="x", page_size=2, max_items=3
            )
        ]
        refs = [
            r.id
            async for r in vt_refs.arelated_references(client_refs.client(), id="x", page_size=2)
        ]
        return sizes, items, refs

    sizes, items, refs = asyncio.run(run())
    assert sizes == [2, 2, 1]
    assert [int(i, 16) for i in items] == [0, 1, 2]
    assert [q["limit"] for q in client_items.queries()] == ["2", "1"]
    assert [int(i, 16) for i in refs] == [0, 1, 2, 3, 4]


def test_async_works_inside_a_running_event_loop_alongside_sync_use() -> None:
    api = ScriptedAPI(default=lambda request: ok(page(["a"])))
    client = api.client()

    async def run() -> list[str]:
        # Sync use inside a running loop (as in a notebook) works: no nested event loop.
        sync_ids = [r.id for r in vt_refs.related_references(client, id="x")]
        async_ids = [r.id async for r in vt_refs.arelated_references(client, id="x")]
        return sync_ids + async_ids

    assert asyncio.run(run()) == ["a", "a"]


def test_base_url_path_is_kept() -> None:
    api = ScriptedAPI(walk(hex_ids(1), 10, count=1))
    client = vt_refs.connect(KEY, base_url=BASE_URL + "/", transport=api.transport)
    list(vt_refs.related_references(client, id="x"))
    assert str(api.requests[0].url).startswith(BASE_URL + "/urls/x/")
