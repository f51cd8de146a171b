"""The checks of the values tests give the fake: delays, JSON, header values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._checks import check_number
from ._data import JsonObject


def seconds(name: str, value: object) -> float:
    """A delay the fake sleeps for, under the SDK's rule for waits (a UsageError, so a
    ValueError, naming the argument)."""
    return float(check_number(name, value, minimum=0, allow_equal=True))


def json_copy(name: str, value: Mapping[str, Any]) -> JsonObject:
    """A deep copy of `value`, which must be JSON (so later changes do not leak)."""
    try:
        copied: JsonObject = json.loads(json.dumps(dict(value), allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} is not JSON-serialisable: {error}") from None
    return copied


def check_header_value(name: str, value: object) -> str:
    """A string that can travel as an HTTP header value unchanged."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    if not (value.isascii() and value.isprintable()) or value != value.strip():
        raise ValueError(f"{name} must be printable ASCII without surrounding spaces")
    return value
