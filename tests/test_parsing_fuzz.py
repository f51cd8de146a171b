"""Property-based fuzzing of `vt_refs.parse` and of pages fetched over HTTP.

Every response model of openapi.yaml (`response_schema_names`) is fuzzed with documents
generated from its own schema (tests/support/spec_strategies.py):

1. a valid document parses, from a dict, JSON bytes and JSON text, into the model, and
   `to_dict()` gives the document back exactly: unknown keys and big integers included;
2. a document broken by one mutation raises MalformedResponseError under
   `on_drift="error"`, nothing else, naming the JSONPath of the break, with a bounded
   message even for a 100 KB body; so does it under `"warn"` unless the break is drift;
   every location of a full document is also tried with every wrong type, exhaustively;
3. a document drifting in one optional field (null or another JSON type, at any depth)
   parses under `"warn"`: `to_dict()` gives it back exactly, every typed attribute holds
   its declared type (checked against the generated annotations, independently of the
   parser) and one SchemaDriftWarning names the drifted path;
4. the same holds for pages fetched through `vt_refs.iter_pages` from a mock transport,
   and an ErrorResponse served with 404 becomes the APIError of its code.

Example counts are tuned for the `ci` profile (derandomized; this file and
test_spec_strategies.py take ~20 s together on two cores): `_examples(n)` scales them with
the profile's max_examples, so HYPOTHESIS_PROFILE=long (`make fuzz`, 2000) runs 20x as
many (~6 minutes).
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from types import MappingProxyType, ModuleType
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vt_refs
import vt_refs_api.models

from support.drift import drift_warnings
from support.mock_api import BASE_URL, ScriptedAPI
from support.spec_strategies import (
    BIG_BODY_CHARS,
    Invalid,
    PageOperation,
    all_mutations,
    big_invalid_document,
    can_drift,
    documented_error_codes,
    drift_document,
    full_document,
    invalid_document,
    load_spec,
    response_schema_names,
    success_operations,
    valid_document,
)

SPEC = load_spec()
NAMES = response_schema_names(SPEC)
# The paging operations (they take `limit`): the walks below go through iter_pages.
OPERATIONS = [
    op
    for op in success_operations(SPEC)
    if {"$ref": "#/components/parameters/Limit"} in SPEC["paths"][op.path]["get"]["parameters"]
]
ERROR_CODES = documented_error_codes(SPEC)
MAX_MESSAGE = 1000
MAX_EXCERPT = 200

VALID = {name: valid_document(SPEC, name) for name in NAMES}
INVALID = {name: invalid_document(SPEC, name) for name in NAMES}
BIG_INVALID = {name: big_invalid_document(SPEC, name) for name in NAMES}
DRIFT_NAMES = [name for name in NAMES if can_drift(SPEC, name)]
DRIFT = {name: drift_document(SPEC, name) for name in DRIFT_NAMES}


def _examples(n: int) -> int:
    """`n` examples in the ci profile, proportionally more in `long` (see conftest)."""
    return max(1, n * settings().max_examples // 100)


def _model(name: str) -> type[Any]:
    model: type[Any] = getattr(vt_refs_api.models, name)
    return model


def _operation(op: PageOperation) -> ModuleType:
    return importlib.import_module(f"vt_refs_api.api.{op.tag}.{op.operation_id}")


def _encode(data: Any, ensure_ascii: bool = True) -> bytes:
    """The body bytes of an invalid case: bytes as they are, anything else as JSON."""
    if isinstance(data, bytes):
        return data
    return json.dumps(data, ensure_ascii=ensure_ascii).encode()


def _inputs(data: Any, ensure_ascii: bool) -> list[Any]:
    """Every form `parse` accepts for one case: the dict itself, a read-only mapping of it,
    JSON bytes and JSON text.

    Non-object top levels go only as JSON (a bare list or int is not a documented input).
    """
    if isinstance(data, bytes):
        return [data]
    text = json.dumps(data, ensure_ascii=ensure_ascii)
    forms: list[Any] = [text.encode(), text]
    if isinstance(data, dict):
        forms[:0] = [data, MappingProxyType(data)]
    return forms


def _raises_malformed(call: Callable[[], object]) -> vt_refs.MalformedResponseError:
    """The MalformedResponseError `call` raises; any other exception fails the test as is."""
    with pytest.raises(vt_refs.MalformedResponseError) as excinfo:
        call()
    return excinfo.value


def _check_error(error: vt_refs.MalformedResponseError, path: str, status: int | None) -> None:
    assert error.path == path, error
    assert error.status_code == status
    assert isinstance(error.reason, str)
    assert error.reason
    assert isinstance(error.excerpt, str)
    assert len(error.excerpt) <= MAX_EXCERPT
    message = str(error)
    assert len(message) <= MAX_MESSAGE, f"{len(message)} characters: {message[:300]!r}..."


def _hints(cls: type) -> dict[str, Any]:
    namespace = {**vars(vt_refs_api.models), **vars(sys.modules[cls.__module__])}
    return typing.get_type_hints(cls, globalns=namespace)


def _has_type(value: Any, annotation: Any) -> bool:
    """Whether `value` is of the generated `annotation` exactly (bool is no int here)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_has_type(value, arg) for arg in typing.get_args(annotation))
    if annotation is Any:
        return True
    if annotation is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(annotation)
        return type(value) is list and all(_has_type(v, item) for v in value)
    if origin is dict:
        return type(value) is dict
    if annotation is float:
        return type(value) in (int, float)
    if attrs.has(annotation):
        return type(value) is annotation and _typed_attributes(value) == []
    return type(value) is annotation


