"""vt_refs.parse: strict, path-naming, lossless on valid bodies (examples; fuzzing elsewhere)."""

from __future__ import annotations

import copy
import json
import linecache
import traceback
from collections import OrderedDict
from typing import Any

import pytest

import vt_refs
from vt_refs._parsing.compiler import builder
from vt_refs_api import models

ALL_MODELS = [getattr(models, name) for name in models.__all__]


def test_seed_round_trips_from_bytes_str_and_mapping(seed_page: dict[str, Any]) -> None:
    raw = json.dumps(seed_page, ensure_ascii=False)
    for data in (raw.encode("utf-8"), raw, seed_page, OrderedDict(seed_page)):
        parsed = vt_refs.parse(models.ReferenceCollection, data)
        assert isinstance(parsed, models.ReferenceCollection)
        assert parsed.to_dict() == seed_page
    first = vt_refs.parse(models.ReferenceCollection, raw).data[0]
    assert first.attributes.author == "Proofpoint Staff"
    assert first.context_attributes.related_from[0].attributes.name == "Emotet"
    assert first.links.self_.endswith(first.id)


def test_unknown_keys_survive_at_every_level(seed_page: dict[str, Any]) -> None:
    doc = copy.deepcopy(seed_page)
    doc["new_top"] = {"nested": [1, 2.5, None, True]}
    doc["meta"]["x"] = 1
    doc["links"]["prev"] = "p"
    ref = doc["data"][0]
    ref["extra"] = None
    ref["attributes"]["brand_new_attribute"] = ["a", {"b": 1}]
    ref["links"]["other"] = "o"
    ref["context_attributes"]["weight"] = 0.5
    ref["context_attributes"]["related_from"][0]["z"] = []
    ref["context_attributes"]["related_from"][0]["attributes"]["alias"] = "E"
    # Bytes and text go through the builders that consume the decoded document; a dict
    # through those that only read it. Both must keep every unknown key.
    for data in (doc, json.dumps(doc), json.dumps(doc).encode()):
        parsed = vt_refs.parse(models.ReferenceCollection, data)
        assert parsed.to_dict() == doc
        assert parsed.data[0].attributes["brand_new_attribute"] == ["a", {"b": 1}]
        assert parsed.data[1].additional_properties == {}


def test_every_model_compiles_and_parses_a_minimal_document() -> None:
    for model in ALL_MODELS:
        minimal = {"error": {"code": "c", "message": "m"}} if model is models.ErrorResponse else {}
        try:
            parsed = vt_refs.parse(model, minimal)
        except vt_refs.MalformedResponseError as error:
            assert error.reason == "missing required key", model
        else:
            assert parsed.to_dict() == minimal


def test_integer_is_a_valid_number_and_big_integers_are_kept() -> None:
    doc = {
        "data": [
            {
                "type": "reference",
                "id": "x",
                "attributes": {
                    "recent_activity_relative_change": 3,
                    "iocs_count": 2**80,
                    "recent_activity_summary": [0, -1, 2**63],
                },
            }
        ]
    }
    assert vt_refs.parse(models.ReferenceCollection, json.dumps(doc)).to_dict() == doc


# Required fields, `data` and its items: never drift, an error whatever `on_drift` says.
HARD = [
    (lambda d: d["data"][1].pop("id"), "$.data[1].id", "missing required key"),
    (lambda d: d.pop("data"), "$.data", "missing required key"),
    (lambda d: d["data"][0].update(type=None), "$.data[0].type", "expected string, got null"),
    (lambda d: d.update(data={}), "$.data", "expected array, got object"),
    (lambda d: d["data"].append(["x"]), "$.data[2]", "expected object, got array"),
    (lambda d: d["links"].pop("self"), "$.links.self", "missing required key"),
    (lambda d: d["meta"].update(cursor=7), "$.meta.cursor", "expected string, got integer"),
    (
        lambda d: d["data"][0]["context_attributes"]["related_from"][0].update(id=5),
        "$.data[0].context_attributes.related_from[0].id",
        "expected string, got integer",
    ),
    (
        lambda d: d["data"][1]["links"].update(self=None),
        "$.data[1].links.self",
        "expected string, got null",
    ),
]
# Optional fields holding null or another JSON type: errors only under on_drift="error".
DRIFT = [
    (lambda d: d["meta"].update(count="241"), "$.meta.count", "expected integer, got string"),
    (lambda d: d["meta"].update(count=True), "$.meta.count", "expected integer, got boolean"),
    (lambda d: d["meta"].update(count=2.0), "$.meta.count", "expected integer, got number"),
    (
        lambda d: d["data"][0]["attributes"].update(tags=["a", 1]),
        "$.data[0].attributes.tags[1]",
        "expected string, got integer",
    ),
    (
        lambda d: d["data"][0]["attributes"].update(recent_activity_relative_change=False),
        "$.data[0].attributes.recent_activity_relative_change",
        "expected number, got boolean",
    ),
    (
        lambda d: d["data"][1]["context_attributes"]["related_from"][0]["attributes"].update(
            name=["Emotet"]
        ),
        "$.data[1].context_attributes.related_from[0].attributes.name",
        "expected string, got array",
    ),
    (
        lambda d: d["data"][1]["context_attributes"]["related_from"].append(None),
        "$.data[1].context_attributes.related_from[1]",
        "expected object, got null",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "reason", "on_drift"),
    [(*case, mode) for case in HARD for mode in ("warn", "error")]
    + [(*case, "error") for case in DRIFT],
)
def test_invalid_documents_name_the_path(
    seed_page: dict[str, Any], mutate: Any, path: str, reason: str, on_drift: Any
) -> None:
    doc = copy.deepcopy(seed_page)
    mutate(doc)
    for data in (doc, json.dumps(doc), json.dumps(doc).encode()):
        with pytest.raises(vt_refs.MalformedResponseError) as caught:
            vt_refs.parse(models.ReferenceCollection, data, on_drift=on_drift)
        assert caught.value.path == path
        assert caught.value.reason == reason
        assert caught.value.status_code is None
        assert path in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"not json",
        b'{"data": [}',
        b"\xff\xfe\x00",
        "NaN",
        b'{"data": [], "x": NaN}',
        b'{"data": [], "x": -Infinity}',
        # A number too big for a float is not turned into inf (which JSON cannot write).
        b'{"data": [], "x": 1e400}',
        b'{"data": [], "x": "\x01"}',
        b'{"data": []} trailing',
        b'{"data": [], "x": "\xc3\x28"}',
        '{"data": [], "x": 1}'.encode("utf-16"),
    ],
)
def test_non_json_is_malformed_at_the_root(data: bytes | str) -> None:
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        vt_refs.parse(models.ReferenceCollection, data)
    assert caught.value.path == "$"
    assert caught.value.reason.startswith("body is not JSON")


