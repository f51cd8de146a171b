"""The fuzzing strategies themselves are right: checked against jsonschema and the models.

test_fuzz_parsing.py trusts spec_strategies.py to produce valid documents and invalid ones
with the right expected path. Both are checked here by an independent implementation, a
Draft 2020-12 validator (jsonschema) over openapi.yaml's components, and by the generated
models' own round trip; the walker's refusal of unsupported keywords and the reach of the
strategies (long lists, unknown keys, boundary numbers...) are checked too, so a strategy
that silently degrades fails here.
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import vt_refs_api.models

from support.spec_strategies import (
    BIG_BODY_CHARS,
    Invalid,
    all_mutations,
    big_invalid_document,
    can_drift,
    drift_document,
    full_document,
    invalid_document,
    invalid_object_document,
    json_path,
    load_spec,
    response_schema_names,
    schema_node,
    success_operations,
    valid_document,
)

SPEC = load_spec()
NAMES = response_schema_names(SPEC)
SPEC_URI = "urn:vt-refs:openapi.yaml"
REGISTRY: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))


def _examples(n: int) -> int:
    """`n` examples in the ci profile, proportionally more in `long` (see conftest)."""
    return max(1, n * settings().max_examples // 100)


def _validator(name: str) -> Draft202012Validator:
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=REGISTRY)


VALIDATORS = {name: _validator(name) for name in NAMES}


def _error_path(error: ValidationError) -> str:
    """Where jsonschema's error is, in the path convention of spec_strategies."""
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = ast.literal_eval(error.message.removesuffix(" is a required property"))
        path.append(missing)
    return json_path(path)


def _decoded(data: Any) -> Any:
    return json.loads(data) if isinstance(data, bytes) else data


# --- What the strategies read from the spec --------------------------------------------


def test_response_schema_names_are_every_component_schema_and_a_model() -> None:
    """Every schema of openapi.yaml is reachable from a response, so all are fuzzed."""
    assert sorted(SPEC["components"]["schemas"]) == NAMES
    for name in NAMES:
        assert isinstance(getattr(vt_refs_api.models, name), type)


def _tiny_spec(**schemas: Any) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}
    return {
        "paths": {"/p": {"get": {"responses": {"200": {"$ref": "#/components/responses/Ok"}}}}},
        "components": {"responses": {"Ok": body}, "schemas": schemas},
    }


def test_response_schema_names_follow_refs_and_skip_unused_schemas() -> None:
    spec = _tiny_spec(
        Page={"type": "object", "properties": {"items": {"$ref": "#/components/schemas/Item"}}},
        Item={"type": "array", "items": {"$ref": "#/components/schemas/Leaf"}},
        Leaf={"type": "string"},
        Unused={"type": "string"},
    )
    assert response_schema_names(spec) == ["Item", "Leaf", "Page"]


def test_response_schema_names_refuse_inline_response_schemas() -> None:
    spec = _tiny_spec(Page={"type": "object"})
    spec["components"]["responses"]["Ok"]["content"]["application/json"]["schema"] = {
        "type": "object"
    }
    with pytest.raises(NotImplementedError, match="inline response schema"):
        response_schema_names(spec)


def test_success_operations_are_the_relationship_operations_and_the_quotas() -> None:
    found = {(op.tag, op.operation_id, op.schema) for op in success_operations(SPEC)}
    assert found == {("users", "get_user_overall_quotas", "OverallQuotasResponse")} | {
        (tag, f"get_{obj}_related_references{suffix}", schema)
        for tag, obj in (
            ("urls", "url"),
            ("files", "file"),
            ("domains", "domain"),
            ("ip_addresses", "ip_address"),
            ("threat_actors", "threat_actor"),
        )
        for suffix, schema in (
            ("", "ReferenceCollection"),
            ("_descriptors", "DescriptorCollection"),
        )
    }


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        ([], "$"),
        (["data", 0, "attributes", "title"], "$.data[0].attributes.title"),
        (["data", 2, "id"], "$.data[2].id"),
        (["a b", 3], "$['a b'][3]"),
        (["_x9"], "$._x9"),
        (["9x"], "$['9x']"),
        (["é"], "$['é']"),
        ([""], "$['']"),
    ],
)
def test_json_path(segments: list[str | int], expected: str) -> None:
    assert json_path(segments) == expected


