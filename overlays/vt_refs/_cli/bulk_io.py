"""The output file of `vt-refs bulk`, and how it agrees with a checkpoint.

The output file is cut back, on start, to the length the checkpoint recorded after its
last finished indicator: whatever a killed run wrote after that is dropped, and its
indicators run again. A fresh run never destroys what is in a file already: `--out` onto
a non-empty file asks for `--append` (add after it, no second CSV header) or `--force`
(replace it). Devices and FIFOs (`/dev/null`, `/dev/stdout` to a pipe, `mkfifo`) are
written as a stream, like a pipe on stdout: nothing is cut back there, so with a
checkpoint a result written just before a kill may show up twice.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, cast

from .._bulk import Checkpoint
from .._errors import UsageError


def _regular_file(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor: a test's BytesIO
        return False


def _open(path: str) -> tuple[BinaryIO, bool]:
    """`path` opened for writing, and whether it is a regular file (seekable, cut back)."""
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {path!r}: it is a directory")
    regular = info is None or stat.S_ISREG(info.st_mode)
    # A regular file is opened without truncating it (a resumed run cuts it back itself);
    # a device or a FIFO is opened write-only, as a shell's `>` does (a FIFO waits for a
    # reader), never for reading: that would make this process a reader of its own FIFO.
    mode = ("r+b" if info is not None else "w+b") if regular else "wb"
    try:
        stream = cast(BinaryIO, open(path, mode, buffering=0))  # noqa: SIM115  Output closes it
        return stream, regular
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None


class Output:
    """Where results go, kept in step with the checkpoint when there is one.

    `--out PATH` (a regular file) starts empty on a fresh run, after what it holds with
    `append`, and is cut back to the recorded length on a resumed one. Stdout redirected
    to a file (`>> out.jsonl`) is treated the same way on a resumed run, but never
    emptied: what was there before the first run stays. Stdout to a pipe or a terminal,
    and `--out` to a device or FIFO, cannot be cut back: a result written just before a
    kill may show up twice there.
    """

    payload: str | None = None  # what a document format keeps of a result: none for lines

    def __init__(self, path: str | None, stdout: BinaryIO, checkpoint: Checkpoint | None,
                 header: bytes, *, append: bool = False, force: bool = False) -> None:  # fmt: skip
        self._file: BinaryIO | None = None  # a regular file we keep in step
        self._owned: BinaryIO | None = None  # what we opened, and close
        self._stream = stdout
        recorded = None if checkpoint is None else checkpoint.output_size
        name = "stdout" if path is None else repr(path)
        if path is not None:
            self._owned, regular = _open(path)
            self._stream = self._owned
            if not regular:  # a stream: no length to keep, nothing to cut back
                if not append:
                    self.write(header)
                return
            self._file = self._owned
        elif checkpoint is not None and _regular_file(stdout):
            self._file = stdout  # not ours to close
        if self._file is None:
            self.write(header)
            return
        size = self._file.seek(0, os.SEEK_END)
        if recorded is None:  # a fresh run
            self._start(path, size, header, append=append, force=force)
            if checkpoint is not None:  # where this run's lines start
                checkpoint.set_output_size(self._file.tell())
            return
        assert checkpoint is not None
        if size < recorded:
            self.close()
            raise UsageError(
                f"{name} is shorter than checkpoint {checkpoint.path!r} records "
                f"({size} < {recorded} bytes): it was changed or overwritten (append to it "
                "with >>, or use --out); start over with --restart"
            )
        self._file.truncate(recorded)  # what a killed run wrote after its last record
        self._file.seek(recorded)

    def _start(self, path: str | None, size: int, header: bytes, *, append: bool,
               force: bool) -> None:  # fmt: skip
        assert self._file is not None
        if path is None or size == 0:  # stdout redirected to a file: its content stays
            if size == 0:
                self.write(header)
            return
        if force:
            self._file.truncate(0)
            self._file.seek(0)
            self.write(header)
        elif not append:
            self.close()
            raise UsageError(
                f"{path!r} exists and is not empty ({size} bytes): --append adds this run's "
                "lines after what it holds, --force replaces it"
            )

    @property
    def size(self) -> int | None:
        """The output file's length; None for a pipe, a terminal, a device or a FIFO."""
        return None if self._file is None else self._file.tell()

    def write(self, data: bytes) -> None:
        """All of `data`, then flushed (a partial write is retried until done)."""
        view = memoryview(data)
        while view:
            written = self._stream.write(view)
            view = view[written if written is not None else len(view) :]
        self._stream.flush()

    def close(self) -> None:
        owned, self._owned = self._owned, None
        if owned is not None:
            owned.close()
