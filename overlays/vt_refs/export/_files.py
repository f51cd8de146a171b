"""Where a whole document goes: a path, replaced only once the document is complete, or
a binary file object the caller owns."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import IO

from .._errors import UsageError

Destination = str | os.PathLike[str] | IO[bytes]


@contextlib.contextmanager
def atomic_output(out: Destination) -> Iterator[IO[bytes]]:
    """A binary stream onto `out`. For a path: a temporary file beside it (`.NAME.part`),
    renamed over it when the block ends well, removed when it fails, so a reader (or a
    rerun after a kill) never finds half a document there."""
    if not isinstance(out, str | os.PathLike):
        if not hasattr(out, "write"):
            raise UsageError(f"out must be a path or a binary file, not {type(out).__name__}")
        yield out
        out.flush()
        return
    path = os.fspath(out)
    folder, name = os.path.split(os.path.abspath(path))
    # One temporary name per output: a rerun after a kill mid-write reuses (truncates)
    # the one the killed run left, rather than leaving a new one behind each time.
    temporary = os.path.join(folder, f".{name}.part")
    try:
        stream = open(temporary, "wb")  # noqa: SIM115  closed below, before the rename
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None
    try:
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
