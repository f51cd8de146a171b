"""`reports` and `areports`: an indicator's reports, over one or more relationships.

Each named relationship is looked up in the operations catalog (so any relationship of
openapi.yaml works, `related_references` and `reports` alike) and walked with the
library's own `paginate`; items become `Report`s. With `dedupe`, a report seen under an
earlier relationship, by its id or by its article URL, is not yielded again: a reference
and the Google Threat Intelligence report of the same article are one report to a reader.
With `fallback`, a 403 `ForbiddenError` on a deprecated relationship (the answer to a key
without the Threat Landscape module, or once VirusTotal retires the endpoint) moves the
walk to `related_reports`, with one `ReportsFallbackWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Final

import attrs

from vt_refs_api.models import Collection, Reference

from .._bulk import DEPRECATED_RELATIONSHIPS, IOC, SUCCESSOR, classify
from .._checks import check_count
from .._errors import ForbiddenError, UsageError
from .._paging import AnyClient, Entry, apaginate, get_catalog, paginate
from .report import Report, collection_type

DEPRECATED: Final = DEPRECATED_RELATIONSHIPS
"""The relationships VirusTotal deprecated, which `fallback` replaces (bulk's, the same)."""


class ReportsFallbackWarning(UserWarning):
    """A deprecated relationship answered 403 ForbiddenError and `related_reports` was
    walked instead (`fallback=True`)."""


def article_key(url: str) -> str:
    """The form of an article URL two reports are compared by: no surrounding spaces,
    scheme and host in lower case, no fragment, no trailing slash."""
    text = url.strip().partition("#")[0]
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text.rstrip("/")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}".rstrip("/")


@attrs.define
class Seen:
    """What a walk has yielded: ids and article URLs, to tell a report that comes again."""

    ids: set[str] = attrs.field(factory=set)
    urls: set[str] = attrs.field(factory=set)

    def first_time(self, report: Report) -> bool:
        """Whether `report` is new; remembers it either way."""
        url = None if report.url is None else article_key(report.url)
        new = report.id not in self.ids and (url is None or url not in self.urls)
        self.ids.add(report.id)
        if url is not None:
            self.urls.add(url)
        return new


def as_report(item: object) -> Report | None:
    """The `Report` of a page item; None for what is no report (a collection of another
    `collection_type`, such as a threat actor, or an item that is neither model)."""
    if isinstance(item, Collection):
        kind = collection_type(item)
        if kind is not None and kind != "report":
            return None
        return Report.from_model(item)
    if isinstance(item, Reference):
        return Report.from_model(item)
    return None


@attrs.define
class ReportsWalk:
    """One call's checked arguments and its walk's state."""

    ioc: IOC
    relationships: list[str]
    max_items: int | None
    dedupe: bool
    fallback: bool
    seen: Seen = attrs.field(factory=Seen)
    yielded: int = 0
    warned: bool = False

    @property
    def remaining(self) -> int | None:
        return None if self.max_items is None else self.max_items - self.yielded

    def entry(self, relationship: str) -> Entry:
        return get_catalog().find(self.ioc.kind, relationship)

    def take(self, item: object) -> Report | None:
        """The report to yield for `item`, or None (not a report, or seen already)."""
        report = as_report(item)
        if report is None or (self.dedupe and not self.seen.first_time(report)):
            return None
        self.yielded += 1
        return report

    def forbidden(self, relationship: str, error: ForbiddenError) -> None:
        """After a 403 on `relationship`: queue `related_reports` (warning once), or raise."""
        has_successor = SUCCESSOR in get_catalog().relationships(self.ioc.kind)
        if not self.fallback or relationship not in DEPRECATED or not has_successor:
            raise error
        if not self.warned:
            self.warned = True
            warnings.warn(
                f"{relationship} answered 403 ForbiddenError for {self.ioc.kind} "
                f"{self.ioc.value!r} (deprecated; the key may lack the Threat Landscape "
                f"module): walking {SUCCESSOR} instead",
                ReportsFallbackWarning,
                stacklevel=2,
            )
        if SUCCESSOR not in self.relationships:
            self.relationships.append(SUCCESSOR)


