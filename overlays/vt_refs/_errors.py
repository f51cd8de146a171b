"""The exceptions the SDK raises: one base, one class per failure kind.

The tree, as `except` clauses see it:

    VTError ................... everything the SDK raises (itself: a bug, please report it)
    ├── UsageError ............ a wrong call, also a ValueError: nothing was sent
    ├── QuotaExhaustedError ... the client's OWN quota (connect(quota=...)): nothing was sent
    ├── APIConnectionError .... no answer, after the retries
    │   └── APITimeoutError
    ├── ResponseTooLargeError . a body over max_response_bytes
    ├── MalformedResponseError  a body that breaks its model
    └── APIError .............. VirusTotal answered with an error: status_code, code, message
        ├── BadRequestError, InvalidArgumentError, NotAvailableYet,
        │   UnselectiveContentQueryError, UnsupportedContentQueryError ..... 400
        ├── AuthenticationError ............. 401: the key is missing, refused or inactive
        │   ├── AuthenticationRequiredError
        │   ├── UserNotActiveError
        │   └── WrongCredentialsError
        ├── ForbiddenError .................. 403
        ├── NotFoundError ................... 404
        ├── AlreadyExistsError .............. 409
        ├── FailedDependencyError ........... 424
        ├── RateLimitError .................. 429: the SERVER's limit; the request was sent
        │   ├── QuotaExceededError
        │   └── TooManyRequestsError
        ├── TransientError .................. 503
        └── DeadlineExceededError ........... 504

`AuthenticationError` and `RateLimitError` are raised as such for a 401 or 429 whose code
is none of their children's (a proxy's page, a code the API adds later). Every class
carries what a caller needs to decide what to do next (the HTTP status, the API's error
code, where a body broke) and nothing secret: no request headers, no key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import datetime

_EXCERPT_CHARS: Final = 200


class VTError(Exception):
    """Base of every exception the SDK raises."""


class UsageError(VTError, ValueError):
    """The SDK was called wrongly (a missing API key, a bad argument): nothing was sent."""


class APIConnectionError(VTError):
    """The API could not be reached, and retrying did not help."""


class APITimeoutError(APIConnectionError):
    """The API did not answer in time, and retrying did not help."""


class ResponseTooLargeError(VTError):
    """A response's body, decoded, was larger than `connect(max_response_bytes=...)`.

    Reading stopped at the limit, so memory stayed near it; the request is not retried
    (the same request would get the same body). `status_code` is the response's status,
    `limit` the limit in bytes.
    """

    def __init__(self, status_code: int, limit: int) -> None:
        self.status_code = status_code
        self.limit = limit
        super().__init__(
            f"response too large (HTTP {status_code}): its body is over the limit of "
            f"{limit} bytes (max_response_bytes)"
        )


class MalformedResponseError(VTError):
    """A body does not match the model it must parse into.

    `path` is a JSONPath into the body (`$` for the body itself, e.g. `$.data[3].id`),
    `excerpt` at most 200 characters of the body, `status_code` the HTTP status (None when
    the body did not come from a response).
    """

    def __init__(self, reason: str, *, path: str, excerpt: str, status_code: int | None) -> None:
        self.reason = reason
        self.path = path
        self.excerpt = excerpt[:_EXCERPT_CHARS]
        self.status_code = status_code
        status = "" if status_code is None else f" (HTTP {status_code})"
        super().__init__(
            f"malformed response{status} at {path}: {_bounded(reason)}; "
            f"body: {_bounded(repr(self.excerpt))}"
        )


class APIError(VTError):
    """VirusTotal answered with an error. Subclasses are named exactly as the API's codes.

    `code` is the API's error code (None when the body held none, e.g. a proxy's HTML
    page), `message` the API's message (the reason phrase when it sent none) or an excerpt
    of the body. `retry_after` is the response's `Retry-After` in seconds from when it
    arrived (an HTTP date converted, never negative), None when it sent none or one that
    is not a delay: how long to wait before trying again, e.g. after a
    `QuotaExceededError` the retries gave up on.
    """

    def __init__(
        self,
        status_code: int,
        code: str | None,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.retry_after = retry_after
        label = _bounded(code or "HTTP error")
        super().__init__(f"{label} (HTTP {status_code}): {_bounded(message)}")


class BadRequestError(APIError):
    """400: the request is not valid."""


class InvalidArgumentError(APIError):
    """400: an argument is not valid (e.g. a bad `limit` or `cursor`)."""


class NotAvailableYet(APIError):
    """400: the resource is not available yet; try again later."""


class UnselectiveContentQueryError(APIError):
    """400: a content search query is not selective enough."""


class UnsupportedContentQueryError(APIError):
    """400: a content search query is not supported."""


class AuthenticationError(APIError):
    """401: the API did not accept the key; every retry would be refused the same way.

    The parent of the three 401 codes, so `except vt_refs.AuthenticationError` catches
    them all; raised as itself for a 401 with any other code, or with none.
    """


class AuthenticationRequiredError(AuthenticationError):
    """401: the request carried no API key."""


class UserNotActiveError(AuthenticationError):
    """401: the key's user account is not active."""


