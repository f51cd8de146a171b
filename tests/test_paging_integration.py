"""The overlay against the fake VirusTotal over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import vt_refs
from vt_refs.testing import SEED_URL, SEED_URL_SHA256, FakeVirusTotal
from vt_refs_api.api.domains import (
    get_domain_related_references,
    get_domain_related_references_descriptors,
)
from vt_refs_api.api.files import get_file_related_references_descriptors
from vt_refs_api.api.ip_addresses import (
    get_ip_address_related_references,
    get_ip_address_related_references_descriptors,
)
from vt_refs_api.api.urls import get_url_related_references
from vt_refs_api.models import ReferenceCollection
from vt_refs_api.types import UNSET

from support.keys import KEY, OTHER_KEY, WRONG_KEY
from support.listener import closed_base_url

OBJECT = "a" * 64


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(default_count=57) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(fake: FakeVirusTotal) -> Iterator[None]:
    fake.clear_faults()
    fake.clear_requests()
    yield
    fake.clear_faults()


def _client(fake: FakeVirusTotal, **kwargs: Any) -> Any:
    kwargs.setdefault("backoff_factor", 0.001)
    kwargs.setdefault("timeout", 5.0)
    return vt_refs.connect(fake.api_key, base_url=fake.base_url, **kwargs)


def _ids(client: Any, **kwargs: Any) -> list[str]:
    kwargs.setdefault("id", OBJECT)
    return [r.id for r in vt_refs.paginate(get_url_related_references, client, **kwargs)]


def test_seed_references_for_the_seed_url(fake: FakeVirusTotal, seed_page: dict[str, Any]) -> None:
    with _client(fake) as client:
        by_url = list(vt_refs.related_references(client, SEED_URL))
        by_sha = list(vt_refs.related_references(client, id=SEED_URL_SHA256))
    expected = [ref["id"] for ref in seed_page["data"]]
    assert [r.id for r in by_url] == [r.id for r in by_sha] == expected
    assert by_url[0].attributes.title == "Holiday lull? Not so much"


def test_full_pagination_is_complete_and_ordered(fake: FakeVirusTotal) -> None:
    with _client(fake) as client:
        ids = _ids(client, page_size=10)
    assert len(ids) == 57 == len(set(ids))
    assert len(fake.requests) == 6
    assert all(r.headers["x-apikey"] == fake.api_key for r in fake.requests)


def test_pagination_through_injected_faults_loses_and_repeats_nothing(
    fake: FakeVirusTotal, sleeps: list[float]
) -> None:
    with _client(fake) as client:
        clean = _ids(client, page_size=10)
        fake.clear_requests()
        fake.fail_next(status=429, code="QuotaExceededError")
        fake.fail_next(status=503, code="TransientError")
        fake.fail_next(status=504, code="DeadlineExceededError")
        fake.drop_next()
        fake.fail_next(status=520, code=None)
        ids = _ids(client, page_size=10)
        stats = client.stats
    assert ids == clean
    faulted = [r for r in fake.requests if r.fault is not None]
    assert len(faulted) == 5
    # Four retries; the 429 is a wait for the quota (and teaches the client a window).
    assert (stats.retries, stats.rate_limited) == (4, 1)


def test_seeded_chaos_is_survived(fake: FakeVirusTotal, sleeps: list[float]) -> None:
    with _client(fake, max_retries=8) as client:
        clean = _ids(client, page_size=5)
        fake.chaos(0.4, seed=1234, kinds=("fail", "drop"))
        assert _ids(client, page_size=5) == clean
    assert any(r.fault is not None for r in fake.requests)


def test_retry_after_from_the_server_is_honoured(fake: FakeVirusTotal, sleeps: list[float]) -> None:
    fake.fail_next(status=429, code="QuotaExceededError", retry_after="3")
    with _client(fake) as client:
        assert len(_ids(client, page_size=40)) == 57
    assert sleeps[0] == pytest.approx(3.0, abs=0.05)


def test_exhausted_retries_raise_the_typed_error(fake: FakeVirusTotal, sleeps: list[float]) -> None:
    fake.fail_next(3, status=503, code="TransientError")
    with _client(fake, max_retries=2) as client, pytest.raises(vt_refs.TransientError) as caught:
        _ids(client)
    assert caught.value.status_code == 503
    assert len(fake.requests) == 3


def test_dropped_connections_beyond_retries_are_a_connection_error(
    fake: FakeVirusTotal, sleeps: list[float]
) -> None:
    fake.drop_next(2)
    with _client(fake, max_retries=1) as client, pytest.raises(vt_refs.APIConnectionError):
        _ids(client)


def test_a_slow_answer_times_out_and_is_retried(fake: FakeVirusTotal, sleeps: list[float]) -> None:
    fake.delay_next(seconds=1.0)
    with _client(fake, timeout=0.2) as client:
        assert len(_ids(client, page_size=40)) == 57
    assert len(sleeps) == 1


def test_resume_from_a_page_cursor(fake: FakeVirusTotal) -> None:
    with _client(fake) as client:
        everything = _ids(client, page_size=10)
        pages = vt_refs.iter_pages(get_url_related_references, client, id=OBJECT, page_size=10)
        first, second = next(pages), next(pages)
        resumed = _ids(client, page_size=10, cursor=second.meta.cursor)
    seen = [r.id for r in first.data + second.data]
    assert seen + resumed == everything


def test_max_items_cursor_resumes_exactly(fake: FakeVirusTotal) -> None:
    with _client(fake) as client:
        everything = _ids(client, page_size=10)
        pages = list(
            vt_refs.iter_pages(get_url_related_references, client, id=OBJECT, page_size=10)
        )
        fake.clear_requests()
        head = _ids(client, page_size=10, max_items=23)
        assert [r.query["limit"] for r in fake.requests] == ["10", "10", "3"]
    assert head == everything[:23]
    assert pages[-1].meta.cursor is UNSET


def test_async_pagination_matches_sync(fake: FakeVirusTotal, sleeps: list[float]) -> None:
    client = _client(fake)
    with client:
        expected = _ids(client, page_size=7)

    async def run() -> list[str]:
        fake.fail_next(status=503, code="TransientError")
        fake.drop_next()
        async with client:
            items = vt_refs.apaginate(get_url_related_references, client, id=OBJECT, page_size=7)
            return [r.id async for r in items]

    assert asyncio.run(run()) == expected


def test_concurrent_async_walks_share_one_client(fake: FakeVirusTotal) -> None:
    client = _client(fake)

    async def walk(object_id: str) -> int:
        refs = vt_refs.apaginate(get_url_related_references, client, id=object_id, page_size=9)
        return len([r async for r in refs])

    async def run() -> list[int]:
        async with client:
            return await asyncio.gather(*(walk(c * 64) for c in "bcdef"))

    assert asyncio.run(run()) == [57] * 5


def test_descriptor_pages_of_files(fake: FakeVirusTotal) -> None:
    md5 = "44d88612fea8a8f36de82e1278abb02f"
    fake.set_count(md5, 12, collection="files")
    with _client(fake) as client:
        items = list(
            vt_refs.paginate(get_file_related_references_descriptors, client, id=md5, page_size=5)
        )
    assert len(items) == 12
    assert all(i.type_ == "reference" for i in items)
    assert fake.requests[0].path.endswith(f"/files/{md5}/relationships/related_references")


@pytest.mark.parametrize(
    ("operation", "collection", "object_id", "sent"),
    [
        (get_domain_related_references, "domains", "example.org", "example.org"),
        (get_domain_related_references_descriptors, "domains", "example.org", "example.org"),
        (get_ip_address_related_references, "ip_addresses", "198.51.100.7", "198.51.100.7"),
        (
            get_ip_address_related_references_descriptors,
            "ip_addresses",
            "2001:db8::7",
            "2001%3Adb8%3A%3A7",
        ),
    ],
)
def test_domains_and_ip_addresses_page_with_the_generic_helpers(
    fake: FakeVirusTotal, operation: Any, collection: str, object_id: str, sent: str
) -> None:
    fake.set_count(object_id, 23, collection=collection)
    with _client(fake) as client:
        items = list(vt_refs.paginate(operation, client, id=object_id, page_size=10))
        pages = list(vt_refs.iter_pages(operation, client, id=object_id, page_size=10))
    assert len(items) == 23 == len({i.id for i in items})
    assert [i.id for p in pages for i in p.data] == [i.id for i in items]
    assert pages[0].meta.count == 23 and isinstance(pages[-1].meta.cursor, type(UNSET))
    middle = "relationships/" if operation.__name__.endswith("_descriptors") else ""
    assert fake.requests[0].path == f"/api/v3/{collection}/{sent}/{middle}related_references"


def test_api_errors_from_the_fake(fake: FakeVirusTotal) -> None:
    client = vt_refs.connect(WRONG_KEY, base_url=fake.base_url)
    with client, pytest.raises(vt_refs.WrongCredentialsError) as caught:
        _ids(client)
    assert caught.value.status_code == 401
    with _client(fake) as client, pytest.raises(vt_refs.NotFoundError):
        _ids(client, id="not a url id!")
    with _client(fake) as client, pytest.raises(vt_refs.InvalidArgumentError):
        _ids(client, cursor="garbage")


def test_malformed_body_from_the_fake(fake: FakeVirusTotal) -> None:
    fake.malform_next(body=b'{"data": [{"type": "reference"}]}')
    with _client(fake) as client, pytest.raises(vt_refs.MalformedResponseError) as caught:
        _ids(client)
    assert (caught.value.path, caught.value.status_code) == ("$.data[0].id", 200)


def test_redirect_to_a_second_loopback_origin_never_carries_the_key(
    fake: FakeVirusTotal,
) -> None:
    with FakeVirusTotal(api_key=OTHER_KEY) as other:
        target = f"{other.base_url}/urls/{OBJECT}/related_references?limit=10"
        fake.redirect_next(location=target)
        client = _client(fake, follow_redirects=True)
        with client, pytest.raises(vt_refs.AuthenticationRequiredError):
            _ids(client)
        assert len(other.requests) == 1
        assert "x-apikey" not in other.requests[0].headers
        assert fake.requests[0].headers["x-apikey"] == fake.api_key


def test_redirect_is_an_error_when_not_following(fake: FakeVirusTotal) -> None:
    fake.redirect_next(location="http://127.0.0.1:9/elsewhere")
    with _client(fake) as client, pytest.raises(vt_refs.APIError) as caught:
        _ids(client)
    assert caught.value.status_code == 307


def test_links_next_is_never_followed(fake: FakeVirusTotal) -> None:
    with _client(fake) as client:
        pages = list(
            vt_refs.iter_pages(get_url_related_references, client, id=OBJECT, page_size=20)
        )
    assert pages[0].links.next_.startswith(fake.origin)
    # Every request was built from meta.cursor by the operation, to the fake's origin.
    assert [r.query.get("cursor") for r in fake.requests[1:]] == [p.meta.cursor for p in pages[:-1]]


def test_repr_of_a_used_client_hides_the_key(fake: FakeVirusTotal) -> None:
    secret = KEY
    with FakeVirusTotal(api_key=secret) as own:
        client = vt_refs.connect(secret, base_url=own.base_url)
        with client:
            list(vt_refs.related_references(client, id=OBJECT, max_items=3))
            text = repr(client) + str(client) + repr(client.get_httpx_client().headers)
        assert secret not in text
        assert own.requests[0].headers["x-apikey"] == secret


def _failure_with_locals(call: Any, client: Any) -> tuple[BaseException, str]:
    """The exception `call(client)` raises, and its traceback rendered with locals.

    Only frames from here down are rendered: the test's own locals hold the key.
    """
    try:
        call(client)
    except Exception as error:
        rendered = traceback.TracebackException.from_exception(error, capture_locals=True)
        return error, "".join(rendered.format())
    pytest.fail("the call must fail")


def test_tracebacks_with_locals_never_show_the_key(fake: FakeVirusTotal) -> None:
    secret = KEY
    fake.drop_next()  # fails after the headers went out: h11 and httpcore frames hold them
    with vt_refs.connect(secret, base_url=fake.base_url, max_retries=0) as client:
        error, text = _failure_with_locals(
            lambda c: list(vt_refs.related_references(c, id=OBJECT)), client
        )
    assert isinstance(error, vt_refs.APIConnectionError)
    assert isinstance(error.__cause__, httpx.HTTPError)
    assert "related_references" in text and secret not in text
    closed = closed_base_url()
    with vt_refs.connect(secret, base_url=closed, max_retries=0) as client:
        error, text = _failure_with_locals(
            lambda c: get_url_related_references.sync(id=OBJECT, client=c), client
        )
    assert isinstance(error, httpx.ConnectError)
    assert secret not in text


def test_generated_operations_called_directly_get_retries_and_the_key(
    fake: FakeVirusTotal, sleeps: list[float]
) -> None:
    fake.fail_next(status=503, code="TransientError")
    with _client(fake) as client:
        page = get_url_related_references.sync(id=SEED_URL_SHA256, client=client)
    assert isinstance(page, ReferenceCollection)
    assert len(page.data) == 2
    assert [r.headers["x-apikey"] for r in fake.requests] == [fake.api_key] * 2
