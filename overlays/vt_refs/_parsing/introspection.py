"""What a generated model looks like, read from the generated class itself.

Fields, their JSON key names, their kinds (scalar, model, list, enum, any) and whether
each is optional or nullable: the compiler in `_compile` turns this into builders. Reading
the classes rather than the spec means a model added to openapi.yaml needs no change here.
"""

from __future__ import annotations

import enum
import functools
import importlib
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, Final, Union

import attrs

_NONE_TYPE: Final = type(None)


def json_type(value: object) -> str:
    """The JSON type name of a decoded value, as errors and warnings report it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# --- The kinds of value a field can hold, read from the generated annotations ----------


@attrs.frozen
class Scalar:
    """A JSON scalar: `types` are the exact Python types json produces for it.

    `test` is a Python expression over `{v}`, inlined into builders: its first clause is
    an exact class check, so the common case costs no call.
    """

    name: str
    types: frozenset[type]
    check: Callable[[object], bool]
    test: str


def is_int(v: object) -> bool:
    """JSON integers only: Python's bool is an int, JSON's boolean is not."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: object) -> bool:
    """JSON numbers: an integer is a valid number, a boolean is not."""
    return isinstance(v, int | float) and not isinstance(v, bool)


SCALARS: Final[dict[object, Scalar]] = {
    str: Scalar(
        "string",
        frozenset({str}),
        lambda v: isinstance(v, str),
        "{v}.__class__ is str or isinstance({v}, str)",
    ),
    int: Scalar(
        "integer",
        frozenset({int}),
        is_int,
        "{v}.__class__ is int or (isinstance({v}, int) and {v}.__class__ is not bool)",
    ),
    float: Scalar(
        "number",
        frozenset({int, float}),
        is_number,
        "{v}.__class__ is float or {v}.__class__ is int or is_number({v})",
    ),
    bool: Scalar(
        "boolean", frozenset({bool}), lambda v: isinstance(v, bool), "{v}.__class__ is bool"
    ),
}


@attrs.frozen
class AnyValue:
    """Any JSON value (unknown attributes, free-form objects)."""


@attrs.frozen
class Model:
    """A nested generated model (a JSON object)."""

    cls: type


@attrs.frozen
class ListOf:
    """A JSON array whose items are all of one kind."""

    item: Kind


@attrs.frozen
class EnumOf:
    """A generated enum: a JSON value from a closed set."""

    cls: type[enum.Enum]


Kind = Scalar | AnyValue | Model | ListOf | EnumOf


@attrs.frozen
class Field:
    """One declared field: its Python attribute, its JSON key and what it may hold."""

    attr: str
    key: str
    kind: Kind
    optional: bool
    nullable: bool


def is_model(tp: object) -> bool:
    """Whether `tp` is a generated model class (attrs, with `from_dict`)."""
    return isinstance(tp, type) and attrs.has(tp) and hasattr(tp, "from_dict")


def _is_unset(tp: object) -> bool:
    """Whether `tp` is a generated package's `Unset`: the type of the `UNSET` sentinel its
    module holds (openapi-python-client's `types.py`), whichever package generated it.
    Known by what it is, not by its name."""
    module = sys.modules.get(getattr(tp, "__module__", ""))
    return isinstance(tp, type) and type(getattr(module, "UNSET", None)) is tp


def kind_of(tp: object, where: str) -> tuple[Kind, bool, bool]:
    """(kind, optional, nullable) of an annotation such as `list[Reference] | Unset`."""
    optional = nullable = False
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        members = []
        for arg in typing.get_args(tp):
            if arg is _NONE_TYPE:
                nullable = True
            elif _is_unset(arg):
                optional = True
            else:
                members.append(arg)
        if len(members) != 1:
            raise NotImplementedError(f"{where}: unions of several types are not supported: {tp}")
        tp = members[0]
        origin = typing.get_origin(tp)
    if tp is Any:
        return AnyValue(), optional, nullable
    if tp in SCALARS:
        return SCALARS[tp], optional, nullable
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        item, item_optional, item_nullable = kind_of(item_tp, f"{where}[]")
        if item_optional or item_nullable:
            raise NotImplementedError(f"{where}: optional or null list items are not supported")
        return ListOf(item), optional, nullable
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return EnumOf(tp), optional, nullable
    if isinstance(tp, type) and is_model(tp):
        return Model(tp), optional, nullable
    raise NotImplementedError(f"{where}: annotation {tp!r} is not supported by vt_refs.parse")