# --- Unsupported keywords stop the suite -----------------------------------------------

REFERENCE = "#/components/schemas/Reference"


def _mutated_spec(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    edit(spec["components"]["schemas"])
    return spec


def _set(schemas: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node = schemas
    for part in parents:
        node = node[part]
    node[last] = value


UNSUPPORTED = [
    ("Reference/properties/type/enum", ["reference"], "enum", f"{REFERENCE}/properties/type/enum"),
    ("Reference/properties/id/format", "sha256", "format", f"{REFERENCE}/properties/id/format"),
    ("Reference/properties/id/pattern", "^[0-9a-f]{64}$", "pattern", "/id/pattern"),
    ("Reference/properties/id/maxLength", 64, "maxLength", "/properties/id/maxLength"),
    ("Reference/properties/type/default", "reference", "default", "/type/default"),
    ("Reference/properties/type/nullable", True, "nullable", "/type/nullable"),
    ("Reference/properties/type/const", "reference", "const", "/type/const"),
    ("Reference/allOf", [{"type": "object"}], "allOf", f"{REFERENCE}/allOf"),
    ("Reference/oneOf", [{"type": "object"}], "oneOf", f"{REFERENCE}/oneOf"),
    ("Reference/additionalProperties", False, "additionalProperties", "/additionalProperties"),
    ("Reference/additionalProperties", {"type": "string"}, "additionalProperties", REFERENCE),
    ("Reference/patternProperties", {"^x": {}}, "patternProperties", REFERENCE),
    ("Reference/properties/type/type", "text", "type", "unknown type 'text'"),
    ("Reference/required", ["type", "id", "name"], "required", "'name' has no property"),
    ("Reference/properties/type/minimum", 1, "minimum", "with type 'string'"),
    ("Reference/properties/id", {"description": "untyped"}, "type", "/properties/id"),
    ("Reference/properties/id", True, "True", "boolean schemas"),
    (
        "Reference/properties/links",
        {"$ref": "#/components/schemas/ObjectLinks", "nullable": True},
        "nullable",
        "beside $ref",
    ),
    (
        "ReferenceAttributes/properties/tags",
        {"type": "array"},
        "items",
        "#/components/schemas/ReferenceAttributes/properties/tags/items",
    ),
    (
        "ContextAttributes/properties/related_from/items",
        {"$ref": "#/components/schemas/Reference"},
        "$ref",
        "recursive",
    ),
]


@pytest.mark.parametrize(("where", "value", "keyword", "message"), UNSUPPORTED)
def test_walker_refuses_what_it_does_not_support(
    where: str, value: Any, keyword: str, message: str
) -> None:
    """A spec change the walker does not understand fails loudly, naming keyword and path."""
    spec = _mutated_spec(lambda schemas: _set(schemas, where, value))
    with pytest.raises(NotImplementedError) as excinfo:
        valid_document(spec, "ReferenceCollection")
    assert repr(keyword) in str(excinfo.value) or keyword in str(excinfo.value)
    assert message in str(excinfo.value)


def test_walker_accepts_what_openapi_yaml_may_grow_into() -> None:
    """Nullable type lists, minLength, minimum and annotations are supported, not refused."""

    def edit(schemas: dict[str, Any]) -> None:
        props = schemas["ReferenceAttributes"]["properties"]
        props["title"] = {"type": ["string", "null"], "minLength": 2, "title": "Title"}
        props["files_count"] = {"type": "integer", "minimum": 3, "examples": [3]}
        props["recent_activity_relative_change"] = {"type": "number", "minimum": -1.5}
        schemas["ReferenceAttributes"]["additionalProperties"] = True

    node = schema_node(_mutated_spec(edit), "ReferenceAttributes")
    assert node.properties["title"].types == {"string", "null"}
    assert node.properties["title"].min_length == 2
    assert node.properties["files_count"].minimum == 3


# --- Valid documents are valid ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=_examples(20))
@given(data=st.data())
def test_valid_documents_match_the_spec_and_round_trip_the_models(
    name: str, data: st.DataObject
) -> None:
    doc = data.draw(valid_document(SPEC, name))
    assert list(VALIDATORS[name].iter_errors(doc)) == []
    assert json.loads(json.dumps(doc)) == doc, "not plain JSON"
    assert getattr(vt_refs_api.models, name).from_dict(doc).to_dict() == doc


def test_valid_documents_of_an_extended_spec_respect_new_constraints() -> None:
    """minLength, minimum and null from a future spec are generated and still validate."""

    def edit(schemas: dict[str, Any]) -> None:
        props = schemas["ReferenceAttributes"]["properties"]
        props["title"] = {"type": ["string", "null"], "minLength": 2}
        props["files_count"] = {"type": "integer", "minimum": 3}
        props["recent_activity_relative_change"] = {"type": "number", "minimum": -1.5}

    spec = _mutated_spec(edit)
    validator = Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/ReferenceAttributes"},
        registry=Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec)),
    )
    strategy = valid_document(spec, "ReferenceAttributes")

    @settings(max_examples=_examples(50), database=None)
    @given(strategy)
    def check(doc: dict[str, Any]) -> None:
        assert list(validator.iter_errors(doc)) == []

    check()
    find(strategy, lambda d: d.get("title", "") is None, settings=_FIND)


