"""Where a whole document goes: a path, replaced only once the document is complete, or
a binary file object the caller owns."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

from .._errors import UsageError

Destination = str | os.PathLike[str] | IO[bytes]


@contextlib.contextmanager
def atomic_output(out: Destination) -> Iterator[IO[bytes]]:
    """A binary stream onto `out`. For a path: a temporary file in its folder, renamed
    over it when the block ends well, removed when it fails, so a reader (or a rerun
    after a kill) never finds half a document there."""
    if not isinstance(out, str | os.PathLike):
        if not hasattr(out, "write"):
            raise UsageError(f"out must be a path or a binary file, not {type(out).__name__}")
        yield out
        out.flush()
        return
    path = os.fspath(out)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".vt-refs-", suffix=".part", dir=folder)
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
