"""Shortcuts for the relationship this SDK is about, on top of the generic pagination.

The operation walked is the catalog's (`get_catalog().find("urls")`): the URL listing of
`DEFAULT_RELATIONSHIP`, so these shortcuts name no generated module themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from vt_refs_api.models import Reference

from .._errors import UsageError
from .._ids import url_id
from .catalog import get_catalog
from .pages import apaginate, paginate
from .walk import AnyClient


def _object_id(url: str | None, id: str | None) -> str:
    if (url is None) == (id is None):
        raise UsageError("pass exactly one of url= (a URL) and id= (a URL identifier)")
    if url is not None:
        if not isinstance(url, str) or not url:
            raise UsageError(f"url must be a non-empty str, not {url!r}")
        return url_id(url)
    if not isinstance(id, str) or not id:
        raise UsageError(f"id must be a non-empty str, not {id!r}")
    return id


def _url_operation() -> Any:
    """The module listing a URL's references; typed by the shortcuts' return types."""
    return get_catalog().find("urls").module


def related_references(
    client: AnyClient,
    url: str | None = None,
    *,
    id: str | None = None,
    max_items: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
) -> Iterator[Reference]:
    """The references related to a URL, given as the URL itself or as its identifier.

    `url` is turned into its identifier by `url_id`; `id=` takes an identifier as
    VirusTotal gives it (the SHA-256 of its canonical form of the URL, or the unpadded
    URL-safe base64 form). The rest is `paginate` over the catalog's operation for URLs,
    `vt_refs_api.api.urls.get_url_related_references`.

    Raises:
        UsageError: at the call, before anything is sent: not exactly one of `url` and
            `id`, an empty one, or a bad argument of `paginate`.
        NotFoundError: while iterating: VirusTotal knows no such URL.
        VTError: while iterating, as `paginate` does.
    """
    return paginate(
        _url_operation(),
        client,
        id=_object_id(url, id),
        max_items=max_items,
        page_size=page_size,
        cursor=cursor,
    )


def arelated_references(
    client: AnyClient,
    url: str | None = None,
    *,
    id: str | None = None,
    max_items: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
) -> AsyncIterator[Reference]:
    """The async twin of `related_references`: the same arguments, items and errors."""
    return apaginate(
        _url_operation(),
        client,
        id=_object_id(url, id),
        max_items=max_items,
        page_size=page_size,
        cursor=cursor,
    )
