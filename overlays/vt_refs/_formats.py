"""How values are written out as text: one rule for JSON, one for timestamps.

The CLI's outputs (a page of JSON, a table, a bulk run's lines) and the exports all write
the same values; each rule lives here once, so two outputs never disagree on an escape or
a date. Standard library only: the CLI imports this before it knows what it will run.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Final

# Valid inside JSON strings but risky raw: C1 controls (U+009B starts an escape sequence
# on some terminals) and the two separators JavaScript treats as line ends.
UNSAFE_IN_JSON: Final = re.compile("[\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(document: object) -> str:
    """`document` as compact JSON: UTF-8 text as it is, but for `UNSAFE_IN_JSON`, escaped."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return UNSAFE_IN_JSON.sub(_escape, text)


def utc_moment(timestamp: object) -> datetime.datetime | None:
    """Epoch seconds (an int or float, not a bool) or a datetime, as an aware UTC datetime;
    None for anything else, and for seconds no datetime can hold."""
    if isinstance(timestamp, datetime.datetime):
        return timestamp.astimezone(datetime.UTC)
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        try:
            return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def utc_text(timestamp: object, *, date_only: bool = False) -> str:
    """A timestamp (see `utc_moment`) as ISO 8601 UTC, `2024-05-01T12:00:00Z`, or with
    `date_only` as `2024-05-01`; None as "", anything else (a value drifting from the
    spec, a number out of range) as it came, rather than lost."""
    moment = utc_moment(timestamp)
    if moment is None:
        return "" if timestamp is None else str(timestamp)
    if date_only:
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")