def _typed_attributes(model: Any) -> list[str]:
    """The attributes of `model` (recursively) that do not hold their declared type."""
    hints = _hints(type(model))
    return [
        f"{type(model).__name__}.{f.name} = {getattr(model, f.name)!r}"
        for f in attrs.fields(type(model))
        if not _has_type(getattr(model, f.name), hints[f.name])
    ]


# --- parse() ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=_examples(40))
@given(data=st.data())
def test_valid_documents_parse_and_round_trip(name: str, data: st.DataObject) -> None:
    model = _model(name)
    doc = data.draw(VALID[name], label="doc")
    before = copy.deepcopy(doc)
    for form in _inputs(doc, ensure_ascii=data.draw(st.booleans(), label="ensure_ascii")):
        with drift_warnings() as drifted:
            parsed = vt_refs.parse(model, form)
        assert isinstance(parsed, model)
        assert parsed.to_dict() == doc
        assert drifted == [] and _typed_attributes(parsed) == []
    assert doc == before, "parse changed its input"


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=_examples(50))
@given(data=st.data())
def test_invalid_documents_raise_malformed_at_their_path(name: str, data: st.DataObject) -> None:
    model = _model(name)
    invalid = data.draw(INVALID[name], label="invalid")
    modes = ["error"] if invalid.drift else ["error", "warn"]
    for form in _inputs(invalid.data, ensure_ascii=data.draw(st.booleans(), label="ascii")):
        for mode in modes:
            error = _raises_malformed(partial(vt_refs.parse, model, form, on_drift=mode))
            _check_error(error, invalid.path, None)


def _check_drift_kept(model: type[Any], invalid: Invalid, form: Any) -> None:
    """Under "warn": no error, the body back exactly, typed attributes, one warning."""
    with drift_warnings() as drifted:
        parsed = vt_refs.parse(model, form)
    assert parsed.to_dict() == invalid.data
    assert _typed_attributes(parsed) == []
    assert [w.path for w in drifted] == [invalid.path]


@pytest.mark.parametrize("name", DRIFT_NAMES)
@settings(max_examples=_examples(50))
@given(data=st.data())
def test_drift_keeps_the_document_under_warn_and_fails_under_error(
    name: str, data: st.DataObject
) -> None:
    model = _model(name)
    invalid = data.draw(DRIFT[name], label="drifted")
    before = copy.deepcopy(invalid.data)
    for form in _inputs(invalid.data, ensure_ascii=data.draw(st.booleans(), label="ascii")):
        _check_drift_kept(model, invalid, form)
        error = _raises_malformed(partial(vt_refs.parse, model, form, on_drift="error"))
        _check_error(error, invalid.path, None)
    assert invalid.data == before, "parse changed its input"


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=_examples(8), suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_errors_on_100kb_bodies_stay_bounded(name: str, data: st.DataObject) -> None:
    """A 100 KB body (a long string early, the break near the end, or a huge wrong value)
    must not end up in the message: logs and tracebacks carry only an excerpt."""
    model = _model(name)
    invalid = data.draw(BIG_INVALID[name], label="invalid")
    assert len(_encode(invalid.data, ensure_ascii=False)) >= BIG_BODY_CHARS * 0.9
    for form in _inputs(invalid.data, ensure_ascii=data.draw(st.booleans(), label="ascii")):
        error = _raises_malformed(partial(vt_refs.parse, model, form, on_drift="error"))
        _check_error(error, invalid.path, None)


@pytest.mark.parametrize("name", NAMES)
def test_every_location_rejects_every_wrong_type_and_missing_key(name: str) -> None:
    """Exhaustive, not random: a type check missing for a single field fails every run."""
    model = _model(name)
    full = full_document(SPEC, name)
    assert vt_refs.parse(model, full).to_dict() == full
    mutations = all_mutations(SPEC, name)
    assert len(mutations) >= 20
    for invalid in mutations:
        for form in _inputs(invalid.data, ensure_ascii=True):
            error = _raises_malformed(partial(vt_refs.parse, model, form, on_drift="error"))
            _check_error(error, invalid.path, None)
            if invalid.drift:
                _check_drift_kept(model, invalid, form)
            else:
                error = _raises_malformed(partial(vt_refs.parse, model, form))
                _check_error(error, invalid.path, None)


# --- The HTTP path: iter_pages over a mock transport -----------------------------------