def plan_walk(
    ioc: str | IOC,
    relationships: Sequence[str] | str,
    max_items: int | None,
    dedupe: bool,
    fallback: bool,
) -> ReportsWalk:
    """The arguments checked, before anything is sent (`UsageError` otherwise)."""
    target = ioc if isinstance(ioc, IOC) else classify(ioc)
    if isinstance(relationships, str):
        relationships = (relationships,)
    names = list(dict.fromkeys(relationships))
    if not names or not all(isinstance(name, str) for name in names):
        raise UsageError(f"relationships must be relationship names, not {relationships!r}")
    found = ReportsWalk(
        target,
        names,
        check_count("max_items", max_items, 0, optional=True),
        bool(dedupe),
        bool(fallback),
    )
    for name in names:
        found.entry(name)  # UsageError naming what exists
    return found


def reports(
    client: AnyClient,
    ioc: str | IOC,
    *,
    relationships: Sequence[str] = ("related_references",),
    max_items: int | None = None,
    dedupe: bool = True,
    fallback: bool = False,
) -> Iterator[Report]:
    """The reports VirusTotal relates to `ioc`, as `Report`s, relationship after relationship.

    `ioc` is an indicator as `classify` reads it (a URL, domain, IP address or file hash,
    defanged or not, `url:`/`domain:`/... prefixes) or an `IOC`. `relationships` are
    walked in order: `related_references` (deprecated by VirusTotal), `reports` and
    `related_reports` (Google Threat Intelligence), or any other the catalog has for the
    indicator's kind. `max_items` bounds the reports yielded, over all relationships.
    With `dedupe`, a report yielded once (by id, or by article URL: a reference and its
    GTI twin) is not yielded again. With `fallback`, a `ForbiddenError` on
    `related_references` (or `references`) walks `related_reports` instead, with one
    `ReportsFallbackWarning`.

    Raises:
        UsageError: at the call: `ioc` is no indicator, a relationship its kind lacks, a
            bad `max_items`.
        VTError: while iterating, as `paginate` does (`ForbiddenError` too, unless
            `fallback` takes it).
    """
    return _reports_sync(
        walk_sync(plan_walk(ioc, relationships, max_items, dedupe, fallback), client)
    )


def areports(
    client: AnyClient,
    ioc: str | IOC,
    *,
    relationships: Sequence[str] = ("related_references",),
    max_items: int | None = None,
    dedupe: bool = True,
    fallback: bool = False,
) -> AsyncIterator[Report]:
    """The async twin of `reports`: the same arguments, reports and errors."""
    found = plan_walk(ioc, relationships, max_items, dedupe, fallback)
    return _reports_async(walk_async(found, client))


def _reports_sync(pairs: Iterator[tuple[str, Report]]) -> Iterator[Report]:
    for _, report in pairs:
        yield report


async def _reports_async(pairs: AsyncIterator[tuple[str, Report]]) -> AsyncIterator[Report]:
    async for _, report in pairs:
        yield report


def walk_sync(state: ReportsWalk, client: AnyClient) -> Iterator[tuple[str, Report]]:
    """(relationship, report) for each report `state` yields: what `reports` walks."""
    position = 0
    while position < len(state.relationships) and state.remaining != 0:
        relationship = state.relationships[position]
        position += 1
        # Not max_items=: a duplicate is fetched but not yielded, so the walk of this
        # relationship ends when enough reports were yielded, not items fetched.
        items: Any = paginate(state.entry(relationship).module, client, id=state.ioc.id)
        try:
            for item in items:
                report = state.take(item)
                if report is not None:
                    yield relationship, report
                    if state.remaining == 0:
                        return
        except ForbiddenError as error:
            state.forbidden(relationship, error)


async def walk_async(state: ReportsWalk, client: AnyClient) -> AsyncIterator[tuple[str, Report]]:
    """The async twin of `walk_sync`."""
    position = 0
    while position < len(state.relationships) and state.remaining != 0:
        relationship = state.relationships[position]
        position += 1
        # Not max_items=: a duplicate is fetched but not yielded, so the walk of this
        # relationship ends when enough reports were yielded, not items fetched.
        items: Any = apaginate(state.entry(relationship).module, client, id=state.ioc.id)
        try:
            async for item in items:
                report = state.take(item)
                if report is not None:
                    yield relationship, report
                    if state.remaining == 0:
                        return
        except ForbiddenError as error:
            state.forbidden(relationship, error)
