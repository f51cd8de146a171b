"""A relationship added to openapi.yaml works after `make generate`, with no overlay change.

The test adds a path to a copy of the spec, with a model that uses what our spec does not
(yet): enums, nullable fields, lists of lists, typed additionalProperties, a list of nested
objects. It generates a client from it with the pinned generator, then runs the unchanged
overlay against that client in a fresh interpreter (the repo's `vt_refs_api` is already
imported here), over a MockTransport: pagination, both parse paths (decoded bytes, caller's
mapping), the error paths, and drift in each optional field under both `on_drift` modes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from support.paths import ROOT
from support.spec_edits import paging_operation, run_checks

WIDGET_PATH = paging_operation(
    "get_domain_related_widgets", "domains", "WidgetPage", "Widgets related to a domain"
)

WIDGET_SCHEMAS = {
    "WidgetPage": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}},
            "meta": {"$ref": "#/components/schemas/CollectionMeta"},
        },
    },
    "Widget": {
        "type": "object",
        "required": ["id", "kind"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string", "enum": ["gear", "sprocket"]},
            "note": {"type": ["string", "null"]},
            "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
            "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
            "labels": {"$ref": "#/components/schemas/Labels"},
            "score": {"type": "number"},
            "active": {"type": "boolean"},
            "shade": {"type": "string", "enum": ["light", "dark"]},
            "tally": {"$ref": "#/components/schemas/Tally"},
        },
    },
    "Part": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "weight": {"type": "integer"}},
    },
    "Labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "Tally": {
        "type": "object",
        "properties": {"total": {"type": "integer"}},
        "additionalProperties": {"type": "integer"},
    },
}

# Runs in a fresh interpreter with the generated client of the extended spec first on
# sys.path. Prints OK at the end; any failed assert is a non-zero exit with a traceback.
CHECKS = textwrap.dedent(
    """
    import copy, json, sys, warnings
    import httpx
    import vt_refs
    from vt_refs_api.types import Unset
    from vt_refs_api.api.domains import get_domain_related_widgets as op
    from vt_refs_api.models import Part, Widget, WidgetPage

    widget = {
        "id": "w1", "kind": "gear", "note": None, "grid": [[1, 2], [], [3]],
        "parts": [{"name": "p", "weight": 2, "extra": [1]}, {"name": "q"}],
        "labels": {"colour": "red"}, "score": 1, "active": False, "unknown": {"a": 1},
        "shade": "dark", "tally": {"total": 3, "spare": 1},
    }
    pages = [
        {"data": [widget, {"id": "w2", "kind": "sprocket", "note": "n"}],
         "meta": {"cursor": "c1"}},
        {"data": [{"id": "w3", "kind": "gear"}]},
    ]

    def handler(request):
        cursor = request.url.params.get("cursor")
        return httpx.Response(200, json=pages[0 if cursor is None else 1])

    with vt_refs.connect("k", base_url="https://api.example/v3",
                         transport=httpx.MockTransport(handler), max_retries=0) as client:
        items = list(vt_refs.paginate(op, client, id="example.com", page_size=2))
    assert [w.id for w in items] == ["w1", "w2", "w3"], items
    assert items[0].kind.value == "gear" and items[0].note is None
    assert items[0].parts[0].weight == 2 and items[0].labels["colour"] == "red"

    for form in (json.dumps(pages[0]).encode(), json.dumps(pages[0]), copy.deepcopy(pages[0])):
        before = copy.deepcopy(form)
        parsed = vt_refs.parse(WidgetPage, form)
        assert parsed.to_dict() == pages[0], parsed.to_dict()
        assert form == before

    def rejects(path, doc, on_drift):
        for form in (json.dumps(doc).encode(), doc):
            try:
                vt_refs.parse(WidgetPage, form, on_drift=on_drift)
            except vt_refs.MalformedResponseError as error:
                assert error.path == path, (path, error.path, error.reason)
            else:
                raise AssertionError(f"{path}: accepted")

    hard = {  # required fields and typed extras: errors in both modes
        "$.data[0].kind": lambda w: w.update(kind="bolt"),
        "$.data[0].parts[1].name": lambda w: w["parts"][1].update(name=5),
        "$.data[0].labels.colour": lambda w: w["labels"].update(colour=1),
        "$.data[0].tally.spare": lambda w: w["tally"].update(spare="x"),
    }
    for path, mutate in hard.items():
        doc = copy.deepcopy(pages[0])
        mutate(doc["data"][0])
        for on_drift in ("warn", "error"):
            rejects(path, doc, on_drift)

    # Optional fields: (model, field, attribute) the drift is kept in, under "warn".
    # Tally's extras are typed, so its drift is kept one level up, in Widget.tally; a
    # parts item that is not an object leaves the whole list raw.
    drift = {
        "$.data[0].grid[1][0]": (Widget, "grid", lambda w: w.update(grid=[[1], ["x"]])),
        "$.data[0].note": (Widget, "note", lambda w: w.update(note=3)),
        "$.data[0].active": (Widget, "active", lambda w: w.update(active=0)),
        "$.data[0].shade": (Widget, "shade", lambda w: w.update(shade="grey")),
        "$.data[0].parts[1]": (Widget, "parts", lambda w: w["parts"].__setitem__(1, None)),
        "$.data[0].parts[0].weight": (
            Part, "weight", lambda w: w["parts"][0].update(weight="2")
        ),
        "$.data[0].tally.total": (Widget, "tally", lambda w: w["tally"].update(total="x")),
    }
    for path, (model, field, mutate) in drift.items():
        doc = copy.deepcopy(pages[0])
        mutate(doc["data"][0])
        rejects(path, doc, "error")
        for form in (json.dumps(doc).encode(), copy.deepcopy(doc)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                parsed = vt_refs.parse(WidgetPage, form)
            assert parsed.to_dict() == doc, (path, parsed.to_dict())
            (warning,) = [w.message for w in caught]
            assert isinstance(warning, vt_refs.SchemaDriftWarning), warning
            assert (warning.model, warning.field, warning.path) == (model.__name__, field, path)
            widget = parsed.data[0]
            holder = widget.parts[0] if model is Part else widget
            assert isinstance(getattr(holder, field), Unset), path
            assert holder[field] == (doc["data"][0]["parts"][0] if model is Part
                                     else doc["data"][0])[field]
    import vt_refs_api
    assert vt_refs_api.__file__.startswith(sys.path[0]), vt_refs_api.__file__
    print("OK")
    """
)


@pytest.fixture(scope="module")
def extended_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated/ folder of a copy of the repo whose spec has a widget relationship."""
    root = tmp_path_factory.mktemp("extended")
    shutil.copy(ROOT / "generator-config.yml", root / "generator-config.yml")
    shutil.copytree(ROOT / "tools", root / "tools")
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    spec["paths"]["/domains/{id}/related_widgets"] = WIDGET_PATH
    spec["components"]["schemas"].update(WIDGET_SCHEMAS)
    (root / "openapi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(root / "tools" / "generate.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "generated"


def test_a_relationship_added_to_the_spec_works_with_no_overlay_change(
    extended_client: Path,
) -> None:
    assert (extended_client / "vt_refs_api" / "api" / "domains").is_dir()
    run_checks(extended_client, CHECKS)
