"""What `vt-refs bulk` writes is safe to open: no control sequence reaches a CSV cell raw,
no formula hides behind blanks, and an error row says why it failed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from vt_refs.testing import FakeVirusTotal

from support.cli import cli
from support.exports import csv_records

KEY = "bulk-output-key-51c2"
# What a terminal acts on: ESC (CSI, OSC), BEL, CR, backspace, DEL, C1 (U+009B is CSI),
# the line separators and the bidirectional overrides.
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def sha(i: int) -> str:
    return hashlib.sha256(f"bulk-output-{i}".encode()).hexdigest()


def _hostile_reference() -> dict[str, object]:
    return {
        "type": "reference",
        "id": "ref-\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
        "attributes": {
            "title": "safe\rEVIL \x1b[2J\x1b[31mred\x9b1m \u202egnp.exe",
            "author": "  =1+1",
            "url": "\u00a0@SUM(A1)",
            "creation_date": 1700000000,
        },
        "context_attributes": {
            "related_from": [
                {"type": "threat_actor", "id": "t", "attributes": {"name": "\n+cmd"}},
            ]
        },
    }


def _rows(path: Path) -> list[dict[str, str]]:
    return csv_records(path.read_bytes().decode("utf-8"))


def test_csv_cells_hold_no_raw_control_character_and_no_formula_after_blanks(
    tmp_path: Path,
) -> None:
    with FakeVirusTotal(api_key=KEY) as fake:
        fake.set_count(sha(1), 0, collection="files")
        fake.add_references(sha(1), [_hostile_reference()], collection="files")
        source = tmp_path / "iocs.txt"
        source.write_text(f"{sha(1)}\n", encoding="utf-8")
        out = tmp_path / "out.csv"
        done = cli("bulk", str(source), "--format", "csv", "--out", str(out),
                   "--base-url", fake.base_url, key=KEY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes().decode("utf-8")
    # Line ends are the only CR in the file; every other control is text now.
    assert _RAW_CONTROL.search(raw.replace("\r\n", "")) is None
    (row,) = _rows(out)
    assert row["reference_id"] == "ref-\\x1b]8;;http://evil.example\\x07link\\x1b]8;;\\x07"
    assert row["title"] == "safe\\x0dEVIL \\x1b[2J\\x1b[31mred\\x9b1m \\u202egnp.exe"
    assert row["author"] == "'  =1+1"
    assert row["url"] == "'\u00a0@SUM(A1)"
    assert row["via"] == "'\n+cmd"
    assert row["error"] == ""


def test_csv_has_an_error_column_that_says_why_a_row_failed(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY) as fake:
        fake.set_count(sha(2), 3, collection="files")
        source = tmp_path / "iocs.txt"
        source.write_text(f"{sha(2)}\nnot-an-indicator\n", encoding="utf-8")
        out = tmp_path / "out.csv"
        fake.fail_next(2, status=503, code="TransientError", message="the backend is down")
        done = cli("bulk", str(source), "--format", "csv", "--out", str(out), "--concurrency",
                   "1", "--max-retries", "1", "--base-url", fake.base_url, key=KEY)  # fmt: skip
    assert done.returncode == 6, done.stderr
    header = out.read_bytes().decode("utf-8").splitlines()[0]
    # the row's why, then its first; then the reports' columns
    assert header.split(",")[-5:-3] == ["error", "duplicate_of"]
    rows = {row["ioc"]: row for row in _rows(out)}
    assert rows[sha(2)]["status"] == "error"
    assert "the backend is down" in rows[sha(2)]["error"]
    assert rows["not-an-indicator"]["status"] == "invalid"
    assert "not an indicator" in rows["not-an-indicator"]["error"]
