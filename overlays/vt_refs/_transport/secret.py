"""The API key as the SDK holds it: a value that never shows itself."""

from __future__ import annotations


class Secret:
    """An API key that never shows itself in a repr, a str or a pickle."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('<redacted>')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("an API key is not picklable")
