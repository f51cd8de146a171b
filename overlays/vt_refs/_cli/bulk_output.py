"""The two output formats of `vt-refs bulk`: the bytes each result adds to the output.

The formats themselves are `vt_refs.export`'s (`to_jsonl`, `to_csv`), so a library
user gets the very bytes the CLI writes. A result's lines are encoded whole before
anything is written, so the output grows by whole results only; the checkpoint records
its length after each, and a rerun cuts it back to that length.
"""

from __future__ import annotations

from collections.abc import Callable

from .._bulk import IOCResult
from ..export import to_csv, to_jsonl
from .bulk_args import BulkFormat

Encode = Callable[[IOCResult], bytes]


def _jsonl(result: IOCResult) -> bytes:
    return "".join(to_jsonl([result])).encode("utf-8")


def _csv(result: IOCResult) -> bytes:
    return "".join(to_csv([result], header=False)).encode("utf-8")


def encoder(format: BulkFormat) -> tuple[bytes, Encode]:
    """The format's header (may be empty) and its function from a result to bytes."""
    if format == "csv":
        return "".join(to_csv([])).encode("utf-8"), _csv
    return b"", _jsonl
