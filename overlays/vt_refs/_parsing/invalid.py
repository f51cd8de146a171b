"""The failures of compiled builders, and the helpers their generated code calls.

`_compile` writes the builders' source; what that source raises and calls at run time
lives here, so the two jobs (writing code, and the values it works with) stay apart.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from typing import Any

from .drift import Token, warned
from .introspection import is_model, json_type


class Invalid(Exception):
    """Raised inside builders; the path grows as it travels up to `parse`.

    `declared` and `received` name what the spec says and the JSON type found where the
    document broke. `hard`: no optional field may keep it as drift (a required field
    broke, or a drift report is on its way up). `report`: the field whose first drift
    `parse` must warn about. `damaged`: a consumed document was partly taken apart before
    the drift showed, so its raw value is gone; `parse` builds again from a fresh copy.

    Drift already warned about is caught right where it is raised, for every drifting
    item: so a wrong type (`wrong`) keeps the value and words its reason only if asked.
    """

    def __init__(
        self,
        reason: str,
        key: str | int | None = None,
        *,
        hard: bool = False,
        declared: str = "",
        received: str = "",
    ) -> None:
        self._reason = reason
        self.path: deque[str | int] = deque(() if key is None else (key,))
        self.hard = hard
        self.declared = declared
        self._received = received
        self.value: object = None
        self.report: Token | None = None
        self.damaged = False

    @property
    def received(self) -> str:
        """The JSON type found (for a wrong enum value, also the value)."""
        return self._received or json_type(self.value)

    @property
    def reason(self) -> str:
        """Why the document breaks here, for MalformedResponseError."""
        return self._reason or f"expected {self.declared}, got {self.received}"

    def __str__(self) -> str:
        return self.reason


def wrong(what: str, value: object, key: str | int | None = None) -> Invalid:
    error = Invalid("", key, declared=what)
    error.value = value
    return error


def not_one_of(values: dict[object, enum.Enum], value: object) -> Invalid:
    # The value itself is left out: it is the server's text, and may echo anything.
    allowed = list(values)
    return Invalid(
        f"not one of {allowed!r}",
        declared=f"one of {allowed!r}",
        received=f"another {json_type(value)}",
    )


def absorb(error: Invalid, token: Token) -> bool:
    """Whether the builder keeps this drift of `token` silently as a raw value.

    Only drift of a field already warned about is kept here; any other error goes up,
    drift marked as a report so that `parse` can warn with the whole path.
    """
    if error.hard:
        return False
    if not error.damaged and token in warned():
        return True
    error.hard = True
    if not error.damaged:
        error.report = token
    return False


def raw(value: Any) -> Any:
    """A list that a consuming builder converted in part, back as the JSON it was.

    Models give back exactly what they were built from (`to_dict()`, unknown keys and
    drifted values included); items after the failing one were never touched.
    """
    if isinstance(value, list):
        return [raw(item) for item in value]
    if is_model(type(value)):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def check_items(items: list[Any], check: Callable[[object], bool], name: str) -> None:
    for index, item in enumerate(items):
        if not check(item):
            raise wrong(name, item, index)
