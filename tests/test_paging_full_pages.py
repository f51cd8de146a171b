"""Full pages by default (issue 18): with no `page_size`, every walk asks for the largest
page the API serves, the `maximum` of `limit` in openapi.yaml read through the catalog;
once `meta.count` says one page holds the rest, it asks for exactly that many, and never
for more than `max_items` needs. An explicit `page_size` is honoured; one over the
maximum is a `UsageError` naming it, before anything is sent. The same in `paginate`,
`iter_pages`, their async twins, `related_references`, `enrich`, `vt-refs` and bulk."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import vt_refs
from vt_refs._paging import get_catalog
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.files import get_file_related_references
from vt_refs_api.api.threat_actors import get_threat_actor_related_references_descriptors

from support.cli import in_process
from support.fixtures import connected
from support.spec_strategies import load_spec

SHA = hashlib.sha256(b"full pages").hexdigest()


def spec_maximum() -> int:
    """`limit`'s maximum as openapi.yaml writes it: the one place it is written."""
    maximum = load_spec()["components"]["parameters"]["Limit"]["schema"]["maximum"]
    assert isinstance(maximum, int)
    return maximum


MAX = spec_maximum()


def limits(fake: FakeVirusTotal) -> list[int]:
    return [int(r.query["limit"]) for r in fake.requests]


def test_the_maximum_is_the_specs_and_every_relationship_has_it() -> None:
    assert MAX == 40  # what VirusTotal's own material states for relationship pages
    assert {entry.max_limit for entry in get_catalog().entries} == {MAX}


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, [MAX]),
        (1, [MAX]),
        (MAX, [MAX]),
        (MAX + 1, [MAX, 1]),  # meta.count: the second page holds one, ask for one
        (2 * MAX, [MAX, MAX]),
        (95, [MAX, MAX, 15]),
    ],
)
def test_paginate_asks_for_full_pages_then_exactly_what_is_left(
    fake: FakeVirusTotal, count: int, expected: list[int]
) -> None:
    fake.set_count(SHA, count, collection="files")
    with connected(fake) as client:
        items = list(vt_refs.paginate(get_file_related_references, client, id=SHA))
    assert len(items) == count
    assert limits(fake) == expected


@pytest.mark.parametrize(
    ("count", "max_items", "expected"),
    [
        (95, 45, [MAX, 5]),  # max_items_per_ioc's limit is min(remaining, the maximum)
        (95, 40, [MAX]),
        (95, 7, [7]),
        (45, 50, [MAX, 5]),  # meta.count's 5 left, under the 10 max_items leaves
        (95, 200, [MAX, MAX, 15]),
    ],
)
def test_max_items_never_asks_for_more_than_it_needs(
    fake: FakeVirusTotal, count: int, max_items: int, expected: list[int]
) -> None:
    fake.set_count(SHA, count, collection="files")
    with connected(fake) as client:
        got = list(
            vt_refs.paginate(get_file_related_references, client, id=SHA, max_items=max_items)
        )
    assert len(got) == min(count, max_items)
    assert limits(fake) == expected


def test_an_explicit_page_size_is_honoured(fake: FakeVirusTotal) -> None:
    fake.set_count(SHA, 25, collection="files")
    with connected(fake) as client:
        assert len(list(vt_refs.paginate(get_file_related_references, client, id=SHA,
                                         page_size=10))) == 25  # fmt: skip
        fake.clear_requests()
        pages = list(vt_refs.iter_pages(get_file_related_references, client, id=SHA,
                                        page_size=MAX))  # fmt: skip
    assert limits(fake) == [MAX]
    assert [len(page.data) for page in pages] == [25]


def test_the_first_walk_with_an_explicit_size_ends_on_meta_count(fake: FakeVirusTotal) -> None:
    fake.set_count(SHA, 25, collection="files")
    with connected(fake) as client:
        list(vt_refs.paginate(get_file_related_references, client, id=SHA, page_size=10))
    assert limits(fake) == [10, 10, 5]


