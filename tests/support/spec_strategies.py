"""Hypothesis strategies for response bodies, derived from openapi.yaml at test time.

Every strategy here reads the JSON schemas of `openapi.yaml` (`load_spec()` decodes the
repository's file with `yaml.safe_load`); no schema is copied by hand, so a field added to
the spec is fuzzed the moment it lands.

Why a hand-written walker and not hypothesis-jsonschema: hypothesis-jsonschema 0.23.1 (its
last release, 2024) breaks on hypothesis >= 6.170.10 (`'many' object has no attribute
'more'`), and this project runs a newer hypothesis (6.170.17 when this was written);
pinning hypothesis back for one test helper is worse than a small walker that also knows
OpenAPI's `components/schemas` layout and produces the *invalid* documents with the
JSONPath each must be reported at, which hypothesis-jsonschema cannot.

The walker supports exactly what openapi.yaml uses: `$ref` to `#/components/schemas/*`,
`type` (a name or a list of names, `"null"` included), `properties`, `required`, `items`,
`minLength`, `minimum`, `additionalProperties` absent or `true`, and annotations
(`description`, `title`, `example(s)`, `deprecated`, `$comment`). Any other keyword
(`enum`, `format`, `default`, `allOf`, `additionalProperties: false`, ...) raises
NotImplementedError naming the keyword and the schema path: a spec change the walker does
not understand must stop the suite, not be fuzzed wrongly.

What the strategies produce:

- `valid_document(spec, name)`: documents valid for schema `name`, with unknown keys at
  every object level (the API adds fields without notice), full unicode strings (no lone
  surrogates: they cannot be encoded as UTF-8), boundary and big integers, finite floats
  including integral ones where `number` is declared, empty and long lists, and every
  optional property both present and absent.
- `invalid_document(spec, name)`: `Invalid(data, path)` pairs derived from valid documents
  by one mutation each: a wrong JSON type at a declared property or list item, a required
  key removed, a non-object top level, truncated JSON, or bytes that are not JSON at all.
  `data` is a decoded JSON value (dict for the in-document mutations) or `bytes`; `path` is
  where a strict parser must report the failure (JSONPath, see `json_path`).
  `drift` says whether the mutation is schema drift: a wrong type whose nearest enclosing
  property (the mutated one, or the list it is an item of) is optional, which a parser
  under `on_drift="warn"` keeps as a raw value instead of failing (see `is_drift`).
- `drift_document(spec, name)`: drift only: null (where the spec does not allow it) or
  another JSON type at a random optional property at any depth, inside lists too, or at
  an item of an optional list; absent optional properties are added with a wrong value.
- `big_invalid_document(spec, name)`: the same mutations in bodies of more than 100 KB,
  with huge wrong values, to check that errors carry only a bounded excerpt.
- `full_document(spec, name)` / `all_mutations(spec, name)`: not random: the document with
  every declared property present, and every single mutation of it (each wrong JSON kind
  at each location, each required key removed), so that one missing type check fails
  every run instead of only the runs whose random search reaches it.

`response_schema_names(spec)` lists the schemas to fuzz: every component schema a response
body uses, through `$ref`s; `success_operations(spec)` the operations and their 200 body
schema; `documented_error_codes(spec)` the error codes the error responses name.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NamedTuple

import yaml
from hypothesis import assume
from hypothesis import strategies as st

from support.paths import ROOT

SCHEMA_PREFIX: Final = "#/components/schemas/"

# Keywords that say nothing about which values are valid.
ANNOTATIONS: Final = frozenset({"description", "title", "example", "examples", "deprecated"})
ANNOTATIONS_AND_COMMENT: Final = ANNOTATIONS | {"$comment"}
# Supported assertion keywords, with the JSON types they apply to.
KEYWORD_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "type": frozenset({"null", "boolean", "integer", "number", "string", "array", "object"}),
    "properties": frozenset({"object"}),
    "required": frozenset({"object"}),
    "additionalProperties": frozenset({"object"}),
    "items": frozenset({"array"}),
    "minLength": frozenset({"string"}),
    "minimum": frozenset({"integer", "number"}),
}
JSON_TYPES: Final = KEYWORD_TYPES["type"]

# Sizes: lists of scalars reach ~50 items; lists of objects stay short so that a page of
# references (each with ~20 attributes and unknown keys) keeps the suite fast.
SCALAR_LIST_MAX: Final = 50
MODEL_LIST_MAX: Final = 4
EXTRA_KEYS_MAX: Final = 3
BIG_BODY_CHARS: Final = 100_000
REPR_CHARS: Final = 600

BOUNDARY_INTS: Final = (
    0,
    1,
    -1,
    2**31 - 1,
    -(2**31),
    2**32,
    2**53,
    2**53 + 1,
    2**63 - 1,
    -(2**63),
    2**64,
    -(2**64) - 1,
    10**40,
    -(10**40),
)
BOUNDARY_FLOATS: Final = (0.0, -0.0, 1.0, -1.0, 0.5, 1e308, -1e308, 5e-324, 2.0**53, 1e16)

# Padding units for big bodies: besides arbitrary text, characters that `repr()` and
# `json.dumps()` expand the most (control, non-printable, private-use, astral), since
# an excerpt bounded in characters can still blow up once escaped.
NASTY_UNITS: Final = ("\x00", "\x7f", "\u0085", "\u2028", "\ue000", "\U000f0000", "😀", '"\\')

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Optional properties whose wrong values are never drift: pagination relies on
# `meta.cursor`, and a mistyped cursor dropped as drift would end a walk early.
NEVER_DRIFT: Final = frozenset({SCHEMA_PREFIX + "CollectionMeta/properties/cursor"})

Segment = str | int


class Invalid(NamedTuple):
    """An invalid body and the JSONPath where a strict parser must report it.

    `drift`: the break is schema drift, an error only under `on_drift="error"`.
    """

    data: Any
    path: str
    drift: bool = False

    def __repr__(self) -> str:
        # Hypothesis prints failing examples: a 100 KB body would bury the report.
        text = repr(self.data)
        if len(text) > REPR_CHARS:
            hidden = len(text) - REPR_CHARS
            text = f"{text[: REPR_CHARS // 2]} <...{hidden} chars...> {text[-REPR_CHARS // 2 :]}"
        return f"Invalid(data={text}, path={self.path!r}, drift={self.drift})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def load_spec(path: Path = ROOT / "openapi.yaml") -> dict[str, Any]:
    """The repository's openapi.yaml, decoded: the single source of every schema here."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def resolve_ref(spec: Mapping[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, with its local `$ref`s into `spec` followed."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def json_path(segments: Sequence[Segment]) -> str:
    """JSONPath of a location: `$`, `.key` for identifiers, `['key']` otherwise, `[3]`."""
    out = ["$"]
    for segment in segments:
        if isinstance(segment, int):
            out.append(f"[{segment}]")
        elif _IDENTIFIER.match(segment):
            out.append(f".{segment}")
        else:
            out.append(f"[{segment!r}]")
    return "".join(out)


