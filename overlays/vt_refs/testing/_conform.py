"""Items that parse into any item model: the fake's references, completed where needed.

The fake serves its generated references in every relationship. An operation added to
openapi.yaml may list objects of another model, one that requires fields a reference
lacks; such an item would be a malformed response, not a fake. So each item gets, where
it lacks them, the required fields of the operation's item model (nested required models
too), with placeholder values of their declared types. The placeholders are built by
the generated classes themselves (`to_dict` of an instance), so JSON names and enum
values are the generator's. An item that already conforms, as every reference and
descriptor does, is served as it is, unchanged and uncopied.
"""

from __future__ import annotations

import datetime
import enum
import functools
import types
import typing
from typing import Any, Final, Union

import attrs

from .._parsing import model_hints
from ._data import JsonObject

_DEPTH: Final = 6  # required models nested deeper (a cycle) stop as null
_MISSING: Final = object()
_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _placeholder(tp: Any, depth: int) -> Any:
    """A value of annotation `tp`, as the generated model holds it."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        members = typing.get_args(tp)
        if type(None) in members:
            return None
        tp = members[0]
    origin = typing.get_origin(tp) or tp
    if origin is list:
        return []
    if origin is dict:
        return {}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    if isinstance(tp, type) and attrs.has(tp) and hasattr(tp, "to_dict"):
        return _instance(tp, depth + 1) if depth < _DEPTH else None
    simple: dict[Any, Any] = {
        bool: False,
        int: 0,
        float: 0.0,
        datetime.datetime: _EPOCH,
        datetime.date: _EPOCH.date(),
    }
    return simple.get(tp, "fake")


def _instance(model: type, depth: int) -> Any:
    hints = model_hints(model)
    required = {
        field.name: _placeholder(hints[field.name], depth)
        for field in attrs.fields(model)
        if field.default is attrs.NOTHING
    }
    return model(**required)


@functools.cache
def skeleton(model: type) -> JsonObject:
    """The JSON of `model`'s required fields, each a placeholder of its type."""
    document: JsonObject = _instance(model, 0).to_dict()
    return document


def conform(item: JsonObject, model: type) -> JsonObject:
    """`item`, with what it lacks of `model`'s required fields (or holds of another JSON
    type) taken from its skeleton; `item` itself when it lacks nothing."""
    return _merged(item, skeleton(model))


def _merged(item: JsonObject, required: JsonObject) -> JsonObject:
    out = item
    for key, wanted in required.items():
        have = item.get(key, _MISSING)
        if isinstance(wanted, dict) and isinstance(have, dict):
            value = _merged(have, wanted)
        elif have is _MISSING or (wanted is not None and type(have) is not type(wanted)):
            value = wanted
        else:
            continue
        if value is not have:
            out = dict(out) if out is item else out
            out[key] = value
    return out
