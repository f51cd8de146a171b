"""Each distinct indicator once per run (issue 18): `enrich`, `aenrich` and `vt-refs bulk`
fetch each `(kind, id)` once whatever its spelling; a later item is a `"duplicate"` result
naming its first, handed over after it, at no request; the checkpoint and resume keep
their meaning."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import vt_refs
from vt_refs import IOCResult
from vt_refs._bulk import distinct
from vt_refs.testing import FakeVirusTotal

from support.cli import in_process
from support.fixtures import connected as client

SHA = hashlib.sha256(b"one file").hexdigest()
# Eleven lines, five indicators: each spelling after the first names the same object.
SPELLINGS = [
    "evil.example",  # 0
    SHA,  # 1
    "EVIL[.]example",  # 2 -> 0
    SHA.upper(),  # 3 -> 1
    "2001:db8::1",  # 4
    "2001:0db8:0000::0001",  # 5 -> 4
    "[2001:db8::1]:443",  # 6 -> 4
    "hxxps://evil[.]example/login",  # 7
    "https://evil.example/login",  # 8 -> 7
    "evil.example.",  # 9 -> 0 (the root's dot)
    "domain:Evil.Example",  # 10 -> 0
]
FIRSTS = {2: 0, 3: 1, 5: 4, 6: 4, 8: 7, 9: 0, 10: 0}


def walked_ids(fake: FakeVirusTotal) -> list[str]:
    """The object of each request, in the order sent."""
    return [r.path.split("/")[4] for r in fake.requests]


def check_run(results: list[IOCResult], fake: FakeVirusTotal) -> None:
    by_index = {r.index: r for r in results}
    assert sorted(by_index) == list(range(len(SPELLINGS)))  # every line accounted for
    duplicates = {i: r.duplicate_of for i, r in by_index.items() if r.status == "duplicate"}
    assert duplicates == FIRSTS
    for i, first in FIRSTS.items():
        dup, original = by_index[i], by_index[first]
        assert dup.references == [] and dup.count is None and dup.error is None and dup.ok
        assert dup.ioc == original.ioc and dup.text == SPELLINGS[i]
        # Handed over after its first: a consumer copying references has them already.
        assert results.index(dup) > results.index(original)
    assert {r.status for i, r in by_index.items() if i not in FIRSTS} == {"ok"}
    # One walk per distinct indicator (25 references in one page of 40), none for the rest.
    ids = walked_ids(fake)
    assert len(ids) == len(set(ids)) == len(SPELLINGS) - len(FIRSTS)


def test_each_distinct_indicator_is_fetched_once(fake: FakeVirusTotal) -> None:
    with client(fake) as c:
        results = list(vt_refs.enrich(c, SPELLINGS, concurrency=3, page_size=40))
    check_run(results, fake)


def test_the_async_twin_fetches_each_once_too(fake: FakeVirusTotal) -> None:
    async def run() -> list[IOCResult]:
        async with client(fake) as c:
            return [r async for r in vt_refs.aenrich(c, SPELLINGS, concurrency=3, page_size=40)]

    check_run(asyncio.run(run()), fake)


def test_five_thousand_copies_cost_one_walk(fake: FakeVirusTotal) -> None:
    copies = ["192.0.2.1", "::ffff:192.0.2.1"] * 2500
    with client(fake) as c:
        results = list(vt_refs.enrich(c, copies, page_size=40))
    assert len(fake.requests) == 1
    assert [r.index for r in results if r.status != "duplicate"] == [0]
    assert {r.duplicate_of for r in results if r.status == "duplicate"} == {0}
    assert len(results) == 5000


def test_a_duplicate_of_an_invalid_or_missing_first_costs_nothing(fake: FakeVirusTotal) -> None:
    fake.remove_object(SHA, collection="files")
    with client(fake) as c:
        results = list(vt_refs.enrich(c, [SHA, "not an indicator", SHA.upper(), "x y"]))
    assert [(r.status, r.duplicate_of) for r in sorted(results, key=lambda r: r.index)] == [
        ("not_found", None),
        ("invalid", None),
        ("duplicate", 0),
        ("invalid", None),  # what does not classify is no indicator to compare
    ]
    assert len(fake.requests) == 1


def test_duplicates_waiting_for_their_first_are_bounded(
    fake: FakeVirusTotal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first is walking, its duplicates are held, at most HELD_MAX: then no more
    input is read until a walk ends, so a list of millions of copies holds few of them."""
    monkeypatch.setattr(distinct, "HELD_MAX", 3)
    read = 0

    def source() -> Iterator[str]:
        nonlocal read
        for _ in range(40):
            read += 1
            yield "evil.example"

    fake.delay_next(1, seconds=0.3)  # the first's one page takes a while
    with client(fake) as c:
        results = vt_refs.enrich(c, source(), page_size=40)
        first = next(results)
        read_when_first_came = read
        rest = list(results)
    assert first.index == 0 and first.status == "ok"
    assert read_when_first_came <= 1 + 3 + 1  # the first, the held ones, the one over
    assert [r.duplicate_of for r in rest] == [0] * 39


