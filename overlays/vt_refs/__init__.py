"""vt_refs: a typed SDK for VirusTotal's `related_references` relationship.

The hand-written layer over the generated client `vt_refs_api`: `connect()` gives a
generated client with key safety, retries, a shared quota and an optional cache;
`related_references`, `paginate` / `iter_pages` (and the async twins) walk any generated
paging operation, typed by its page and item models (`PagingOperation`, `Page`); `parse`
is the strict parser they use; `enrich` / `aenrich` run many indicators at once, and
`watch` finds what is new for them since the last look; every failure is a `VTError`.
`vt_refs.export` writes results as JSON Lines, CSV, STIX 2.1, MISP or a DataFrame.
`vt_refs.testing` is a fake VirusTotal on loopback for your tests.
The guides in docs/ (rendered with this reference by `make docs`) show each task from
start to end.

Importing the package is cheap: the parts that need httpx and the generated client load
on first use, so `vt-refs --help` and `import vt_refs` do not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._errors import (
    AlreadyExistsError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    AuthenticationRequiredError,
    BadRequestError,
    DeadlineExceededError,
    FailedDependencyError,
    ForbiddenError,
    InvalidArgumentError,
    MalformedResponseError,
    NotAvailableYet,
    NotFoundError,
    QuotaExceededError,
    QuotaExhaustedError,
    RateLimitError,
    ResponseTooLargeError,
    TooManyRequestsError,
    TransientError,
    UnselectiveContentQueryError,
    UnsupportedContentQueryError,
    UsageError,
    UserNotActiveError,
    VTError,
    WrongCredentialsError,
)
from ._ids import url_id

if TYPE_CHECKING:
    from ._bulk import (
        IOC,
        AsyncEnrichment,
        Enrichment,
        IOCResult,
        Plan,
        RunStats,
        aenrich,
        classify,
        enrich,
        plan,
    )
    from ._client import DEFAULT_BASE_URL, connect, transport_stats
    from ._paging import (
        Page,
        PagingOperation,
        aiter_pages,
        apaginate,
        arelated_references,
        iter_pages,
        paginate,
        related_references,
    )
    from ._parsing import parse
    from ._parsing.drift import SchemaDriftWarning
    from ._quotas import QuotaUse, ServerQuota, aserver_quota, server_quota
    from ._reports import (
        PivotEdge,
        Report,
        ReportsFallbackWarning,
        areport_iocs,
        areports,
        pivot,
        report_iocs,
        reports,
    )
    from ._transport import Quota, RetryPolicy, TransportStats, from_cache
    from ._watch import watch

# Each name's module, imported on first use. SchemaDriftWarning comes from its own module:
# the parser's face would load the compiler for a warning class.
_LAZY = {
    "IOC": "._bulk",
    "IOCResult": "._bulk",
    "AsyncEnrichment": "._bulk",
    "Enrichment": "._bulk",
    "RunStats": "._bulk",
    "Plan": "._bulk",
    "plan": "._bulk",
    "aenrich": "._bulk",
    "classify": "._bulk",
    "enrich": "._bulk",
    "watch": "._watch",
    "DEFAULT_BASE_URL": "._client",
    "connect": "._client",
    "transport_stats": "._client",
    "SchemaDriftWarning": "._parsing.drift",
    "Page": "._paging",
    "PagingOperation": "._paging",
    "aiter_pages": "._paging",
    "apaginate": "._paging",
    "arelated_references": "._paging",
    "iter_pages": "._paging",
    "paginate": "._paging",
    "related_references": "._paging",
    "parse": "._parsing",
    "PivotEdge": "._reports",
    "Report": "._reports",
    "ReportsFallbackWarning": "._reports",
    "areport_iocs": "._reports",
    "areports": "._reports",
    "pivot": "._reports",
    "report_iocs": "._reports",
    "reports": "._reports",
    "QuotaUse": "._quotas",
    "ServerQuota": "._quotas",
    "aserver_quota": "._quotas",
    "server_quota": "._quotas",
    "Quota": "._transport",
    "RetryPolicy": "._transport",
    "TransportStats": "._transport",
    "from_cache": "._transport",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_BASE_URL",
    "IOC",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "AsyncEnrichment",
    "AuthenticationError",
    "AuthenticationRequiredError",
    "BadRequestError",
    "DeadlineExceededError",
    "Enrichment",
    "FailedDependencyError",
    "ForbiddenError",
    "IOCResult",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotAvailableYet",
    "NotFoundError",
    "Page",
    "PagingOperation",
    "PivotEdge",
    "Plan",
    "Quota",
    "QuotaExceededError",
    "QuotaExhaustedError",
    "QuotaUse",
    "RateLimitError",
    "Report",
    "ReportsFallbackWarning",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RunStats",
    "SchemaDriftWarning",
    "ServerQuota",
    "TooManyRequestsError",
    "TransientError",
    "TransportStats",
    "UnselectiveContentQueryError",
    "UnsupportedContentQueryError",
    "UsageError",
    "UserNotActiveError",
    "VTError",
    "WrongCredentialsError",
    "aenrich",
    "aiter_pages",
    "apaginate",
    "arelated_references",
    "areport_iocs",
    "areports",
    "aserver_quota",
    "classify",
    "connect",
    "enrich",
    "from_cache",
    "iter_pages",
    "paginate",
    "parse",
    "pivot",
    "plan",
    "related_references",
    "report_iocs",
    "reports",
    "server_quota",
    "transport_stats",
    "url_id",
    "watch",
]