def test_a_walk_resumed_from_a_cursor_keeps_full_pages(fake: FakeVirusTotal) -> None:
    """From a cursor the walk does not know how many came before: meta.count cannot say
    what is left, so it asks for full pages to the end."""
    fake.set_count(SHA, 95, collection="files")
    with connected(fake) as client:
        first = next(vt_refs.iter_pages(get_file_related_references, client, id=SHA,
                                        page_size=30))  # fmt: skip
        cursor = first.meta.cursor
        assert isinstance(cursor, str)
        fake.clear_requests()
        rest = list(vt_refs.paginate(get_file_related_references, client, id=SHA,
                                     cursor=cursor))  # fmt: skip
    assert len(rest) == 65
    assert limits(fake) == [MAX, MAX]


@pytest.mark.parametrize("size", [MAX + 1, 1000])
def test_a_page_size_over_the_maximum_is_refused_naming_it(fake: FakeVirusTotal, size: int) -> None:
    with connected(fake) as client:
        for call in (
            lambda: vt_refs.paginate(get_file_related_references, client, id=SHA, page_size=size),
            lambda: vt_refs.iter_pages(get_file_related_references, client, id=SHA,
                                       page_size=size),
            lambda: vt_refs.apaginate(get_file_related_references, client, id=SHA,
                                      page_size=size),
            lambda: vt_refs.related_references(client, "https://example.com/", page_size=size),
            lambda: vt_refs.enrich(client, [SHA], page_size=size),
            lambda: vt_refs.aenrich(client, [SHA], page_size=size),
        ):  # fmt: skip
            with pytest.raises(vt_refs.UsageError, match=f"page_size={size} is over the {MAX} "):
                call()
    assert fake.requests == []


def test_the_async_twins_and_the_url_shortcut_ask_for_full_pages(fake: FakeVirusTotal) -> None:
    actor = "apt-full"
    fake.set_count(actor, 50, collection="threat_actors")

    async def walk() -> list[Any]:
        async with connected(fake) as client:
            operation = get_threat_actor_related_references_descriptors
            return [d async for d in vt_refs.apaginate(operation, client, id=actor)]

    assert len(asyncio.run(walk())) == 50
    assert limits(fake) == [MAX, 10]
    fake.clear_requests()
    with connected(fake) as client:
        refs = list(vt_refs.related_references(client, "https://full.example/"))
    assert len(refs) == 25 and limits(fake) == [MAX]


def test_enrich_asks_for_full_pages_and_max_items_per_ioc_cuts_the_last(
    fake: FakeVirusTotal,
) -> None:
    fake.set_count(SHA, 95, collection="files")
    with connected(fake) as client:
        (whole,) = vt_refs.enrich(client, [SHA])
        assert limits(fake) == [MAX, MAX, 15]
        fake.clear_requests()
        (cut,) = vt_refs.enrich(client, [f"file:{SHA}"], max_items_per_ioc=45)
    assert limits(fake) == [MAX, 5]
    assert len(whole.references) == 95 and len(cut.references) == 45


def test_the_cli_asks_for_full_pages_and_refuses_more(fake: FakeVirusTotal) -> None:
    fake.set_count(SHA, 95, collection="files")
    status, out, err = in_process("--id", SHA, "--object", "files", fake=fake)
    assert status == 0, err
    assert len(out.decode().splitlines()) == 95 and limits(fake) == [MAX, MAX, 15]
    fake.clear_requests()
    status, out, err = in_process("--id", SHA, "--object", "files", "--page-size",
                                  str(MAX + 1), fake=fake)  # fmt: skip
    assert status == 2 and out == b"" and fake.requests == []
    assert f"page_size={MAX + 1} is over the {MAX} " in err


def test_bulk_asks_for_full_pages_and_refuses_more(fake: FakeVirusTotal, tmp_path: Path) -> None:
    fake.set_count(SHA, 95, collection="files")
    source = tmp_path / "iocs.txt"
    source.write_text(f"{SHA}\n")
    status, out, err = in_process("bulk", str(source), fake=fake)
    assert status == 0, err
    assert len(out.decode().splitlines()) == 95 and limits(fake) == [MAX, MAX, 15]
    fake.clear_requests()
    status, out, err = in_process("bulk", str(source), "--max-items-per-ioc", "45", fake=fake)
    assert [json.loads(line)["ioc"] for line in out.decode().splitlines()] == [SHA] * 45
    assert limits(fake) == [MAX, 5]
    fake.clear_requests()
    status, out, err = in_process("bulk", str(source), "--page-size", str(MAX + 1), fake=fake)
    assert status == 2 and out == b"" and fake.requests == []
    assert f"page_size={MAX + 1} is over the {MAX} " in err
