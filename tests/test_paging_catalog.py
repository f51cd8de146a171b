"""The catalog of relationship operations (`vt_refs._paging.catalog`), against openapi.yaml.

Each expectation is read from the spec here, independently of how the catalog reads the
generated package, so the two must agree on every operation the spec declares.
"""

from __future__ import annotations

import re
from importlib import resources
from types import ModuleType
from typing import Any

import attrs
import pytest

import vt_refs_api.models
from vt_refs import UsageError
from vt_refs._bulk import KINDS
from vt_refs._paging import DEFAULT_RELATIONSHIP, Catalog, Entry, get_catalog
from vt_refs._paging.catalog import _entry
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.operations import paging_operations
from support.paths import ROOT
from support.spec_strategies import resolve_ref


def _paging_operations(spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """operationId -> (path, operation) for every GET of the spec taking cursor and limit."""
    found = {}
    for path, item in spec["paths"].items():
        operation = item["get"]
        names = {resolve_ref(spec, p)["name"] for p in operation["parameters"]}
        if {"cursor", "limit"} <= names:
            found[operation["operationId"]] = (path, operation)
    return found


def _schema_name(spec: dict[str, Any], operation: dict[str, Any]) -> str:
    """The component name of the items of the operation's 200 page."""
    ok = resolve_ref(spec, operation["responses"]["200"])
    page = resolve_ref(spec, ok["content"]["application/json"]["schema"])
    ref: str = page["properties"]["data"]["items"]["$ref"]
    return ref.rpartition("/")[2]


def _limit_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    (limit,) = (
        resolve_ref(spec, p)
        for p in operation["parameters"]
        if resolve_ref(spec, p)["name"] == "limit"
    )
    return resolve_ref(spec, limit["schema"])


def test_the_catalog_holds_every_paging_operation_of_the_spec(spec: dict[str, Any]) -> None:
    declared = _paging_operations(spec)
    entries = {entry.name: entry for entry in get_catalog().entries}
    assert set(entries) == set(declared)
    for name, (path, operation) in declared.items():
        entry = entries[name]
        parts = path.strip("/").split("/")
        assert entry.path == path
        assert entry.collection == parts[0]
        assert entry.relationship == parts[-1]
        assert entry.descriptors == (parts[2] == "relationships")
        assert entry.item_model is getattr(vt_refs_api.models, _schema_name(spec, operation))
        assert entry.max_limit == _limit_schema(spec, operation).get("maximum")
        assert entry.default_limit == _limit_schema(spec, operation)["default"]


def test_every_generated_module_that_pages_is_in_the_catalog() -> None:
    assert {entry.module for entry in get_catalog().entries} == set(paging_operations())


def test_the_page_size_maximum_is_written_once_in_the_spec(spec: dict[str, Any]) -> None:
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert text.count("maximum: 40") == 1
    assert spec["components"]["parameters"]["Limit"]["schema"]["maximum"] == 40
    assert {entry.max_limit for entry in get_catalog().entries} == {40}


def test_the_spec_ships_inside_vt_refs() -> None:
    """The catalog reads the maximum from package data, which is the repository's spec."""
    packaged = resources.files("vt_refs").joinpath("openapi.yaml").read_bytes()
    assert packaged == (ROOT / "openapi.yaml").read_bytes()


def test_find_and_its_errors_name_what_exists() -> None:
    catalog = get_catalog()
    entry = catalog.find("urls")
    assert entry.module is get_url_related_references
    assert (entry.relationship, entry.descriptors) == (DEFAULT_RELATIONSHIP, False)
    assert catalog.find("files", descriptors=True).name == (
        "get_file_related_references_descriptors"
    )
    assert catalog.of(get_url_related_references) is entry
    assert catalog.of(object()) is None
    with pytest.raises(UsageError, match=r"no collection 'nope'; there are collections, domains"):
        catalog.find("nope")
    with pytest.raises(UsageError, match=r"urls has no relationship 'x'; it has related_refer"):
        catalog.find("urls", "x")
    assert catalog.find("urls", page_size=40) is entry
    with pytest.raises(UsageError, match=r"page_size=41 is over the 40 objects"):
        catalog.find("urls", page_size=41)


def test_collections_and_relationships_come_from_the_entries() -> None:
    catalog = get_catalog()
    assert catalog.collections == tuple(sorted({e.collection for e in catalog.entries}))
    assert set(catalog.collections) >= {"urls", "files", "domains", "ip_addresses"}
    assert DEFAULT_RELATIONSHIP in catalog.relationships("urls")
    assert catalog.relationships("nope") == ()


def test_what_classify_and_the_fake_know_of_collections_is_the_catalogs() -> None:
    """classify's kinds and the fake's collections are collections the catalog has: an
    indicator never classifies into a collection with no operation."""
    collections = set(get_catalog().collections)
    assert set(KINDS) <= collections
    relationships = {entry.path for entry in get_catalog().entries}
    # Besides relationships, the fake serves the user's quotas and the two single objects
    # of the reports (GET /collections/{id}, /references/{id}): no paging operations.
    others = {"/users/{id}/overall_quotas", "/collections/{id}", "/references/{id}"}
    assert relationships | others == FakeVirusTotal.PATHS


def test_the_catalog_is_built_once_and_cannot_change() -> None:
    catalog = get_catalog()
    assert get_catalog() is catalog
    assert isinstance(catalog, Catalog) and isinstance(catalog.entries, tuple)
    entry = catalog.entries[0]
    assert isinstance(entry, Entry)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.max_limit = 1000  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        catalog.entries = ()  # type: ignore[misc]
    key = (entry.collection, entry.relationship, entry.descriptors)
    with pytest.raises(TypeError):
        catalog._index[key] = entry  # type: ignore[index]


def test_the_guides_name_the_catalogs_operations_and_collections() -> None:
    """The guides' table of operations and the CLI's `--object` list are the catalog's."""
    catalog = get_catalog()
    guide = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    rows = [line for line in guide.splitlines() if line.startswith("| ")]
    named = set(re.findall(r"`(\w+)\.(get_\w+)`", "\n".join(rows)))
    listed = {(e.module.__name__.split(".")[-2], e.name) for e in catalog.entries}
    assert named == listed, "docs/getting-started.md's table must list the catalog's operations"
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    (choices,) = re.findall(r"`--object ([\w|]+)`", cli)
    assert sorted(choices.split("|")) == list(catalog.collections), "docs/cli.md's --object"


def _module(get_kwargs: Any) -> ModuleType:
    module = ModuleType("vt_refs_api.api.domains.made_up")
    module._get_kwargs = get_kwargs  # type: ignore[attr-defined]
    module.sync_detailed = get_kwargs  # type: ignore[attr-defined]
    module.sync = get_url_related_references.sync  # type: ignore[attr-defined]
    return module


def test_operations_the_walks_cannot_drive_are_not_entries() -> None:
    """Only an id names what a catalog entry lists: an operation needing another
    parameter, or no relationship path, is left to `paginate` and its caller."""

    def needs_a_query(id: str, *, query: str, limit: int = 10, cursor: str = "") -> Any:
        return {"method": "get", "url": f"/domains/{id}/search"}

    def no_relationship(id: str, *, limit: int = 10, cursor: str = "") -> Any:
        return {"method": "get", "url": f"/domains/{id}"}

    def relationship(id: str, *, limit: int = 10, cursor: str = "") -> Any:
        return {"method": "get", "url": f"/domains/{id}/made_up"}

    assert _entry(_module(needs_a_query)) is None
    assert _entry(_module(no_relationship)) is None
    entry = _entry(_module(relationship))
    assert entry is not None
    assert (entry.collection, entry.relationship, entry.path) == (
        "domains",
        "made_up",
        "/domains/{id}/made_up",
    )
