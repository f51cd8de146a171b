"""openapi.yaml is valid and says what the SDK relies on."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from support.spec_strategies import resolve_ref

OBJECTS = {
    "urls": "url",
    "files": "file",
    "domains": "domain",
    "ip_addresses": "ip_address",
    "threat_actors": "threat_actor",
}
ERROR_STATUSES = {"400", "401", "403", "404", "429", "503", "504"}
SCHEMAS = {
    "ReferenceCollection",
    "Reference",
    "ReferenceAttributes",
    "DescriptorCollection",
    "ObjectDescriptor",
    "ContextAttributes",
    "RelatedObject",
    "CollectionMeta",
    "CollectionLinks",
    "ErrorResponse",
    "ErrorBody",
}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_server_is_virustotal_over_https(spec: dict[str, Any]) -> None:
    assert [s["url"] for s in spec["servers"]] == ["https://www.virustotal.com/api/v3"]
    scheme = spec["components"]["securitySchemes"]["apiKey"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "x-apikey"}


@pytest.mark.parametrize("collection", sorted(OBJECTS))
@pytest.mark.parametrize("descriptors", [False, True])
def test_relationship_operation(spec: dict[str, Any], collection: str, descriptors: bool) -> None:
    middle = "relationships/" if descriptors else ""
    op = spec["paths"][f"/{collection}/{{id}}/{middle}related_references"]["get"]
    suffix = "_descriptors" if descriptors else ""
    assert op["operationId"] == f"get_{OBJECTS[collection]}_related_references{suffix}"
    assert op["tags"] == [collection]
    assert op["security"] == [{"apiKey": []}], "the generator ignores top-level security"
    params = {p["name"]: p for p in (resolve_ref(spec, p) for p in op["parameters"])}
    assert set(params) == {"id", "limit", "cursor"}
    assert params["id"]["in"] == "path" and params["id"]["required"] is True
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 40,  # VirusTotal: at most 40 objects per relationship call
        "default": 10,
    }
    assert params["cursor"]["schema"] == {"type": "string"}
    assert set(op["responses"]) == {"200"} | ERROR_STATUSES
    page = resolve_ref(spec, op["responses"]["200"])["content"]["application/json"]["schema"]
    want = "DescriptorCollection" if descriptors else "ReferenceCollection"
    assert page == {"$ref": f"#/components/schemas/{want}"}
    for status in ERROR_STATUSES:
        body = resolve_ref(spec, op["responses"][status])["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.mark.parametrize(
    ("collection", "forms"),
    [("domains", ("domain name",)), ("ip_addresses", ("IPv4", "IPv6"))],
)
def test_new_id_parameters_document_their_forms(
    spec: dict[str, Any], collection: str, forms: tuple[str, ...]
) -> None:
    for middle in ("", "relationships/"):
        op = spec["paths"][f"/{collection}/{{id}}/{middle}related_references"]["get"]
        params = [resolve_ref(spec, p) for p in op["parameters"]]
        (id_param,) = [p for p in params if p["name"] == "id"]
        assert id_param["schema"] == {"type": "string", "minLength": 1}
        assert all(form in id_param["description"] for form in forms)


def test_every_operation_declares_security(spec: dict[str, Any]) -> None:
    for path, method, op in _operations(spec):
        assert op.get("security") == [{"apiKey": []}], f"{method} {path}"


def test_schema_names_and_requirements(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas) >= SCHEMAS
    assert schemas["ReferenceCollection"]["required"] == ["data"]
    assert schemas["DescriptorCollection"]["required"] == ["data"]
    for name in ("Reference", "ObjectDescriptor", "RelatedObject"):
        assert schemas[name]["required"] == ["type", "id"]
    assert "required" not in schemas["CollectionMeta"]
    assert "required" not in schemas["ReferenceAttributes"]
    assert schemas["CollectionLinks"]["required"] == ["self"]
    # VirusTotal's own client treats `message` as optional; `code` is what errors are typed by.
    assert schemas["ErrorBody"]["required"] == ["code"]
    assert schemas["ErrorBody"]["properties"]["code"] == {
        **schemas["ErrorBody"]["properties"]["code"],
        "type": "string",
    }


def test_no_schema_drops_unknown_keys_or_closes_api_owned_values(spec: dict[str, Any]) -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False, where
            assert "enum" not in node, f"closed enum at {where}: the API owns these values"
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(spec["components"]["schemas"], "#/components/schemas")


def test_documented_reference_attributes_are_typed(spec: dict[str, Any]) -> None:
    props = spec["components"]["schemas"]["ReferenceAttributes"]["properties"]
    for name in ("author", "title", "url", "description", "autogenerated_summary"):
        assert props[name]["type"] == "string", name
    for name in ("creation_date", "last_modification_date", "collections_count", "iocs_count"):
        assert props[name]["type"] == "integer", name
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["recent_activity_relative_change"]["type"] == "number"
    assert props["recent_activity_summary"]["items"] == {"type": "integer"}


def test_seed_example_is_embedded_verbatim(spec: dict[str, Any], seed_page: dict[str, Any]) -> None:
    op = spec["paths"]["/urls/{id}/related_references"]["get"]
    examples = op["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples["seed"]["value"] == seed_page
