"""What every format reads of a result: one `Entry` per indicator, its references as
plain values.

The formats take `IOCResult`s; each is read once, here, into an `Entry`: the indicator
(its text, kind and value), its status and error, and the references to write. An
error's partial references are left out everywhere: a retry writes them all, once.
The generated models hold `Unset` for absent fields; `get` reads them as None, so the
formats see plain values only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from vt_refs_api.types import Unset

from .._bulk import IOC, IOCResult
from .._errors import UsageError
from .._formats import utc_moment


def get(obj: object, name: str) -> Any:
    """`obj.name`, or None when it is absent or `Unset`."""
    value = getattr(obj, name, None)
    return None if isinstance(value, Unset) else value


@attrs.frozen
class Entry:
    """One indicator's result, as the formats read it."""

    index: int
    text: str
    kind: str | None
    value: str | None  # the normalised indicator (None when it did not classify)
    status: str
    references: list[Any]
    error: str | None
    duplicate_of: int | None = None  # for a "duplicate": the index of its first


def _model(reference: object) -> object:
    """The API object behind a reference: a `vt_refs.Report` (issue 19's view over a
    reference or a GTI report) is read through the generated model it keeps, `raw`."""
    raw = getattr(reference, "raw", None)
    return (
        raw if raw is not None and getattr(reference, "kind", None) in _REPORT_KINDS else reference
    )


_REPORT_KINDS = frozenset({"reference", "report"})


def entry(result: object, index: int = 0) -> Entry:
    """`result` read as an `Entry`: an `IOCResult`, or a `Report` on its own (no
    indicator: one entry holding it); anything else is a `UsageError`."""
    if not isinstance(result, IOCResult):
        model = _model(result)
        if model is result:
            raise UsageError(
                "the exports take vt_refs.IOCResult items (from enrich) or vt_refs.Report "
                f"items, not {type(result).__name__}"
            )
        text = getattr(result, "url", None) or getattr(result, "id", "")
        return Entry(index=index, text=str(text), kind=None, value=None, status="ok",
                     references=[model], error=None)  # fmt: skip
    ioc = result.ioc
    return Entry(
        index=result.index,
        text=result.text,
        kind=ioc.kind if isinstance(ioc, IOC) else None,
        value=ioc.value if isinstance(ioc, IOC) else None,
        status=result.status,
        references=[_model(ref) for ref in result.references] if result.status == "ok" else [],
        error=None if result.error is None else str(result.error),
        duplicate_of=result.duplicate_of,
    )


def entries(results: Iterable[object]) -> Iterator[Entry]:
    """Each of `results` as an `Entry`, lazily."""
    if isinstance(results, str | bytes | IOCResult):
        raise UsageError("the exports take an iterable of results, not a single one")
    try:
        items = iter(results)
    except TypeError:
        raise UsageError(f"results must be an iterable, not {type(results).__name__}") from None
    for index, result in enumerate(items):
        yield entry(result, index)


def via_names(reference: object) -> list[str]:
    """The names of the objects a reference relates through (their ids when unnamed)."""
    names = []
    for related in get(get(reference, "context_attributes"), "related_from") or ():
        name = get(get(related, "attributes"), "name")
        names.append(str(name) if name else str(get(related, "id") or ""))
    return names


@attrs.frozen
class Article:
    """The fields of one reference the rich formats (STIX, MISP, DataFrame) use.

    A reference's `title` and `url` are a Google Threat Intelligence report's `name` and
    `link`: either model is read (`collection` is the API object's type)."""

    id: str
    title: str | None
    url: str | None
    author: str | None
    description: str | None
    created: datetime.datetime | None
    modified: datetime.datetime | None
    tags: tuple[str, ...]
    via: tuple[str, ...]
    collection: str = "references"


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def loose(obj: object, name: str) -> Any:
    """`get`, also reading what the model keeps among its `additional_properties` (a
    report's `name` read through a reference's model, a field the parser set aside)."""
    value = get(obj, name)
    if value is None:
        extra = getattr(obj, "additional_properties", None)
        value = extra.get(name) if isinstance(extra, dict) else None
    return None if isinstance(value, Unset) else value


def _first(attributes: object, *names: str) -> str | None:
    for name in names:
        found = _text(loose(attributes, name))
        if found is not None:
            return found
    return None


def article(reference: object) -> Article:
    """`reference` (a generated `Reference`, `Collection` or `ObjectDescriptor`) read as
    an `Article`."""
    attributes = get(reference, "attributes")
    tags = loose(attributes, "tags")
    return Article(
        id=str(get(reference, "id") or ""),
        title=_first(attributes, "title", "name"),
        url=_first(attributes, "url", "link"),
        author=_first(attributes, "author"),
        description=_first(attributes, "description", "executive_summary", "autogenerated_summary"),
        created=utc_moment(get(attributes, "creation_date")),
        modified=utc_moment(get(attributes, "last_modification_date")),
        tags=tuple(str(tag) for tag in tags if isinstance(tag, str) and tag.strip())
        if isinstance(tags, list)
        else (),
        via=tuple(via_names(reference)),
        collection="collections" if loose(reference, "type_") == "collection" else "references",
    )
