"""Schema drift: what the SDK does when an optional field holds an unexpected value.

VirusTotal's data drifts from its documentation: `null` in optional attributes, integers
sent as strings, a `description` the docs type as an integer. Under `on_drift="warn"`
(the default) such a field is left UNSET, its raw value is kept in the object's
`additional_properties`, and one `SchemaDriftWarning` per (model, field) says so; under
`"error"` it is a `MalformedResponseError`. The parser decides what is drift; this module
holds the policy: the warning and the once-per-field bookkeeping (each client's setting
is a field of the client, `on_drift`).

Standard library only, and no import of the parser: `vt_refs.SchemaDriftWarning` loads
just this module.
"""

from __future__ import annotations

import sys
import threading
import warnings
from typing import Final, Literal, TypeAlias

from .._errors import UsageError

OnDrift: TypeAlias = Literal["warn", "error"]
ON_DRIFT_VALUES: Final[tuple[OnDrift, ...]] = ("warn", "error")
DEFAULT_ON_DRIFT: Final[OnDrift] = "warn"
# The SDK's top package: frames of any of its modules are skipped by the warning.
_SDK: Final = __name__.partition(".")[0]
_PREFIX: Final = f"{_SDK}."


class SchemaDriftWarning(UserWarning):
    """An optional field held `null` or a value of another JSON type than the spec says.

    The typed attribute was left UNSET and the raw value kept under its JSON name in that
    object's `additional_properties` (`obj["name"]` returns it; `to_dict()` still gives
    the body back exactly). Issued once per (model, field) per process: a page of 40
    items drifting in one field warns once. `model` is the generated class's name, `field`
    the JSON key, `path` the JSONPath of the first occurrence, `declared` what the spec
    declares there and `received` the JSON type that came instead.
    """

    def __init__(self, model: str, field: str, path: str, declared: str, received: str) -> None:
        self.model = model
        self.field = field
        self.path = path
        self.declared = declared
        self.received = received
        super().__init__(
            f"schema drift in {model}.{field} at {path}: declared {declared}, received "
            f"{received}; left UNSET, the raw value is in additional_properties[{field!r}] "
            "(warned once per field)"
        )

    def __reduce__(self) -> tuple[type[SchemaDriftWarning], tuple[str, str, str, str, str]]:
        # Pickled with its fields (to another process, e.g. a worker's warnings), not with
        # the message alone, which __init__ would not accept.
        return type(self), (self.model, self.field, self.path, self.declared, self.received)


def check_on_drift(on_drift: object) -> OnDrift:
    """`on_drift` itself when it is one of the accepted values; UsageError otherwise."""
    for value in ON_DRIFT_VALUES:
        if isinstance(on_drift, str) and on_drift == value:
            return value
    raise UsageError(f'on_drift must be "warn" or "error", not {on_drift!r}')


# --- Once per field ---------------------------------------------------------------------

Token: TypeAlias = tuple[type, str]
"""A drifting field: the generated model class and the field's JSON key."""

_LOCK: Final = threading.Lock()
# The fields warned about, and the warnings filter list they were warned under. Python's
# own `default` action forgets what it showed whenever the filters change; likewise a new
# `warnings.catch_warnings()` block (pytest wraps every test in one) starts afresh here,
# so a test that expects the warning sees it. Outside such blocks: once per process.
_warned: tuple[object, set[Token]] = (None, set())


def warned() -> set[Token]:
    """The fields already warned about under the current warnings filters."""
    global _warned
    filters: object = warnings.filters
    state = _warned
    if state[0] is not filters:
        with _LOCK:
            if _warned[0] is not filters:
                _warned = (filters, set())
            state = _warned
    return state[1]


def warn(token: Token, path: str, declared: str, received: str) -> None:
    """Issue the warning for `token`'s first drift, then remember it (unless the warnings
    filters turned it into an exception: then the next occurrence raises too).

    The warning names the first frame outside vt_refs: the user's line that parsed or
    iterated the pages, however many SDK frames (generators included) lie between.
    """
    model, field = token
    seen = warned()
    with _LOCK:  # claimed before warning: threads parsing the same drift warn once
        if token in seen:
            return
        seen.add(token)
    warning = SchemaDriftWarning(model.__name__, field, path, declared, received)
    try:
        warnings.warn(warning, stacklevel=_frames_inside_sdk())
    except BaseException:
        seen.discard(token)  # raised instead of shown: the next occurrence raises too
        raise


def _frames_inside_sdk() -> int:
    """The stacklevel of the first caller outside this package, for warnings.warn."""
    frame = sys._getframe(1)  # warn()
    level = 1
    while frame.f_back is not None:
        name = frame.f_globals.get("__name__", "")
        if name != _SDK and not name.startswith(_PREFIX):
            break
        frame = frame.f_back
        level += 1
    return level