# --- Reading the spec ------------------------------------------------------------------


def _schema_refs(node: object) -> Iterator[str]:
    """Every component schema name a `$ref` anywhere under `node` points to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            yield ref.removeprefix(SCHEMA_PREFIX)
        for value in node.values():
            yield from _schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_refs(value)


def _response_objects(spec: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, response object) for every response of every operation and component."""
    responses = spec.get("components", {}).get("responses", {})
    for name, response in responses.items():
        yield f"#/components/responses/{name}", response
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                where = f"#/paths/{path}/{method}/responses/{status}"
                ref = response.get("$ref")
                if ref is not None:
                    if not ref.startswith("#/components/responses/"):
                        raise NotImplementedError(f"response $ref {ref!r} at {where}")
                    response = responses[ref.removeprefix("#/components/responses/")]
                yield where, response


def _body_schema_names(where: str, response: Mapping[str, Any]) -> Iterator[str]:
    for media_type, content in response.get("content", {}).items():
        schema = content.get("schema")
        if schema is None:
            continue
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith(SCHEMA_PREFIX):
            # The generated model of an inline schema is not named after a component.
            raise NotImplementedError(
                f"inline response schema at {where}/content/{media_type}/schema: "
                "spec_strategies only fuzzes component schemas"
            )
        yield ref.removeprefix(SCHEMA_PREFIX)


def response_schema_names(spec: Mapping[str, Any]) -> list[str]:
    """Every component schema some response body uses, directly or through `$ref`, sorted."""
    schemas = spec["components"]["schemas"]
    pending = [
        name
        for where, response in _response_objects(spec)
        for name in _body_schema_names(where, response)
    ]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(_schema_refs(schemas[name]))
    return sorted(seen)


