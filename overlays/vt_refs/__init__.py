"""vt_refs: a typed SDK for VirusTotal's `related_references` relationship.

The hand-written layer over the generated client `vt_refs_api`: `connect()` gives a
generated client with key safety, retries and pacing; `paginate` / `iter_pages` (and the
async twins) walk any generated paging operation; `parse` is the strict parser they use;
every failure is a `VTError`.
"""

from ._client import DEFAULT_BASE_URL, connect
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
from ._pagination import aiter_pages, apaginate, iter_pages, paginate
from ._parsing import parse
from ._relationships import arelated_references, related_references

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "AuthenticationRequiredError",
    "BadRequestError",
    "DeadlineExceededError",
    "FailedDependencyError",
    "ForbiddenError",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotAvailableYet",
    "NotFoundError",
    "QuotaExceededError",
    "TooManyRequestsError",
    "TransientError",
    "UnselectiveContentQueryError",
    "UnsupportedContentQueryError",
    "UsageError",
    "UserNotActiveError",
    "VTError",
    "WrongCredentialsError",
    "aiter_pages",
    "apaginate",
    "arelated_references",
    "connect",
    "iter_pages",
    "paginate",
    "parse",
    "related_references",
    "url_id",
]