def test_bytes_like_bodies_and_a_utf8_byte_order_mark_are_accepted(
    seed_page: dict[str, Any],
) -> None:
    raw = json.dumps(seed_page).encode()
    for data in (bytearray(raw), memoryview(raw), b"\xef\xbb\xbf" + raw, b" \n" + raw + b"\n"):
        assert vt_refs.parse(models.ReferenceCollection, data).to_dict() == seed_page


@pytest.mark.parametrize("data", [b"[]", b'"data"', b"42", b"null", [], 42, None, "true"])
def test_non_object_top_level_is_malformed(data: Any) -> None:
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        vt_refs.parse(models.ReferenceCollection, data)
    assert caught.value.path == "$"
    assert caught.value.reason.startswith("expected object")


def test_keys_that_are_not_identifiers_are_quoted_in_the_path() -> None:
    doc = {"error": {"code": "x", "message": 1}}
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        vt_refs.parse(models.ErrorResponse, doc, on_drift="error")
    assert caught.value.path == "$.error.message"
    from vt_refs._parsing.parse import _format_path

    assert _format_path(["a b", 0, "c"]) == "$['a b'][0].c"


def test_message_carries_only_a_bounded_excerpt() -> None:
    huge = {"data": [{"type": "reference", "id": "x" * 200_000}], "meta": {"count": "many"}}
    with pytest.raises(vt_refs.MalformedResponseError) as caught:
        vt_refs.parse(models.ReferenceCollection, json.dumps(huge).encode(), on_drift="error")
    assert len(caught.value.excerpt) <= 200
    assert len(str(caught.value)) < 500


def test_deeply_nested_unknown_value_does_not_escape_as_recursion_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = '{"data": [], "x": ' + deep + "}"
    with pytest.raises(vt_refs.MalformedResponseError):
        vt_refs.parse(models.ReferenceCollection, body)


def test_parse_refuses_what_is_not_a_generated_model() -> None:
    with pytest.raises(vt_refs.UsageError):
        vt_refs.parse(dict, {})  # type: ignore[type-var]


def test_parse_does_not_mutate_its_input(seed_page: dict[str, Any]) -> None:
    doc = copy.deepcopy(seed_page)
    doc["unknown"] = 1
    doc["data"][0]["attributes"]["new"] = [1]
    before = copy.deepcopy(doc)
    parsed = vt_refs.parse(models.ReferenceCollection, doc)
    assert doc == before
    assert parsed.data is not doc["data"]
    assert parsed.data[0].attributes.additional_properties is not doc["data"][0]["attributes"]
    # Nor when it fails deep inside a list, after building the items before it.
    doc["data"][-1]["links"]["self"] = 7
    before = copy.deepcopy(doc)
    for data in (doc, OrderedDict(doc)):
        with pytest.raises(vt_refs.MalformedResponseError):
            vt_refs.parse(models.ReferenceCollection, data)
        assert doc == before


def test_message_stays_bounded_when_escaping_expands_the_excerpt() -> None:
    # Found by the fuzz suite: repr() of 200 astral or control characters is ~2,000 long.
    for padding in ("\U000f0000" * 300, "\u2028" * 300, "\x00" * 300):
        with pytest.raises(vt_refs.MalformedResponseError) as caught:
            vt_refs.parse(models.CollectionLinks, {"x": padding})
        assert caught.value.path == "$.self"
        assert len(caught.value.excerpt) <= 200
        assert len(str(caught.value)) <= 1000


@pytest.mark.parametrize("consume", [False, True])
def test_a_traceback_through_a_compiled_builder_shows_its_source_lines(consume: bool) -> None:
    """The builders are compiled from source with exec; registered with linecache (as
    attrs does), their frames show the line that failed instead of nothing."""
    build = builder(models.Reference, consume=consume, warn=False)
    document = {"id": "r1", "type": "reference", "attributes": {"title": 42}}
    with pytest.raises(Exception) as caught:
        build(document)
    frames = [
        frame
        for frame in traceback.extract_tb(caught.value.__traceback__)
        if frame.filename.startswith("<vt_refs builders of")
    ]
    assert [frame.name for frame in frames][-1].startswith("build_ReferenceAttributes")
    assert all(frame.line for frame in frames), [str(f) for f in frames]
    assert frames[-1].line == "raise _wrong('string', v)"
    text = "".join(traceback.format_exception(caught.value))
    assert "raise _wrong('string', v)" in text
    # Each family has a file name of its own, and linecache keeps its source.
    assert linecache.getline(frames[-1].filename, frames[-1].lineno).strip() == frames[-1].line
    assert len({frame.filename for frame in frames}) == 1
