"""`pivot`: from an indicator to its reports, and from them to the indicators they name.

The graph an analyst draws by hand: `(ioc) -[relationship]-> (report) -[mentions]->
(ioc)`, level after level up to `depth`. Bounded at every step (`max_reports` per
indicator, `max_iocs_per_report` per report) and never fetching anything twice: an
indicator's reports, and a report's indicators, are walked once however many paths lead
to them, so the requests spent are at most what the bounds allow.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .._bulk import IOC, classify
from .._checks import check_count
from .._paging import AnyClient
from .iocs import IOC_KINDS, report_iocs
from .report import Report
from .walk import article_key, plan_walk, walk_sync

MENTIONS = "mentions"
"""The relationship of an edge from a report to an indicator it names."""


@attrs.frozen
class PivotEdge:
    """One edge of a pivot: an indicator to a report (`relationship` is the API's, e.g.
    `related_reports`), or a report to an indicator it names (`relationship` is
    "mentions"). `depth` is the level, 1 for the edges around the starting indicator."""

    source: IOC | Report
    relationship: str
    target: Report | IOC
    depth: int

    def __str__(self) -> str:
        return f"({_label(self.source)}) -[{self.relationship}]-> ({_label(self.target)})"


def _label(node: IOC | Report) -> str:
    if isinstance(node, Report):
        title = f" {node.title!r}" if node.title else ""
        return f"{node.kind} {node.id}{title}"
    return f"{node.kind[:-1] if node.kind.endswith('s') else node.kind} {node.value}"


def _ioc_keys(ioc: IOC) -> set[tuple[str, str]]:
    return {(ioc.kind, ioc.id), (ioc.kind, ioc.value)}


def _report_key(report: Report) -> str:
    return article_key(report.url) if report.url else report.id


def pivot(
    client: AnyClient,
    ioc: str | IOC,
    *,
    depth: int = 1,
    relationships: Sequence[str] = ("related_references",),
    max_reports: int | None = None,
    max_iocs_per_report: int | None = None,
    kinds: Sequence[str] = IOC_KINDS,
    fallback: bool = True,
) -> list[PivotEdge]:
    """The edges around `ioc`, `depth` levels deep, in the order they were found.

    Level 1: the reports of `ioc` under `relationships` (as `reports` walks them, deduped,
    with `fallback` to `related_reports` on a 403), at most `max_reports`, and the
    indicators of `kinds` each report names (`report_iocs`), at most
    `max_iocs_per_report` each. Each further level starts from the indicators the last
    one found. An indicator or a report reached again is linked but not fetched again;
    the starting indicator is not a new one when a report names it.

    Raises:
        UsageError: at the call: no indicator, a bad bound or relationship.
        VTError: as `reports` and `report_iocs` do.
    """
    start = ioc if isinstance(ioc, IOC) else classify(ioc)
    levels = check_count("depth", depth, 1)
    check_count("max_reports", max_reports, 0, optional=True)
    check_count("max_iocs_per_report", max_iocs_per_report, 0, optional=True)
    seen_iocs = _ioc_keys(start)
    seen_reports: dict[str, Report] = {}
    edges: list[PivotEdge] = []
    frontier = [start]
    for level in range(1, levels + 1):
        found: list[IOC] = []
        for source in frontier:
            state = plan_walk(source, relationships, max_reports, True, fallback)
            for relationship, report in walk_sync(state, client):
                edges.append(PivotEdge(source, relationship, report, level))
                key = _report_key(report)
                if key in seen_reports:
                    continue
                seen_reports[key] = report
                for named in report_iocs(
                    client, report, kinds=kinds, max_items=max_iocs_per_report
                ):
                    edges.append(PivotEdge(report, MENTIONS, named, level))
                    if not _ioc_keys(named) & seen_iocs:
                        seen_iocs |= _ioc_keys(named)
                        found.append(named)
        frontier = found
    return edges
