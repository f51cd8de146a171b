"""`vt_refs.export.to_stix` / `write_stix` against the fake: valid STIX 2.1 (the OASIS
validator, stix2.parse), the ids STIX and OpenCTI define, byte-identical output."""

from __future__ import annotations

import datetime
import io
import json
import random
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vt_refs
from vt_refs.export import to_misp, to_stix, write_stix
from vt_refs.testing import FakeVirusTotal

from support.exports import (
    INDICATORS,
    assert_loads_in_pymisp,
    assert_valid_stix,
    prepared,
    results,
    sha,
)
from support.keys import KEY

NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 SCOs; pycti too


def canonical(data: dict[str, Any]) -> str:
    # RFC 8785 for an object of strings is json.dumps with sorted keys and no spaces.
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sco_id(kind: str, contributing: dict[str, Any]) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, canonical(contributing))}"


def opencti_report_id(name: str, published: datetime.datetime) -> str:
    data = {"name": name.lower().strip(), "published": published.isoformat()}
    return f"report--{uuid.uuid5(NAMESPACE, canonical(data))}"


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        yield prepared(running)


def _written(found: list[Any]) -> bytes:
    buffer = io.BytesIO()
    write_stix(found, buffer)
    return buffer.getvalue()


def test_a_valid_bundle_with_every_observable(fake: FakeVirusTotal) -> None:
    bundle = to_stix(results(fake))
    assert_valid_stix(bundle.serialize())
    objects = {o.id: o for o in bundle.objects}
    assert sco_id("url", {"value": "https://evil.example/login"}) in objects
    assert sco_id("domain-name", {"value": "evil.example"}) in objects
    assert sco_id("ipv4-addr", {"value": "192.0.2.7"}) in objects
    assert sco_id("ipv6-addr", {"value": "2001:db8::7"}) in objects
    assert sco_id("file", {"hashes": {"SHA-256": sha(1)}}) in objects
    reports = [o for o in bundle.objects if o.type == "report"]
    assert len(reports) == 5 * 3  # no reference of the fake is shared
    assert [o.id for o in bundle.objects] == sorted(objects)


def test_each_reference_is_a_report_as_opencti_names_it(fake: FakeVirusTotal) -> None:
    found = results(fake)
    bundle = to_stix(found)
    by_id = {o.id: o for o in bundle.objects}
    for result in found:
        if result.status != "ok":
            continue
        for reference in result.references:
            attributes = reference.attributes
            created = datetime.datetime.fromtimestamp(attributes.creation_date, datetime.UTC)
            report = by_id[opencti_report_id(attributes.title, created)]
            assert report.name == attributes.title
            assert report.published == created and report.created == created
            modified = datetime.datetime.fromtimestamp(
                attributes.last_modification_date, datetime.UTC
            )
            assert report.modified == max(created, modified)
            assert report.report_types == ["threat-report"]
            assert report.labels == attributes.tags
            assert report.description == attributes.description
            sources = {ref.source_name: ref for ref in report.external_references}
            assert sources["VirusTotal"].external_id == reference.id
            assert sources[attributes.author].url == attributes.url
            assert len(report.object_refs) == 1 and report.object_refs[0] in by_id


def test_a_reference_of_two_indicators_is_one_report_naming_both(fake: FakeVirusTotal) -> None:
    shared = {
        "type": "reference",
        "id": "f" * 64,
        "attributes": {"title": "  Shared Report ", "creation_date": 1700000000, "tags": []},
    }
    for text in ("evil.example", "192.0.2.7"):
        ioc = vt_refs.classify(text)
        fake.add_references(ioc.id, [shared], collection=ioc.kind)
    bundle = to_stix(results(fake, ["evil.example", "192.0.2.7"]))
    assert_valid_stix(bundle.serialize())
    published = datetime.datetime.fromtimestamp(1700000000, datetime.UTC)
    (report,) = [o for o in bundle.objects if o.id == opencti_report_id("Shared Report", published)]
    assert report.name == "Shared Report" and "labels" not in report
    assert sorted(report.object_refs) == sorted(
        [sco_id("domain-name", {"value": "evil.example"}),
         sco_id("ipv4-addr", {"value": "192.0.2.7"})]
    )  # fmt: skip


def test_references_with_nothing_but_an_id_still_make_valid_reports(fake: FakeVirusTotal) -> None:
    with vt_refs.connect(KEY, base_url=fake.base_url, max_retries=0) as client:
        found = list(vt_refs.enrich(client, ["evil.example", "threat_actor:APT-1"],
                                    descriptors=True))  # fmt: skip
    bundle = assert_valid_stix(_written(found).decode("utf-8"))
    reports = [o for o in bundle.objects if o.type == "report"]
    assert len(reports) == 3 + 25
    assert all(o.published.year == 1970 and o.name.startswith("VirusTotal reference")
               for o in reports)  # fmt: skip
    assert any(o.type == "threat-actor" and o.name == "APT-1" for o in bundle.objects)


