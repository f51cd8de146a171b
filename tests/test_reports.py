"""`vt_refs.Report`, `reports`/`areports`, `report_iocs`/`areport_iocs` and `pivot`.

The normalisation is tested on models parsed from documents with every field present,
absent, null and drifting; the walks against FakeVirusTotal, whose reports and
references share one dataset (a report per reference, the IOCs each names, the
deprecated endpoints forbidden on request).
"""

from __future__ import annotations

import asyncio
import datetime
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import vt_refs
from vt_refs.testing import SEED_URL, FakeVirusTotal
from vt_refs_api.models import Collection, Reference

from support.drift import drift_warnings

UTC = datetime.UTC
SEED_REPORT = "report--0082e68274dfccb553cd7e19047f0119d01661e7e96af6376743fc853c930a20"
SEED_REFERENCE = SEED_REPORT.removeprefix("report--")
SEED_ARTICLE = "https://www.proofpoint.com/us/threat-insight/post/holiday-lull-not-so-much"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(default_count=6) as running:
        yield running


@pytest.fixture
def client(fake: FakeVirusTotal) -> Iterator[Any]:
    fake.forbid_deprecated = False
    with vt_refs.connect(fake.api_key, base_url=fake.base_url, max_retries=0) as connected:
        yield connected
    fake.forbid_deprecated = False


def _parse(model: type[Any], doc: dict[str, Any]) -> Any:
    with drift_warnings():
        return vt_refs.parse(model, doc)


# --- Report --------------------------------------------------------------------------------


def test_a_reference_becomes_a_report() -> None:
    doc = {
        "type": "reference",
        "id": "r1",
        "attributes": {
            "title": "Holiday lull?",
            "url": SEED_ARTICLE,
            "author": "Proofpoint Staff",
            "creation_date": 1515715200,
            "last_modification_date": 1515801600,
        },
        "context_attributes": {
            "related_from": [
                {
                    "type": "collection",
                    "id": "malpedia_win_emotet",
                    "attributes": {"name": "Emotet"},
                },
                {"type": "collection", "id": "no-name"},
            ]
        },
    }
    report = vt_refs.Report.from_model(_parse(Reference, doc))
    assert (report.id, report.kind, report.title, report.url, report.author) == (
        "r1",
        "reference",
        "Holiday lull?",
        SEED_ARTICLE,
        "Proofpoint Staff",
    )
    assert (report.origin, report.report_type) == (None, None)
    assert report.created == datetime.datetime(2018, 1, 12, tzinfo=UTC)
    assert report.modified == datetime.datetime(2018, 1, 13, tzinfo=UTC)
    assert report.created is not None and report.created.tzinfo is UTC
    assert report.via == (
        ("collection", "malpedia_win_emotet", "Emotet"),
        ("collection", "no-name", None),
    )
    assert isinstance(report.raw, Reference) and report.raw.to_dict() == doc


def test_a_gti_report_becomes_a_report() -> None:
    doc = {
        "type": "collection",
        "id": "report--21-00006507",
        "attributes": {
            "name": "ICS report",
            "link": "https://gti.example/a",
            "author": "GTI",
            "origin": "Google Threat Intelligence",
            "report_type": "News Analysis",
            "collection_type": "report",
            "creation_date": "1616371200",
        },
        "context_attributes": {
            "related_from": [
                {
                    "type": "collection",
                    "id": "report--1",
                    "attributes": {
                        "name": "Other",
                        "tags": [],
                        "origin": "Crowdsourced",
                        "collection_type": "report",
                    },
                }
            ]
        },
    }
    report = vt_refs.Report.from_model(_parse(Collection, doc))
    assert report.kind == "report"
    assert (report.title, report.url, report.author) == (
        "ICS report",
        "https://gti.example/a",
        "GTI",
    )
    assert (report.origin, report.report_type) == ("Google Threat Intelligence", "News Analysis")
    assert report.created == datetime.datetime(2021, 3, 22, tzinfo=UTC), "digits as a string"
    assert report.modified is None
    assert report.via == (("collection", "report--1", "Other"),)
    assert report.to_dict()["created"] == "2021-03-22T00:00:00Z"


@pytest.mark.parametrize("model", [Reference, Collection])
@pytest.mark.parametrize(
    "attributes",
    [
        None,  # absent
        {},
        {
            "title": None,
            "name": None,
            "url": None,
            "link": None,
            "author": None,
            "origin": None,
            "report_type": None,
            "creation_date": None,
            "last_modification_date": None,
        },
        {
            "title": 7,
            "name": ["x"],
            "url": {"a": 1},
            "link": 3.5,
            "author": True,
            "origin": 1,
            "report_type": [],
            "creation_date": "soon",
            "last_modification_date": 10**30,
        },
        {"title": "", "name": "  ", "creation_date": True, "last_modification_date": -1e400},
    ],
    ids=["absent", "empty", "null", "drifting", "blank"],
)
def test_every_field_absent_null_or_drifting_is_none(model: type[Any], attributes: Any) -> None:
    kind = "reference" if model is Reference else "collection"
    doc: dict[str, Any] = {"type": kind, "id": "x"}
    if attributes is not None:
        doc["attributes"] = attributes
    doc["context_attributes"] = {"related_from": "junk"}
    report = vt_refs.Report.from_model(_parse(model, doc))
    fields = (
        report.title,
        report.url,
        report.author,
        report.origin,
        report.report_type,
        report.created,
        report.modified,
    )
    assert fields == (None,) * 7
    assert report.via == ()
    assert report.raw.to_dict() == doc, "nothing lost"