def test_a_duplicate_is_finished_when_its_first_is(fake: FakeVirusTotal, tmp_path: Path) -> None:
    """Resume semantics unchanged: a rerun skips what was handed over, and a duplicate
    whose first finished in an earlier run costs no request in this one."""
    path = tmp_path / "run.sqlite"
    iocs = ["evil.example", SHA, "192.0.2.7"]
    with client(fake) as c:
        first_run = list(vt_refs.enrich(c, iocs, page_size=40, checkpoint=path))
    assert len(first_run) == 3 and len(fake.requests) == 3
    fake.clear_requests()
    grown = [*iocs, "EVIL[.]example", SHA.upper(), "203.0.113.9"]  # appended lines
    with client(fake) as c:
        second_run = list(vt_refs.enrich(c, grown, page_size=40, checkpoint=path))
    assert sorted((r.index, r.status, r.duplicate_of) for r in second_run) == [
        (3, "duplicate", 0),
        (4, "duplicate", 1),
        (5, "ok", None),
    ]
    assert walked_ids(fake) == ["203.0.113.9"]
    with client(fake) as c:
        assert list(vt_refs.enrich(c, grown, page_size=40, checkpoint=path)) == []


def test_a_duplicate_is_not_recorded_before_its_first(fake: FakeVirusTotal, tmp_path: Path) -> None:
    """The duplicates of a first still walking wait for it; a run stopped after the first
    is handed over (so before it is recorded) leaves them to the rerun, after it."""
    path = tmp_path / "run.sqlite"
    iocs = [SHA, "evil.example", "EVIL.example", "evil[.]example"]
    with client(fake) as c:
        results = vt_refs.enrich(c, iocs, concurrency=1, page_size=40, checkpoint=path)
        # Items 2 and 3 are read while item 1 walks: held, not handed over before it.
        handed = [next(results).index, next(results).index]
        results.close()  # type: ignore[attr-defined]  # a generator: the consumer stops
    assert handed == [0, 1]  # 1 was handed over, but the consumer never came back: unrecorded
    with client(fake) as c:
        rest = list(vt_refs.enrich(c, iocs, concurrency=1, page_size=40, checkpoint=path))
    assert [(r.index, r.status, r.duplicate_of) for r in rest] == [
        (1, "ok", None),
        (2, "duplicate", 1),
        (3, "duplicate", 1),
    ]


def bulk(tmp_path: Path, fake: FakeVirusTotal, *extra: str) -> tuple[int, bytes, str]:
    source = tmp_path / "iocs.txt"
    source.write_text("\n".join(SPELLINGS) + "\n")
    return in_process("bulk", str(source), "--max-retries", "0", *extra, fake=fake)


def test_bulk_writes_one_line_per_duplicate(tmp_path: Path, fake: FakeVirusTotal) -> None:
    status, out, err = bulk(tmp_path, fake, "--page-size", "40")
    assert status == 0, err
    lines = [json.loads(line) for line in out.decode().splitlines()]
    duplicates = [line for line in lines if line.get("status") == "duplicate"]
    kinds = {0: "domains", 1: "files", 4: "ip_addresses", 7: "urls"}
    expected = [
        {"ioc": SPELLINGS[i], "kind": kinds[first], "status": "duplicate",
         "duplicate_of": first, "reference": None}
        for i, first in FIRSTS.items()
    ]  # fmt: skip
    key = json.dumps
    assert sorted(duplicates, key=key) == sorted(expected, key=key)
    # The line as the issue spells it, keys in that order.
    assert (
        f'{{"ioc":"{SPELLINGS[3]}","kind":"files","status":"duplicate","duplicate_of":1,'
        '"reference":null}' in out.decode().splitlines()
    )
    assert len(lines) == 4 * 25 + len(FIRSTS)  # every reference of the four, a line per copy
    assert len(fake.requests) == 4
    assert "7 duplicate" in err


def test_bulk_csv_names_the_first_of_a_duplicate(tmp_path: Path, fake: FakeVirusTotal) -> None:
    status, out, err = bulk(tmp_path, fake, "--page-size", "40", "--format", "csv")
    assert status == 0, err
    rows = out.decode().splitlines()
    assert rows[0].endswith(",error,duplicate_of,relationship,kind,origin")
    assert f"{SPELLINGS[3]},files,duplicate,,,,,,,,1,,," in rows
    assert f"{SPELLINGS[2]},domains,duplicate,,,,,,,,0,,," in rows


@pytest.mark.parametrize(
    ("batch", "bloom_bits"),
    [
        (distinct.BATCH, 27),  # every key in the batch: the database never opens
        (1_000, 27),  # batches into the database, the filter nearly exact
        (997, 10),  # a filter of 1,024 bits, full: nearly every new key is looked up
        (1, 1),  # each key stored at once, every lookup goes to the database
    ],
)
def test_the_keys_kept_on_disk_agree_with_a_set(batch: int, bloom_bits: int) -> None:
    """The dedupe's keys (16-byte digests, in a batch in memory and in a temporary SQLite
    file behind a Bloom filter) answer as a set of (kind, id) would, first position
    included, over many keys and repeats, whatever the batch and the filter's size."""
    seen = distinct.Seen(batch=batch, bloom_bits=bloom_bits)
    firsts: dict[tuple[str, str], int] = {}
    try:
        for position in range(20_000):
            n = (position * 7919) % 15_000  # every key, a third of them again
            ioc = vt_refs.IOC("domains" if n % 2 else "files", f"host-{n}", f"host-{n}")
            expected = firsts.setdefault((ioc.kind, ioc.id), position)
            got = seen.first(ioc, position)
            assert got == (None if expected == position else expected)
        assert seen.distinct == len(firsts) == 15_000
        assert (seen._db is None) == (batch > 15_000)  # no database within one batch
    finally:
        seen.close()


@pytest.mark.parametrize(("batch", "bloom_bits"), [(0, 27), (10, 0), (10, 43)])
def test_a_dedupe_without_room_is_refused(batch: int, bloom_bits: int) -> None:
    with pytest.raises(ValueError, match="no dedupe"):
        distinct.Seen(batch=batch, bloom_bits=bloom_bits)