@contextmanager
def _serving(body: bytes, status: int, op: PageOperation, on_drift: Any = "warn") -> Iterator[Any]:
    """A vt_refs client whose every request gets `body` with `status`.

    On exit, checks that exactly one request went to the operation's URL.
    """
    headers = {"content-type": "application/json"}
    api = ScriptedAPI(default=lambda request: httpx.Response(status, content=body, headers=headers))
    with api.client(max_retries=0, on_drift=on_drift) as c:
        yield c
    expected_path = httpx.URL(BASE_URL).path + op.path.format(id="abc")
    assert [request.url.path for request in api.requests] == [expected_path]


def _without_cursor(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as a last page: iter_pages would ask for the next one on meta.cursor."""
    meta = doc.get("meta")
    if isinstance(meta, dict) and "cursor" in meta:
        doc = {**doc, "meta": {k: v for k, v in meta.items() if k != "cursor"}}
    return doc


LAST_PAGES = {op.schema: VALID[op.schema].map(_without_cursor) for op in OPERATIONS}
DRIFTED_PAGES = {
    op.schema: drift_document(SPEC, op.schema, documents=LAST_PAGES[op.schema]) for op in OPERATIONS
}
INVALID_PAGES = {
    op.schema: st.one_of(
        invalid_document(SPEC, op.schema, documents=LAST_PAGES[op.schema]),
        BIG_INVALID[op.schema],
    )
    for op in OPERATIONS
}


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
@settings(max_examples=_examples(15))
@given(data=st.data())
def test_valid_pages_over_http_round_trip(op: PageOperation, data: st.DataObject) -> None:
    doc = data.draw(LAST_PAGES[op.schema], label="doc")
    body = json.dumps(doc, ensure_ascii=data.draw(st.booleans(), label="ascii")).encode()
    with _serving(body, 200, op) as client:
        page = next(iter(vt_refs.iter_pages(_operation(op), client, id="abc")))
    assert isinstance(page, _model(op.schema))
    assert page.to_dict() == doc


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
@settings(max_examples=_examples(15), suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_invalid_pages_over_http_raise_malformed(op: PageOperation, data: st.DataObject) -> None:
    invalid: Invalid = data.draw(INVALID_PAGES[op.schema], label="invalid")
    body = _encode(invalid.data, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    for on_drift in ["error"] if invalid.drift else ["error", "warn"]:
        with _serving(body, 200, op, on_drift) as client:
            pages = vt_refs.iter_pages(_operation(op), client, id="abc")
            error = _raises_malformed(partial(next, iter(pages)))
        _check_error(error, invalid.path, 200)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
@settings(max_examples=_examples(10))
@given(data=st.data())
def test_drifted_pages_over_http_are_kept_with_one_warning(
    op: PageOperation, data: st.DataObject
) -> None:
    invalid: Invalid = data.draw(DRIFTED_PAGES[op.schema], label="drifted")
    body = _encode(invalid.data, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    with _serving(body, 200, op) as client, drift_warnings() as drifted:
        page = next(iter(vt_refs.iter_pages(_operation(op), client, id="abc")))
    assert page.to_dict() == invalid.data
    assert _typed_attributes(page) == []
    assert [w.path for w in drifted] == [invalid.path]


ERROR_DOCUMENTS = st.tuples(
    VALID["ErrorResponse"], st.one_of(st.none(), st.sampled_from(ERROR_CODES))
).map(
    lambda pair: (
        pair[0] if pair[1] is None else {**pair[0], "error": {**pair[0]["error"], "code": pair[1]}}
    )
)


@settings(max_examples=_examples(40))
@given(doc=ERROR_DOCUMENTS, op=st.sampled_from(OPERATIONS))
def test_error_responses_over_http_raise_the_api_error_of_their_code(
    doc: dict[str, Any], op: PageOperation
) -> None:
    body = json.dumps(doc).encode()
    code = doc["error"]["code"]
    with _serving(body, 404, op) as client:
        pages = vt_refs.iter_pages(_operation(op), client, id="abc")
        with pytest.raises(vt_refs.APIError) as excinfo:
            next(iter(pages))
    error = excinfo.value
    assert error.status_code == 404
    assert error.code == code
    if "message" in doc["error"]:
        assert error.message == doc["error"]["message"]
    else:  # optional: the message says something all the same
        assert isinstance(error.message, str) and error.message
    named = getattr(vt_refs, code, None) if code.isidentifier() else None
    if isinstance(named, type) and issubclass(named, vt_refs.APIError):
        assert isinstance(error, named)
    if code == "NotFoundError":
        assert type(error) is vt_refs.NotFoundError


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_documented_error_code_raises_its_class(code: str) -> None:
    """The random codes above rarely hit a documented one: try each documented code once."""
    op = OPERATIONS[0]
    body = json.dumps({"error": {"code": code, "message": "m"}}).encode()
    with _serving(body, 404, op) as client:
        pages = vt_refs.iter_pages(_operation(op), client, id="abc")
        with pytest.raises(vt_refs.APIError) as excinfo:
            next(iter(pages))
    assert (excinfo.value.status_code, excinfo.value.code, excinfo.value.message) == (
        404,
        code,
        "m",
    )
    named = getattr(vt_refs, code, None)
    if named is not None:
        assert type(excinfo.value) is named
