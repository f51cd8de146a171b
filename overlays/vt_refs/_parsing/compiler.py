"""Generated model classes compiled into functions that check and build in one pass.

The generated `from_dict` trusts its input and costs over 4x a `json.loads`; a builder
compiled here checks every declared field's JSON type while it builds, for less. Each
model gets a builder per (consume, warn) pair, compiled on first use:

- `consume`: the document was decoded by `parse` itself, so nobody else holds it and the
  builder takes it apart: it pops each declared key (what is left is exactly the unknown
  keys) and converts lists of objects in place. That allocates little but the models
  themselves, and fewer allocations mean fewer runs of the cyclic GC. Otherwise (a mapping
  from the caller) the builder only reads.
- `warn` (`on_drift="warn"`): an optional field holding `null` or a wrong JSON type is
  left UNSET and its raw value kept with the unknown keys. The first time a field drifts,
  the builder cannot know the path from the root, so it raises; `parse` warns with the
  full path and builds again, and from then on that field's drift is kept silently. The
  check-and-build path itself is the same in both modes: only `except` clauses differ.
"""

from __future__ import annotations

import itertools
import linecache
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs

from .._errors import UsageError
from .introspection import (
    AnyValue,
    EnumOf,
    Field,
    Kind,
    ListOf,
    Model,
    Scalar,
    fields_of,
    is_model,
    is_number,
    is_page_cursor,
)
from .invalid import Invalid, absorb, check_items, not_one_of, raw, wrong

M = TypeVar("M")

_MISSING: Final = object()