# --- Invalid documents are invalid where they say --------------------------------------


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=_examples(30))
@given(data=st.data())
def test_invalid_documents_fail_the_spec_exactly_at_their_path(
    name: str, data: st.DataObject
) -> None:
    """One mutation, one jsonschema error, at the path the parser must report."""
    invalid = data.draw(invalid_document(SPEC, name))
    if isinstance(invalid.data, bytes) and not _is_json(invalid.data):
        assert invalid.path == "$"
        return
    errors = list(VALIDATORS[name].iter_errors(_decoded(invalid.data)))
    assert [_error_path(e) for e in errors] == [invalid.path], [e.message for e in errors]


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=_examples(5), suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_big_invalid_documents_are_big_and_fail_at_their_path(
    name: str, data: st.DataObject
) -> None:
    invalid = data.draw(big_invalid_document(SPEC, name))
    raw = invalid.data if isinstance(invalid.data, bytes) else json.dumps(invalid.data).encode()
    assert len(raw) >= BIG_BODY_CHARS * 0.9
    if not _is_json(raw):
        assert invalid.path == "$"
        return
    errors = list(VALIDATORS[name].iter_errors(json.loads(raw)))
    assert [_error_path(e) for e in errors] == [invalid.path]


@pytest.mark.parametrize("name", NAMES)
def test_all_mutations_of_the_full_document_fail_the_spec_at_their_path(name: str) -> None:
    full = full_document(SPEC, name)
    assert list(VALIDATORS[name].iter_errors(full)) == []
    assert _model_round_trip(name, full)
    mutations = all_mutations(SPEC, name)
    paths = {m.path for m in mutations}
    # Every declared property of the schema is a location in the full document.
    assert {f"$.{key}" for key in schema_node(SPEC, name).properties} <= paths
    for invalid in mutations:
        errors = list(VALIDATORS[name].iter_errors(invalid.data))
        assert [_error_path(e) for e in errors] == [invalid.path], invalid


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def _under_optional_property(name: str, path: list[str | int]) -> bool:
    """Read from the raw spec, apart from spec_strategies' own walker: whether the nearest
    property enclosing `path` is optional, and not the paging cursor (never drift)."""
    schema, holder = _resolve(SPEC["components"]["schemas"][name]), None
    for segment in path:
        if isinstance(segment, int):
            schema = _resolve(schema["items"])
        else:
            holder = (schema, segment)
            schema = _resolve(schema["properties"][segment])
    if holder is None:
        return False
    parent, key = holder
    cursor = parent is _resolve(SPEC["components"]["schemas"]["CollectionMeta"]) and key == "cursor"
    return key not in parent.get("required", []) and not cursor


DRIFT_NAMES = [name for name in NAMES if can_drift(SPEC, name)]


def test_names_that_cannot_drift_have_only_required_properties() -> None:
    for name in set(NAMES) - set(DRIFT_NAMES):
        schema = SPEC["components"]["schemas"][name]
        assert set(schema["properties"]) == set(schema["required"]), name


