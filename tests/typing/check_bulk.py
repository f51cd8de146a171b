"""What mypy infers for `enrich`, `aenrich` and `IOCResult` (checked, never run)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, assert_type

import vt_refs
from vt_refs_api import AuthenticatedClient
from vt_refs_api.models import ObjectDescriptor, Reference
from vt_refs_api.types import Unset

IOCS: list[str | vt_refs.IOC] = ["hxxps://evil[.]example/login", "192.0.2.1"]
IOCS.append(vt_refs.IOC("domains", "example.com", "example.com"))


def references(client: AuthenticatedClient) -> None:
    results = vt_refs.enrich(client, IOCS, concurrency=4, checkpoint="run.sqlite")
    assert_type(results, vt_refs.Enrichment[vt_refs.IOCResult[Reference]])
    # Still an iterator of results, as it always was.
    as_before: Iterator[vt_refs.IOCResult[Reference]] = results
    del as_before
    for result in results:
        assert_type(result.references, list[Reference])
        assert_type(result.count, int | None)
        assert_type(result.error, vt_refs.VTError | None)
        for ref in result.references:
            if ref.attributes:
                assert_type(ref.attributes.title, str | Unset)
    explicit = vt_refs.enrich(client, IOCS, descriptors=False)
    assert_type(explicit, vt_refs.Enrichment[vt_refs.IOCResult[Reference]])
    stats = explicit.stats
    assert_type(stats, vt_refs.RunStats)
    assert_type(stats.requests, int)
    assert_type(stats.quota_wait_seconds, float)


def descriptors(client: AuthenticatedClient) -> None:
    results = vt_refs.enrich(client, IOCS, descriptors=True, max_items_per_ioc=10)
    assert_type(results, vt_refs.Enrichment[vt_refs.IOCResult[ObjectDescriptor]])
    for result in results:
        assert_type(result.references, list[ObjectDescriptor])
        print(result.references[0].attributes)  # type: ignore[attr-defined]


def decided_at_run_time(client: AuthenticatedClient, flag: bool) -> None:
    # A plain bool: either kind of result, told apart by the items.
    for result in vt_refs.enrich(client, IOCS, descriptors=flag):
        assert_type(result, vt_refs.IOCResult[Reference] | vt_refs.IOCResult[ObjectDescriptor])


async def twins(client: AuthenticatedClient) -> None:
    results = vt_refs.aenrich(client, IOCS, concurrency=2)
    assert_type(results, vt_refs.AsyncEnrichment[vt_refs.IOCResult[Reference]])
    async for result in results:
        assert_type(result.references, list[Reference])
        assert_type(result.duplicate_of, int | None)
    assert_type(results.stats.duplicates, int)

    async def source() -> AsyncIterator[str]:
        yield "example.com"

    assert_type(
        vt_refs.aenrich(client, source(), descriptors=True),
        vt_refs.AsyncEnrichment[vt_refs.IOCResult[ObjectDescriptor]],
    )


def results_by_hand(ref: Reference) -> None:
    result = vt_refs.IOCResult(0, "example.com", "ok", [ref], count=1)
    assert_type(result, vt_refs.IOCResult[Reference])
    # A bare IOCResult, as annotations written before it was generic say, is IOCResult[Any].
    old_style: vt_refs.IOCResult = result
    assert_type(old_style.references, list[Any])
    mismatched: vt_refs.IOCResult[ObjectDescriptor] = result  # type: ignore[assignment]
    del mismatched
    vt_refs.IOCResult(0, "x", "done")  # type: ignore[arg-type]  # not a status
