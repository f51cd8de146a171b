"""Bulk enrichment: many indicators in one run, bounded, resumable.

Above the helpers: it walks each indicator's references with the same `Walk` and page
loops the helpers use, and nothing in the core imports it. `ioc` classifies indicators,
`results` holds what a run yields, `engine` is the logic the sync and async runners
share, `runners` runs it with threads or tasks, `enrich` is the public face over them,
`checkpoint` records what is finished, `distinct` keeps each indicator to one walk,
`plan` says what a run would cost, `stats` and `iterators` give the run's figures
(`RunStats`) on what `enrich` returns. Which operation each indicator walks is the
catalog's (`vt_refs._paging.get_catalog`): its collection, and the run's relationship.
"""

from __future__ import annotations

from .checkpoint import Checkpoint, Skipper, connect_exclusive
from .engine import Run, check_relationship, is_fatal, operation
from .enrich import aenrich, enrich
from .ioc import IOC, KINDS, Kind, Unreadable, classify, refang
from .iterators import AsyncEnrichment, Enrichment
from .plan import Plan, plan, run_seconds
from .results import STATUSES, IOCResult, Status
from .runners import async_results, sync_results
from .stats import RunStats, Stats

__all__ = [
    "IOC",
    "KINDS",
    "STATUSES",
    "AsyncEnrichment",
    "Checkpoint",
    "Enrichment",
    "IOCResult",
    "Kind",
    "Plan",
    "Run",
    "RunStats",
    "Skipper",
    "Stats",
    "Status",
    "Unreadable",
    "aenrich",
    "async_results",
    "check_relationship",
    "classify",
    "connect_exclusive",
    "enrich",
    "is_fatal",
    "operation",
    "plan",
    "refang",
    "run_seconds",
    "sync_results",
]
