"""The two output formats of `vt-refs bulk`: the bytes each result adds to the output.

A result's lines are encoded whole before anything is written, so the output grows by
whole results only; the checkpoint records its length after each, and a rerun cuts it
back to that length. Every indicator shows up: one line per reference, or one line
with no reference and the indicator's status.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Final

from vt_refs_api.types import Unset

from .._bulk import IOC, IOCResult
from .._formats import json_text, utc_text
from .bulk_args import BulkFormat

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
)
# What spreadsheet programs read as a formula (OWASP's list: = + - @, tab, CR), also after
# leading blanks: a spreadsheet set to trim spaces turns "  =1+1" into a live formula.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# What a terminal would run when the file is `cat`-ed, or what hides text: C0 controls but
# tab and newline (ESC, BEL, CR, ...), DEL, C1 (U+009B alone starts an escape sequence on
# some terminals), the Unicode line separators and the bidirectional overrides.
_UNSAFE_IN_CSV: Final = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _get(obj: object, name: str) -> Any:
    value = getattr(obj, name, None)
    return None if isinstance(value, Unset) else value


def _kind(result: IOCResult) -> str | None:
    return result.ioc.kind if isinstance(result.ioc, IOC) else None


def _references(result: IOCResult) -> list[Any]:
    # An error's partial references are left out: a retry writes them all, once.
    return result.references if result.status == "ok" else []


def _json_line(document: dict[str, Any]) -> str:
    return json_text(document) + "\n"


def jsonl(result: IOCResult) -> bytes:
    """`{"ioc", "kind", "reference"}` per reference, or one line with reference null; a
    duplicate is one line naming its first (`duplicate_of`, the first's input index)."""
    kind = _kind(result)
    if result.status == "duplicate":
        return _json_line(
            {
                "ioc": result.text,
                "kind": kind,
                "status": "duplicate",
                "duplicate_of": result.duplicate_of,
                "reference": None,
            }
        ).encode("utf-8")
    references = _references(result)
    if references:
        lines = [
            _json_line({"ioc": result.text, "kind": kind, "reference": ref.to_dict()})
            for ref in references
        ]
        return "".join(lines).encode("utf-8")
    document: dict[str, Any] = {
        "ioc": result.text,
        "kind": kind,
        "reference": None,
        "status": result.status,
    }
    if result.error is not None:
        document["error"] = str(result.error)
    return _json_line(document).encode("utf-8")


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


def iso_utc(timestamp: object) -> str:
    """Epoch seconds as ISO 8601 UTC (`2024-05-01T12:00:00Z`); other values as they are."""
    return utc_text(timestamp)


def _via(reference: object) -> str:
    names = []
    for related in _get(_get(reference, "context_attributes"), "related_from") or ():
        name = _get(_get(related, "attributes"), "name")
        names.append(str(name) if name else str(_get(related, "id") or ""))
    return ";".join(names)


def csv_header() -> bytes:
    """The header line."""
    return _csv_rows([list(CSV_COLUMNS)])


def _csv_rows(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csv_result(result: IOCResult) -> bytes:
    """One row per reference, or one row with the status, no reference and the error."""
    head = [result.text, _kind(result) or "", result.status]
    rows = []
    for ref in _references(result):
        attributes = _get(ref, "attributes")
        rows.append(
            [
                *head,
                _get(ref, "id"),
                _get(attributes, "title"),
                _get(attributes, "author"),
                iso_utc(_get(attributes, "creation_date")),
                _get(attributes, "url"),
                _via(ref),
                "",
                "",
            ]
        )
    if not rows:
        error = "" if result.error is None else str(result.error)
        first = "" if result.duplicate_of is None else str(result.duplicate_of)
        rows.append([*head, "", "", "", "", "", "", error, first])
    return _csv_rows([[safe_cell(cell) for cell in row] for row in rows])


def encoder(format: BulkFormat) -> tuple[bytes, Any]:
    """The format's header (may be empty) and its function from a result to bytes."""
    if format == "csv":
        return csv_header(), csv_result
    return b"", jsonl
