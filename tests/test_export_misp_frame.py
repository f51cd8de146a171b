"""`vt_refs.export.to_misp` and `to_dataframe` against the fake, and what a missing
extra says: an event pymisp loads back, deterministic; a typed DataFrame."""

from __future__ import annotations

import datetime
import json
import random
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pandas as pd
import pytest

import vt_refs
from vt_refs import UsageError
from vt_refs.export import to_dataframe, to_jsonl, to_misp, to_stix, write_stix
from vt_refs.testing import FakeVirusTotal

from support.exports import assert_loads_in_pymisp, assert_valid_stix, prepared, results, sha
from support.keys import KEY


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        yield prepared(running)


def test_an_event_with_an_attribute_per_indicator_and_a_report_per_reference(
    fake: FakeVirusTotal,
) -> None:
    found = results(fake)
    event = assert_loads_in_pymisp(to_misp(found).to_json())
    assert sorted((a.type, a.value) for a in event.attributes) == sorted([
        ("url", "https://evil.example/login"), ("domain", "evil.example"),
        ("ip-dst", "192.0.2.7"), ("ip-dst", "2001:db8::7"), ("sha256", sha(1)),
    ])  # fmt: skip
    assert not any(a.to_ids for a in event.attributes)
    by_uuid = {a.uuid: a for a in event.attributes}
    references = {ref.id: (result.ioc.value, ref) for result in found if result.status == "ok"
                  for ref in result.references}  # fmt: skip
    assert len(event.objects) == len(references) == 15
    for report in event.objects:
        assert report.name == "report"
        values = {a.object_relation: a.value for a in report.attributes}
        (mention,) = report.references
        assert mention.relationship_type == "mentions"
        value, reference = next(v for v in references.values()
                                if v[1].attributes.url == values["link"])  # fmt: skip
        assert by_uuid[mention.referenced_uuid].value == value
        assert values == {"title": reference.attributes.title, "type": "Report",
                          "link": reference.attributes.url,
                          "summary": reference.attributes.description}  # fmt: skip


def test_the_event_is_the_same_for_the_same_input(fake: FakeVirusTotal) -> None:
    found = results(fake)
    shuffled = list(found)
    random.Random(3).shuffle(shuffled)
    text = to_misp(found).to_json(sort_keys=True)
    assert to_misp(shuffled).to_json(sort_keys=True) == text
    with FakeVirusTotal(api_key=KEY) as other:
        assert to_misp(results(prepared(other))).to_json(sort_keys=True) == text
    event = assert_loads_in_pymisp(text)
    newest = max(r.attributes.creation_date for result in found if result.status == "ok"
                 for r in result.references)  # fmt: skip
    assert event.date == datetime.datetime.fromtimestamp(newest, datetime.UTC).date()
    assert "timestamp" not in text
    uuids = [event.uuid, *(a.uuid for a in event.attributes), *(o.uuid for o in event.objects)]
    assert all(uuid.UUID(u).version == 5 for u in uuids)


def test_a_dataframe_row_per_indicator_and_reference(fake: FakeVirusTotal) -> None:
    frame = to_dataframe(results(fake))
    assert len(frame) == 5 * 3 + 2
    assert str(frame["created"].dtype).startswith("datetime64") and frame["created"].dt.tz
    assert str(frame["modified"].dtype).startswith("datetime64")
    assert frame["title"].dtype == "string"
    ok = frame[frame["status"] == "ok"]
    assert (ok["modified"] >= ok["created"]).all() and ok["reference_id"].notna().all()
    missing = frame[frame["ioc"] == sha(404)].iloc[0]
    assert missing["status"] == "not_found" and pd.isna(missing["reference_id"])
    assert pd.isna(missing["created"]) and missing["tags"] == []
    assert all(isinstance(tags, list) and tags for tags in ok["tags"])


@pytest.mark.parametrize(
    ("module", "extra", "call"),
    [
        ("stix2", "stix", to_stix),
        ("stix2", "stix", lambda found: write_stix(found, sys.stdout.buffer)),
        ("pymisp", "misp", to_misp),
        ("pandas", "pandas", to_dataframe),
    ],
)
def test_a_missing_extra_is_a_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str, call: object
) -> None:
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(UsageError, match=rf"vt-refs\[{extra}\]"):
        call([])  # type: ignore[operator]


def test_the_rich_formats_refuse_what_is_not_results() -> None:
    for call in (to_stix, to_misp, to_dataframe):
        with pytest.raises(UsageError):
            call([vt_refs.classify("evil.example")])  # type: ignore[list-item]


@attrs.frozen
class _ReportView:
    """Stands for issue 19's `vt_refs.Report`: its `kind`, `id`, `url` and `raw` model."""

    id: str
    kind: str
    url: str | None
    raw: Any


def test_reports_on_their_own_in_every_format(fake: FakeVirusTotal) -> None:
    found = results(fake, ["evil.example"])
    views = [_ReportView(ref.id, "reference", ref.attributes.url, ref)
             for ref in found[0].references]  # fmt: skip
    lines = [json.loads(line) for line in "".join(to_jsonl(views)).splitlines()]
    assert [line["reference"]["id"] for line in lines] == [v.id for v in views]
    assert [line["ioc"] for line in lines] == [v.url for v in views]
    bundle = assert_valid_stix(to_stix(views).serialize())
    reports = [o for o in bundle.objects if o.type == "report"]
    families = {o.id: o.name for o in bundle.objects if o.type == "malware"}
    assert len(reports) == 3 and families
    assert all(set(r.object_refs) <= set(families) for r in reports)
    event = assert_loads_in_pymisp(to_misp(views).to_json())
    assert len(event.objects) == 3 and not event.attributes
    assert len(to_dataframe(views)) == 3
    # Inside a result, a Report is read through its model: the same bytes as the model.
    wrapped = [attrs.evolve(found[0], references=views)]
    assert to_stix(wrapped).serialize() == to_stix(found).serialize()


def test_real_reports_on_their_own_and_in_results(fake: FakeVirusTotal) -> None:
    found = results(fake, ["evil.example"])
    reports = [vt_refs.Report.from_model(ref) for ref in found[0].references]
    bundle = assert_valid_stix(to_stix(reports).serialize())
    assert len([o for o in bundle.objects if o.type == "report"]) == 3
    assert len(to_misp(reports).objects) == 3 and len(to_dataframe(reports)) == 3
    wrapped = [attrs.evolve(found[0], references=reports)]
    assert to_stix(wrapped).serialize() == to_stix(found).serialize()
