"""Threat reports over both of VirusTotal's models, and the way back to their indicators.

Above bulk (it classifies indicators as bulk does) and below the CLI: `report` holds
`Report`, the one view over a `reference` and a Google Threat Intelligence report;
`walk` the `reports` / `areports` walk over any relationships, with dedupe and the
fallback from the deprecated `related_references`; `iocs` the `report_iocs` /
`areport_iocs` walk from a report to the indicators it names; `pivot` the bounded graph
from an indicator through its reports to other indicators.
"""

from __future__ import annotations

from .iocs import IOC_KINDS, areport_iocs, report_iocs, target_of
from .pivot import MENTIONS, PivotEdge, pivot
from .report import Report, ReportKind
from .walk import (
    DEPRECATED,
    ReportsFallbackWarning,
    ReportsWalk,
    areports,
    article_key,
    as_report,
    plan_walk,
    reports,
    walk_async,
    walk_sync,
)

__all__ = [
    "DEPRECATED",
    "IOC_KINDS",
    "MENTIONS",
    "PivotEdge",
    "Report",
    "ReportKind",
    "ReportsFallbackWarning",
    "ReportsWalk",
    "areport_iocs",
    "areports",
    "article_key",
    "as_report",
    "pivot",
    "plan_walk",
    "report_iocs",
    "reports",
    "target_of",
    "walk_async",
    "walk_sync",
]