class _Compiler:
    """Turns a family of model classes into builder functions sharing one namespace.

    Builders refer to each other by global name, so mutually recursive models work.
    """

    def __init__(
        self, known: dict[type, Callable[[Any], Any]], *, consume: bool, warn: bool
    ) -> None:
        self.known = known
        self.consume = consume
        self.warn = warn
        self.ns: dict[str, Any] = {
            "_MISSING": _MISSING,
            "_Invalid": Invalid,
            "_wrong": wrong,
            "_not_one_of": not_one_of,
            "_absorb": absorb,
            "_raw": raw,
            "_check_items": check_items,
            "is_number": is_number,
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

    def convert(self, kind: Kind, target: str, value: str, indent: str) -> list[str]:
        """Lines that check `value` against `kind` and assign the result to `target`.

        Failures raise Invalid with the path below `value`; callers add their own key.
        """
        if isinstance(kind, AnyValue):
            return [f"{indent}{target} = {value}"]
        if isinstance(kind, Scalar):
            test = kind.test.format(v=value)
            return [
                f"{indent}if not ({test}):",
                f"{indent}    raise _wrong({kind.name!r}, {value})",
                f"{indent}{target} = {value}",
            ]
        if isinstance(kind, Model):
            return [f"{indent}{target} = {self.builder(kind.cls)}({value})"]
        if isinstance(kind, EnumOf):
            values = self._global("values_", {m.value: m for m in kind.cls})
            return [
                f"{indent}if {value} not in {values}:",
                f"{indent}    raise _not_one_of({values}, {value})",
                f"{indent}{target} = {values}[{value}]",
            ]
        return self._list(kind, target, value, indent)

    def _list(self, kind: ListOf, target: str, value: str, indent: str) -> list[str]:
        lines = [  # the exact class first: a list subclass is rare, isinstance a call
            f"{indent}if {value}.__class__ is not list and not isinstance({value}, list):",
            f"{indent}    raise _wrong('array', {value})",
        ]
        item = kind.item
        if isinstance(item, AnyValue):
            return [*lines, f"{indent}{target} = {value}"]
        if isinstance(item, Scalar):
            # One C-level pass over the item types; the slow check only runs to find the
            # culprit (or to accept subclasses such as a str subclass).
            # Strings (most lists: tags, names) are checked by joining them, which takes
            # str and its subclasses only and allocates no set.
            check = self._global("is_", item.check)
            slow = f"{indent}    _check_items({value}, {check}, {item.name!r})"
            if item.types == frozenset({str}):
                joined = [f"{indent}try:", f"{indent}    ''.join({value})"]
                joined += [f"{indent}except TypeError:", slow]
                return [*lines, *joined, f"{indent}{target} = {value}"]
            allowed = self._global("types_", item.types)
            return [
                *lines,
                f"{indent}if {value} and not {allowed}.issuperset(map(type, {value})):",
                slow,
                f"{indent}{target} = {value}",
            ]
        convert_one = self._item_function(item)
        # The index is counted as we go: a failing item is named without converting
        # anything twice. Consuming builders convert in place, so each item's dict is
        # freed (and reused) as soon as it is converted.
        into, store = (value, f"{value}[i] = ") if self.consume else ("acc", "acc.append(")
        close = "" if self.consume else ")"
        return [
            *lines,
            *([] if self.consume else [f"{indent}acc = []"]),
            f"{indent}i = 0",
            f"{indent}try:",
            f"{indent}    for x in {value}:",
            f"{indent}        {store}{convert_one}(x){close}",
            f"{indent}        i += 1",
            f"{indent}except _Invalid as e:",
            f"{indent}    e.path.appendleft(i)",
            f"{indent}    raise",
            f"{indent}{target} = {into}",
        ]

    def _item_function(self, item: Kind) -> str:
        if isinstance(item, Model):
            return self.builder(item.cls)
        name = f"item_{self.counter}"
        self.counter += 1
        body = self.convert(item, "out", "v", "    ")
        self.sources.append("\n".join([f"def {name}(v):", *body, "    return out"]))
        return name

    def _keep_raw(self, key: str, raw: str, indent: str) -> list[str]:
        """Lines that keep `raw` under `key` with the unknown keys of the object."""
        if self.consume:  # what is left in `d` becomes additional_properties
            return [f"{indent}d[{key}] = {raw}"]
        return [f"{indent}if dr is None:", f"{indent}    dr = {{}}", f"{indent}dr[{key}] = {raw}"]

    def _field(self, cls: type, f: Field, *, absorbs: bool, typed_extras: bool) -> list[str]:
        key = repr(f.key)
        take = "pop" if self.consume else "get"
        unset = ""
        lines = [f"    v = d.{take}({key}, _MISSING)", "    if v is _MISSING:"]
        if f.optional:
            unset = self._global("UNSET_", attrs.fields_dict(cls)[f.attr].default)
            lines.append(f"        obj.{f.attr} = {unset}")
        else:
            lines.append(f"        raise _Invalid('missing required key', {key}, hard=True)")
        # A page's cursor is never drift (`is_page_cursor`); a null one is valid when the
        # spec declares it so, for the last page.
        control = is_page_cursor(cls, f.key)
        lines.append("    else:")
        if not self.consume:
            lines.append("        n += 1")
        indent = "        "
        if f.nullable:
            lines += ["        if v is None:", f"            obj.{f.attr} = None", "        else:"]
            indent = "            "
        convert = self.convert(f.kind, f"obj.{f.attr}", "v", indent + "    ")
        if len(convert) == 1 and convert[0].strip() == f"obj.{f.attr} = v":
            return [*lines, f"{indent}obj.{f.attr} = v"]
        inner = indent + "    "
        if f.optional and absorbs and not control:
            # A consumed list of objects was converted in place up to the failing item.
            in_place = isinstance(f.kind, ListOf) and not isinstance(f.kind.item, Scalar | AnyValue)
            raw = "_raw(v)" if self.consume and in_place else "v"
            token = self._global("T", (cls, f.key))
            on_error = [
                f"{inner}if not _absorb(e, {token}):",
                f"{inner}    e.path.appendleft({key})",
                f"{inner}    raise",
                f"{inner}obj.{f.attr} = {unset}",
                *([] if self.consume else [f"{inner}n -= 1"]),
                *self._keep_raw(key, raw, inner),
            ]
        else:
            on_error = []
            if not f.optional or control:
                on_error.append(f"{inner}e.hard = True")
            elif self.consume and self.warn and typed_extras:
                # Drift here goes up to an enclosing optional field, whose raw value
                # this builder has already taken apart.
                on_error.append(f"{inner}e.damaged = not e.hard")
            on_error += [f"{inner}e.path.appendleft({key})", f"{inner}raise"]
        return [*lines, f"{indent}try:", *convert, f"{indent}except _Invalid as e:", *on_error]

    def _source(self, cls: type, name: str) -> str:
        fields, extra = fields_of(cls)
        # Raw values go with the unknown keys, which must then be free-form: a model whose
        # extras are typed passes its drift up to the enclosing optional field.
        absorbs = self.warn and extra is None
        keeps_raw = absorbs and any(f.optional for f in fields)
        cls_name = self._global("cls_", cls)
        lines = [
            f"def {name}(d):",
            "    if d.__class__ is not dict and not isinstance(d, dict):",
            "        raise _wrong('object', d)",
            f"    obj = _new({cls_name})",
        ]
        if not self.consume:
            lines.append("    n = 0")
            if keeps_raw:
                lines.append("    dr = None")
        for f in fields:
            lines += self._field(cls, f, absorbs=absorbs, typed_extras=extra is not None)
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
                "                e.hard = True",
                "                e.path.appendleft(k)",
                "                raise",
            ]
        if keeps_raw and not self.consume:
            lines += ["    if dr is not None:", "        obj.additional_properties.update(dr)"]
        lines.append("    return obj")
        return "\n".join(lines)

    def finish(self, model: type) -> None:
        source = "\n\n".join(self.sources) + "\n"
        # A file name of its own, with its source in linecache as attrs does for the
        # methods it writes, so a traceback through a builder shows the line that failed.
        # Each family is compiled once per model and mode, so the cache stays bounded.
        mode = f"{'consume' if self.consume else 'read'}, {'warn' if self.warn else 'error'}"
        filename = f"<vt_refs builders of {model.__qualname__} ({mode}) #{next(_SERIALS)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), self.ns)
        for cls, name in self.names.items():
            self.known.setdefault(cls, self.ns[name])


# One family of builders per (consume, warn).
_BUILDERS: dict[tuple[bool, bool], dict[type, Callable[[Any], Any]]] = {
    (consume, warn): {} for consume in (False, True) for warn in (False, True)
}
_LOCK = threading.Lock()
_SERIALS: Final = itertools.count(1)  # file names of compiled families never repeat


def builder(model: type[M], *, consume: bool, warn: bool) -> Callable[[Any], M]:
    """The builder of `model`, compiled on first use; UsageError for a non-model."""
    builders = _BUILDERS[consume, warn]
    try:
        return builders[model]
    except (KeyError, TypeError):  # TypeError: an unhashable `model`, no class at all
        pass
    if not is_model(model):
        raise UsageError(f"parse needs a generated model class, not {model!r}")
    with _LOCK:
        if model not in builders:
            compiler = _Compiler(builders, consume=consume, warn=warn)
            compiler.builder(model)
            compiler.finish(model)
    return builders[model]
