"""What a wrong or hostile server cannot make the walk do: loop, page empty for ever,
outrun max_items; and what a wrong call cannot send: empty, `.` or `..` ids, `cursor=""`,
URLs too long to send. Sync and async share `_Walk`; both are checked."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vt_refs
from vt_refs_api.api.files import get_file_related_references
from vt_refs_api.api.urls import get_url_related_references
from vt_refs_api.models import ReferenceCollection
from vt_refs_api.types import UNSET, Unset

from support.hostile import serve_pages
from support.keys import KEY
from support.mock_api import ScriptedAPI, ok, replaying
from support.operations import paging_operations
from support.pages import cycling, fresh_cursors, hex_ids, page, walk

Walker = Callable[..., list[Any]]


def _sync_items(op: types.ModuleType, client: Any, **kwargs: Any) -> list[Any]:
    return list(vt_refs.paginate(op, client, **kwargs))


def _async_items(op: types.ModuleType, client: Any, **kwargs: Any) -> list[Any]:
    async def collect() -> list[Any]:
        try:
            return [item async for item in vt_refs.apaginate(op, client, **kwargs)]
        finally:  # its sockets belong to this event loop
            await client.get_async_httpx_client().aclose()

    return asyncio.run(collect())


def _sync_pages(op: types.ModuleType, client: Any, **kwargs: Any) -> list[Any]:
    return list(vt_refs.iter_pages(op, client, **kwargs))


def _async_pages(op: types.ModuleType, client: Any, **kwargs: Any) -> list[Any]:
    async def collect() -> list[Any]:
        try:
            return [p async for p in vt_refs.aiter_pages(op, client, **kwargs)]
        finally:  # its sockets belong to this event loop
            await client.get_async_httpx_client().aclose()

    return asyncio.run(collect())


ITEM_WALKERS = [_sync_items, _async_items]
ALL_WALKERS = [_sync_items, _async_items, _sync_pages, _async_pages]


# --- Cursor cycles --------------------------------------------------------------------


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize(
    ("cursors", "requests"),
    [(["A"], 2), (["A", "B"], 3), (["A", "B", "C"], 4), (["A", "B", "C", "B"], 4)],
)
def test_a_cursor_cycle_of_any_length_raises_at_meta_cursor(
    walker: Walker, cursors: list[str], requests: int
) -> None:
    api = replaying(cycling(cursors))
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        walker(get_url_related_references, api.client(), id="x", page_size=1)
    assert caught.value.path == "$.meta.cursor"
    assert caught.value.status_code == 200
    assert len(api.requests) == requests
    sent = [r.url.params.get("cursor") for r in api.requests]
    assert len(set(sent)) == len(sent)  # no cursor was sent twice


def test_the_callers_cursor_counts_as_sent() -> None:
    api = replaying(cycling(["mine"]))
    with pytest.raises(vt_refs.MalformedResponseError, match=r"meta\.cursor"):
        _sync_items(get_url_related_references, api.client(), id="x", cursor="mine")
    assert len(api.requests) == 1


def test_a_long_walk_with_fresh_cursors_is_not_a_cycle() -> None:
    api = ScriptedAPI(walk(hex_ids(300), 1))
    items = _sync_items(get_url_related_references, api.client(), id="x", page_size=1)
    assert len(items) == 300 and len(api.requests) == 300


# --- Empty pages ----------------------------------------------------------------------


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
def test_more_than_five_empty_pages_in_a_row_raise(walker: Walker) -> None:
    api = replaying(fresh_cursors([0]))
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        walker(get_url_related_references, api.client(), id="x")
    assert caught.value.path == "$.meta.cursor"
    assert "no items" in caught.value.reason
    assert len(api.requests) == 6


def test_five_empty_pages_in_a_row_are_tolerated() -> None:
    pages = [ok(page([], cursor=f"e{n}")) for n in range(5)]
    pages.append(ok(page(["a" * 64])))
    api = ScriptedAPI(pages)
    assert len(_sync_items(get_url_related_references, api.client(), id="x")) == 1


def test_an_item_resets_the_run_of_empty_pages() -> None:
    script = ([0] * 5 + [1]) * 4
    pages = [
        ok(page([f"{n:064x}"] * size, cursor=f"c{n}" if n + 1 < len(script) else None))
        for n, size in enumerate(script)
    ]
    api = ScriptedAPI(pages)
    assert len(_sync_items(get_url_related_references, api.client(), id="x")) == 4
    assert len(api.requests) == len(script)


@pytest.mark.parametrize("walker", ITEM_WALKERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("max_items", [1, 3, 5, 40])
@pytest.mark.parametrize("pattern", [[0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
def test_max_items_bounds_requests(walker: Walker, max_items: int, pattern: list[int]) -> None:
    api = replaying(fresh_cursors(pattern))
    try:
        items = walker(get_url_related_references, api.client(), id="x", max_items=max_items)
    except vt_refs.MalformedResponseError as error:
        assert error.path == "$.meta.cursor"
    else:
        assert len(items) == max_items
    assert len(api.requests) <= max_items + 5


def test_max_items_zero_sends_nothing() -> None:
    api = ScriptedAPI()
    assert _sync_items(get_url_related_references, api.client(), id="x", max_items=0) == []
    assert api.requests == []


def test_the_last_page_reached_by_max_items_is_not_checked_for_a_cycle() -> None:
    # The walk does not follow the cursor after its last item: whatever it is, no error.
    api = ScriptedAPI([ok(page(["a" * 64, "b" * 64], cursor="A"))])
    client = api.client()
    items = _sync_items(get_url_related_references, client, id="x", max_items=2, cursor="A")
    assert len(items) == 2 and len(api.requests) == 1


# --- The real network: a hostile server on 127.0.0.1 ------------------------------------


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
def test_an_alternating_cursor_from_a_real_server_stops(walker: Walker) -> None:
    with (
        serve_pages(cycling(["A", "B"])) as server,
        vt_refs.connect(KEY, base_url=server.base_url, max_retries=0) as client,
        pytest.raises(vt_refs.MalformedResponseError) as caught,
    ):
        walker(get_url_related_references, client, id="x")
    assert caught.value.path == "$.meta.cursor"
    assert len(server.seen) == 3


def test_empty_pages_from_a_real_server_stop_within_max_items_plus_five() -> None:
    with (
        serve_pages(fresh_cursors()) as server,
        vt_refs.connect(KEY, base_url=server.base_url, max_retries=0) as client,
        pytest.raises(vt_refs.MalformedResponseError),
    ):
        _sync_items(get_url_related_references, client, id="x", max_items=5)
    assert len(server.seen) <= 10


# --- cursor ---------------------------------------------------------------------------


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("cursor", ["", 5, b"abc", "\ud800"])
def test_a_bad_cursor_is_a_usage_error_before_anything_is_sent(
    walker: Walker, cursor: object
) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError, match="cursor"):
        walker(get_url_related_references, api.client(), id="x", cursor=cursor)
    assert api.requests == []


def test_cursor_empty_is_refused_by_related_references_too() -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError):
        vt_refs.related_references(api.client(), "https://example.com/", cursor="")
    with pytest.raises(vt_refs.UsageError):
        vt_refs.arelated_references(api.client(), "https://example.com/", cursor="")
    assert api.requests == []


# --- ids ------------------------------------------------------------------------------

BAD_IDS = ["", ".", ".."]


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize(
    "operation", paging_operations(), ids=lambda m: m.__name__.rpartition(".")[2]
)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_empty_dot_and_dotdot_ids_are_refused_for_every_operation(
    walker: Walker, operation: types.ModuleType, bad: str
) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError, match="id"):
        walker(operation, api.client(), id=bad)
    assert api.requests == []


@pytest.mark.parametrize("bad", BAD_IDS)
def test_related_references_refuses_them_at_call_time(bad: str) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError):
        vt_refs.related_references(api.client(), id=bad)
    with pytest.raises(vt_refs.UsageError):
        vt_refs.arelated_references(api.client(), id=bad)
    assert api.requests == []


@pytest.mark.parametrize("bad", [5, None, b"..", ["x"], "\udcff"])
def test_an_id_that_is_no_text_is_a_usage_error(bad: object) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError, match="id"):
        list(vt_refs.paginate(get_file_related_references, api.client(), id=bad))
    assert api.requests == []


@pytest.mark.parametrize(
    "hostile",
    ["...", "../x", "./", "a/../b", "%2e%2e", "%2E", "?cursor=1", "#x", " .. ", "..\x00", "é/é"],
)
def test_every_other_id_is_one_encoded_path_segment(hostile: str) -> None:
    api = ScriptedAPI([ok(page([]))])
    list(vt_refs.paginate(get_file_related_references, api.client(), id=hostile))
    (request,) = api.requests
    path = request.url.raw_path.decode().partition("?")[0]
    assert path.startswith("/api/v3/files/") and path.endswith("/related_references")
    segment = path.removeprefix("/api/v3/files/").removesuffix("/related_references")
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert segment not in ("", ".", "..")
    assert httpx.URL(f"http://h/{segment}").path == f"/{hostile}"


def _page_operation(path_parameter: str) -> types.ModuleType:
    """An operation the generator could make from a spec change: another path parameter
    name, two path parameters."""
    module = types.ModuleType(f"vt_refs_api.api.made_up.get_{path_parameter}_things")

    def _get_kwargs(
        owner: str, thing: str, *, limit: int | Unset = 10, cursor: str | Unset = UNSET
    ) -> dict[str, Any]:
        params = {"limit": limit, "cursor": cursor}
        return {
            "method": "get",
            "url": f"/owners/{owner}/things/{thing}",  # unencoded: the check comes first
            "params": {k: v for k, v in params.items() if v is not UNSET},
        }

    def sync(owner: str, thing: str, *, client: Any) -> ReferenceCollection | None:
        raise AssertionError("never called")

    module._get_kwargs = _get_kwargs  # type: ignore[attr-defined]
    module.sync = sync  # type: ignore[attr-defined]
    sync.__annotations__["return"] = ReferenceCollection | None
    return module


@pytest.mark.parametrize("which", ["owner", "thing"])
@pytest.mark.parametrize("bad", BAD_IDS)
def test_path_parameters_are_found_generically(which: str, bad: str) -> None:
    operation = _page_operation("x")
    values = {"owner": "o", "thing": "t", which: bad}
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError, match=which):
        list(vt_refs.paginate(operation, api.client(), **values))
    assert api.requests == []
    api = ScriptedAPI([ok(page([]))])
    list(vt_refs.paginate(operation, api.client(), owner="o", thing="t"))
    assert api.requests[0].url.path == "/api/v3/owners/o/things/t"


# --- Too long to send -----------------------------------------------------------------


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
def test_an_id_of_70000_characters_is_a_usage_error(walker: Walker) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError) as caught:
        walker(get_file_related_references, api.client(), id="a" * 70_000)
    assert api.requests == []
    assert len(str(caught.value)) < 300  # it says why, without echoing the id


def test_a_url_of_70000_characters_is_a_usage_error() -> None:
    api = ScriptedAPI()
    long_url = "https://example.com/" + "a" * 70_000
    with pytest.raises(vt_refs.UsageError):
        vt_refs.related_references(api.client(), long_url)
    with pytest.raises(vt_refs.UsageError):
        vt_refs.arelated_references(api.client(), long_url)
    with pytest.raises(vt_refs.UsageError):
        vt_refs.related_references(api.client(), cursor="c" * 70_000, id="x")
    assert api.requests == []


def test_a_cursor_too_long_to_send_is_the_servers_fault() -> None:
    api = ScriptedAPI([ok(page(["a" * 64], cursor="c" * 70_000))])
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        _sync_items(get_url_related_references, api.client(), id="x")
    assert caught.value.path == "$.meta.cursor"
    assert len(api.requests) == 1


# --- Nothing but VTError --------------------------------------------------------------


class _Boom(Exception):
    pass


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("raised", [_Boom("boom"), KeyError("k"), RuntimeError("odd")])
def test_an_unexpected_exception_below_becomes_a_vterror(walker: Walker, raised: Exception) -> None:
    api = ScriptedAPI([raised])
    with pytest.raises(vt_refs.VTError) as caught:
        walker(get_url_related_references, api.client(), id="x")
    assert type(caught.value.__cause__) is type(raised)
    assert type(raised).__name__ in str(caught.value)


@pytest.mark.parametrize("walker", ALL_WALKERS, ids=lambda w: w.__name__)
def test_a_closed_client_is_a_usage_error(walker: Walker) -> None:
    api = ScriptedAPI(default=ok(page([])))
    client = api.client()
    with client:
        pass
    if walker in (_async_items, _async_pages):
        asyncio.run(client.get_async_httpx_client().aclose())
    with pytest.raises(vt_refs.UsageError, match="closed"):
        walker(get_url_related_references, client, id="x")
    assert api.requests == []


@pytest.mark.parametrize("operation", [None, "get_url_related_references", [1], 5, httpx])
def test_something_that_is_no_operation_is_a_usage_error(operation: object) -> None:
    api = ScriptedAPI()
    with pytest.raises(vt_refs.UsageError):
        vt_refs.paginate(operation, api.client(), id="x")  # type: ignore[arg-type]


def test_an_operation_whose_hints_do_not_resolve_is_a_usage_error() -> None:
    operation = _page_operation("x")
    operation.sync.__annotations__["return"] = "NoSuchModel | None"
    with pytest.raises(vt_refs.UsageError, match="generated endpoint"):
        vt_refs.paginate(operation, ScriptedAPI().client(), owner="o", thing="t")


@pytest.mark.parametrize("value", [5, None, b"u", "\ud800"])
def test_url_id_of_no_text_is_a_usage_error(value: object) -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.url_id(value)  # type: ignore[arg-type]


def test_url_id_of_a_long_url_works() -> None:
    assert len(vt_refs.url_id("https://example.com/" + "a" * 70_000)) > 70_000


@pytest.mark.parametrize("model", [[1], {"a": 1}, 5, None, dict, "ReferenceCollection"])
@pytest.mark.parametrize("data", [b"{}", {"data": []}, [1], object()])
def test_parse_with_no_model_class_is_a_usage_error(model: object, data: object) -> None:
    with pytest.raises(vt_refs.UsageError, match="generated model class"):
        vt_refs.parse(model, data)  # type: ignore[call-overload]


# --- Any server script ------------------------------------------------------------------


@settings(max_examples=150)
@given(
    script=st.lists(
        st.tuples(st.integers(0, 2), st.none() | st.sampled_from("ABCDEFG")), max_size=40
    ),
    max_items=st.none() | st.integers(0, 12),
    user_cursor=st.none() | st.sampled_from("AB"),
)
def test_any_server_script_ends_within_the_bounds(
    script: list[tuple[int, str | None]], max_items: int | None, user_cursor: str | None
) -> None:
    """Whatever pages a server sends, a walk sends no cursor twice, no more than 6 empty
    pages in a row, at most max_items + 5 requests, and fails only at $.meta.cursor."""
    answers = [
        ok(page([f"{n:062x}{i:02x}" for i in range(size)], cursor=cursor))
        for n, (size, cursor) in enumerate(script)
    ]
    api = ScriptedAPI(answers, default=ok(page([])))
    try:
        items = _sync_items(
            get_url_related_references, api.client(), id="x", max_items=max_items,
            cursor=user_cursor,
        )  # fmt: skip
    except vt_refs.MalformedResponseError as error:
        assert error.path == "$.meta.cursor"
    else:
        if max_items is not None:
            assert len(items) <= max_items
        assert len({i.id for i in items}) == len(items)
    sent = [user_cursor] + [r.url.params.get("cursor") for r in api.requests[1:]]
    assert len(set(sent)) == len(sent)
    if max_items is not None:
        assert len(api.requests) <= max_items + 5
    sizes = [size for size, _ in script] + [0] * len(api.requests)
    run = 0
    for n in range(len(api.requests)):
        run = run + 1 if sizes[n] == 0 else 0
        assert run <= 6
