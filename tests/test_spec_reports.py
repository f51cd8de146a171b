"""The Google Threat Intelligence operations of openapi.yaml, and the pages they answer.

The spec part reads openapi.yaml; the page part parses the verbatim descriptor page of
the reference note (tests/data/gti_reports_descriptors.json) and a full page of report
objects (tests/data/gti_reports_page.json) with `vt_refs.parse` and walks them with
`vt_refs.paginate` over an in-memory API, so a model that loses a field, or a walk that
wants `meta.count`, fails here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

import vt_refs
from vt_refs_api.api.collections import get_collection_files, get_collection_urls_descriptors
from vt_refs_api.api.ip_addresses import get_ip_address_reports, get_ip_address_reports_descriptors
from vt_refs_api.models import Collection, CollectionMeta, CollectionPage, DescriptorCollection
from vt_refs_api.types import Unset

from support.drift import drift_warnings
from support.mock_api import ScriptedAPI
from support.paths import DATA
from support.spec_strategies import resolve_ref

SINGULAR = {"files": "file", "urls": "url", "domains": "domain", "ip_addresses": "ip_address"}
ERROR_STATUSES = {"400", "401", "403", "404", "429", "503", "504"}
COLLECTION_RELATIONSHIPS = {
    "files": "ObjectPage",
    "urls": "ObjectPage",
    "domains": "ObjectPage",
    "ip_addresses": "ObjectPage",
    "threat_actors": "CollectionPage",
    "malware_families": "CollectionPage",
}
REFERENCE_RELATIONSHIPS = {
    "collections": "CollectionPage",
    "domains": "ObjectPage",
    "files": "ObjectPage",
    "ip_addresses": "ObjectPage",
    "threat_actors": "ObjectPage",
    "urls": "ObjectPage",
}


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


def _page_schema(spec: dict[str, Any], op: dict[str, Any]) -> str:
    body = resolve_ref(spec, op["responses"]["200"])["content"]["application/json"]
    ref: str = body["schema"]["$ref"]
    return ref.removeprefix("#/components/schemas/")


def _check_operation(
    spec: dict[str, Any],
    path: str,
    op_id: str,
    tag: str,
    id_param: str,
    schema: str,
    *,
    paging: bool = True,
) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path]["get"]
    assert op["operationId"] == op_id
    assert op["tags"] == [tag]
    assert op["security"] == [{"apiKey": []}]
    refs = [p["$ref"].rsplit("/", 1)[1] for p in op["parameters"]]
    assert refs == [id_param, "Limit", "Cursor"] if paging else [id_param]
    assert set(op["responses"]) == {"200"} | ERROR_STATUSES
    assert _page_schema(spec, op) == schema
    for status in ERROR_STATUSES:
        body = resolve_ref(spec, op["responses"][status])["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    return op


@pytest.mark.parametrize("collection", sorted(SINGULAR))
@pytest.mark.parametrize("relationship", ["reports", "related_reports"])
def test_reports_and_related_reports_with_their_descriptor_twins(
    spec: dict[str, Any], collection: str, relationship: str
) -> None:
    id_param = {
        "files": "FileId",
        "urls": "UrlId",
        "domains": "DomainId",
        "ip_addresses": "IpAddressId",
    }[collection]
    stem = f"get_{SINGULAR[collection]}_{relationship}"
    full = _check_operation(
        spec, f"/{collection}/{{id}}/{relationship}", stem, collection, id_param, "CollectionPage"
    )
    twin = _check_operation(
        spec,
        f"/{collection}/{{id}}/relationships/{relationship}",
        f"{stem}_descriptors",
        collection,
        id_param,
        "DescriptorCollection",
    )
    assert not full.get("deprecated") and not twin.get("deprecated")


def test_one_collection_and_its_relationships(spec: dict[str, Any]) -> None:
    op = _check_operation(
        spec,
        "/collections/{id}",
        "get_collection",
        "collections",
        "CollectionId",
        "CollectionResponse",
        paging=False,
    )
    assert not op.get("deprecated")
    for relationship, schema in COLLECTION_RELATIONSHIPS.items():
        stem = f"get_collection_{relationship}"
        _check_operation(
            spec, f"/collections/{{id}}/{relationship}", stem, "collections", "CollectionId", schema
        )
        _check_operation(
            spec,
            f"/collections/{{id}}/relationships/{relationship}",
            f"{stem}_descriptors",
            "collections",
            "CollectionId",
            "DescriptorCollection",
        )


def test_every_references_endpoint_is_deprecated_and_only_those(spec: dict[str, Any]) -> None:
    _check_operation(
        spec,
        "/references/{id}",
        "get_reference",
        "references",
        "ReferenceId",
        "ReferenceResponse",
        paging=False,
    )
    for relationship, schema in REFERENCE_RELATIONSHIPS.items():
        stem = f"get_reference_{relationship}"
        _check_operation(
            spec, f"/references/{{id}}/{relationship}", stem, "references", "ReferenceId", schema
        )
        _check_operation(
            spec,
            f"/references/{{id}}/relationships/{relationship}",
            f"{stem}_descriptors",
            "references",
            "ReferenceId",
            "DescriptorCollection",
        )
    deprecated = {path for path, item in spec["paths"].items() if item["get"].get("deprecated")}
    assert deprecated == {path for path in spec["paths"] if path.startswith("/references/")}
    assert len(deprecated) == 13
    assert all(
        item["get"]["deprecated"] is True for p, item in spec["paths"].items() if p in deprecated
    )


def test_ids_are_any_non_empty_string_and_say_their_shapes(spec: dict[str, Any]) -> None:
    params = spec["components"]["parameters"]
    for name in ("CollectionId", "ReferenceId"):
        assert params[name]["in"] == "path" and params[name]["required"] is True
        assert params[name]["schema"] == {"type": "string", "minLength": 1}, "no pattern"
    assert "report--21-00006507" in params["CollectionId"]["description"]
    assert "report--" in params["CollectionId"]["description"]
    assert "base64" in params["ReferenceId"]["description"]


def test_collection_model_is_all_optional_and_open(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["Collection"]["required"] == ["type", "id"]
    for name in (
        "CollectionAttributes",
        "CollectionCounters",
        "TargetedIndustry",
        "TargetedRegion",
        "ApiObjectAttributes",
        "RelatedObjectAttributes",
    ):
        assert "required" not in schemas[name], name
    attributes = schemas["CollectionAttributes"]["properties"]
    for name in ("name", "link", "author", "origin", "report_type", "collection_type"):
        assert attributes[name]["type"] == "string", name
    assert attributes["creation_date"]["type"] == "integer"
    assert set(schemas["RelatedObjectAttributes"]["properties"]) == {
        "name",
        "tags",
        "origin",
        "collection_type",
    }
    assert "related" in schemas["CollectionLinks"]["properties"]
    assert schemas["CollectionPage"]["required"] == ["data"]  # meta may be absent


def test_the_verbatim_descriptor_page_is_the_specs_example(spec: dict[str, Any]) -> None:
    op = spec["paths"]["/ip_addresses/{id}/relationships/reports"]["get"]
    examples = op["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples["gti"]["value"] == _load("gti_reports_descriptors.json")


# --- The pages --------------------------------------------------------------------------


def test_the_verbatim_descriptor_page_parses_exactly() -> None:
    page = _load("gti_reports_descriptors.json")
    with drift_warnings() as drifted:
        parsed = vt_refs.parse(DescriptorCollection, page, on_drift="error")
    assert drifted == []
    assert parsed.to_dict() == page
    assert isinstance(parsed.meta, CollectionMeta)
    assert isinstance(parsed.meta.count, Unset), "meta has a cursor and no count"
    assert parsed.meta.cursor == "eyJsaW1pdCI6IDIwLCAib2Zmc2V0IjogMjB9"
    assert parsed.links.related == "https://www.virustotal.com/api/v3/ip_addresses/8.8.8.8/reports"
    first, second = parsed.data
    assert (first.type_, first.id) == ("collection", "report--19-00000879")
    assert isinstance(first.context_attributes, Unset)
    (via,) = second.context_attributes.related_from
    assert (via.type_, via.id) == ("collection", "report--21-00006507")
    assert via.attributes.name == "ICS Network Activity Report: March 15\u201321, 2021"
    assert via.attributes.tags == []
    assert via.attributes.origin == "Google Threat Intelligence"
    assert via.attributes.collection_type == "report"


def test_a_full_page_of_reports_parses_exactly() -> None:
    page = _load("gti_reports_page.json")
    with drift_warnings() as drifted:
        parsed = vt_refs.parse(CollectionPage, page, on_drift="error")
    assert drifted == [] and parsed.to_dict() == page
    assert isinstance(parsed.meta, Unset), "a short page without meta"
    curated, crowdsourced = parsed.data
    attributes = curated.attributes
    assert attributes.collection_type == "report" and attributes.report_type == "News Analysis"
    assert attributes.counters.iocs == 12
    assert attributes.counters.additional_properties == {"attack_techniques": 2}  # kept
    assert attributes.targeted_regions_hierarchy[0].country_iso2 == "US"
    assert attributes.targeted_regions_hierarchy[0].additional_properties == {
        "confidence": "confirmed"
    }
    assert attributes.additional_properties == {"recent_activity_summary": [0, 1, 0]}
    assert crowdsourced.attributes.link.startswith("https://www.proofpoint.com/")
    (via,) = crowdsourced.context_attributes.related_from
    assert via.id == curated.id, "a report relates from another report"


def test_paginate_walks_the_verbatim_descriptor_page_by_its_cursor() -> None:
    first = _load("gti_reports_descriptors.json")
    last = {
        "data": [{"type": "collection", "id": "report--21-00000001"}],
        "links": {"self": "https://vt.test/last"},
    }
    api = ScriptedAPI([first, last])
    with api.client() as client:
        items = list(
            vt_refs.paginate(get_ip_address_reports_descriptors, client, id="8.8.8.8", page_size=20)
        )
    assert [item.id for item in items] == [
        "report--19-00000879",
        "report--21-00006806",
        "report--21-00000001",
    ]
    assert [r.url.path for r in api.requests] == [
        "/api/v3/ip_addresses/8.8.8.8/relationships/reports"
    ] * 2
    assert api.queries() == [{"limit": "20"}, {"limit": "20", "cursor": first["meta"]["cursor"]}]


def test_paginate_yields_the_report_objects_of_a_page_without_meta() -> None:
    page = _load("gti_reports_page.json")
    api = ScriptedAPI([page])
    with api.client() as client:
        items = list(vt_refs.paginate(get_ip_address_reports, client, id="8.8.8.8"))
    assert all(isinstance(item, Collection) for item in items)
    assert [item.to_dict() for item in items] == page["data"]
    assert len(api.requests) == 1, "no meta.cursor: the last page"


@pytest.mark.parametrize(
    "collection_id",
    [
        "report--21-00006507",
        "report--" + "ab" * 32,
        "threat-actor--x y/z?#%",
        "vulnerability--cve-2018-20901",
    ],
)
def test_collection_ids_travel_as_one_path_segment(collection_id: str) -> None:
    api = ScriptedAPI([{"data": []}, {"data": []}])
    with api.client() as client:
        assert list(vt_refs.paginate(get_collection_files, client, id=collection_id)) == []
        assert (
            list(vt_refs.paginate(get_collection_urls_descriptors, client, id=collection_id)) == []
        )
    encoded = quote(collection_id, safe="")
    assert [r.url.raw_path.split(b"?")[0].decode() for r in api.requests] == [
        f"/api/v3/collections/{encoded}/files",
        f"/api/v3/collections/{encoded}/relationships/urls",
    ]


@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_ids_that_cannot_be_a_path_segment_are_refused_before_sending(bad: str) -> None:
    api = ScriptedAPI()
    with api.client() as client, pytest.raises(vt_refs.UsageError):
        list(vt_refs.paginate(get_collection_files, client, id=bad))
    assert api.requests == []