@pytest.mark.parametrize("attributes", ["a string", [1, 2], 5])
def test_attributes_drifting_whole_leave_every_field_none(attributes: Any) -> None:
    doc = {"type": "collection", "id": "x", "attributes": attributes}
    report = vt_refs.Report.from_model(_parse(Collection, doc))
    assert (report.title, report.url, report.created) == (None, None, None)


def test_a_report_is_frozen_and_only_made_of_the_two_models() -> None:
    report = vt_refs.Report.from_model(Reference(type_="reference", id="x"))
    with pytest.raises(AttributeError):
        report.title = "changed"  # type: ignore[misc]
    with pytest.raises(vt_refs.UsageError):
        vt_refs.Report.from_model("x")  # type: ignore[arg-type]


# --- reports -------------------------------------------------------------------------------


def test_reports_walks_related_references_by_default(fake: FakeVirusTotal, client: Any) -> None:
    found = list(vt_refs.reports(client, "hxxps://example[.]com/login"))
    assert len(found) == 6 and {r.kind for r in found} == {"reference"}
    assert all(isinstance(r, vt_refs.Report) and r.url for r in found)


def test_dedupe_yields_an_article_once_across_relationships(client: Any) -> None:
    both = ("related_references", "related_reports")
    found = list(vt_refs.reports(client, "example.com", relationships=both))
    references = [r for r in found if r.kind == "reference"]
    gti = [r for r in found if r.kind == "report"]
    # Even positions: the GTI report is the reference's twin (same article URL): deduped.
    assert len(references) == 6 and len(gti) == 3
    assert all(r.url is None and r.origin == "Google Threat Intelligence" for r in gti)
    assert all(r.via and r.via[0][1].startswith("report--") for r in gti), "from another report"
    everything = list(vt_refs.reports(client, "example.com", relationships=both, dedupe=False))
    assert len(everything) == 12
    twins = {r.url for r in everything if r.kind == "report" and r.url}
    assert twins and twins <= {r.url for r in references}


def test_dedupe_by_id_across_reports_and_related_reports(client: Any) -> None:
    found = list(vt_refs.reports(client, "1.2.3.4", relationships=("reports", "related_reports")))
    assert len(found) == 6 and len({r.id for r in found}) == 6


def test_max_items_bounds_what_is_yielded_over_all_relationships(
    fake: FakeVirusTotal, client: Any
) -> None:
    fake.clear_requests()
    found = list(
        vt_refs.reports(
            client,
            "example.com",
            max_items=8,
            relationships=("related_references", "related_reports"),
        )
    )
    assert len(found) == 8
    assert [r.kind for r in found] == ["reference"] * 6 + ["report"] * 2
    assert len(fake.requests) == 2
    assert list(vt_refs.reports(client, "example.com", max_items=0)) == []


def test_fallback_moves_a_forbidden_walk_to_related_reports_warning_once(
    fake: FakeVirusTotal, client: Any
) -> None:
    fake.forbid_deprecated = True
    with pytest.raises(vt_refs.ForbiddenError):
        list(vt_refs.reports(client, "example.com"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = list(vt_refs.reports(client, "example.com", fallback=True))
    assert [w.category for w in caught] == [vt_refs.ReportsFallbackWarning]
    assert "related_references" in str(caught[0].message)
    assert len(found) == 6 and {r.kind for r in found} == {"report"}


def test_fallback_does_not_repeat_a_relationship_already_asked_for(
    fake: FakeVirusTotal, client: Any
) -> None:
    fake.forbid_deprecated = True
    with pytest.warns(vt_refs.ReportsFallbackWarning):
        found = list(
            vt_refs.reports(
                client,
                "example.com",
                fallback=True,
                relationships=("related_references", "related_reports"),
            )
        )
    assert len(found) == 6


def test_areports_is_the_twin(fake: FakeVirusTotal, client: Any) -> None:
    async def collect(**kwargs: Any) -> list[vt_refs.Report]:
        return [r async for r in vt_refs.areports(client, "example.com", **kwargs)]

    both = ("related_references", "related_reports")
    assert asyncio.run(collect(relationships=both)) == list(
        vt_refs.reports(client, "example.com", relationships=both)
    )
    fake.forbid_deprecated = True
    with pytest.warns(vt_refs.ReportsFallbackWarning):
        assert len(asyncio.run(collect(fallback=True, max_items=4))) == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"relationships": ("nope",)}, "no relationship 'nope'"),
        ({"relationships": ()}, "relationships must be"),
        ({"max_items": -1}, "max_items"),
    ],
)
def test_reports_refuses_bad_arguments_at_the_call(client: Any, kwargs: Any, match: str) -> None:
    with pytest.raises(vt_refs.UsageError, match=match):
        vt_refs.reports(client, "example.com", **kwargs)
    with pytest.raises(vt_refs.UsageError):
        vt_refs.reports(client, "not an indicator")


