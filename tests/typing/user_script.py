"""A user's script, as one would write it: every public helper, no cast, no annotation
beyond its own function signatures, and the types mypy infers asserted on the way.

Type-checked by `mypy --strict` in `make lint`; tests/test_typing.py also runs `report`
against the fake, so the script is known to work as well as to type-check.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import assert_type

import vt_refs
from vt_refs_api import AuthenticatedClient
from vt_refs_api.api.domains import get_domain_related_references
from vt_refs_api.api.urls import get_url_related_references_descriptors
from vt_refs_api.models import ObjectDescriptor, Reference, ReferenceCollection
from vt_refs_api.types import Unset

URL = "https://example.com/login"


def titles(refs: Iterator[Reference]) -> list[str]:
    """The titles the API sent; a reference without one (UNSET, falsy) is skipped."""
    return [ref.attributes.title for ref in refs if ref.attributes and ref.attributes.title]


def resume_from(client: AuthenticatedClient, domain: str) -> tuple[int, str | None]:
    """Read one page of a domain's references, and the cursor that resumes after it."""
    pages = vt_refs.iter_pages(get_domain_related_references, client, id=domain, page_size=5)
    page = next(pages)
    assert_type(page, ReferenceCollection)
    cursor = page.meta.cursor if page.meta else None
    assert_type(cursor, str | Unset | None)
    return len(page.data), cursor or None


async def enrich_async(api_key: str | None, base_url: str, iocs: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    async with vt_refs.connect(api_key, base_url=base_url, max_retries=2) as client:
        async for result in vt_refs.aenrich(client, iocs, concurrency=2, max_items_per_ioc=3):
            assert_type(result, vt_refs.IOCResult[Reference])
            found[result.text] = len(result.references)
        async for ref in vt_refs.arelated_references(client, URL, max_items=1):
            assert_type(ref, Reference)
    return found


def report(
    api_key: str | None = None, base_url: str = vt_refs.DEFAULT_BASE_URL
) -> dict[str, object]:
    """What the script prints: a URL's titles, a resume cursor, a bulk run's counts."""
    retry = vt_refs.RetryPolicy(max_retries=3, backoff_factor=0.1, retry_budget=30.0)
    quota = vt_refs.Quota(per_minute=1_000)
    with vt_refs.connect(api_key, base_url=base_url, retry=retry, quota=quota) as client:
        assert_type(client, AuthenticatedClient)
        first = titles(vt_refs.related_references(client, URL, max_items=10))
        ids = [
            d.id
            for d in vt_refs.paginate(
                get_url_related_references_descriptors, client, id=vt_refs.url_id(URL)
            )
        ]
        assert_type(ids, list[str])
        count, cursor = resume_from(client, "example.com")
        counts = {}
        for result in vt_refs.enrich(client, ["example.com", "192.0.2.1", "not an ioc"]):
            assert_type(result, vt_refs.IOCResult[Reference])
            counts[result.text] = (result.status, len(result.references))
        for described in vt_refs.enrich(client, ["example.com"], descriptors=True):
            assert_type(described.references, list[ObjectDescriptor])
    found = asyncio.run(enrich_async(api_key, base_url, ["example.com"]))
    stored = json.dumps({"data": [{"type": "reference", "id": "r1", "attributes": {}}]})
    page = vt_refs.parse(ReferenceCollection, stored)
    assert_type(page, ReferenceCollection)
    assert_type(vt_refs.parse(Reference, {"type": "reference", "id": "r1"}), Reference)
    return {
        "titles": first,
        "descriptors": len(ids),
        "page": (count, cursor),
        "bulk": counts,
        "async": found,
        "parsed": [ref.id for ref in page.data],
    }


if __name__ == "__main__":
    print(report())
