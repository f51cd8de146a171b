"""`vt_refs.parse`: JSON bodies into the generated models, strictly, losslessly, fast.

What a model looks like is read from the generated classes (`_introspect`), each model is
compiled once into a function that checks and builds in one pass (`_compile`), and what
happens when an optional field drifts from the spec is `_drift`'s policy. This module
decodes, runs the builder and turns failures into `MalformedResponseError` and drift into
`SchemaDriftWarning`.

Unknown keys are kept in `additional_properties` exactly as `from_dict` keeps them, so
`parse(M, body).to_dict() == body` for every valid body, and for drifted ones too.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import msgspec

from .._errors import MalformedResponseError, excerpt
from . import drift
from .compiler import builder
from .drift import OnDrift, check_on_drift
from .invalid import Invalid

M = TypeVar("M")

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Each rebuild follows a warning about a field not warned about before, so a document
# rebuilds at most once per drifting field; this only bounds threads racing the filters.
_MAX_BUILDS: Final = 1000


def _format_path(parts: typing.Iterable[str | int]) -> str:
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            out.append(f"[{part!r}]")
    return "".join(out)


def _excerpt_of(data: object) -> str:
    if isinstance(data, bytes | bytearray | memoryview):
        return excerpt(bytes(data[:1024]).decode("utf-8", errors="replace"))
    if isinstance(data, str):
        return excerpt(data[:1024])
    try:
        return excerpt(json.dumps(data, ensure_ascii=False, default=repr)[:1024])
    except (TypeError, ValueError, RecursionError):
        return excerpt(repr(data)[:1024])


_UTF8_BOM: Final = b"\xef\xbb\xbf"
_DECODER: Final = msgspec.json.Decoder()


def _decode(data: bytes | bytearray | memoryview | str) -> Any:
    # msgspec rather than the json module: about twice as fast, integers of any size stay
    # exact (orjson turns those beyond 64 bits into floats, which breaks `to_dict() ==
    # body`), and NaN, Infinity and numbers that overflow to inf are errors, as JSON says.
    # A UTF-8 byte order mark may be ignored (RFC 8259, section 8.1); other encodings fail.
    if not isinstance(data, str) and data[:3] == _UTF8_BOM:
        data = data[3:]
    try:
        return _DECODER.decode(data)
    except (ValueError, RecursionError) as error:  # DecodeError and UnicodeError included
        raise Invalid(f"body is not JSON ({error})") from None


def parse(
    model: type[M],
    data: bytes | str | Mapping[str, Any] | object,
    *,
    on_drift: OnDrift = "warn",
) -> M:
    """Parse `data` (JSON bytes or text, or an already-decoded mapping) into `model`.

    `model` is a generated class, e.g. `vt_refs_api.models.ReferenceCollection` for a page
    you stored, or `vt_refs_api.models.Reference` for one item of it.

    Bytes and text must be UTF-8 JSON; a mapping is only read, never modified.
    Raises MalformedResponseError, naming the JSONPath where the body breaks the model,
    for anything that is not a valid document: never KeyError, TypeError or ValueError.

    `on_drift` says what an optional field holding `null` or another JSON type than the
    spec's does: `"warn"` leaves the attribute UNSET, keeps the raw value in that
    object's `additional_properties` and issues a `SchemaDriftWarning` once per field;
    `"error"` raises MalformedResponseError at its path. A missing or mistyped required
    field is always an error.
    """
    return parse_body(model, data, status_code=None, on_drift=on_drift)


def parse_body(
    model: type[M],
    data: object,
    *,
    status_code: int | None,
    on_drift: OnDrift = "warn",
) -> M:
    """`parse`, with the HTTP status the body came with (for the error)."""
    warn = check_on_drift(on_drift) == "warn"
    text = data if isinstance(data, bytes | bytearray | memoryview | str) else None
    consume = text is not None
    for _ in range(_MAX_BUILDS):
        build = builder(model, consume=consume, warn=warn)
        try:
            if text is not None:
                doc = _decode(text)
            elif isinstance(data, Mapping) and not isinstance(data, dict):
                doc = dict(data)
            else:
                doc = data
            return build(doc)
        except Invalid as error:
            if error.report is not None:
                path = _format_path(error.path)
                drift.warn(error.report, path, error.declared, error.received)
                continue  # the field is now known: build again, keeping its drift
            if error.damaged:
                consume = False  # the raw value is gone from this copy: read a fresh one
                continue
            raise MalformedResponseError(
                error.reason,
                path=_format_path(error.path),
                excerpt=_excerpt_of(data),
                status_code=status_code,
            ) from None
        except RecursionError:
            raise MalformedResponseError(
                "nested too deeply", path="$", excerpt=_excerpt_of(data), status_code=status_code
            ) from None
    raise MalformedResponseError(  # pragma: no cover - only if other threads keep resetting
        "the drift warnings kept being reset while parsing",
        path="$",
        excerpt=_excerpt_of(data),
        status_code=status_code,
    )
