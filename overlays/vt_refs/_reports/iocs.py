"""`report_iocs` and `areport_iocs`: from a report back to the indicators it names.

A reference lists them under `/references/{id}/{files,urls,domains,ip_addresses}`
(deprecated), a Google Threat Intelligence report under `/collections/{id}/...`. The
target may be a `Report`, a generated `Reference` or `Collection`, a `report--...` id
(any collection id, `kind--rest`), a reference id, or the article's URL, which becomes
the unpadded URL-safe base64 id the reference endpoint accepts (`url_id`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Final

import attrs

from vt_refs_api.models import ApiObject, Collection, Reference

from .._bulk import IOC, Kind
from .._checks import check_count
from .._errors import UsageError
from .._ids import check_path_value, url_id
from .._paging import AnyClient, Entry, apaginate, get_catalog, paginate
from .report import Report

IOC_KINDS: Final[tuple[Kind, ...]] = ("files", "urls", "domains", "ip_addresses")
"""The kinds of indicator a report names, in the order `report_iocs` walks them."""

_COLLECTION_ID: Final = re.compile(r"[a-z][a-z0-9_-]*--.+", re.DOTALL)
_URL: Final = re.compile(r"https?://", re.IGNORECASE)
Target = Report | Reference | Collection | str


def target_of(target: object) -> tuple[str, str]:
    """(the collection of the endpoint, the id) that `target` names."""
    if isinstance(target, Reference | Collection):
        target = Report.from_model(target)
    if isinstance(target, Report):
        return ("references" if target.kind == "reference" else "collections"), target.id
    if not isinstance(target, str):
        raise UsageError(f"a report is a Report, an id or an article URL, not {target!r}")
    text = target.strip()
    if _URL.match(text):
        return "references", url_id(text)
    check_path_value("report", text)
    return ("collections" if _COLLECTION_ID.fullmatch(text) else "references"), text


def _value(kind: str, item: ApiObject) -> str:
    """What the indicator is: a URL object's `url`, else its id (a domain, an address, a
    file's hash); a URL object with no `url` attribute keeps its id."""
    if kind == "urls":
        url = getattr(item.attributes, "url", None)
        if isinstance(url, str) and url:
            return url
    return item.id


def as_ioc(kind: Kind, item: object) -> IOC | None:
    """The `IOC` of a listed object; None for an item that is no object."""
    if not isinstance(item, ApiObject) or not isinstance(item.id, str) or not item.id:
        return None
    return IOC(kind, _value(kind, item), item.id)


@attrs.frozen
class IocPlan:
    """The endpoints to walk, each with its kind, and the bound on what is yielded."""

    walks: tuple[tuple[Kind, Entry], ...]
    object_id: str
    max_items: int | None


def plan_iocs(target: object, kinds: Sequence[str] | str, max_items: int | None) -> IocPlan:
    """The arguments checked, before anything is sent (`UsageError` otherwise)."""
    collection, object_id = target_of(target)
    if isinstance(kinds, str):
        kinds = [part.strip() for part in kinds.split(",")]
    chosen = list(dict.fromkeys(kinds))
    unknown = [kind for kind in chosen if kind not in IOC_KINDS]
    if not chosen or unknown:
        raise UsageError(f"kinds must be among {', '.join(IOC_KINDS)}, not {kinds!r}")
    catalog = get_catalog()
    walks: list[tuple[Kind, Entry]] = []
    for kind in IOC_KINDS:
        if kind in chosen:
            walks.append((kind, catalog.find(collection, kind)))
    return IocPlan(tuple(walks), object_id, check_count("max_items", max_items, 0, optional=True))


def report_iocs(
    client: AnyClient,
    report: Target,
    *,
    kinds: Sequence[str] = IOC_KINDS,
    max_items: int | None = None,
) -> Iterator[IOC]:
    """The indicators `report` names, as `IOC`s (`kind`, `id`, and `value`: a URL's URL
    where the API gives it, else the id), kind after kind (`kinds`, by default files,
    URLs, domains, IP addresses), at most `max_items` in all.

    `report` is a `Report` (or the generated `Reference` / `Collection`), a report's id
    (`report--21-00006507`, `report--<64 hex>`: any `kind--...` collection id), a
    reference id, or the article's URL (`https://...`), which the reference endpoint
    takes as its unpadded URL-safe base64 form.

    Raises:
        UsageError: at the call: a target that names nothing, an unknown kind, a bad
            `max_items`.
        VTError: while iterating, as `paginate` does (`NotFoundError` for an unknown
            report; `ForbiddenError` for references without the Threat Landscape module).
    """
    return _iocs_sync(plan_iocs(report, kinds, max_items), client)


def areport_iocs(
    client: AnyClient,
    report: Target,
    *,
    kinds: Sequence[str] = IOC_KINDS,
    max_items: int | None = None,
) -> AsyncIterator[IOC]:
    """The async twin of `report_iocs`: the same arguments, indicators and errors."""
    return _iocs_async(plan_iocs(report, kinds, max_items), client)


def _iocs_sync(plan: IocPlan, client: AnyClient) -> Iterator[IOC]:
    left = plan.max_items
    for kind, entry in plan.walks:
        if left == 0:
            return
        items: Any = paginate(entry.module, client, id=plan.object_id, max_items=left)
        for item in items:
            ioc = as_ioc(kind, item)
            if ioc is not None:
                yield ioc
            if left is not None:
                left -= 1


async def _iocs_async(plan: IocPlan, client: AnyClient) -> AsyncIterator[IOC]:
    left = plan.max_items
    for kind, entry in plan.walks:
        if left == 0:
            return
        items: Any = apaginate(entry.module, client, id=plan.object_id, max_items=left)
        async for item in items:
            ioc = as_ioc(kind, item)
            if ioc is not None:
                yield ioc
            if left is not None:
                left -= 1
