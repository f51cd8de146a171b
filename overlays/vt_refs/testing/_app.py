"""The API itself: authentication, routing and pages, as pure request -> response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ._paging import Cursor, decode_cursor, page_body, parse_limit
from ._records import RecordedRequest
from ._responses import ApiError, Response
from ._routes import match, noun, object_key
from ._store import ReferenceStore
from ._users import user_route

UserAnswer = Callable[[str], Response]

# The page size of an operation whose spec declares no maximum: `limit` is an int32.
_NO_MAXIMUM: Final = 2**31 - 1


class App:
    """Answers requests like VirusTotal's relationship endpoints do, for every operation of
    the catalog; an operation's default and maximum page size are the spec's.

    Checks run in this order: method (405), API key (401), path (404), `limit` and
    `cursor` (400), object (404: an id not well formed for its collection, or an object
    a test removed), cursor offset against the object's count (400). Unknown query
    parameters are ignored, as the API does.
    """

    def __init__(
        self,
        *,
        api_key: str,
        origin: str,
        store: ReferenceStore,
        max_limit: int | None,
        users: UserAnswer,
    ) -> None:
        self._api_key = api_key
        self._users = users
        self._origin = origin
        self._store = store
        self._max_limit = max_limit

    def handle(self, request: RecordedRequest) -> Response:
        """The response to `request`; errors come as VirusTotal's JSON error body."""
        try:
            return self._handle(request)
        except ApiError as error:
            return error.response()

    def _handle(self, request: RecordedRequest) -> Response:
        if request.method != "GET":
            message = f"Method {request.method} is not allowed; use GET"
            raise ApiError(405, "MethodNotAllowedError", message, (("Allow", "GET"),))
        sent_key = request.headers.get("x-apikey")
        if sent_key is None:
            raise ApiError(401, "AuthenticationRequiredError", "X-Apikey header is missing")
        if sent_key != self._api_key:
            raise ApiError(401, "WrongCredentialsError", "Wrong API key")
        user = user_route(request.path)
        if user is not None:
            return self._users(user)
        route = match(request.path)
        if route is None:
            raise ApiError(404, "NotFoundError", f"Resource not found: {request.path}")
        entry = route.entry
        max_limit = self._max_limit or entry.max_limit or _NO_MAXIMUM
        limit = parse_limit(request.query.get("limit"), max_limit)
        raw_cursor = request.query.get("cursor")
        cursor = None if raw_cursor is None else decode_cursor(raw_cursor)
        if limit is None:
            limit = min(entry.default_limit if cursor is None else cursor.limit, max_limit)
        page = Cursor(limit, 0 if cursor is None else cursor.offset)
        key = object_key(route.collection, route.object_id)
        data = None if key is None else self._store.page(key, entry, page.offset, limit)
        if data is None:
            message = f'{noun(route.collection)} "{route.object_id}" not found'
            raise ApiError(404, "NotFoundError", message)
        if page.offset > data.count:
            raise ApiError(400, "InvalidArgumentError", "Invalid cursor")
        body = page_body(
            count=data.count,
            data=data.data,
            page=page,
            self_url=self._origin + request.target,
            next_base=self._origin + request.path,
        )
        return Response(200, body)
