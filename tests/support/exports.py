"""What the export and watch tests share: a fake with a few indicators of every kind,
the library's results over it, and `vt-refs bulk` / `vt-refs watch` run as processes."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import vt_refs
from vt_refs import IOCResult
from vt_refs.testing import FakeVirusTotal

from support.cli import cli_env
from support.keys import KEY

TIMEOUT = 60.0


def sha(i: int) -> str:
    return hashlib.sha256(f"export-file-{i}".encode()).hexdigest()


# One indicator of each kind the STIX and MISP mappings know, an invalid one, and a missing one.
INDICATORS: tuple[str, ...] = (
    "https://evil.example/login",
    "evil.example",
    "192.0.2.7",
    "2001:db8::7",
    sha(1),
    "not-an-indicator",
    sha(404),
)


def prepared(fake: FakeVirusTotal, count: int = 3) -> FakeVirusTotal:
    """`fake` with `count` references per indicator and the last one unknown."""
    for text in INDICATORS[:5]:
        ioc = vt_refs.classify(text)
        fake.set_count(ioc.id, count, collection=ioc.kind)
    fake.remove_object(sha(404), collection="files")
    return fake


def results(fake: FakeVirusTotal, iocs: Sequence[str] = INDICATORS) -> list[IOCResult]:
    """The library's results over `iocs`, in input order."""
    with vt_refs.connect(KEY, base_url=fake.base_url, max_retries=0) as client:
        found = list(vt_refs.enrich(client, iocs, concurrency=2))
    return sorted(found, key=lambda result: result.index)


def write_input(tmp_path: Path, lines: Sequence[str] = INDICATORS) -> Path:
    path = tmp_path / "iocs.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run_cli(*args: str, fake: FakeVirusTotal, stdin: str = "", **kwargs: Any
            ) -> subprocess.CompletedProcess[bytes]:  # fmt: skip
    """`vt-refs ARGS --base-url FAKE`, stdout as bytes; no traceback, no key shown."""
    done = subprocess.run(
        [sys.executable, "-m", "vt_refs.cli", *args, "--base-url", fake.base_url,
         "--max-retries", "1"],
        input=stdin.encode("utf-8"),
        capture_output=True,
        env=cli_env(KEY),
        timeout=TIMEOUT,
        **kwargs,
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert KEY.encode() not in done.stdout + done.stderr
    return done


def stix_must_errors(text: str) -> list[str]:
    """What the OASIS validator (stix2-validator) finds against a "MUST" of STIX 2.1 in
    the bundle `text`: its errors (its warnings are the "SHOULD"s)."""
    from stix2validator import ValidationOptions, validate_string

    outcome = validate_string(text, ValidationOptions(version="2.1"))
    return [str(error) for error in outcome.errors]


def assert_valid_stix(text: str) -> Any:
    """`text` passes the validator with no "MUST" error and round-trips through
    stix2.parse to the same objects; returns the parsed bundle."""
    import json

    import stix2

    assert stix_must_errors(text) == []
    # version="2.1": stix2 cannot tell the version of a bundle with no objects.
    bundle = stix2.parse(text, allow_custom=False, version="2.1")
    again = json.loads(bundle.serialize())
    assert {o["id"]: o for o in again.get("objects", [])} == {
        o["id"]: o for o in json.loads(text).get("objects", [])
    }
    return bundle


def assert_loads_in_pymisp(text: str) -> Any:
    """`text` loads back into a pymisp.MISPEvent; returns it."""
    import pymisp

    event = pymisp.MISPEvent()
    event.load(text)
    assert event.uuid and event.info
    return event


def many_files(fake: FakeVirusTotal, tmp_path: Path, *, first: int, n: int, refs: int
               ) -> Path:  # fmt: skip
    """An input of `n` file hashes, each with `refs` references on `fake`."""
    lines = [sha(first + i) for i in range(n)]
    for line in lines:
        fake.set_count(line, refs, collection="files")
    return write_input(tmp_path, lines)


def cli_argv(*args: str, fake: FakeVirusTotal) -> list[str]:
    """The argv of `vt-refs ARGS` against `fake` (for a process a test kills)."""
    return [sys.executable, "-m", "vt_refs.cli", *args, "--base-url", fake.base_url,
            "--max-retries", "1"]  # fmt: skip


def csv_records(text: str) -> list[dict[str, str]]:
    """The rows of a bulk CSV by column name, the second `kind` (the report's, before
    `origin`) as "report_kind": csv.DictReader would keep only the last of the two."""
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    at = len(header) - 1 - header[::-1].index("kind")
    assert header.count("kind") == 2 and header[at + 1 :] == ["origin"], header
    names = [*header[:at], "report_kind", *header[at + 1 :]]
    return [dict(zip(names, row, strict=True)) for row in rows]
