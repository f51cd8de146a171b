"""Strict parsing of JSON bodies into the generated models.

The generated `from_dict` trusts its input: a wrong JSON type is stored as is, a missing
key is a KeyError, and it costs over 4x a `json.loads` of the same bytes. Instead each
generated model class is compiled once, on first use, into a function that checks every
declared field's JSON type and builds the instance in the same pass, so strictness costs
less than the unchecked generated path. What a model looks like (fields, types, JSON key
names) is read from the generated classes themselves, so a model added to openapi.yaml is
parsed strictly after `make generate` with no change here.

Unknown keys are kept in `additional_properties` exactly as `from_dict` keeps them, so
`parse(M, body).to_dict() == body` for every valid body.

Each model gets two builders. When `parse` decoded the bytes itself, nobody else holds the
decoded document, so its builder consumes it: it pops each declared key (what is left is
exactly the unknown keys) and turns lists of objects into lists of models in place. That
allocates little but the models themselves (their empty `additional_properties` dicts
reuse the decoded dicts freed on the way), which matters more than any bytecode trick:
fewer allocations mean fewer collections of the cyclic GC. A mapping handed in by the
caller is only read, never changed.
"""

from __future__ import annotations

import enum
import importlib
import json
import re
import sys
import threading
import types
import typing
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, Union

import attrs
import msgspec

from ._errors import MalformedResponseError, UsageError, excerpt

M = TypeVar("M")

