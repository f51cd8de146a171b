"""`vt-refs bulk --format stix|misp`: one whole document per run, built when the run ends.

A STIX bundle or a MISP event cannot grow by lines: it is one JSON document. So as the
run goes, each result is kept (a payload: the indicator, its status and its references
as the API sent them), recorded with the result in the checkpoint's own transaction
when there is one, in memory otherwise. When the run ends, whatever way it ends but a
kill, the document is built from every result kept (those of earlier runs of the same
checkpoint too) and written: to `--out` through a temporary file renamed over it, so the
file is always one complete document; or to stdout. After `kill -9` at any moment the
rerun finishes the indicators left and writes the document again, every object once:
the output is the same bytes as a clean run's.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO

from vt_refs_api import models
from vt_refs_api.models import ObjectDescriptor, Reference

from .._bulk import Checkpoint, IOCResult, classify
from .._errors import UsageError, VTError
from ..export import write_misp, write_stix
from .output import OutputError


def payload(result: IOCResult) -> str:
    """What the document needs of `result`, as JSON text."""
    return json.dumps(
        {
            "index": result.index,
            "text": result.text,
            "status": result.status,
            "error": None if result.error is None else str(result.error),
            "duplicate_of": result.duplicate_of,
            "references": [ref.to_dict() for ref in result.references]
            if result.status == "ok"
            else [],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _model_of(item: dict[str, Any], descriptors: bool) -> Any:
    """The generated model an item was parsed with: a descriptor, a GTI report's
    `Collection` (when this client has it), or a `Reference`."""
    if descriptors:
        return ObjectDescriptor
    if item.get("type") == "collection":
        return getattr(models, "Collection", Reference)
    return Reference


def result_of(text: str, *, descriptors: bool) -> IOCResult:
    """The `IOCResult` a payload was made from (its error as a plain `VTError`)."""
    data: dict[str, Any] = json.loads(text)
    ok = data["status"] == "ok"
    return IOCResult(
        index=data["index"],
        ioc=classify(data["text"]) if ok else data["text"],
        status=data["status"],
        references=[_model_of(ref, descriptors).from_dict(ref) for ref in data["references"]],
        error=None if data["error"] is None else VTError(data["error"]),
        text=data["text"],
        duplicate_of=data["duplicate_of"],
    )


def _regular_or_absent(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None


class DocumentOutput:
    """Where a document format's run goes; `Output`'s counterpart for bulk.

    `write` keeps one result's payload, `payload` is it for the checkpoint, `close`
    writes the document. A fresh run onto a non-empty `--out` file is refused without
    `--force`, as for jsonl and csv; a resumed one replaces it.
    """

    def __init__(self, format: str, path: str | None, stdout: BinaryIO,
                 checkpoint: Checkpoint | None, *, force: bool,
                 descriptors: bool) -> None:  # fmt: skip
        self._format = format
        self._path = path
        self._stdout = stdout
        self._checkpoint = checkpoint
        self._descriptors = descriptors
        self._kept: list[str] = []
        self.payload: str | None = None
        self.failure: OutputError | None = None
        if path is not None and os.path.isdir(path):
            raise UsageError(f"cannot write {path!r}: it is a directory")
        resumed = checkpoint is not None and checkpoint.output_size is not None
        if path is not None and not resumed and not force and _regular_or_absent(path):
            size = os.path.getsize(path) if os.path.exists(path) else 0
            if size:
                raise UsageError(
                    f"{path!r} exists and is not empty ({size} bytes): --force replaces it "
                    f"(a {format} document is written whole, never appended to)"
                )
        if checkpoint is not None and not resumed:
            checkpoint.set_output_size(0)  # this checkpoint's run owns the output now

    @property
    def size(self) -> None:
        """No length to keep in step: the document is written whole at the end."""
        return None

    def write(self, data: bytes) -> None:
        """Keep one result's payload (`data`, from `encode`)."""
        self.payload = data.decode("utf-8")
        if self._checkpoint is None:
            self._kept.append(self.payload)

    def _results(self) -> Iterator[IOCResult]:
        kept = self._kept if self._checkpoint is None else self._checkpoint.payloads()
        for text in kept:
            yield result_of(text, descriptors=self._descriptors)

    def close(self) -> None:
        """Write the document of every result kept; a failure is kept in `failure`."""
        write = write_stix if self._format == "stix" else write_misp
        target: Any = self._stdout
        if self._path is not None:
            target = self._path if _regular_or_absent(self._path) else None
        try:
            if target is None:  # a device or a FIFO: written as a stream
                with open(self._path or os.devnull, "wb") as stream:
                    write(self._results(), stream)
            else:
                write(self._results(), target)
        except BrokenPipeError:
            raise
        except OSError as error:
            self.failure = OutputError(f"cannot write output: {error.strerror or error}")
        except UsageError as error:
            self.failure = OutputError(str(error))


def encode(result: IOCResult) -> bytes:
    """A result as the bytes `DocumentOutput.write` keeps."""
    return payload(result).encode("utf-8")
