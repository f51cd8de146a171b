"""Content-Encoding decoders whose output comes in bounded pieces.

httpx's own decoders inflate each network chunk whole: 64 KiB of a gzip bomb becomes
64 MiB in one call, before anyone can count it. These hand out at most `PIECE` bytes at a
time (zlib's `max_length`, brotli's `output_buffer_limit`), so the body layer can stop at
its limit with memory near the limit whatever the server sends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Final, Protocol

PIECE: Final = 64 * 1024

try:  # brotli >= 1.2 bounds its output; an older one must not be trusted with a bomb
    import brotli  # type: ignore[import-untyped]

    _HAS_BROTLI = "output_buffer_limit" in (brotli.Decompressor.process.__doc__ or "")
except ImportError:  # pragma: no cover - brotli is a dependency
    _HAS_BROTLI = False

# Sent as Accept-Encoding: only what can be decoded in bounded pieces.
ACCEPT_ENCODING: Final = "gzip, deflate, br" if _HAS_BROTLI else "gzip, deflate"


class DecodeError(Exception):
    """The body is not valid for its Content-Encoding."""


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class _Zlib:
    """gzip (`wbits` 16 + 15), zlib-wrapped deflate, or raw deflate (negative `wbits`)."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if self._wbits == zlib.MAX_WBITS and not _zlib_header(data):
                # "deflate" in the wild is often raw deflate without the zlib wrapper.
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        inflate = self._inflate
        try:
            while data and not inflate.eof:
                piece = inflate.decompress(data, PIECE)
                data = inflate.unconsumed_tail
                if piece:
                    yield piece
                # Input all taken, but zlib may still hold output a full piece left behind.
                while not data and len(piece) == PIECE and not inflate.eof:
                    piece = inflate.decompress(b"", PIECE)
                    if piece:
                        yield piece
        except zlib.error as error:
            raise DecodeError(str(error)) from None

    def flush(self) -> Iterator[bytes]:
        if self._inflate.eof:  # the stream ended: all its output is out already
            return  # (and a call into zlib lets go of the GIL: a wait among 16 threads)
        try:
            rest = self._inflate.flush()  # at most zlib's window: 32 KiB
        except zlib.error as error:  # pragma: no cover - flush after decompress rarely fails
            raise DecodeError(str(error)) from None
        if rest:
            yield rest


def _zlib_header(data: bytes) -> bool:
    return len(data) < 2 or (data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0)


class _Brotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        try:
            piece = decompressor.process(data, output_buffer_limit=PIECE)
            if piece:
                yield piece
            while not decompressor.can_accept_more_data():
                piece = decompressor.process(b"", output_buffer_limit=PIECE)
                if not piece:
                    break
                yield piece
        except brotli.error as error:
            raise DecodeError(str(error)) from None

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _Chain:
    """Several encodings, undone in the reverse of the order they were applied."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._decoders):
            yield data
            return
        for piece in self._decoders[index].feed(data):
            yield from self._through(index + 1, piece)

    def flush(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            for piece in decoder.flush():
                yield from self._through(index + 1, piece)


def decoder_for(content_encoding: str) -> Decoder | None:
    """The decoder for a Content-Encoding header value; None when it is identity.

    Unknown names pass the bytes through as httpx does (they are still counted).
    """
    decoders: list[Decoder] = []
    for name in reversed(content_encoding.lower().split(",")):
        name = name.strip()
        if name in ("gzip", "x-gzip"):
            decoders.append(_Zlib(zlib.MAX_WBITS | 16))
        elif name == "deflate":
            decoders.append(_Zlib(zlib.MAX_WBITS))
        elif name == "br" and _HAS_BROTLI:
            decoders.append(_Brotli())
    if not decoders:
        return None
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)