@pytest.mark.parametrize("name", DRIFT_NAMES)
@settings(max_examples=_examples(30))
@given(data=st.data())
def test_drift_documents_break_the_spec_once_under_an_optional_property(
    name: str, data: st.DataObject
) -> None:
    invalid = data.draw(drift_document(SPEC, name))
    assert invalid.drift and isinstance(invalid.data, dict)
    errors = list(VALIDATORS[name].iter_errors(invalid.data))
    assert [_error_path(e) for e in errors] == [invalid.path], [e.message for e in errors]
    assert _under_optional_property(name, list(errors[0].absolute_path))


@pytest.mark.parametrize("name", NAMES)
def test_the_drift_flag_of_every_mutation_agrees_with_the_spec(name: str) -> None:
    for invalid in all_mutations(SPEC, name):
        (error,) = VALIDATORS[name].iter_errors(invalid.data)
        expected = error.validator != "required" and _under_optional_property(
            name, list(error.absolute_path)
        )
        assert invalid.drift is expected, invalid


def _model_round_trip(name: str, doc: dict[str, Any]) -> bool:
    result: bool = getattr(vt_refs_api.models, name).from_dict(doc).to_dict() == doc
    return result


# --- The strategies reach the cases that matter ----------------------------------------

_FIND = settings(
    max_examples=3000, database=None, derandomize=True, phases=[Phase.generate], deadline=None
)


def _values(doc: Any) -> Iterator[Any]:
    yield doc
    if isinstance(doc, dict):
        for value in doc.values():
            yield from _values(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _values(value)


def _references(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r.get("attributes", {}) for r in doc["data"]]


def _strings(doc: Any) -> Iterator[str]:
    """Every string in `doc`, keys included."""
    for value in _values(doc):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value


def _unknown_keys(name: str, obj: Any) -> set[str]:
    declared = schema_node(SPEC, name).properties
    return set(obj) - set(declared) if isinstance(obj, dict) else set()


def _related(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for r in doc["data"] for o in r.get("context_attributes", {}).get("related_from", [])]


REACH: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("a long list of scalars", lambda d: any(len(a.get("tags", [])) >= 40 for a in _references(d))),
    ("an empty list", lambda d: d["data"] == []),
    ("an absent optional property", lambda d: "meta" not in d and "links" in d),
    ("an unknown key at the top", lambda d: bool(_unknown_keys("ReferenceCollection", d))),
    (
        "an unknown key two levels down",
        lambda d: any(_unknown_keys("ReferenceAttributes", a) for a in _references(d)),
    ),
    (
        "an unknown key four levels down",
        lambda d: any(_unknown_keys("RelatedObject", o) for o in _related(d)),
    ),
    (
        "an unknown key holding an object",
        lambda d: any(
            isinstance(d[k], dict) and d[k] for k in _unknown_keys("ReferenceCollection", d)
        ),
    ),
    ("an astral character", lambda d: any(c > "\uffff" for s in _strings(d) for c in s)),
    ("a control character", lambda d: any(c < " " for s in _strings(d) for c in s)),
    ("a big int", lambda d: any(type(v) is int and abs(v) > 2**64 for v in _values(d))),
    (
        "an integral float where number is declared",
        lambda d: any(
            isinstance(a.get("recent_activity_relative_change"), float)
            and a["recent_activity_relative_change"].is_integer()
            for a in _references(d)
        ),
    ),
    (
        "an int where number is declared",
        lambda d: any(
            type(a.get("recent_activity_relative_change")) is int for a in _references(d)
        ),
    ),
]


@pytest.mark.parametrize(("what", "predicate"), REACH, ids=[what for what, _ in REACH])
def test_valid_documents_reach(what: str, predicate: Callable[[dict[str, Any]], bool]) -> None:
    find(valid_document(SPEC, "ReferenceCollection"), predicate, settings=_FIND)


@pytest.mark.parametrize("boundary", [2**31 - 1, 2**63 - 1, -(2**63), 2**64])
def test_valid_documents_reach_boundary_integers(boundary: int) -> None:
    find(
        valid_document(SPEC, "ReferenceAttributes"),
        lambda d: boundary in d.values(),
        settings=_FIND,
    )


_INTEGER_FIELDS = ("_count", "_date")