_MISSING: Final = object()
_NONE_TYPE: Final = type(None)
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Invalid(Exception):
    """Raised inside compiled builders; the path grows as it travels up to `parse`."""

    def __init__(self, reason: str, key: str | int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: deque[str | int] = deque(() if key is None else (key,))


def _json_type(value: object) -> str:
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


def _expected(what: str, value: object) -> str:
    return f"expected {what}, got {_json_type(value)}"


# --- The kinds of value a field can hold, read from the generated annotations ----------


@attrs.frozen
class _Scalar:
    """A JSON scalar: `types` are the exact Python types json produces for it.

    `test` is a Python expression over `{v}`, inlined into builders: its first clause is
    an exact class check, so the common case costs no call.
    """

    name: str
    types: frozenset[type]
    check: Callable[[object], bool]
    test: str


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_SCALARS: Final[dict[object, _Scalar]] = {
    str: _Scalar(
        "string",
        frozenset({str}),
        lambda v: isinstance(v, str),
        "{v}.__class__ is str or isinstance({v}, str)",
    ),
    int: _Scalar(
        "integer",
        frozenset({int}),
        _is_int,
        "{v}.__class__ is int or (isinstance({v}, int) and {v}.__class__ is not bool)",
    ),
    float: _Scalar(
        "number",
        frozenset({int, float}),
        _is_number,
        "{v}.__class__ is float or {v}.__class__ is int or _is_number({v})",
    ),
    bool: _Scalar(
        "boolean", frozenset({bool}), lambda v: isinstance(v, bool), "{v}.__class__ is bool"
    ),
}


@attrs.frozen
class _Any:
    """Any JSON value (unknown attributes, free-form objects)."""


@attrs.frozen
class _Model:
    cls: type


@attrs.frozen
class _List:
    item: _Kind


@attrs.frozen
class _Enum:
    cls: type[enum.Enum]


_Kind = _Scalar | _Any | _Model | _List | _Enum


@attrs.frozen
class _Field:
    attr: str
    key: str
    kind: _Kind
    optional: bool
    nullable: bool


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and attrs.has(tp) and hasattr(tp, "from_dict")


def _kind(tp: object, where: str) -> tuple[_Kind, bool, bool]:
    """(kind, optional, nullable) of an annotation such as `list[Reference] | Unset`."""
    optional = nullable = False
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        members = []
        for arg in typing.get_args(tp):
            if arg is _NONE_TYPE:
                nullable = True
            elif getattr(arg, "__name__", "") == "Unset":
                optional = True
            else:
                members.append(arg)
        if len(members) != 1:
            raise NotImplementedError(f"{where}: unions of several types are not supported: {tp}")
        tp = members[0]
        origin = typing.get_origin(tp)
    if tp is Any:
        return _Any(), optional, nullable
    if tp in _SCALARS:
        return _SCALARS[tp], optional, nullable
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        item, item_optional, item_nullable = _kind(item_tp, f"{where}[]")
        if item_optional or item_nullable:
            raise NotImplementedError(f"{where}: optional or null list items are not supported")
        return _List(item), optional, nullable
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _Enum(tp), optional, nullable
    if isinstance(tp, type) and _is_model(tp):
        return _Model(tp), optional, nullable
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


def _hints(cls: type) -> dict[str, Any]:
    # Generated models import their nested models only under TYPE_CHECKING: resolve the
    # names in the models package, which imports them all.
    module = sys.modules[cls.__module__]
    package = importlib.import_module(cls.__module__.rpartition(".")[0])
    namespace = {**vars(package), **vars(module)}
    return typing.get_type_hints(cls, globalns=namespace)


def _fields(cls: type) -> tuple[list[_Field], _Kind | None]:
    """The declared fields of a generated model and the kind of its extra values."""
    if getattr(cls, "__attrs_post_init__", None) is not None:
        raise NotImplementedError(f"{cls.__qualname__}: __attrs_post_init__ is not supported")
    hints = _hints(cls)
    declared = [f for f in attrs.fields(cls) if f.name != "additional_properties"]
    keys = _json_keys(cls, [f.name for f in declared])
    fields = []
    for f in declared:
        if f.validator is not None or f.converter is not None:
            raise NotImplementedError(f"{cls.__qualname__}.{f.name}: validators unsupported")
        kind, optional, nullable = _kind(hints[f.name], f"{cls.__qualname__}.{f.name}")
        fields.append(_Field(f.name, keys[f.name], kind, optional, nullable))
    extra: _Kind | None = None
    if "additional_properties" in hints:
        value_tp = typing.get_args(hints["additional_properties"])[1]
        extra_kind, _, _ = _kind(value_tp, f"{cls.__qualname__}.additional_properties")
        extra = None if isinstance(extra_kind, _Any) else extra_kind
    return fields, extra


# --- Compiling builders ----------------------------------------------------------------


class _Compiler:
    """Turns a family of model classes into builder functions sharing one namespace.

    Builders refer to each other by global name, so mutually recursive models work.
    """

    def __init__(self, known: dict[type, Callable[[Any], Any]], *, consume: bool) -> None:
        self.known = known
        self.consume = consume
        self.ns: dict[str, Any] = {
            "_MISSING": _MISSING,
            "_Invalid": _Invalid,
            "_expected": _expected,
            "_in_list": _in_list,
            "_check_items": _check_items,
            "_is_number": _is_number,
            "_new": object.__new__,
        }
        self.names: dict[type, str] = {}
        self.sources: list[str] = []
        self.counter = 0

    def _global(self, prefix: str, value: object) -> str:
        self.counter += 1
        name = f"{prefix}{self.counter}"
        self.ns[name] = value
        return name

    def builder(self, cls: type) -> str:
        """The global name of the builder of `cls`, compiling it if needed."""
        if cls in self.names:
            return self.names[cls]
        if cls in self.known:
            name = self._global("B", self.known[cls])
            self.names[cls] = name
            return name
        name = f"build_{cls.__name__}_{self.counter}"
        self.counter += 1
        self.names[cls] = name
        self.sources.append(self._source(cls, name))
        return name

    def convert(self, kind: _Kind, target: str, value: str, indent: str) -> list[str]:
        """Lines that check `value` against `kind` and assign the result to `target`.

        Failures raise _Invalid with the path below `value`; callers add their own key.
        """
        if isinstance(kind, _Any):
            return [f"{indent}{target} = {value}"]
        if isinstance(kind, _Scalar):
            test = kind.test.format(v=value)
            return [
                f"{indent}if not ({test}):",
                f"{indent}    raise _Invalid(_expected({kind.name!r}, {value}))",
                f"{indent}{target} = {value}",
            ]
        if isinstance(kind, _Model):
            return [f"{indent}{target} = {self.builder(kind.cls)}({value})"]
        if isinstance(kind, _Enum):
            values = self._global("values_", {m.value: m for m in kind.cls})
            return [
                f"{indent}if {value} not in {values}:",
                f"{indent}    raise _Invalid('not one of ' + repr(list({values})))",
                f"{indent}{target} = {values}[{value}]",
            ]
        return self._list(kind, target, value, indent)

    def _list(self, kind: _List, target: str, value: str, indent: str) -> list[str]:
        lines = [
            f"{indent}if not isinstance({value}, list):",
            f"{indent}    raise _Invalid(_expected('array', {value}))",
        ]
        item = kind.item
        if isinstance(item, _Any):
            return [*lines, f"{indent}{target} = {value}"]
        if isinstance(item, _Scalar):
            # One C-level pass over the item types; the slow check only runs to find the
            # culprit (or to accept subclasses such as a str subclass).
            allowed = self._global("types_", item.types)
            check = self._global("is_", item.check)
            return [
                *lines,
                f"{indent}if {value} and not set(map(type, {value})) <= {allowed}:",
                f"{indent}    _check_items({value}, {check}, {item.name!r})",
                f"{indent}{target} = {value}",
            ]
        convert_one = self._item_function(item)
        if self.consume:
            # In place: each item's dict is freed (and reused) as soon as it is converted.
            # The index is counted as we go, since a consumed item cannot be re-checked.
            return [
                *lines,
                f"{indent}i = 0",
                f"{indent}try:",
                f"{indent}    for x in {value}:",
                f"{indent}        {value}[i] = {convert_one}(x)",
                f"{indent}        i += 1",
                f"{indent}except _Invalid as e:",
                f"{indent}    e.path.appendleft(i)",
                f"{indent}    raise",
                f"{indent}{target} = {value}",
            ]
        return [
            *lines,
            f"{indent}try:",
            f"{indent}    {target} = [{convert_one}(x) for x in {value}]",
            f"{indent}except _Invalid:",
            f"{indent}    raise _in_list({value}, {convert_one}) from None",
        ]

    def _item_function(self, item: _Kind) -> str:
        if isinstance(item, _Model):
            return self.builder(item.cls)
        name = f"item_{self.counter}"
        self.counter += 1
        body = self.convert(item, "out", "v", "    ")
        self.sources.append("\n".join([f"def {name}(v):", *body, "    return out"]))
        return name

    def _source(self, cls: type, name: str) -> str:
        fields, extra = _fields(cls)
        cls_name = self._global("cls_", cls)
        lines = [
            f"def {name}(d):",
            "    if not isinstance(d, dict):",
            "        raise _Invalid(_expected('object', d))",
            f"    obj = _new({cls_name})",
        ]
        if not self.consume:
            lines.append("    n = 0")
        take = "pop" if self.consume else "get"
        for f in fields:
            key = repr(f.key)
            lines += [f"    v = d.{take}({key}, _MISSING)", "    if v is _MISSING:"]
            if f.optional:
                unset = self._global("UNSET_", attrs.fields_dict(cls)[f.attr].default)
                lines.append(f"        obj.{f.attr} = {unset}")
            else:
                lines.append(f"        raise _Invalid('missing required key', {key})")
            lines.append("    else:")
            if not self.consume:
                lines.append("        n += 1")
            indent = "        "
            if f.nullable:
                lines += [
                    "        if v is None:",
                    f"            obj.{f.attr} = None",
                    "        else:",
                ]
                indent = "            "
            convert = self.convert(f.kind, f"obj.{f.attr}", "v", indent + "    ")
            if convert[0].strip().startswith(f"obj.{f.attr} = v") and len(convert) == 1:
                lines += [f"{indent}obj.{f.attr} = v"]
            else:
                lines += [
                    f"{indent}try:",
                    *convert,
                    f"{indent}except _Invalid as e:",
                    f"{indent}    e.path.appendleft({key})",
                    f"{indent}    raise",
                ]
        if self.consume:
            # What is left is the unknown keys. A copy, so that a model does not keep the
            # larger table of the dict it was popped from.
            lines += [
                "    if not d:",
                "        obj.additional_properties = {}",
                "    else:",
                "        obj.additional_properties = d.copy()",
            ]
        else:
            known = self._global("known_", frozenset(f.key for f in fields))
            lines += [
                "    if n == len(d):",
                "        obj.additional_properties = {}",
                "    else:",
                f"        obj.additional_properties = {{k: d[k] for k in d if k not in {known}}}",
            ]
        if extra is not None:
            lines += [
                "        for k, v in obj.additional_properties.items():",
                "            try:",
                *self.convert(extra, "obj.additional_properties[k]", "v", "                "),
                "            except _Invalid as e:",
                "                e.path.appendleft(k)",
                "                raise",
            ]
        lines.append("    return obj")
        return "\n".join(lines)

    def finish(self) -> None:
        exec(compile("\n\n".join(self.sources), "<vt_refs parsers>", "exec"), self.ns)
        for cls, name in self.names.items():
            self.known.setdefault(cls, self.ns[name])


def _in_list(items: list[Any], convert: Callable[[Any], Any]) -> _Invalid:
    """Re-run a failed list conversion item by item to name the failing index."""
    for index, item in enumerate(items):
        try:
            convert(item)
        except _Invalid as error:
            error.path.appendleft(index)
            return error
    return _Invalid("list conversion failed without a failing item")  # pragma: no cover


def _check_items(items: list[Any], check: Callable[[object], bool], name: str) -> None:
    for index, item in enumerate(items):
        if not check(item):
            raise _Invalid(_expected(name, item), index)


# Builders that only read their input, and builders that consume a document parse decoded.
_READERS: dict[type, Callable[[Any], Any]] = {}
_CONSUMERS: dict[type, Callable[[Any], Any]] = {}
_LOCK = threading.Lock()


def _builder(model: type[M], *, consume: bool) -> Callable[[Any], M]:
    builders = _CONSUMERS if consume else _READERS
    try:
        return builders[model]
    except (KeyError, TypeError):  # TypeError: an unhashable `model`, no class at all
        pass
    if not _is_model(model):
        raise UsageError(f"parse needs a generated model class, not {model!r}")
    with _LOCK:
        if model not in builders:
            compiler = _Compiler(builders, consume=consume)
            compiler.builder(model)
            compiler.finish()
    return builders[model]


# --- The public entry point ------------------------------------------------------------


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
        raise _Invalid(f"body is not JSON ({error})") from None


def parse(model: type[M], data: bytes | str | Mapping[str, Any] | object, /) -> M:
    """Parse `data` (JSON bytes or text, or an already-decoded mapping) into `model`.

    Bytes and text must be UTF-8 JSON; a mapping is only read, never modified.
    Raises MalformedResponseError, naming the JSONPath where the body breaks the model,
    for anything that is not a valid document: never KeyError, TypeError or ValueError.
    """
    return parse_body(model, data, status_code=None)


def parse_body(model: type[M], data: object, *, status_code: int | None) -> M:
    """`parse`, with the HTTP status the body came with (for the error)."""
    text = data if isinstance(data, bytes | bytearray | memoryview | str) else None
    build = _builder(model, consume=text is not None)
    try:
        if text is not None:
            doc = _decode(text)
        elif isinstance(data, Mapping) and not isinstance(data, dict):
            doc = dict(data)
        else:
            doc = data
        return build(doc)
    except _Invalid as error:
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
