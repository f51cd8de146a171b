"""The three output formats, each writing one whole page at a time to stdout's bytes.

A page is encoded first and written with one write and one flush, so a pipeline sees
each page as soon as it arrives, and an interrupt never leaves half a page behind the
resume cursor. JSON is always UTF-8, whatever the locale says (RFC 8259); the table is
text for people, in the terminal's encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO, Protocol

from .._formats import json_text
from .args import Format
from .table import (
    DESCRIPTOR_COLUMNS,
    REFERENCE_COLUMNS,
    RowFunction,
    Table,
    descriptor_row,
    reference_row,
)


class OutputError(Exception):
    """stdout could not be written (other than the reader going away: BrokenPipeError)."""


class Writer(Protocol):
    """Writes pages of items, then ends the document."""

    def page(self, items: Sequence[Any]) -> None: ...

    def close(self) -> None: ...


def _json(item: Any) -> str:
    return json_text(item.to_dict())


class _Stream:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def emit(self, data: bytes) -> None:
        if not data:
            return
        try:
            self._stream.write(data)
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write output: {error.strerror or error}") from None


class JsonLinesWriter(_Stream):
    """`jsonl`: one JSON object per line, each item's `to_dict()`."""

    def page(self, items: Sequence[Any]) -> None:
        self.emit("".join(_json(item) + "\n" for item in items).encode("utf-8"))

    def close(self) -> None:
        pass


class JsonListWriter(_Stream):
    """`json`: one list, opened with the first page and closed by close().

    close() runs on every exit where stdout still works (errors and interrupts too), so
    the output is always a valid document; the exit status says whether it is complete.
    """

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(stream)
        self._opened = False

    def page(self, items: Sequence[Any]) -> None:
        if not items:
            return
        lead = ",\n" if self._opened else "[\n"
        self._opened = True
        self.emit((lead + ",\n".join(_json(item) for item in items)).encode("utf-8"))

    def close(self) -> None:
        self.emit(b"\n]\n" if self._opened else b"[]\n")


class TableWriter(_Stream):
    """`table`: a header, then one aligned line per item."""

    def __init__(self, stream: BinaryIO, encoding: str, descriptors: bool) -> None:
        super().__init__(stream)
        self._encoding = encoding
        columns = DESCRIPTOR_COLUMNS if descriptors else REFERENCE_COLUMNS
        self._row: RowFunction = descriptor_row if descriptors else reference_row
        self._table = Table(columns)
        self._rows = 0

    def page(self, items: Sequence[Any]) -> None:
        if not items:
            return
        self._rows += len(items)
        lines = self._table.lines([self._row(item) for item in items])
        self.emit("".join(line + "\n" for line in lines).encode(self._encoding, "replace"))

    def close(self) -> None:
        if not self._rows:
            self.emit(b"no references\n")


def writer(format: Format, stream: BinaryIO, *, encoding: str, descriptors: bool) -> Writer:
    """The writer of `format` on `stream`."""
    if format == "jsonl":
        return JsonLinesWriter(stream)
    if format == "json":
        return JsonListWriter(stream)
    return TableWriter(stream, encoding, descriptors)
