"""`vt_refs.export.to_jsonl` / `to_csv`: the library writes the very bytes `vt-refs bulk`
writes, lazily, and refuses what is not a result."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from vt_refs import IOCResult, UsageError
from vt_refs.export import CSV_COLUMNS, to_csv, to_jsonl
from vt_refs.testing import FakeVirusTotal

from support.exports import (
    INDICATORS,
    csv_records,
    prepared,
    results,
    run_cli,
    sha,
    write_input,
)
from support.keys import KEY


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        yield prepared(running)


@pytest.mark.parametrize("format", ["jsonl", "csv"])
def test_the_library_writes_the_cli_bytes(fake: FakeVirusTotal, tmp_path: Path,
                                          format: str) -> None:  # fmt: skip
    found = results(fake)
    done = run_cli("bulk", str(write_input(tmp_path)), "--format", format,
                   "--concurrency", "1", fake=fake)  # fmt: skip
    assert done.returncode == 6  # the invalid indicator
    library = "".join(to_jsonl(found) if format == "jsonl" else to_csv(found)).encode("utf-8")
    # Results come as their walks finish (an invalid one at once): the same lines, and
    # each result's lines together.
    assert sorted(library.splitlines(keepends=True)) == sorted(
        done.stdout.splitlines(keepends=True)
    )
    for result in found:
        one = "".join(to_jsonl([result]) if format == "jsonl" else to_csv([result], header=False))
        assert one.encode("utf-8") in done.stdout


def test_jsonl_records(fake: FakeVirusTotal) -> None:
    lines = [json.loads(line) for line in "".join(to_jsonl(results(fake))).splitlines()]
    assert len(lines) == 5 * 3 + 2
    assert {line["kind"] for line in lines} == {"urls", "domains", "ip_addresses", "files", None}
    missing = next(line for line in lines if line["ioc"] == sha(404))
    assert missing["reference"] is None and missing["status"] == "not_found"
    invalid = next(line for line in lines if line["ioc"] == "not-an-indicator")
    assert invalid["status"] == "invalid" and "not an indicator" in invalid["error"]


def test_csv_rows_and_header_off(fake: FakeVirusTotal) -> None:
    found = results(fake)
    text = "".join(to_csv(found))
    assert tuple(next(csv.reader(io.StringIO(text, newline="")))) == CSV_COLUMNS
    rows = csv_records(text)
    assert len(rows) == 17
    assert all(row["creation_date"].endswith("Z") for row in rows if row["reference_id"])
    assert "".join(to_csv(found, header=False)) == text.split("\r\n", 1)[1]


def test_both_stream_one_result_at_a_time(fake: FakeVirusTotal) -> None:
    consumed: list[int] = []

    def source() -> Iterator[IOCResult]:
        for result in results(fake, INDICATORS[:2]):
            consumed.append(result.index)
            yield result

    lines = to_jsonl(source())
    assert consumed == []
    next(lines)
    assert consumed == [0]
    rows = to_csv(source())
    next(rows)  # the header needs no result
    assert consumed == [0]


@pytest.mark.parametrize("bad", ["evil.example", 3, [object()]])
def test_what_is_not_results_is_a_usage_error(bad: object) -> None:
    with pytest.raises(UsageError):
        list(to_jsonl(bad))  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        list(to_csv(bad))  # type: ignore[arg-type]
