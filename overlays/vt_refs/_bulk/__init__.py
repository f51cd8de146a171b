"""Bulk enrichment: many indicators in one run, bounded, resumable.

Above the helpers: it walks each indicator's references with the same `Walk` and page
loops the helpers use, and nothing in the core imports it. `ioc` classifies indicators,
`results` holds what a run yields, `engine` is the logic the sync and async runners
share, `runners` runs it with threads or tasks, `enrich` is the public face over them,
`checkpoint` records what is finished. Which operation each indicator walks is the
catalog's (`vt_refs._paging.get_catalog`): its collection, and the run's relationship.
"""

from __future__ import annotations

from .checkpoint import Checkpoint, Skipper, connect_exclusive
from .engine import Run, Stats, check_relationship, is_fatal, operation
from .enrich import aenrich, enrich
from .ioc import IOC, KINDS, Kind, Unreadable, classify, refang
from .results import STATUSES, IOCResult, Status
from .runners import async_results, sync_results

__all__ = [
    "IOC",
    "KINDS",
    "STATUSES",
    "Checkpoint",
    "IOCResult",
    "Kind",
    "Run",
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
    "refang",
    "sync_results",
]
