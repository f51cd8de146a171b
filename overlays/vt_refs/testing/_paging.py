"""Page sizes, cursors and the page envelope (`meta`, `data`, `links`).

Cursors follow VirusTotal's observed format: URL-safe base64 of the JSON
`{"limit": L, "offset": O}`, so the seed's own cursor decodes here too. Clients must treat
them as opaque; the fake rejects any it could not have issued.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from ._responses import ApiError

_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts, and the page size that produced it."""

    limit: int
    offset: int


def _invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidArgumentError", message)


def parse_limit(raw: str | None, max_limit: int) -> int | None:
    """The `limit` query parameter clamped to `max_limit`, or None when it was not sent.

    Like the API, a limit above the maximum is clamped rather than refused; anything that
    is not an integer of at least 1 is a 400 InvalidArgumentError.
    """
    if raw is None:
        return None
    # Compare digit strings, not int(raw): Python refuses to parse very long integers.
    digits = raw.lstrip("+-").lstrip("0")
    if not _INTEGER.fullmatch(raw) or raw.startswith("-") or not digits:
        raise _invalid(f"Invalid limit {raw!r}: expected an integer of at least 1")
    return max_limit if len(digits) > len(str(max_limit)) else min(int(digits), max_limit)


def encode_cursor(cursor: Cursor) -> str:
    """The opaque `meta.cursor` of a page."""
    text = json.dumps({"limit": cursor.limit, "offset": cursor.offset})
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii")


def decode_cursor(raw: str) -> Cursor:
    """The cursor a client sent back, or a 400 InvalidArgumentError if the fake never issued it.

    A negative offset is caught here; an offset beyond the object's count is the
    caller's to catch, since only it knows the count.
    """
    try:
        decoded = json.loads(base64.b64decode(raw, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, RecursionError):
        raise _invalid("Invalid cursor") from None
    if not isinstance(decoded, dict) or set(decoded) != {"limit", "offset"}:
        raise _invalid("Invalid cursor")
    limit, offset = decoded["limit"], decoded["offset"]
    if type(limit) is not int or type(offset) is not int or limit < 1 or offset < 0:
        raise _invalid("Invalid cursor")
    return Cursor(limit, offset)


def page_body(*, count: int, data: bytes, page: Cursor, self_url: str, next_base: str) -> bytes:
    """A page: `meta.count`, `data` (already encoded), `links.self`, and the way on.

    `meta.cursor` and `links.next` are left out on the last page, as the API does.
    `links.next` is `next_base` (the fake's URL of the same path) with the cursor and
    limit, in the order the seed's `links.next` has them.
    """
    meta: dict[str, object] = {"count": count}
    links = {"self": self_url}
    end = page.offset + page.limit
    if end < count:
        cursor = encode_cursor(Cursor(page.limit, end))
        meta["cursor"] = cursor
        links["next"] = f"{next_base}?{urlencode({'cursor': cursor, 'limit': page.limit})}"
    return b"".join(
        (
            b'{"meta":',
            json.dumps(meta, separators=(",", ":")).encode("ascii"),
            b',"data":',
            data,
            b',"links":',
            json.dumps(links, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            b"}",
        )
    )