def test_the_same_input_gives_the_same_bytes(fake: FakeVirusTotal) -> None:
    found = results(fake)
    shuffled = list(found)
    random.Random(7).shuffle(shuffled)
    assert to_stix(found).serialize() == to_stix(shuffled).serialize()
    written = _written(found)
    assert written == _written(shuffled)
    with FakeVirusTotal(api_key=KEY) as other:  # another server, another port, same data
        assert _written(results(prepared(other))) == written
    streamed = assert_valid_stix(written.decode("utf-8"))
    assert streamed.id == to_stix(found).id
    assert [o.id for o in streamed.objects] == [o.id for o in to_stix(found).objects]


def test_write_stix_to_a_path_is_whole_or_nothing(fake: FakeVirusTotal, tmp_path: Path) -> None:
    found = results(fake)
    out = tmp_path / "bundle.json"
    assert write_stix(found, out) == 5 + 15
    assert out.read_bytes() == _written(found)

    def broken() -> Iterator[Any]:
        yield found[0]
        raise RuntimeError("the run died")

    with pytest.raises(RuntimeError):
        write_stix(broken(), out)
    assert out.read_bytes() == _written(found)  # the old document, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.json"]


def test_failed_and_unknown_indicators_are_left_out(fake: FakeVirusTotal) -> None:
    found = results(fake, INDICATORS[5:])
    assert [r.status for r in found] == ["invalid", "not_found"]
    assert "objects" not in json.loads(to_stix(found).serialize())
    assert_valid_stix(to_stix(found).serialize())
    assert json.loads(_written(found))["objects"] == []
    assert_valid_stix(_written(found).decode("utf-8"))


def test_odd_data_still_makes_a_valid_bundle(fake: FakeVirusTotal) -> None:
    odd = [
        {"type": "reference", "id": "1" * 64,
         "attributes": {"title": "   ", "url": "not a url", "tags": ["", "ok", "ok"],
                        "author": "Ann", "creation_date": 1700000000}},
        {"type": "reference", "id": "2" * 64,
         "attributes": {"url": "https://news.example/über uns", "last_modification_date": 5}},
        {"type": "reference", "id": "3" * 64},
    ]  # fmt: skip
    for text in ("https://a.example/é", "_dmarc.example.com", "bücher.example"):
        ioc = vt_refs.classify(text)
        fake.set_count(ioc.id, 0, collection=ioc.kind)
        fake.add_references(ioc.id, odd, collection=ioc.kind)
    found = results(fake, ["https://a.example/é", "_dmarc.example.com", "bücher.example"])
    assert [r.status for r in found] == ["ok", "ok", "ok"]
    bundle = assert_valid_stix(_written(found).decode("utf-8"))
    assert_valid_stix(to_stix(found).serialize())
    values = {o.value for o in bundle.objects if o.type in ("url", "domain-name")}
    assert values == {"https://a.example/%C3%A9", "xn--bcher-kva.example"}  # no _dmarc
    names = sorted(o.name for o in bundle.objects if o.type == "report")
    assert names == ["VirusTotal reference " + "3" * 64, "https://news.example/über uns",
                     "not a url"]  # fmt: skip
    first = next(o for o in bundle.objects if o.type == "report" and o.name == "not a url")
    assert first.labels == ["ok"]
    assert first.external_references[0].description == "not a url"
    second = next(o for o in bundle.objects if o.type == "report" and "news" in o.name)
    assert second.external_references[0].url == "https://news.example/%C3%BCber%20uns"
    assert second.published.year == 1970 and second.modified.year == 1970
    event = assert_loads_in_pymisp(to_misp(found).to_json())
    assert len(event.attributes) == 3 and len(event.objects) == 3


def test_a_gti_report_reads_as_a_report(fake: FakeVirusTotal) -> None:
    name = "ICS Network Activity Report: March 15\u201321, 2021"  # a typographic dash
    gti = {"type": "collection", "id": "report--21-00006507",
           "attributes": {"name": name, "link": "https://intel.example/ics",
                          "collection_type": "report", "executive_summary": "What was seen.",
                          "creation_date": 1616371200}}  # fmt: skip
    fake.set_count("evil.example", 0, collection="domains")
    fake.add_references("evil.example", [gti], collection="domains")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a collection where a reference is documented
        found = results(fake, ["evil.example"])
    bundle = assert_valid_stix(_written(found).decode("utf-8"))
    (report,) = [o for o in bundle.objects if o.type == "report"]
    assert report.name == gti["attributes"]["name"] and report.description == "What was seen."
    published = datetime.datetime.fromtimestamp(1616371200, datetime.UTC)
    assert report.id == opencti_report_id(gti["attributes"]["name"], published)
    virustotal = report.external_references[1]
    assert virustotal.url.endswith("/collections/report--21-00006507")
