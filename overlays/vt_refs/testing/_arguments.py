"""The fake's own argument checks: the SDK's rule for waits, header values, references."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .._checks import check_number
from ._data import JsonObject


def seconds(name: str, value: object) -> float:
    """A delay the fake sleeps for, under the SDK's rule for waits (a UsageError, so a
    ValueError, naming the argument)."""
    return float(check_number(name, value, minimum=0, allow_equal=True))


def check_header_value(name: str, value: object) -> str:
    """A string that can travel as an HTTP header value unchanged."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    if not (value.isascii() and value.isprintable()) or value != value.strip():
        raise ValueError(f"{name} must be printable ASCII without surrounding spaces")
    return value


def reference_copies(references: Iterable[Mapping[str, Any]]) -> list[JsonObject]:
    """Copies of full reference objects, each JSON-serialisable with str `type` and `id`
    (descriptors need them), so later changes by the caller do not leak into responses."""
    copies: list[JsonObject] = []
    for i, reference in enumerate(references):
        if not isinstance(reference, Mapping):
            raise ValueError(f"references[{i}] must be a mapping")
        if not isinstance(reference.get("type"), str) or not isinstance(reference.get("id"), str):
            raise ValueError(f"references[{i}] needs str 'type' and 'id'")
        try:
            copies.append(json.loads(json.dumps(reference, allow_nan=False)))
        except (TypeError, ValueError) as error:
            raise ValueError(f"references[{i}] is not JSON-serialisable: {error}") from None
    return copies
