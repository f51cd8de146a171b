"""The input of `vt-refs bulk`: indicators one a line, read as real files hold them.

Lines are read with a cap (`LINE_LIMIT` bytes): a longer one (a 1 GiB line with no
newline) is skipped through in pieces and becomes one `invalid` result saying so, so
memory stays bounded whatever the input. A UTF-16 or UTF-32 byte-order mark (what
PowerShell's `>` writes) selects that encoding; bytes that look like UTF-16 with no
mark stop the run with one line naming the problem; anything else is UTF-8, with bytes
that are not replaced by U+FFFD (the indicator then fails to classify, naming its line).

Blank lines and `#` comments are skipped, so an indicator's position in the run is not
its line number: the source remembers where the two part (one entry per skipped run of
lines, not one per line) to name the line of a failure.
"""

from __future__ import annotations

import bisect
import io
import os
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO, Final

from .._bulk import Unreadable
from .._errors import UsageError

LINE_LIMIT: Final = 64 * 1024
_SHOWN: Final = 40  # characters of an overlong line kept to stand for it
_BOMS: Final = (  # longest first: UTF-32-LE's mark starts with UTF-16-LE's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_HEAD: Final = 64  # bytes looked at for an encoding without a mark


class _Rejoined(io.RawIOBase):
    """`head` (already read to look at it), then the rest of `stream`."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        read = getattr(self._stream, "read1", self._stream.read)
        data: bytes = read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _head(stream: BinaryIO) -> bytes:
    """The first bytes, as soon as there are enough to tell the encoding (a pipe that
    trickles is not waited on for more than it needs)."""
    read = getattr(stream, "read1", stream.read)
    head = b""
    while len(head) < 4:
        chunk: bytes = read(_HEAD - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _looks_utf16(head: bytes) -> bool:
    """NUL in every other byte of text: UTF-16 that lost (or never had) its mark."""
    pairs = len(head) // 2
    if pairs < 2 or b"\0" not in head:
        return False
    even, odd = head[0 : 2 * pairs : 2], head[1 : 2 * pairs : 2]
    return even.count(0) >= pairs * 3 // 4 or odd.count(0) >= pairs * 3 // 4


def _readlines(stream: BinaryIO, name: str) -> Iterator[str | Unreadable]:
    """The lines of `stream` (newline included), each at most LINE_LIMIT bytes long, or an
    `Unreadable` for one that is longer."""
    head = _head(stream)
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None)
    if encoding is None and _looks_utf16(head):
        raise UsageError(
            f"{name} looks like UTF-16 text without a byte-order mark (NUL between the "
            "characters): save it as UTF-8, or as UTF-16 with a byte-order mark"
        )
    buffered = io.BufferedReader(_Rejoined(head, stream), buffer_size=LINE_LIMIT)
    reader: Any = buffered
    if encoding is not None:  # the decoder drops the mark itself
        reader = io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline=None)
    while True:
        raw = reader.readline(LINE_LIMIT + 1)
        if not raw:
            return
        line = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
        if len(raw) <= LINE_LIMIT or line.endswith("\n"):
            yield line
            continue
        while (rest := reader.readline(LINE_LIMIT)) and not _ends_line(rest):
            pass  # skipped through, a piece at a time
        shown = line[:_SHOWN].strip().lstrip("\ufeff")
        yield Unreadable(f"{shown}…", f"longer than {LINE_LIMIT} bytes: not an indicator")


def _ends_line(piece: bytes | str) -> bool:
    if isinstance(piece, bytes):
        return piece.endswith(b"\n")
    return piece.endswith("\n")


def _indicator(line: str | Unreadable) -> str | Unreadable | None:
    if isinstance(line, Unreadable):
        return line
    text = line.strip().lstrip("\ufeff").strip()
    return None if not text or text.startswith("#") else text


class Source:
    """The indicators of FILE (or of stdin for `-`), one a line."""

    def __init__(self, path: str, stdin: BinaryIO) -> None:
        self.path = path
        self._stdin = stdin
        self.name = "stdin" if path == "-" else repr(path)
        # What a checkpoint keeps of the input: its kind. The items themselves are checked
        # one by one against the checkpoint, so an input that grew is resumed.
        self.kind = "stdin"
        self._regular = False
        # (position, line number - position) wherever skipped lines change the difference.
        self._starts: list[int] = [0]
        self._offsets: list[int] = [0]
        if path == "-":
            return
        try:
            info = os.stat(path)
        except OSError as error:
            raise UsageError(f"cannot read {path!r}: {error.strerror or error}") from None
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path!r} is a directory, not a list of indicators")
        self._regular = stat.S_ISREG(info.st_mode)
        self.kind = "file" if self._regular else f"stream:{path}"
        if self._regular:  # the encoding is checked before anything runs
            with self._open() as file:
                next(_readlines(file, self.name), None)

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")  # closed by its caller
        except OSError as error:
            raise UsageError(f"cannot read {self.path!r}: {error.strerror or error}") from None

    def count(self) -> int | None:
        """How many indicators a regular file holds (None for stdin, a pipe, a device):
        a pass of its own, for a progress total."""
        if not self._regular:
            return None
        with self._open() as file:
            return sum(_indicator(line) is not None for line in _readlines(file, self.name))

    def _items(self, stream: BinaryIO) -> Iterator[str | Unreadable]:
        position = 0
        for number, line in enumerate(_readlines(stream, self.name)):
            item = _indicator(line)
            if item is None:
                continue
            if number - position != self._offsets[-1]:
                self._starts.append(position)
                self._offsets.append(number - position)
            position += 1
            yield item

    def items(self) -> Iterator[str | Unreadable]:
        """The indicators, trimmed, in order; blank lines and `#` comments skipped."""
        if self.path == "-":
            yield from self._items(self._stdin)
            return
        with self._open() as file:
            yield from self._items(file)

    def line_of(self, position: int) -> int:
        """The line number (from 1) of the indicator at `position` (from 0)."""
        at = bisect.bisect_right(self._starts, position) - 1
        return position + self._offsets[at] + 1
