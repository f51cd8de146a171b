"""JSON Lines and CSV: one record per (indicator, reference), as `vt-refs bulk` writes them.

Both stream: each result becomes its lines as it comes, so a run of millions of
indicators holds one result at a time. Every indicator shows up: one line per
reference, or one line with no reference and the indicator's status (and its error).
A result's lines are made whole before they are handed out, so a writer that writes
them at once grows its output by whole results only (the CLI's checkpoint relies on it).

The CSV is safe to open in a spreadsheet and to `cat`: a cell that would start a formula
is prefixed with `'`, control characters are written as `\\xNN` text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any, Final

from .._bulk import IOCResult
from .._formats import json_text, utc_text
from ._view import Entry, entries, get, report_of, via_names

CSV_COLUMNS: Final = (
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
    "relationship",
    "kind",
    "origin",
)
"""The CSV header, in order. The last three came with Google Threat Intelligence's
reports: the relationship walked, the `Report.kind` ("reference" or "report") and the
report's `origin`; columns before them keep their order. So `kind` is there twice: the
second column is the indicator's, the one before last the report's. Read by position
(`csv.reader`), or by name where duplicates are kept apart: `csv.DictReader` keeps the
last of two equal names (the report's), pandas names the second `kind.1`."""

# What spreadsheet programs read as a formula (OWASP's list: = + - @, tab, CR), also after
# leading blanks: a spreadsheet set to trim spaces turns "  =1+1" into a live formula.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# What a terminal would run when the file is `cat`-ed, or what hides text: C0 controls but
# tab and newline (ESC, BEL, CR, ...), DEL, C1 (U+009B alone starts an escape sequence on
# some terminals), the Unicode line separators and the bidirectional overrides.
_UNSAFE_IN_CSV: Final = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _json_line(document: dict[str, Any]) -> str:
    return json_text(document) + "\n"


def jsonl_lines(entry: Entry) -> str:
    """`{"ioc", "kind", "reference"}` per reference, or one line with reference null; a
    duplicate is one line naming its first (`duplicate_of`, the first's input index)."""
    if entry.status == "duplicate":
        return _json_line(
            {
                "ioc": entry.text,
                "kind": entry.kind,
                "status": "duplicate",
                "duplicate_of": entry.duplicate_of,
                "reference": None,
            }
        )
    if entry.references:
        return "".join(_json_line(_reference_line(entry, ref)) for ref in entry.references)
    document: dict[str, Any] = {
        "ioc": entry.text,
        "kind": entry.kind,
        "reference": None,
        "status": entry.status,
    }
    if entry.error is not None:
        document["error"] = entry.error
    return _json_line(document)


def _reference_line(entry: Entry, ref: Any) -> dict[str, Any]:
    """A reference's line: the item as the API sent it, the relationship walked, and the
    `Report` fields (`vt_refs.Report.to_dict`) when the item is a reference or a report."""
    line: dict[str, Any] = {"ioc": entry.text, "kind": entry.kind, "reference": ref.to_dict()}
    if entry.relationship is not None:
        line["relationship"] = entry.relationship
    report = report_of(ref)
    if report is not None:
        line["report"] = report.to_dict()
    return line


def safe_cell(value: object) -> str:
    """`value` as a CSV cell a spreadsheet will not run as a formula and a terminal will
    not run as an escape sequence: control characters become `\\xNN` / `\\uNNNN` text."""
    text = "" if value is None else str(value)
    text = _UNSAFE_IN_CSV.sub(_escaped, text)
    # Any leading whitespace (spaces, no-break spaces, newlines) is what a trim drops.
    formula = text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START)
    return "'" + text if formula else text


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _csv_rows(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def csv_header() -> str:
    """The header line (CRLF-terminated, as RFC 4180 says)."""
    return _csv_rows([list(CSV_COLUMNS)])


def csv_lines(entry: Entry) -> str:
    """One row per reference, or one row with the status, no reference and the error."""
    head = [entry.text, entry.kind or "", entry.status]
    rows = []
    relationship = entry.relationship or ""
    for ref in entry.references:
        attributes = get(ref, "attributes")
        report = report_of(ref)  # a GTI report's title and url are its name and link
        rows.append(
            [
                *head,
                get(ref, "id"),
                get(attributes, "title") if report is None else report.title,
                get(attributes, "author"),
                utc_text(get(attributes, "creation_date")),
                get(attributes, "url") if report is None else report.url,
                ";".join(via_names(ref)),
                "",
                "",
                relationship,
                "" if report is None else report.kind,
                "" if report is None else report.origin,
            ]
        )
    if not rows:
        first = "" if entry.duplicate_of is None else str(entry.duplicate_of)
        rows.append([*head, "", "", "", "", "", "", entry.error or "", first, relationship,
                     "", ""])  # fmt: skip
    return _csv_rows([[safe_cell(cell) for cell in row] for row in rows])


def to_jsonl(results: Iterable[IOCResult]) -> Iterator[str]:
    """The JSON Lines of `results`, lazily: one string per result, holding its lines.

    Each line is `{"ioc": text, "kind": ..., "reference": {...}, "relationship": ...,
    "report": {...}}` (the item as the API sent it, unknown fields kept; the relationship
    walked; the item's `vt_refs.Report` fields, for references and GTI reports), or, for
    an indicator with no reference, `"reference": null` with its `"status"` and, when it
    failed, `"error"`; a duplicate,
    `{"ioc", "kind", "status": "duplicate", "duplicate_of": index, "reference": null}`. JSON is
    UTF-8 text; write it with `"".join(...)` or line by line to a file opened with
    `encoding="utf-8"`.
    """
    for entry in entries(results):
        yield jsonl_lines(entry)


def to_csv(results: Iterable[IOCResult], *, header: bool = True) -> Iterator[str]:
    """The CSV of `results`, lazily: the header (unless `header=False`, to append to a
    file that has one), then one string per result holding its rows.

    Columns: `CSV_COLUMNS`. Rows end with CRLF (RFC 4180): open the file with
    `newline=""`. Cells that would start a formula are prefixed with `'`.
    """
    if header:
        yield csv_header()
    for entry in entries(results):
        yield csv_lines(entry)