class PageOperation(NamedTuple):
    """An operation whose 200 response is a component schema.

    `paging`: it takes `cursor` (so `limit`), and its answer is a page the helpers walk;
    the others (`GET /collections/{id}`, ...) answer one object.
    """

    tag: str
    operation_id: str
    path: str
    schema: str
    paging: bool = True


def _parameter_names(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> set[str]:
    return {resolve_ref(spec, p)["name"] for p in operation.get("parameters", [])}


def success_operations(spec: Mapping[str, Any]) -> list[PageOperation]:
    """Every GET operation with its first tag, URL path template, 200 body schema and
    whether it pages."""
    responses = spec.get("components", {}).get("responses", {})
    found = []
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        response = operation["responses"]["200"]
        if "$ref" in response:
            response = responses[response["$ref"].removeprefix("#/components/responses/")]
        (schema,) = set(_body_schema_names(f"#/paths/{path}/get/responses/200", response))
        paging = "cursor" in _parameter_names(spec, operation)
        found.append(
            PageOperation(operation["tags"][0], operation["operationId"], path, schema, paging)
        )
    return found


_ERROR_CODE: Final = re.compile(r"\b[A-Z][A-Za-z]+(?:Error|Yet)\b")


def documented_error_codes(spec: Mapping[str, Any]) -> list[str]:
    """The VirusTotal error codes the spec's error responses and ErrorBody name, sorted."""
    texts = [r.get("description", "") for r in spec["components"]["responses"].values()]
    error_body = spec["components"]["schemas"].get("ErrorBody", {})
    texts.append(error_body.get("properties", {}).get("code", {}).get("description", ""))
    return sorted({code for text in texts for code in _ERROR_CODE.findall(text)})


# --- Compiling schemas -----------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """One schema, checked and resolved: what the strategies below need to know of it."""

    pointer: str
    types: frozenset[str]
    properties: dict[str, Node] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Node | None = None
    min_length: int = 0
    minimum: int | float | None = None

    @property
    def is_scalar(self) -> bool:
        """Whether no value of this schema holds other values."""
        return not self.types & {"array", "object"}


def _unsupported(keyword: str, pointer: str, why: str = "") -> NotImplementedError:
    return NotImplementedError(
        f"openapi.yaml uses schema keyword {keyword!r} at {pointer}{': ' + why if why else ''}; "
        "tests/support/spec_strategies.py does not support it, so it cannot fuzz this schema "
        "correctly: teach the walker (and the parsing tests) about it first"
    )


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _Compiler:
    """Resolves and checks the component schemas of one spec, each once."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = spec["components"]["schemas"]
        self.done: dict[str, Node] = {}
        self.stack: list[str] = []

    def named(self, name: str) -> Node:
        if name in self.done:
            return self.done[name]
        pointer = SCHEMA_PREFIX + name
        if name in self.stack:
            raise _unsupported("$ref", pointer, "recursive schemas would generate unbounded data")
        if name not in self.schemas:
            raise KeyError(f"no schema {pointer} in openapi.yaml")
        self.stack.append(name)
        try:
            node = self.compile(self.schemas[name], pointer)
        finally:
            self.stack.pop()
        self.done[name] = node
        return node

    def compile(self, schema: object, pointer: str) -> Node:
        if not isinstance(schema, dict):
            raise _unsupported(repr(schema), pointer, "boolean schemas are not supported")
        if "$ref" in schema:
            ref = schema["$ref"]
            for keyword in schema:
                if keyword != "$ref" and keyword not in ANNOTATIONS_AND_COMMENT:
                    raise _unsupported(keyword, f"{pointer}/{keyword}", "beside $ref")
            if not isinstance(ref, str) or not ref.startswith(SCHEMA_PREFIX):
                raise _unsupported("$ref", f"{pointer}/$ref", f"{ref!r} is not a component")
            return self.named(ref.removeprefix(SCHEMA_PREFIX))
        for keyword in schema:
            if keyword not in KEYWORD_TYPES and keyword not in ANNOTATIONS_AND_COMMENT:
                raise _unsupported(keyword, f"{pointer}/{keyword}")
        if "type" not in schema:
            raise _unsupported("type", pointer, "a schema without `type` is not supported")
        raw_types = schema["type"]
        type_list = [raw_types] if isinstance(raw_types, str) else raw_types
        if not isinstance(type_list, list) or not type_list:
            raise _unsupported("type", f"{pointer}/type", f"{raw_types!r}")
        for name in type_list:
            if name not in JSON_TYPES:
                raise _unsupported("type", f"{pointer}/type", f"unknown type {name!r}")
        types = frozenset(type_list)
        for keyword in schema:
            applies = KEYWORD_TYPES.get(keyword)
            if applies is not None and not applies & types:
                raise _unsupported(keyword, f"{pointer}/{keyword}", f"with type {raw_types!r}")
        if schema.get("additionalProperties", True) is not True:
            raise _unsupported(
                "additionalProperties", f"{pointer}/additionalProperties", "only `true` is"
            )
        properties = {
            key: self.compile(child, f"{pointer}/properties/{_pointer_token(key)}")
            for key, child in schema.get("properties", {}).items()
        }
        required = frozenset(schema.get("required", ()))
        for key in required - properties.keys():
            raise _unsupported("required", f"{pointer}/required", f"{key!r} has no property")
        items = None
        if "array" in types:
            if not isinstance(schema.get("items"), dict):
                raise _unsupported("items", f"{pointer}/items", "arrays need one items schema")
            items = self.compile(schema["items"], f"{pointer}/items")
        min_length = schema.get("minLength", 0)
        minimum = schema.get("minimum")
        if not isinstance(min_length, int) or isinstance(min_length, bool) or min_length < 0:
            raise _unsupported("minLength", f"{pointer}/minLength", f"{min_length!r}")
        if minimum is not None and (
            isinstance(minimum, bool) or not isinstance(minimum, int | float)
        ):
            raise _unsupported("minimum", f"{pointer}/minimum", f"{minimum!r}")
        return Node(pointer, types, properties, required, items, min_length, minimum)


def schema_node(spec: Mapping[str, Any], name: str) -> Node:
    """Component schema `name`, resolved and checked (NotImplementedError if unsupported)."""
    return _Compiler(spec).named(name)


# --- Valid values ----------------------------------------------------------------------

# Every code point UTF-8 can encode: all of unicode but lone surrogates, which no JSON
# body can carry as UTF-8.
CHARACTERS: Final = st.characters(codec="utf-8")
TEXT: Final = st.text(CHARACTERS)
SHORT_TEXT: Final = st.text(CHARACTERS, max_size=12)
JSON_INTS: Final = st.one_of(st.sampled_from(BOUNDARY_INTS), st.integers())
FINITE_FLOATS: Final = st.one_of(
    st.sampled_from(BOUNDARY_FLOATS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**53), 2**53).map(float),
)
NON_INTEGRAL_FLOATS: Final = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: not x.is_integer()
)
JSON_SCALARS: Final = st.one_of(st.none(), st.booleans(), JSON_INTS, FINITE_FLOATS, TEXT)
JSON_VALUES: Final = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(SHORT_TEXT, children, max_size=3)
    ),
    max_leaves=6,
)


def json_values() -> st.SearchStrategy[Any]:
    """Arbitrary JSON values of small depth (what unknown keys may hold)."""
    return JSON_VALUES


def _merge(extra: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    return {**extra, **declared}


class _Strategies:
    """Builds (and shares) one strategy per compiled schema node."""

    def __init__(self) -> None:
        self.cache: dict[int, st.SearchStrategy[Any]] = {}

    def valid(self, node: Node) -> st.SearchStrategy[Any]:
        strategy = self.cache.get(id(node))
        if strategy is None:
            strategy = st.one_of([self._of_type(node, t) for t in sorted(node.types)])
            self.cache[id(node)] = strategy
        return strategy

    def _of_type(self, node: Node, type_name: str) -> st.SearchStrategy[Any]:
        if type_name == "null":
            return st.none()
        if type_name == "boolean":
            return st.booleans()
        if type_name == "integer":
            return self._integers(node)
        if type_name == "number":
            return self._numbers(node)
        if type_name == "string":
            return st.text(CHARACTERS, min_size=node.min_length)
        if type_name == "array":
            return self._array(node)
        return self._object(node)

    @staticmethod
    def _integers(node: Node) -> st.SearchStrategy[int]:
        if node.minimum is None:
            return JSON_INTS
        low = math.ceil(node.minimum)
        bounds = [i for i in BOUNDARY_INTS if i >= low]
        return st.one_of(st.sampled_from([low, *bounds]), st.integers(min_value=low))

    @staticmethod
    def _numbers(node: Node) -> st.SearchStrategy[int | float]:
        if node.minimum is None:
            return st.one_of(JSON_INTS, FINITE_FLOATS)
        low = node.minimum
        return st.one_of(
            st.integers(min_value=math.ceil(low)),
            st.floats(min_value=low, allow_nan=False, allow_infinity=False),
        )

    def _array(self, node: Node) -> st.SearchStrategy[list[Any]]:
        assert node.items is not None
        item = self.valid(node.items)
        if node.items.is_scalar:
            # A long list is rare under hypothesis' size distribution: ask for one outright.
            return st.one_of(
                st.lists(item, max_size=SCALAR_LIST_MAX),
                st.lists(item, min_size=SCALAR_LIST_MAX - 10, max_size=SCALAR_LIST_MAX),
            )
        return st.lists(item, max_size=MODEL_LIST_MAX)

    def _object(self, node: Node) -> st.SearchStrategy[dict[str, Any]]:
        required = {k: self.valid(v) for k, v in node.properties.items() if k in node.required}
        optional = {k: self.valid(v) for k, v in node.properties.items() if k not in node.required}
        declared = st.fixed_dictionaries(required, optional=optional)
        names = frozenset(node.properties)
        extra = st.dictionaries(
            SHORT_TEXT.filter(lambda key: key not in names), JSON_VALUES, max_size=EXTRA_KEYS_MAX
        )
        return st.builds(_merge, extra, declared)


def valid_document(spec: Mapping[str, Any], name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Documents valid for component schema `name` (see the module docstring)."""
    return _Strategies().valid(schema_node(spec, name))


# --- Invalid values --------------------------------------------------------------------

# A JSON value's kind, as a strict parser must tell them apart: bool is not an integer,
# and a float with a fractional part is not an integer (integral floats are left out of
# the wrong values: whether 1.0 is a valid `integer` is a policy, not a type error).
_KINDS_OF_TYPE: Final[Mapping[str, frozenset[str]]] = {
    "null": frozenset({"null"}),
    "boolean": frozenset({"bool"}),
    "integer": frozenset({"int"}),
    "number": frozenset({"int", "float"}),
    "string": frozenset({"str"}),
    "array": frozenset({"list"}),
    "object": frozenset({"dict"}),
}
_ALL_KINDS: Final = frozenset().union(*_KINDS_OF_TYPE.values())
_KIND_VALUES: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "null": st.none(),
    "bool": st.booleans(),
    "int": JSON_INTS,
    "float": NON_INTEGRAL_FLOATS,
    "str": TEXT,
    "list": st.lists(JSON_VALUES, max_size=3),
    "dict": st.dictionaries(SHORT_TEXT, JSON_VALUES, max_size=3),
}