# (what, schema, predicate): each must be found in a few thousand examples.
INVALID_REACH: list[tuple[str, str, Callable[[Invalid], bool]]] = [
    (
        "a wrong type in a scalar list",
        "ReferenceAttributes",
        lambda i: i.path.endswith("]"),
    ),
    (
        "a removed required key in a list item",
        "DescriptorCollection",
        lambda i: (
            isinstance(i.data, dict)
            and i.path.startswith("$.data[")
            and i.path.endswith(".id")
            and _at(i.data, i.path.removesuffix(".id")) is not ...
            and _at(i.data, i.path) is ...
        ),
    ),
    (
        "a bool where an integer is declared",
        "ReferenceAttributes",
        lambda i: i.path.endswith(_INTEGER_FIELDS) and isinstance(_at(i.data, i.path), bool),
    ),
    (
        "a string where an integer is declared",
        "ReferenceAttributes",
        lambda i: i.path.endswith(_INTEGER_FIELDS) and isinstance(_at(i.data, i.path), str),
    ),
    (
        "a fractional float where an integer is declared",
        "ReferenceAttributes",
        lambda i: i.path.endswith(_INTEGER_FIELDS) and isinstance(_at(i.data, i.path), float),
    ),
    (
        "a null",
        "ReferenceCollection",
        lambda i: i.path != "$" and isinstance(i.data, dict) and _at(i.data, i.path) is None,
    ),
    ("a list top level", "ReferenceCollection", lambda i: isinstance(i.data, list)),
    ("a null top level", "ReferenceCollection", lambda i: i.data is None and i.path == "$"),
    (
        "truncated JSON",
        "ReferenceCollection",
        lambda i: isinstance(i.data, bytes) and i.data.startswith(b'{"') and len(i.data) > 20,
    ),
    (
        "bytes that are not UTF-8",
        "ReferenceCollection",
        lambda i: isinstance(i.data, bytes) and not _utf8(i.data),
    ),
]


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _at(doc: Any, path: str) -> Any:
    """The value at a `$.a[0].b` path (identifier keys only), or a sentinel."""
    node = doc
    for part in path.removeprefix("$").replace("[", ".[").split("."):
        if not part:
            continue
        try:
            node = node[int(part[1:-1])] if part.startswith("[") else node[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return ...
    return node


@pytest.mark.parametrize(
    ("what", "name", "predicate"), INVALID_REACH, ids=[what for what, _, _ in INVALID_REACH]
)
def test_invalid_documents_reach(
    what: str, name: str, predicate: Callable[[Invalid], bool]
) -> None:
    find(invalid_document(SPEC, name), predicate, settings=_FIND)


# (what, schema, predicate): each must be found in a few thousand examples.
DRIFT_REACH: list[tuple[str, str, Callable[[Invalid], bool]]] = [
    (
        "a null in an item's attributes",
        "ReferenceCollection",
        lambda i: ".attributes." in i.path and _at(i.data, i.path) is None,
    ),
    (
        "a string where an integer is declared",
        "ReferenceAttributes",
        lambda i: i.path.endswith(_INTEGER_FIELDS) and isinstance(_at(i.data, i.path), str),
    ),
    ("an item of an optional scalar list", "ReferenceAttributes", lambda i: "$.tags[" in i.path),
    (
        "six levels down, inside two lists",
        "DescriptorCollection",
        lambda i: i.path.endswith("].context_attributes.related_from[0].attributes.name"),
    ),
    ("a whole optional object", "ReferenceCollection", lambda i: i.path.endswith("].attributes")),
    ("an optional property at the top", "ReferenceCollection", lambda i: i.path == "$.meta"),
    (
        "a property the valid document had left out",
        "ReferenceAttributes",
        lambda i: i.path == "$.author" and _at(i.data, i.path) is None,
    ),
]


@pytest.mark.parametrize(
    ("what", "name", "predicate"), DRIFT_REACH, ids=[what for what, _, _ in DRIFT_REACH]
)
def test_drift_documents_reach(what: str, name: str, predicate: Callable[[Invalid], bool]) -> None:
    find(drift_document(SPEC, name), predicate, settings=_FIND)


def test_invalid_object_documents_keep_an_object() -> None:
    strategy = invalid_object_document(SPEC, "ReferenceCollection")

    @settings(max_examples=_examples(30), database=None)
    @given(strategy)
    def check(invalid: Invalid) -> None:
        assert isinstance(invalid.data, dict)
        assert invalid.path != "$"

    check()