# --- Reading a generated class ---------------------------------------------------------


class _Probe:
    """A stand-in value that survives any generated `to_dict` conversion unchanged."""

    def to_dict(self) -> _Probe:
        return self

    def isoformat(self) -> _Probe:
        return self

    @property
    def value(self) -> _Probe:
        return self

    def __iter__(self) -> typing.Iterator[_Probe]:
        return iter((self,))


def _json_keys(cls: type, names: list[str]) -> dict[str, str]:
    """The JSON key the generated `to_dict` writes each attribute under.

    The generator renames keys (`type` -> `type_`, `self` -> `self_`, camelCase to
    snake_case); rather than re-implementing its rules, ask the class itself: give every
    attribute its own probe and see where `to_dict` puts each.
    """
    probes = {name: _Probe() for name in names}
    obj: Any = object.__new__(cls)
    for name, probe in probes.items():
        object.__setattr__(obj, name, probe)
    object.__setattr__(obj, "additional_properties", {})
    written = obj.to_dict()
    keys = {}
    for name, probe in probes.items():
        for key, value in written.items():
            if value is probe or (isinstance(value, list) and probe in value):
                keys[name] = str(key)
                break
        else:
            raise NotImplementedError(f"{cls.__qualname__}.{name}: cannot find its JSON key")
    return keys


def model_hints(cls: type) -> dict[str, Any]:
    """The type hints of a generated model class, its nested models resolved.

    Generated models import their nested models only under TYPE_CHECKING: the names are
    resolved in the models package, which imports them all.
    """
    module = sys.modules[cls.__module__]
    package = importlib.import_module(cls.__module__.rpartition(".")[0])
    namespace = {**vars(package), **vars(module)}
    return typing.get_type_hints(cls, globalns=namespace)


def fields_of(cls: type) -> tuple[list[Field], Kind | None]:
    """The declared fields of a generated model and the kind of its extra values."""
    if getattr(cls, "__attrs_post_init__", None) is not None:
        raise NotImplementedError(f"{cls.__qualname__}: __attrs_post_init__ is not supported")
    hints = model_hints(cls)
    declared = [f for f in attrs.fields(cls) if f.name != "additional_properties"]
    keys = _json_keys(cls, [f.name for f in declared])
    fields = []
    for f in declared:
        if f.validator is not None or f.converter is not None:
            raise NotImplementedError(f"{cls.__qualname__}.{f.name}: validators unsupported")
        kind, optional, nullable = kind_of(hints[f.name], f"{cls.__qualname__}.{f.name}")
        fields.append(Field(f.name, keys[f.name], kind, optional, nullable))
    extra: Kind | None = None
    if "additional_properties" in hints:
        value_tp = typing.get_args(hints["additional_properties"])[1]
        extra_kind, _, _ = kind_of(value_tp, f"{cls.__qualname__}.additional_properties")
        extra = None if isinstance(extra_kind, AnyValue) else extra_kind
    return fields, extra


@functools.cache
def _page_metas(package: str) -> frozenset[type]:
    """The `meta` models of the pages of a generated models package.

    A page is a model with `data` (a list of models) and `meta` (a model): what every
    paging operation returns. Found by reading the models, not by their names, so a page
    added to openapi.yaml, with a `meta` of its own, is known with nothing to change.
    """
    found = set()
    for cls in vars(importlib.import_module(package)).values():
        if not is_model(cls):
            continue
        try:
            hints = model_hints(cls)
            data = kind_of(hints["data"], "data")[0] if "data" in hints else None
            meta = kind_of(hints["meta"], "meta")[0] if "meta" in hints else None
        except (NameError, NotImplementedError, TypeError):  # not a page: nothing to learn
            continue
        if isinstance(data, ListOf) and isinstance(data.item, Model) and isinstance(meta, Model):
            found.add(meta.cls)
    return frozenset(found)


def is_page_cursor(cls: type, key: str) -> bool:
    """Whether JSON key `key` of model `cls` is a page's `meta.cursor`: what a walk
    follows, so a wrong value there is never drift (left UNSET, it would end the walk
    early and silently lose every page after it)."""
    return key == "cursor" and cls in _page_metas(cls.__module__.rpartition(".")[0])
