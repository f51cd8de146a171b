"""The fake's reports endpoints: `reports`/`related_reports`, `/collections/...`, `/references/...`.

Pages take the shapes VirusTotal's Google Threat Intelligence endpoints send: `meta`
with only `cursor` while more follow and no `meta` on the last page, `links.related` on
descriptor pages. The `/references/*` endpoints keep the old shape (`meta.count`). A
report or a reference is known once a page listed it (or, for the seed's, from the
start): ids are hashes, so the fake remembers which article each stands for.
`forbid_deprecated` makes `related_references` and every `/references/*` endpoint answer
403 ForbiddenError, as they do for a key without the Threat Landscape module.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable
from typing import ClassVar, Final
from urllib.parse import unquote, urlencode

from .._ids import url_id
from .._paging import get_catalog
from ._data import SEED_REFERENCES, SEED_URL_SHA256, JsonObject, descriptor
from ._gti_data import (
    IOC_RELATIONSHIPS,
    Source,
    iocs,
    malware_families,
    related_from,
    report,
    threat_actors,
)
from ._paging import Cursor, decode_cursor, encode_cursor, parse_limit
from ._records import RecordedRequest
from ._responses import ApiError, Response
from ._routes import API_PREFIX, ObjectKey, noun, object_key
from ._store import ReferenceStore

INDICATORS: Final = ("files", "urls", "domains", "ip_addresses")
REPORT_RELATIONSHIPS: Final = ("reports", "related_reports")
COLLECTION_RELATIONSHIPS: Final = (*IOC_RELATIONSHIPS, "threat_actors", "malware_families")
REFERENCE_RELATIONSHIPS: Final = (
    "collections",
    "domains",
    "files",
    "ip_addresses",
    "threat_actors",
    "urls",
)


def _pair(stem: str, relationships: tuple[str, ...]) -> set[str]:
    return {
        f"{stem}/{{id}}/{middle}{name}"
        for name in relationships
        for middle in ("", "relationships/")
    }


TEMPLATES: Final[frozenset[str]] = frozenset(
    set().union(*(_pair(f"/{c}", REPORT_RELATIONSHIPS) for c in INDICATORS))
    | _pair("/collections", COLLECTION_RELATIONSHIPS)
    | _pair("/references", REFERENCE_RELATIONSHIPS)
    | {"/collections/{id}", "/references/{id}"}
)
"""The path templates of openapi.yaml this module serves."""

_PATH: Final = re.compile(r"/([a-z_]+)/([^/]+)(?:/(relationships/)?([a-z_]+))?")
FORBIDDEN: Final = "You are not authorized to perform the requested operation"
_SEED_KEY: Final = ObjectKey("urls", SEED_URL_SHA256)
_DEFAULT_LIMIT: Final = get_catalog().find("collections", "files").default_limit  # the spec's


def _url_text(raw: str) -> str | None:
    """The URL a base64 URL id spells (its value, for the URL objects of its reports)."""
    if re.fullmatch(r"[0-9a-f]{64}", raw):
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text.isprintable() else None


class Reports:
    """Serves the report endpoints over the references of `store`."""

    PATHS: ClassVar[frozenset[str]] = TEMPLATES

    def __init__(self, store: ReferenceStore, forbid_deprecated: Callable[[], bool]) -> None:
        self._store = store
        self._forbid_deprecated = forbid_deprecated
        self._origin = ""
        self._max_limit = 40
        self._lock = threading.Lock()
        self._reports: dict[str, Source] = {}
        self._references: dict[str, Source] = {}
        self._by_url: dict[str, str] = {}  # url_id(article url) -> reference id
        for index in range(len(SEED_REFERENCES)):  # the seed's are known from the start
            self._report(Source(_SEED_KEY, index))
        store.observe(self._observed)

    # What the fake knows

    def _observed(self, key: ObjectKey, index: int, reference: JsonObject) -> None:
        self._remember_reference(Source(key, index), reference)

    def _remember_reference(self, source: Source, reference: JsonObject) -> None:
        ref_id = reference.get("id")
        if not isinstance(ref_id, str):
            return
        url = (reference.get("attributes") or {}).get("url")
        with self._lock:
            self._references.setdefault(ref_id, source)
            if isinstance(url, str) and url:
                self._by_url.setdefault(url_id(url), ref_id)

    def _article(self, source: Source) -> JsonObject:
        found = self._store.article(source.origin, source.position)
        return found if found is not None else {"type": "reference", "id": "", "attributes": {}}

    def _report(self, source: Source) -> JsonObject:
        reference = self._article(source)
        self._remember_reference(source, reference)
        made = report(source, reference, self._origin + API_PREFIX)
        with self._lock:
            if source.value is not None or made["id"] not in self._reports:
                self._reports[made["id"]] = source  # the one knowing the URL's text wins
        return made

    # Requests

    def forbidden(self, path: str) -> bool:
        """Whether the deprecated endpoints are off and `path` is one of them."""
        return self._forbid_deprecated() and (
            path.startswith(API_PREFIX + "/references/") or path.endswith("/related_references")
        )

    def serve_at(self, origin: str, max_limit: int) -> None:
        """Where the fake listens (for `links`) and its page size limit."""
        self._origin, self._max_limit = origin, max_limit

    def handle(self, request: RecordedRequest) -> Response | None:
        """The answer to `request`, or None when the path is not a report endpoint."""
        match = _PATH.fullmatch(request.path.removeprefix(API_PREFIX))
        if match is None or not request.path.startswith(API_PREFIX):
            return None
        collection, raw_id, descriptors, relationship = match.groups()
        object_id = unquote(raw_id)
        if collection == "collections":
            return self._collection(request, object_id, relationship, bool(descriptors))
        if collection == "references":
            return self._reference(request, object_id, relationship, bool(descriptors))
        if collection in INDICATORS and relationship in REPORT_RELATIONSHIPS:
            return self._indicator(request, collection, object_id, relationship, bool(descriptors))
        return None

    def _indicator(
        self,
        request: RecordedRequest,
        collection: str,
        object_id: str,
        relationship: str,
        descriptors: bool,
    ) -> Response:
        page = _page_of(request, self._max_limit)
        key = object_key(collection, object_id)
        size = None if key is None else self._store.size(key)
        if key is None or size is None:
            raise ApiError(404, "NotFoundError", f'{noun(collection)} "{object_id}" not found')
        value = _url_text(object_id) if collection == "urls" else None
        items = []
        for index in range(page.offset, min(page.offset + page.limit, size)):
            item = self._report(Source(key, index, value))
            if relationship == "related_reports" and index % 2 == 1:
                item = {
                    **item,
                    "context_attributes": related_from(self._report(Source(key, index - 1, value))),
                }
            items.append(item)
        return _answer(self._origin, request, items, size, page, descriptors, count=False)

    def _collection(
        self, request: RecordedRequest, object_id: str, relationship: str | None, descriptors: bool
    ) -> Response:
        with self._lock:
            source = self._reports.get(object_id)
        if source is None or (
            relationship is not None and relationship not in COLLECTION_RELATIONSHIPS
        ):
            raise ApiError(404, "NotFoundError", f'Collection "{object_id}" not found')
        if relationship is None:
            return _object(self._report(source))
        if relationship in IOC_RELATIONSHIPS:
            items = iocs(source, relationship)
        elif relationship == "threat_actors":
            items = threat_actors(source, as_collections=True)
        else:
            items = malware_families(self._article(source))
        page = _page_of(request, self._max_limit)
        return _answer(self._origin, request, items, len(items), page, descriptors, count=False)

    def _reference(
        self, request: RecordedRequest, object_id: str, relationship: str | None, descriptors: bool
    ) -> Response:
        with self._lock:
            source = self._references.get(self._by_url.get(object_id, object_id))
        if source is None or (
            relationship is not None and relationship not in REFERENCE_RELATIONSHIPS
        ):
            raise ApiError(404, "NotFoundError", f'Reference "{object_id}" not found')
        reference = self._article(source)
        if relationship is None:
            return _object(reference)
        if relationship == "collections":
            twin = [] if source.curated else [self._report(source)]
            items = twin + malware_families(reference)
        elif relationship == "threat_actors":
            items = threat_actors(source, as_collections=False)
        else:
            items = iocs(source, relationship)
        page = _page_of(request, self._max_limit)
        return _answer(self._origin, request, items, len(items), page, descriptors, count=True)


def _page_of(request: RecordedRequest, max_limit: int) -> Cursor:
    limit = parse_limit(request.query.get("limit"), max_limit)
    raw = request.query.get("cursor")
    cursor = None if raw is None else decode_cursor(raw)
    if limit is None:
        limit = min(_DEFAULT_LIMIT if cursor is None else cursor.limit, max_limit)
    return Cursor(limit, 0 if cursor is None else cursor.offset)


def _object(item: JsonObject) -> Response:
    return Response(200, json.dumps({"data": item}, ensure_ascii=False).encode())


def _answer(
    origin: str,
    request: RecordedRequest,
    items: list[JsonObject],
    size: int,
    page: Cursor,
    descriptors: bool,
    *,
    count: bool,
) -> Response:
    """One page of `items` (already cut to the page when `size` is more than their
    number). GTI pages (`count=False`) carry `meta` with only `cursor`, and none at the
    end; the references' keep `meta.count`."""
    if page.offset > size:
        raise ApiError(400, "InvalidArgumentError", "Invalid cursor")
    if len(items) == size:
        items = items[page.offset : page.offset + page.limit]
    if descriptors:
        items = [descriptor(item) for item in items]
    self_url = origin + request.target
    body: JsonObject = {"data": items, "links": {"self": self_url}}
    meta: JsonObject = {"count": size} if count else {}
    end = page.offset + page.limit
    if end < size:
        cursor = encode_cursor(Cursor(page.limit, end))
        meta["cursor"] = cursor
        query = urlencode({"cursor": cursor, "limit": page.limit})
        body["links"]["next"] = f"{origin}{request.path}?{query}"
    if descriptors:
        body["links"]["related"] = origin + request.path.replace("/relationships/", "/")
    if meta:
        body = {"meta": meta, **body}
    return Response(200, json.dumps(body, ensure_ascii=False).encode())