# --- report_iocs ---------------------------------------------------------------------------


def _pairs(iocs: Any) -> list[tuple[str, str, str]]:
    return [(i.kind, i.id, i.value) for i in iocs]


def test_a_reports_iocs_include_the_indicator_that_led_to_it(client: Any) -> None:
    report = next(vt_refs.reports(client, "example.com", relationships=("related_reports",)))
    iocs = list(vt_refs.report_iocs(client, report))
    assert ("domains", "example.com", "example.com") in _pairs(iocs)
    assert {i.kind for i in iocs} == {"files", "urls", "domains", "ip_addresses"}
    assert all(isinstance(i, vt_refs.IOC) for i in iocs)
    urls = [i for i in iocs if i.kind == "urls"]
    assert urls and all(i.value.startswith("http://") for i in urls), "a URL's value is its URL"


def test_every_input_form_names_the_same_article(client: Any) -> None:
    reference = next(vt_refs.reports(client, SEED_URL))
    assert (reference.id, reference.url) == (SEED_REFERENCE, SEED_ARTICLE)
    by_report = _pairs(vt_refs.report_iocs(client, reference))
    assert by_report == _pairs(vt_refs.report_iocs(client, reference.raw))
    assert by_report == _pairs(vt_refs.report_iocs(client, SEED_REFERENCE))
    assert by_report == _pairs(vt_refs.report_iocs(client, SEED_ARTICLE)), "the URL in base64"
    assert by_report == _pairs(vt_refs.report_iocs(client, SEED_REPORT)), "the GTI twin"
    assert by_report == _pairs(asyncio.run(_alist(vt_refs.areport_iocs(client, SEED_ARTICLE))))


async def _alist(items: Any) -> list[Any]:
    return [item async for item in items]


def test_kinds_and_max_items_bound_report_iocs(fake: FakeVirusTotal, client: Any) -> None:
    only = list(vt_refs.report_iocs(client, SEED_REPORT, kinds=["domains", "ip_addresses"]))
    assert only and {i.kind for i in only} == {"domains", "ip_addresses"}
    fake.clear_requests()
    assert len(list(vt_refs.report_iocs(client, SEED_REPORT, max_items=1))) == 1
    assert len(fake.requests) == 1, "the walk stops at the bound"
    assert len(list(vt_refs.report_iocs(client, SEED_REPORT, max_items=3))) == 3
    with pytest.raises(vt_refs.UsageError, match="kinds"):
        vt_refs.report_iocs(client, SEED_REPORT, kinds=["threat_actors"])
    with pytest.raises(vt_refs.UsageError):
        vt_refs.report_iocs(client, "..")
    with pytest.raises(vt_refs.NotFoundError):
        list(vt_refs.report_iocs(client, "report--unknown"))


# --- pivot ---------------------------------------------------------------------------------


def test_pivot_draws_bounded_edges_fetching_each_thing_once(
    fake: FakeVirusTotal, client: Any
) -> None:
    fake.clear_requests()
    edges = vt_refs.pivot(
        client,
        "example.com",
        relationships=("related_reports",),
        max_reports=3,
        max_iocs_per_report=4,
    )
    to_reports = [e for e in edges if e.relationship == "related_reports"]
    mentions = [e for e in edges if e.relationship == "mentions"]
    assert len(to_reports) == 3 and all(e.source.value == "example.com" for e in to_reports)
    assert len(mentions) == 3 * 4
    assert {e.source for e in mentions} == {e.target for e in to_reports}
    assert str(to_reports[0]).startswith("(domain example.com) -[related_reports]-> (report ")
    paths = [r.path for r in fake.requests]
    assert len(paths) == len(set(paths)), "nothing fetched twice"
    assert len(paths) <= 1 + 3 * 4


def test_pivot_two_levels_fetch_each_indicator_once(fake: FakeVirusTotal, client: Any) -> None:
    fake.clear_requests()
    edges = vt_refs.pivot(
        client,
        "example.com",
        depth=2,
        relationships=("related_reports",),
        max_reports=1,
        max_iocs_per_report=2,
        kinds=["domains"],
    )
    assert {e.depth for e in edges} == {1, 2}
    walked = [r.path for r in fake.requests if r.path.endswith("/related_reports")]
    assert len(walked) == len(set(walked)) == 2, "example.com, then the one new domain"


def test_enrich_relationship_auto_falls_back_logging_once(
    fake: FakeVirusTotal, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake.forbid_deprecated = True
    with caplog.at_level("WARNING", logger="vt_refs.bulk"):
        results = list(
            vt_refs.enrich(client, ["example.com", "1.2.3.4"], concurrency=1, relationship="auto")
        )
    assert [r.status for r in results] == ["ok", "ok"]
    assert {r.relationship for r in results} == {"related_reports"}
    assert all(len(r.references) == 6 for r in results)
    assert len([m for m in caplog.messages if "403 ForbiddenError" in m]) == 1
