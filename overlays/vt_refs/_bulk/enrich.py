"""`enrich` and `aenrich`: many indicators, at most `concurrency` requests in flight.

The public faces of a bulk run: they check the arguments into a `Run` and hand it to a
runner (`runners`: threads for `enrich`, tasks for `aenrich`). Their overloads type each
result by the operation walked.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Iterable
from typing import Any, Literal, overload

from vt_refs_api.models import ObjectDescriptor, Reference

from .._errors import UsageError
from .._paging import DEFAULT_RELATIONSHIP, AnyClient
from .engine import Run
from .ioc import IOC
from .iterators import AsyncEnrichment, Enrichment
from .results import IOCResult
from .runners import async_results, sync_results


def _iocs(iocs: object) -> object:
    if isinstance(iocs, str | bytes | IOC):
        raise UsageError("iocs must be an iterable of indicators, not a single indicator")
    return iocs


# descriptors=True walks the `_descriptors` operations, whose items are ObjectDescriptor.
@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[False] = ...,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: Literal["related_references"] = ...,
) -> Enrichment[IOCResult[Reference]]: ...


@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[True],
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: Literal["related_references"] = ...,
) -> Enrichment[IOCResult[ObjectDescriptor]]: ...


@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: bool,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: Literal["related_references"] = ...,
) -> Enrichment[IOCResult[Reference] | IOCResult[ObjectDescriptor]]: ...


@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: bool = ...,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: str,
) -> Enrichment[IOCResult[Any]]: ...


def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = 8,
    max_items_per_ioc: int | None = None,
    descriptors: bool = False,
    checkpoint: str | os.PathLike[str] | None = None,
    page_size: int | None = None,
    retry_errors: bool = False,
    restart: bool = False,
    relationship: str = DEFAULT_RELATIONSHIP,
) -> Enrichment[IOCResult[Any]]:
    """One `IOCResult` per indicator of `iocs`, as their walks finish.

    `iocs` (strings, classified with `classify`, or `IOC`s) is read lazily, a few items
    ahead of the walks. At most `concurrency` requests are in flight. `checkpoint` is
    a SQLite file: finished indicators are recorded there, and a rerun with the same
    input skips them (`retry_errors=True` retries those that ended in `"error"`); a
    checkpoint of another run (another input, other options) is a `UsageError` unless
    `restart=True`, which empties it first. Items appended to the input since are
    simply new: the run resumes and goes on with them.
    A refused key (401, 403) or a spent quota ends the run: the results handed over are
    recorded, and the error is raised. Each distinct indicator is walked once: a later
    item with the same `(kind, id)` is a `"duplicate"` result, after its first, at no
    request. Pages are full (the API's maximum); `page_size` is sent as `limit` instead.

    The iterator returned has `.stats`, the run's `RunStats` so far: requests sent,
    answers from the cache, retries, 429s met and time waiting, duplicates skipped.

    Each result's `references` are `vt_refs_api.models.Reference` models
    (`IOCResult[Reference]`), or with `descriptors=True`, which walks the `_descriptors`
    operations, `vt_refs_api.models.ObjectDescriptor` ones (`IOCResult[ObjectDescriptor]`).
    `relationship` walks another relationship of the catalog (any the generated client
    has: a `UsageError` names them otherwise); its items are that operation's item model,
    and an indicator whose collection lacks that relationship ends `"invalid"`.
    """
    run = Run(
        client,
        concurrency=concurrency,
        max_items_per_ioc=max_items_per_ioc,
        descriptors=descriptors,
        page_size=page_size,
        checkpoint=checkpoint,
        retry_errors=retry_errors,
        restart=restart,
        relationship=relationship,
    )
    try:
        items = iter(_iocs(iocs))  # type: ignore[call-overload]
    except TypeError:
        raise UsageError(f"iocs must be an iterable, not {type(iocs).__name__}") from None
    return Enrichment(sync_results(run, items), run.snapshot)


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[False] = ...,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: Literal["related_references"] = ...,
) -> AsyncEnrichment[IOCResult[Reference]]: ...


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[True],
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: Literal["related_references"] = ...,
) -> AsyncEnrichment[IOCResult[ObjectDescriptor]]: ...


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: bool,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: Literal["related_references"] = ...,
) -> AsyncEnrichment[IOCResult[Reference] | IOCResult[ObjectDescriptor]]: ...


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: bool = ...,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
    relationship: str,
) -> AsyncEnrichment[IOCResult[Any]]: ...


def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = 8,
    max_items_per_ioc: int | None = None,
    descriptors: bool = False,
    checkpoint: str | os.PathLike[str] | None = None,
    page_size: int | None = None,
    retry_errors: bool = False,
    restart: bool = False,
    relationship: str = DEFAULT_RELATIONSHIP,
) -> AsyncEnrichment[IOCResult[Any]]:
    """The async twin of `enrich`: `iocs` may be an async iterable."""
    run = Run(
        client,
        concurrency=concurrency,
        max_items_per_ioc=max_items_per_ioc,
        descriptors=descriptors,
        page_size=page_size,
        checkpoint=checkpoint,
        retry_errors=retry_errors,
        restart=restart,
        relationship=relationship,
    )
    source = _iocs(iocs)
    if isinstance(source, AsyncIterable):
        return AsyncEnrichment(async_results(run, aiter(source)), run.snapshot)
    try:
        items = iter(source)  # type: ignore[call-overload]
    except TypeError:
        raise UsageError(f"iocs must be an iterable, not {type(iocs).__name__}") from None
    return AsyncEnrichment(async_results(run, items), run.snapshot)


__all__ = ["aenrich", "enrich"]
