"""A relationship added to openapi.yaml works everywhere after `make generate`.

As a user would: copy the spec, add a path pair (`/domains/{id}/some_new_relationship`,
with a page, item and meta model of its own, and its `relationships/` twin) and a
descriptors operation on a collection the overlay has never heard of, generate a client
with the repository's generator config, and run the unchanged overlay against it in a
fresh interpreter: the catalog, the library, `vt-refs`, `vt-refs bulk`, `enrich` and the
fake serving them. One generation and one interpreter for the whole module.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from support.paths import ROOT
from support.spec_edits import paging_operation, run_checks

NEW = "some_new_relationship"
PATHS = {
    f"/domains/{{id}}/{NEW}": paging_operation(
        f"get_domain_{NEW}", "domains", "GadgetCollection", f"{NEW} of a domain"
    ),
    f"/domains/{{id}}/relationships/{NEW}": paging_operation(
        f"get_domain_{NEW}_descriptors", "domains", "DescriptorCollection", "Its descriptors"
    ),
    f"/campaigns/{{id}}/relationships/{NEW}": paging_operation(
        f"get_campaign_{NEW}_descriptors", "campaigns", "DescriptorCollection", "A new one"
    ),
}
SCHEMAS = {
    # A page whose meta is not CollectionMeta: its cursor is never drift all the same.
    "GadgetCollection": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "meta": {"$ref": "#/components/schemas/GadgetMeta"},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Gadget"}},
            "links": {"$ref": "#/components/schemas/CollectionLinks"},
        },
    },
    "GadgetMeta": {
        "type": "object",
        "properties": {"count": {"type": "integer"}, "cursor": {"type": ["string", "null"]}},
    },
    # Required fields a reference lacks: the fake completes its items to the model.
    "Gadget": {
        "type": "object",
        "required": ["type", "id", "attributes", "grade"],
        "properties": {
            "type": {"type": "string"},
            "id": {"type": "string"},
            "grade": {"type": "string", "enum": ["gold", "silver"]},
            "attributes": {"$ref": "#/components/schemas/GadgetAttributes"},
        },
    },
    "GadgetAttributes": {
        "type": "object",
        "required": ["name", "parts"],
        "properties": {
            "name": {"type": "string"},
            "parts": {"type": "array", "items": {"type": "integer"}},
            "creation_date": {"type": "integer"},
        },
    },
}

# Runs with the extended client first on sys.path; prints OK at the end.
CHECKS = textwrap.dedent(
    f"""
    import contextlib, io, json, os, sys, warnings
    import vt_refs, vt_refs_api
    from vt_refs._paging import get_catalog
    from vt_refs.cli import main
    from vt_refs.testing import FakeVirusTotal
    from vt_refs_api.models import Gadget, GadgetCollection, GadgetMeta, ObjectDescriptor

    EXTENDED, REPO = sys.argv[1], sys.argv[2]
    assert vt_refs_api.__file__.startswith(EXTENDED), vt_refs_api.__file__
    assert vt_refs.__file__.startswith(os.path.join(REPO, "overlays")), vt_refs.__file__
    NEW = {NEW!r}

    # The catalog: found with its models and the spec's maximum page size.
    catalog = get_catalog()
    full = catalog.find("domains", NEW)
    twin = catalog.find("domains", NEW, descriptors=True)
    assert (full.page_model, full.item_model) == (GadgetCollection, Gadget), full
    assert twin.item_model is ObjectDescriptor and twin.path.endswith("/relationships/" + NEW)
    assert full.max_limit == 40 and full.default_limit == 10, full
    assert "campaigns" in catalog.collections and NEW in catalog.relationships("domains")
    try:
        catalog.find("campaigns", NEW)
    except vt_refs.UsageError as error:
        assert "has no operation listing full objects" in str(error), error
    else:
        raise AssertionError("campaigns has only descriptors")

    # A page's cursor is never drift, whatever its meta model is called.
    page = {{"data": [], "meta": {{"count": 1, "cursor": 5}}}}
    try:
        vt_refs.parse(GadgetCollection, json.dumps(page), on_drift="warn")
    except vt_refs.MalformedResponseError as error:
        assert error.path == "$.meta.cursor", error
    else:
        raise AssertionError("a mistyped cursor was taken for drift")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = {{"data": [], "meta": {{"count": "many", "cursor": "c"}}}}
        parsed = vt_refs.parse(GadgetCollection, json.dumps(page), on_drift="warn")
    assert parsed.meta.cursor == "c" and [w.message.path for w in caught] == ["$.meta.count"]

    def cli(*args):
        out, err = io.BytesIO(), io.StringIO()
        stdout = io.TextIOWrapper(out, encoding="utf-8")
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
            status = main([*args, "--base-url", fake.base_url, "--max-retries", "0"])
            stdout.flush()
        return status, out.getvalue().decode(), err.getvalue()

    with FakeVirusTotal(default_count=45) as fake:
        os.environ["VT_API_KEY"] = fake.api_key
        assert {{full.path, twin.path}} <= FakeVirusTotal.PATHS
        with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            gadgets = list(vt_refs.paginate(full.module, client, id="example.com"))
            described = list(vt_refs.paginate(twin.module, client, id="example.com"))
            references = list(vt_refs.paginate(catalog.find("domains").module, client,
                                               id="example.com"))
            campaign = list(vt_refs.paginate(
                catalog.find("campaigns", NEW, descriptors=True).module, client,
                id="campaign--42"))
            results = {{r.text: r for r in vt_refs.enrich(
                client, ["example.com", "192.0.2.1"], relationship=NEW)}}
        # The library: every item, each page at most the spec's maximum, each of its model
        # (strictly: the fake's items have what the model requires).
        assert len(gadgets) == 45 and all(isinstance(g, Gadget) for g in gadgets)
        assert all(g.grade.value == "gold" and g.attributes.parts == [] for g in gadgets)
        with vt_refs.connect(fake.api_key, base_url=fake.base_url, on_drift="error") as strict:
            assert len(list(vt_refs.paginate(full.module, strict, id="example.com"))) == 45
        assert [d.id for d in described] == [g.id for g in gadgets]
        assert not {{g.id for g in gadgets}} & {{r.id for r in references}}
        assert len(campaign) == 45 and all(isinstance(d, ObjectDescriptor) for d in campaign)
        asked = [r.query.get("limit") for r in fake.requests if r.path.endswith("/" + NEW)]
        assert asked and all(int(limit) <= full.max_limit for limit in asked), asked
        # enrich: a domain has the relationship, an IP address does not.
        assert [g.id for g in results["example.com"].references] == [g.id for g in gadgets]
        assert results["192.0.2.1"].status == "invalid", results["192.0.2.1"]
        assert NEW in str(results["192.0.2.1"].error)

        # vt-refs: the relationship of a domain, and of a collection nothing else knows.
        status, out, err = cli("--object", "domains", "--id", "example.com",
                               "--relationship", NEW, "--max-items", "12")
        assert status == 0 and "resume with --cursor" in err, (status, err)
        assert [json.loads(line)["id"] for line in out.splitlines()] == [
            g.id for g in gadgets[:12]]
        status, out, err = cli("--object", "campaigns", "--id", "campaign--42",
                               "--relationship", NEW, "--descriptors")
        assert (status, err) == (0, ""), err
        assert [json.loads(line)["id"] for line in out.splitlines()] == [
            d.id for d in campaign]
        status, out, err = cli("--object", "domains", "--id", "example.com",
                               "--relationship", "nope")
        assert status == 2 and NEW in err and out == "", err

        # vt-refs bulk --relationship.
        source = os.path.join(EXTENDED, "iocs.txt")
        written = os.path.join(EXTENDED, "out.jsonl")
        with open(source, "w") as file:
            file.write("example.com\\n")
        status, out, err = cli("bulk", source, "--out", written, "--relationship", NEW)
        assert status == 0, err
        with open(written) as file:
            lines = [json.loads(line) for line in file]
        assert [line["reference"]["id"] for line in lines] == [g.id for g in gadgets], lines
    print("OK")
    """
)


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated client of a copy of the spec with the new paths (one generation)."""
    root = tmp_path_factory.mktemp("catalog")
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    spec["paths"].update(PATHS)
    spec["tags"].append({"name": "campaigns", "description": "A collection new to vt-refs."})
    spec["components"]["schemas"].update(SCHEMAS)
    (root / "openapi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    generator = Path(sys.executable).parent / "openapi-python-client"
    done = subprocess.run(
        [str(generator), "generate", "--path", str(root / "openapi.yaml"),
         "--config", str(ROOT / "generator-config.yml"), "--meta", "none",
         "--output-path", str(root / "vt_refs_api"), "--overwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env={"PATH": f"{generator.parent}:/usr/bin:/bin", "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_a_new_relationship_works_in_the_library_cli_bulk_and_fake(extended: Path) -> None:
    assert (extended / "vt_refs_api" / "api" / "campaigns").is_dir()
    run_checks(extended, CHECKS, str(extended), str(ROOT))
