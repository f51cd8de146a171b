"""vt_refs: a typed SDK for VirusTotal's `related_references` relationship.

The hand-written layer over the generated client `vt_refs_api`: `connect()` gives a
generated client with key safety, retries, a shared quota and an optional cache;
`related_references`, `paginate` / `iter_pages` (and the async twins) walk any generated
paging operation; `parse` is the strict parser they use; `enrich` / `aenrich` run many
indicators at once; every failure is a `VTError`. `vt_refs.testing` is a fake VirusTotal
on loopback for your tests. The guides in docs/ (rendered with this reference by
`make docs`) show each task from start to end.

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
from ._provenance import from_cache

if TYPE_CHECKING:
    from ._bulk._enrich import aenrich, enrich
    from ._bulk._ioc import IOC, classify
    from ._bulk._results import IOCResult
    from ._client import DEFAULT_BASE_URL, connect
    from ._drift import SchemaDriftWarning
    from ._pagination import aiter_pages, apaginate, iter_pages, paginate
    from ._parsing import parse
    from ._quota_spec import Quota
    from ._relationships import arelated_references, related_references

_LAZY = {
    "IOC": "._bulk._ioc",
    "IOCResult": "._bulk._results",
    "aenrich": "._bulk._enrich",
    "classify": "._bulk._ioc",
    "enrich": "._bulk._enrich",
    "DEFAULT_BASE_URL": "._client",
    "connect": "._client",
    "SchemaDriftWarning": "._drift",
    "aiter_pages": "._pagination",
    "apaginate": "._pagination",
    "iter_pages": "._pagination",
    "paginate": "._pagination",
    "parse": "._parsing",
    "Quota": "._quota_spec",
    "arelated_references": "._relationships",
    "related_references": "._relationships",
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
    "AuthenticationRequiredError",
    "BadRequestError",
    "DeadlineExceededError",
    "FailedDependencyError",
    "ForbiddenError",
    "IOCResult",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotAvailableYet",
    "NotFoundError",
    "Quota",
    "QuotaExceededError",
    "QuotaExhaustedError",
    "ResponseTooLargeError",
    "SchemaDriftWarning",
    "TooManyRequestsError",
    "TransientError",
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
    "classify",
    "connect",
    "enrich",
    "from_cache",
    "iter_pages",
    "paginate",
    "parse",
    "related_references",
    "url_id",
]
