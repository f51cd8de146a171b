"""`vt-refs iocs` and `vt-refs pivot`, run as a process against FakeVirusTotal."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator

import pytest

from vt_refs.testing import FakeVirusTotal

from support.cli import SCRIPT, TIMEOUT, check_clean, cli_env, one_line
from support.exports import csv_records

SEED_REPORT = "report--0082e68274dfccb553cd7e19047f0119d01661e7e96af6376743fc853c930a20"
SEED_ARTICLE = "https://www.proofpoint.com/us/threat-insight/post/holiday-lull-not-so-much"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(default_count=4) as running:
        yield running


def _run(fake: FakeVirusTotal, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(fake.api_key, {"VT_BASE_URL": fake.base_url})
    done = subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    check_clean(done.stdout, done.stderr, fake.api_key)
    return done


def test_iocs_lists_a_reports_indicators_as_jsonl_and_csv(fake: FakeVirusTotal) -> None:
    done = _run(fake, "iocs", SEED_REPORT)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines and all(set(line) == {"kind", "id", "value"} for line in lines)
    assert {line["kind"] for line in lines} == {"files", "urls", "domains", "ip_addresses"}
    done = _run(fake, "iocs", SEED_ARTICLE, "--kind", "domains,ip_addresses", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["kind", "id", "value"]
    assert {row[0] for row in rows[1:]} == {"domains", "ip_addresses"}
    assert rows[1:] == [
        [line["kind"], line["id"], line["value"]]
        for line in lines
        if line["kind"] in ("domains", "ip_addresses")
    ], "the reference's twin"


def test_iocs_errors_are_one_line(fake: FakeVirusTotal) -> None:
    done = _run(fake, "iocs", "report--unknown")
    assert done.returncode == 3 and "NotFoundError" in one_line(done.stderr)
    done = _run(fake, "iocs", SEED_REPORT, "--kind", "hashes")
    assert done.returncode == 2 and "--kind" in done.stderr


def test_pivot_prints_bounded_edges(fake: FakeVirusTotal) -> None:
    fake.clear_requests()
    done = _run(
        fake,
        "pivot",
        "example.com",
        "--depth",
        "1",
        "--relationship",
        "related_reports",
        "--max-reports",
        "2",
        "--max-iocs-per-report",
        "3",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    to_reports = [line for line in lines if "-[related_reports]->" in line]
    mentions = [line for line in lines if "-[mentions]->" in line]
    assert len(to_reports) == 2 and len(mentions) == 6 and len(lines) == 8
    assert all(
        line.startswith("(domain example.com) -[related_reports]-> (report ") for line in to_reports
    )
    paths = [r.path for r in fake.requests]
    assert len(paths) == len(set(paths)) <= 1 + 2 * 4


def test_pivot_falls_back_from_forbidden_references_saying_so_once(fake: FakeVirusTotal) -> None:
    fake.forbid_deprecated = True
    try:
        done = _run(
            fake,
            "pivot",
            "example.com",
            "--max-reports",
            "1",
            "--max-iocs-per-report",
            "1",
            "--format",
            "jsonl",
        )
    finally:
        fake.forbid_deprecated = False
    assert done.returncode == 0, done.stderr
    line = one_line(done.stderr)
    assert "related_references answered 403 ForbiddenError" in line and "related_reports" in line
    edges = [json.loads(line) for line in done.stdout.splitlines()]
    assert [edge["relationship"] for edge in edges] == ["related_reports", "mentions"]
    assert edges[0]["source"] == {
        "ioc": {"kind": "domains", "id": "example.com", "value": "example.com"}
    }
    assert edges[0]["target"]["report"]["kind"] == "report"


def _bulk(fake: FakeVirusTotal, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(fake.api_key, {"VT_BASE_URL": fake.base_url})
    done = subprocess.run(
        [str(SCRIPT), "bulk", "-", *args],
        input=stdin,
        env=env,
        text=True,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    check_clean(done.stdout, done.stderr, fake.api_key)
    return done


def test_bulk_relationship_auto_moves_to_related_reports_once(fake: FakeVirusTotal) -> None:
    fake.forbid_deprecated = True
    try:
        done = _bulk(fake, "example.com\n1.2.3.4\n", "--relationship", "auto", "--concurrency", "1")
    finally:
        fake.forbid_deprecated = False
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "403 ForbiddenError" in line]
    assert len(notes) == 1 and notes[0].startswith("vt-refs: ") and "related_reports" in notes[0]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 8 and {line["relationship"] for line in lines} == {"related_reports"}
    assert {line["report"]["kind"] for line in lines} == {"report"}
    assert {line["reference"]["type"] for line in lines} == {"collection"}


def test_bulk_lines_carry_the_relationship_and_the_report_fields(fake: FakeVirusTotal) -> None:
    done = _bulk(fake, "example.com\n", "--relationship", "auto")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and len(lines) == 4
    assert {line["relationship"] for line in lines} == {"related_references"}, "not refused"
    first = lines[0]
    assert first["report"]["kind"] == "reference"
    assert first["report"]["title"] == first["reference"]["attributes"]["title"]
    done = _bulk(fake, "example.com\n", "--relationship", "reports", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    header = [
        "ioc",
        "kind",
        "status",
        "reference_id",
        "title",
        "author",
        "creation_date",
        "url",
        "via",
        "error",
        "duplicate_of",
    ]
    assert rows[0] == [*header, "relationship", "kind", "origin"], "new ones at the end"
    body = csv_records(done.stdout)
    assert len(body) == 4 and {row["relationship"] for row in body} == {"reports"}
    assert {row["report_kind"] for row in body} == {"report"}
    assert {row["origin"] for row in body} == {"Crowdsourced", "Google Threat Intelligence"}
    assert all(row["title"] for row in body), "a report's name is its title"