def wrong_kinds(node: Node) -> list[str]:
    """The kinds of JSON value that `node` does not allow, sorted."""
    allowed = frozenset().union(*(_KINDS_OF_TYPE[t] for t in node.types))
    return sorted(_ALL_KINDS - allowed)


def wrong_value(node: Node) -> st.SearchStrategy[Any]:
    """JSON values whose type `node` does not allow."""
    return st.sampled_from(wrong_kinds(node)).flatmap(_KIND_VALUES.__getitem__)


_HUGE_KINDS: Final = frozenset({"str", "list", "dict", "int"})
PADDING_UNITS: Final = st.one_of(
    st.sampled_from(NASTY_UNITS),
    st.text(CHARACTERS, min_size=1, max_size=8),
)


def _huge_value(kind: str, unit: str) -> Any:
    """A value of `kind` that serializes to about BIG_BODY_CHARS characters or more."""
    if kind == "str":
        return unit * (BIG_BODY_CHARS // len(unit) + 1)
    if kind == "list":
        return [unit] * (BIG_BODY_CHARS // (len(unit) + 4) + 1)
    if kind == "dict":
        return {f"k{i}": unit for i in range(BIG_BODY_CHARS // (len(unit) + 10) + 1)}
    if kind == "int":
        return 10**4000 - 1  # 4000 digits; json allows 4300
    raise ValueError(kind)


def _walk(
    node: Node, value: Any, path: tuple[Segment, ...]
) -> Iterator[tuple[tuple[Segment, ...], Node, Any]]:
    """(path, schema, value) of `value` and of every declared property and list item in it."""
    yield path, node, value
    if isinstance(value, dict) and "object" in node.types:
        for key, child in node.properties.items():
            if key in value:
                yield from _walk(child, value[key], (*path, key))
    elif isinstance(value, list) and node.items is not None:
        for index, item in enumerate(value):
            yield from _walk(node.items, item, (*path, index))


def _pattern(path: tuple[Segment, ...]) -> str:
    """The location with list indices wildcarded, e.g. `$.data[*].id`."""
    return "$" + "".join("[*]" if isinstance(s, int) else f".{s}" for s in path)


def _replace(doc: Any, path: tuple[Segment, ...], value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    parent = doc
    for segment in path[:-1]:
        parent = parent[segment]
    parent[path[-1]] = value
    return doc


def is_drift(root: Node, path: Sequence[Segment]) -> bool:
    """Whether a wrong value at `path` (below schema `root`) is schema drift.

    It is when the nearest enclosing property (the one at `path`, or the one holding the
    list `path` is an item of) is optional and not in NEVER_DRIFT: the parser then leaves
    that property UNSET and keeps the raw value. A required property (and so an item of
    `data`) or the root is never drift.
    """
    node, holder = root, None
    for segment in path:
        if isinstance(segment, int):
            assert node.items is not None
            node = node.items
        else:
            holder = (node, segment)
            node = node.properties[segment]
    if holder is None:
        return False
    parent, key = holder
    return key not in parent.required and parent.properties[key].pointer not in NEVER_DRIFT


def _is_json_object(raw: bytes) -> bool:
    """Whether any plausible decoding of `raw` (UTF-8, BOM, UTF-16/32 sniffing) is an object."""
    decodings: list[Callable[[], bytes | str]] = [
        lambda: raw,
        lambda: raw.decode("utf-8"),
        lambda: raw.decode("utf-8-sig"),
        lambda: raw.decode("utf-8", errors="replace"),
        lambda: raw.decode("latin-1"),
    ]
    for decode in decodings:
        try:
            if isinstance(json.loads(decode()), dict):
                return True
        except (ValueError, RecursionError):
            pass
    return False


JUNK_BODIES: Final = (
    b"",
    b" ",
    b"\n",
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"{",
    b"}",
    b'{"data": [}',
    b"{'data': []}",
    b'{"data": []',
    b"nul",
    b"NaN",
    b"\xff\xfe\xfd",
    b"\xef\xbb\xbf",
    b"\x00",
)


@st.composite
def _wrong_type(
    draw: st.DrawFn,
    node: Node,
    documents: st.SearchStrategy[Any],
    huge: bool = False,
    big: bool = False,
) -> Invalid:
    """A declared property or list item (the root only if there is none) of a wrong type.

    `huge`: the wrong value itself is huge. `big`: the documents are big; if the root must
    be replaced, replace it by a huge value so that the body stays big.
    """
    doc = draw(documents)
    slots = [slot for slot in _walk(node, doc, ()) if slot[0]]
    root_kinds = _HUGE_KINDS
    if not slots:
        slots = [((), node, doc)]
        huge = huge or big
        root_kinds = _HUGE_KINDS - {"int"}  # a 4000-digit int is not a 100 KB body
    # Pick a location pattern first ("$.data[*].id"), then one instance of it: otherwise
    # the many items of scalar lists would crowd out every other field.
    patterns = sorted({_pattern(path) for path, _, _ in slots})
    pattern = draw(st.sampled_from(patterns))
    path, slot, _ = draw(st.sampled_from([s for s in slots if _pattern(s[0]) == pattern]))
    if huge:
        kinds = [k for k in wrong_kinds(slot) if k in root_kinds]
    if huge and kinds:
        value = _huge_value(draw(st.sampled_from(kinds)), draw(PADDING_UNITS))
    else:
        value = draw(wrong_value(slot))
    return Invalid(_replace(doc, path, value), json_path(path), is_drift(node, path))


def _drift_value(node: Node) -> st.SearchStrategy[Any]:
    """A wrong value for `node`, null as often as all other kinds together when wrong."""
    if "null" in wrong_kinds(node):
        return st.one_of(st.none(), wrong_value(node))
    return wrong_value(node)


@st.composite
def _drifted(draw: st.DrawFn, node: Node, documents: st.SearchStrategy[Any]) -> Invalid:
    doc = draw(documents)
    slots = [(path, slot) for path, slot, _ in _walk(node, doc, ()) if is_drift(node, path)]
    # Optional properties the document leaves out may drift too: add them, wrongly.
    slots += [
        ((*path, key), child)
        for path, slot, value in _walk(node, doc, ())
        if isinstance(value, dict) and "object" in slot.types
        for key, child in slot.properties.items()
        if key not in value and is_drift(node, (*path, key))
    ]
    assume(slots)
    patterns = sorted({_pattern(path) for path, _ in slots})
    pattern = draw(st.sampled_from(patterns))
    path, slot = draw(st.sampled_from([s for s in slots if _pattern(s[0]) == pattern]))
    return Invalid(_replace(doc, path, draw(_drift_value(slot))), json_path(path), True)


def can_drift(spec: Mapping[str, Any], name: str) -> bool:
    """Whether schema `name` has any optional property, at any depth, that may drift."""
    node = schema_node(spec, name)
    return any(is_drift(node, path) for path, _, _ in _walk(node, _full(node), ()))


def drift_document(
    spec: Mapping[str, Any], name: str, *, documents: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[Invalid]:
    """Documents with one drift (see the module docstring), each with its JSONPath."""
    node = schema_node(spec, name)
    return _drifted(node, valid_document(spec, name) if documents is None else documents)


@st.composite
def _missing_required(
    draw: st.DrawFn, node: Node, documents: st.SearchStrategy[Any], big: bool = False
) -> Invalid:
    doc = draw(documents)
    candidates = [
        (*path, key)
        for path, slot, value in _walk(node, doc, ())
        if isinstance(value, dict)
        for key in sorted(slot.required)
        if key in value
    ]
    if not candidates:  # e.g. an empty list where the required keys would be
        return draw(_wrong_type(node, st.just(doc), big=big))
    removed = draw(st.sampled_from(candidates))
    doc = copy.deepcopy(doc)
    parent = doc
    for segment in removed[:-1]:
        parent = parent[segment]
    del parent[removed[-1]]
    return Invalid(doc, json_path(removed))


@st.composite
def _truncated(
    draw: st.DrawFn, documents: st.SearchStrategy[Any], keep_most: bool = False
) -> Invalid:
    """A serialized document cut short (`keep_most`: by at most 5%)."""
    doc = draw(documents)
    raw = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    # Every proper prefix of a serialized object is invalid JSON (its closing brace is the
    # last byte); a cut may also split a multi-byte UTF-8 character.
    shortest = len(raw) - len(raw) // 20 if keep_most else 0
    cut = draw(
        st.one_of(
            st.integers(shortest, len(raw) - 1),
            st.integers(1, 8).map(lambda n: max(len(raw) - n, shortest)),
        )
    )
    return Invalid(raw[:cut], "$")


@st.composite
def _not_json(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> Invalid:
    raw = draw(
        st.one_of(
            st.sampled_from(JUNK_BODIES),
            st.binary(max_size=64),
            TEXT.map(lambda s: ("<" + s).encode()),
            # Valid JSON followed by garbage is not JSON either.
            st.tuples(documents, st.sampled_from([b"}", b" x", b"{}", b"\x00"])).map(
                lambda pair: json.dumps(pair[0]).encode() + pair[1]
            ),
        ).filter(lambda raw: not _is_json_object(raw))
    )
    return Invalid(raw, "$")


def _non_object(node: Node) -> st.SearchStrategy[Invalid]:
    return wrong_value(node).map(lambda value: Invalid(value, "$"))


def _has_required(node: Node, seen: set[int] | None = None) -> bool:
    seen = set() if seen is None else seen
    if id(node) in seen:
        return False
    seen.add(id(node))
    children = [*node.properties.values(), *([node.items] if node.items else [])]
    return bool(node.required) or any(_has_required(child, seen) for child in children)


def invalid_document(
    spec: Mapping[str, Any],
    name: str,
    *,
    documents: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[Invalid]:
    """One-mutation invalid bodies for schema `name`, each with its expected JSONPath.

    `documents` (default `valid_document(spec, name)`) are the valid documents to mutate.
    """
    node = schema_node(spec, name)
    documents = valid_document(spec, name) if documents is None else documents
    kinds = [
        _wrong_type(node, documents),
        _non_object(node),
        _truncated(documents),
        _not_json(documents),
    ]
    if _has_required(node):
        kinds.insert(1, _missing_required(node, documents))
    return st.one_of(kinds)


def invalid_object_document(
    spec: Mapping[str, Any], name: str, *, documents: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[Invalid]:
    """Only the mutations that keep a decoded object: a wrong type or a missing key."""
    node = schema_node(spec, name)
    documents = valid_document(spec, name) if documents is None else documents
    kinds = [_wrong_type(node, documents)]
    if _has_required(node):
        kinds.append(_missing_required(node, documents))
    return st.one_of(kinds)


# --- Exhaustive mutations of one full document ----------------------------------------

# Canonical values per JSON kind: every wrong kind is tried at every location, so a type
# check missing for one field fails the suite on every run, not only when the random
# search happens to reach that field with that kind.
_CANONICAL: Final[Mapping[str, tuple[Any, ...]]] = {
    "null": (None,),
    "bool": (True, False),
    "int": (0, -1, 2**64),
    "float": (0.5, -1e-300),
    "str": ("", "1"),
    "list": ([],),
    "dict": ({},),
}
_FULL_SCALARS: Final[Mapping[str, Any]] = {
    "null": None,
    "boolean": True,
    "integer": 1,
    "number": 1.5,
    "string": "s",
}


def _full(node: Node) -> Any:
    """One value of `node` with every optional property present and one item per list."""
    if "object" in node.types:
        return {key: _full(child) for key, child in node.properties.items()}
    if "array" in node.types:
        assert node.items is not None
        return [_full(node.items)]
    type_name = min(node.types - {"null"}, default="null")
    value = _FULL_SCALARS[type_name]
    if type_name == "string" and node.min_length:
        return value * node.min_length
    if type_name in ("integer", "number") and node.minimum is not None:
        return max(value, math.ceil(node.minimum))
    return value


def full_document(spec: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The valid document of `name` with every declared property present, recursively."""
    document: dict[str, Any] = _full(schema_node(spec, name))
    return document


def all_mutations(spec: Mapping[str, Any], name: str) -> list[Invalid]:
    """Every single mutation of `full_document`: each wrong kind at each location (the
    root included), and each required key removed."""
    node = schema_node(spec, name)
    doc = full_document(spec, name)
    found = []
    for path, slot, value in _walk(node, doc, ()):
        for kind in wrong_kinds(slot):
            drift = is_drift(node, path)
            found += [
                Invalid(_replace(doc, path, wrong), json_path(path), drift)
                for wrong in _CANONICAL[kind]
            ]
        if isinstance(value, dict):
            for key in sorted(slot.required):
                removed = _replace(doc, path, {k: v for k, v in value.items() if k != key})
                found.append(Invalid(removed, json_path((*path, key))))
    return found


@st.composite
def _padded(draw: st.DrawFn, node: Node, documents: st.SearchStrategy[Any]) -> dict[str, Any]:
    """A valid document whose first key is an unknown one holding > BIG_BODY_CHARS chars."""
    doc = draw(documents)
    key = draw(SHORT_TEXT.map("padding".__add__).filter(lambda k: k not in node.properties))
    return {key: _huge_value("str", draw(PADDING_UNITS)), **doc}


def big_invalid_document(spec: Mapping[str, Any], name: str) -> st.SearchStrategy[Invalid]:
    """Invalid bodies of more than BIG_BODY_CHARS characters, the error near their end."""
    node = schema_node(spec, name)
    padded = _padded(node, valid_document(spec, name))
    huge_top = st.tuples(
        st.sampled_from([k for k in wrong_kinds(node) if k in ("str", "list", "dict")]),
        PADDING_UNITS,
    ).map(lambda pair: Invalid(_huge_value(*pair), "$"))
    kinds = [
        _wrong_type(node, padded, big=True),
        _wrong_type(node, padded, huge=True, big=True),
        _truncated(padded, keep_most=True),
        huge_top,
    ]
    if _has_required(node):
        kinds.append(_missing_required(node, padded, big=True))
    return st.one_of(kinds)