class WrongCredentialsError(AuthenticationError):
    """401: the API key is not valid."""


class ForbiddenError(APIError):
    """403: the key may not use this resource (references need Threat Landscape)."""


class NotFoundError(APIError):
    """404: the object does not exist."""


class AlreadyExistsError(APIError):
    """409: the object already exists."""


class FailedDependencyError(APIError):
    """424: a dependency of the request failed."""


class RateLimitError(APIError):
    """429: the server refused the request for its rate or quota limits: it WAS sent.

    The parent of the two 429 codes, so `except vt_refs.RateLimitError` catches them
    both; raised as itself for a 429 with any other code, or with none. Its retry_after
    says how long to wait when the server said. The client's own quota, which refuses
    a request before sending it, raises `QuotaExhaustedError` instead (no APIError):
    catch `(RateLimitError, QuotaExhaustedError)` for "a limit stopped us" of either kind.
    """


class QuotaExceededError(RateLimitError):
    """429 from the server: a quota of the key (per minute, day or month) is spent.

    VirusTotal's own count, after the request was sent; not `QuotaExhaustedError`, the
    client's own quota refusing to send. Raised only once waiting is over: a 429 is
    waited out (each wait within `max_quota_wait`), so this is a Retry-After longer than
    that, or 429s still after a full `max_quota_wait`, whose message says it looks like
    the daily quota and when it resets (its retry_after: the seconds until 00:00 UTC).
    """


class TooManyRequestsError(RateLimitError):
    """429 from the server: too many requests in a short time."""


class TransientError(APIError):
    """503: a transient error on the API's side; retrying may work."""


class DeadlineExceededError(APIError):
    """504: the operation took too long."""


_BY_CODE: Final[dict[str, type[APIError]]] = {
    cls.__name__: cls
    for cls in (
        BadRequestError,
        InvalidArgumentError,
        NotAvailableYet,
        UnselectiveContentQueryError,
        UnsupportedContentQueryError,
        AuthenticationRequiredError,
        UserNotActiveError,
        WrongCredentialsError,
        ForbiddenError,
        NotFoundError,
        AlreadyExistsError,
        FailedDependencyError,
        QuotaExceededError,
        TooManyRequestsError,
        TransientError,
        DeadlineExceededError,
    )
}
# The API once sent this spelling for a while; it means the same failure.
_BY_CODE["NotAvailableYetError"] = NotAvailableYet
# Google Threat Intelligence's examples spell the 429 code without the suffix.
_BY_CODE["TooManyRequests"] = TooManyRequestsError


# The class of an answer whose code has none of its own (or that carries no code).
_BY_STATUS: Final[dict[int, type[APIError]]] = {401: AuthenticationError, 429: RateLimitError}


def api_error(
    status_code: int, code: str | None, message: str, *, retry_after: float | None = None
) -> APIError:
    """The exception for an error answer: the code's class whatever the status; for an
    unknown code (or none) the status family's (401, 429), else a plain APIError."""
    cls = _BY_CODE.get(code) if code is not None else None
    if cls is None:
        cls = _BY_STATUS.get(status_code, APIError)
    return cls(status_code, code, message, retry_after=retry_after)


def _bounded(text: str) -> str:
    """`text` cut for a message: escaping can make 200 characters of a body ten times
    longer, and an API's message can be of any length."""
    return text if len(text) <= 2 * _EXCERPT_CHARS else text[: 2 * _EXCERPT_CHARS - 1] + "…"


def excerpt(text: str) -> str:
    """A bounded prefix of a body, for messages that must not carry whole bodies."""
    if len(text) <= _EXCERPT_CHARS:
        return text
    return text[: _EXCERPT_CHARS - 1] + "…"


class QuotaExhaustedError(VTError):
    """The client's OWN quota (`connect(quota=...)`) has no free slot within
    `max_quota_wait`: nothing was sent, and the server knows nothing of it.

    Not the server's 429 (that is `QuotaExceededError`, a `RateLimitError`): this one is
    raised in this process, before the request would leave it.

    `retry_at` (an aware UTC datetime) is when the full window frees a slot; `window` names
    it (`"per_day"`, ...) and `limit` is its size. Raised at once instead of sleeping for
    hours; connect(max_quota_wait=None) waits instead.
    """

    def __init__(self, *, retry_at: datetime.datetime, window: str, limit: int) -> None:
        self.retry_at = retry_at
        self.window = window
        self.limit = limit
        super().__init__(
            f"quota {window}={limit} is spent: the next request can go at "
            f"{retry_at.isoformat(timespec='seconds')}, later than max_quota_wait allows"
        )
