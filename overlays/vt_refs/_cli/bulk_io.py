"""The input and the output file of `vt-refs bulk`, and how they agree with a checkpoint.

The input is read lazily, a line at a time. A regular file is read once more first, to
count its indicators (for the progress total) and fingerprint it (so a checkpoint is
never resumed against another list). The output file is cut back, on start, to the
length the checkpoint recorded after its last finished indicator: whatever a killed run
wrote after that is dropped, and its indicators run again.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from .._bulk import Checkpoint
from .._errors import UsageError


def _indicator(raw: bytes) -> str | None:
    text = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    return None if not text or text.startswith("#") else text


class Source:
    """The indicators of FILE (or of stdin for `-`), one a line."""

    def __init__(self, path: str, stdin: BinaryIO) -> None:
        self.path = path
        self._stdin = stdin
        self.total: int | None = None
        self.fingerprint = "stdin"
        if path == "-":
            return
        try:
            info = os.stat(path)
        except OSError as error:
            raise UsageError(f"cannot read {path!r}: {error.strerror or error}") from None
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path!r} is a directory, not a list of indicators")
        if not stat.S_ISREG(info.st_mode):  # a pipe or a device: one pass only
            self.fingerprint = f"stream:{path}"
            return
        digest = hashlib.sha256()
        total = 0
        with self._open() as lines:
            for raw in lines:
                digest.update(raw)
                total += _indicator(raw) is not None
        self.total = total
        self.fingerprint = f"sha256:{digest.hexdigest()}"

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")  # closed by its caller
        except OSError as error:
            raise UsageError(f"cannot read {self.path!r}: {error.strerror or error}") from None

    def items(self) -> Iterator[str]:
        """The indicators, trimmed, in order; blank lines and `#` comments skipped."""
        if self.path == "-":
            yield from filter(None, map(_indicator, self._stdin))
            return
        with self._open() as lines:
            yield from filter(None, map(_indicator, lines))


def _regular_file(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor: a test's BytesIO
        return False


class Output:
    """Where results go, kept in step with the checkpoint when there is one.

    `--out PATH` starts empty on a fresh run and is cut back to the recorded length on a
    resumed one. Stdout redirected to a file (`>> out.jsonl`) is treated the same way on
    a resumed run, but never emptied: what was there before the first run stays. Stdout
    to a pipe or a terminal cannot be cut back: a result written just before a kill may
    show up twice there.
    """

    def __init__(self, path: str | None, stdout: BinaryIO, checkpoint: Checkpoint | None,
                 header: bytes) -> None:  # fmt: skip
        self._file: BinaryIO | None = None
        self._stream = self._stdout = stdout
        recorded = None if checkpoint is None else checkpoint.output_size
        name = "stdout" if path is None else repr(path)
        if path is not None:
            try:
                self._file = open(path, "r+b" if os.path.exists(path) else "w+b", buffering=0)  # noqa: SIM115
            except OSError as error:
                raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None
            self._stream = self._file
            if recorded is None:
                self._file.truncate(0)
        elif checkpoint is not None and _regular_file(stdout):
            self._file = stdout  # not ours to close
        if self._file is None or checkpoint is None:
            self.write(header)
            return
        size = self._file.seek(0, os.SEEK_END)
        if recorded is None:  # a fresh run: the header, and where this run's lines start
            self.write(header)
            checkpoint.set_output_size(self._file.tell())
            return
        if size < recorded:
            self.close()
            raise UsageError(
                f"{name} is shorter than checkpoint {checkpoint.path!r} records "
                f"({size} < {recorded} bytes): it was changed or overwritten (append to it "
                "with >>, or use --out); start over with --restart"
            )
        self._file.truncate(recorded)  # what a killed run wrote after its last record
        self._file.seek(recorded)

    @property
    def size(self) -> int | None:
        """The output file's length; None for a pipe or a terminal."""
        return None if self._file is None else self._file.tell()

    def write(self, data: bytes) -> None:
        """All of `data`, then flushed (a partial write is retried until done)."""
        view = memoryview(data)
        while view:
            written = self._stream.write(view)
            view = view[written if written is not None else len(view) :]
        self._stream.flush()

    def close(self) -> None:
        if self._file is not None and self._file is not self._stdout:
            self._file.close()
