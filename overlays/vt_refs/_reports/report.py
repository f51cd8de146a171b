"""`Report`: one view over a `reference` and a Google Threat Intelligence report.

VirusTotal is moving threat reports from `reference` objects (`related_references`,
deprecated) to `collection` objects with `collection_type: report` (`reports`,
`related_reports`). The two name the same things differently (a reference's `title` and
`url` are a report's `name` and `link`), and the generated models leave every optional
field `Unset`, or, under schema drift, a value of another type. `Report` reads either
into plain values or None, so user code needs no `isinstance(..., Unset)` and
`mypy --strict` is satisfied; `raw` keeps the generated model, so nothing is lost.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Final, Literal

import attrs

from vt_refs_api.models import Collection, Reference
from vt_refs_api.types import Unset

from .._errors import UsageError
from .._formats import utc_moment

ReportKind = Literal["reference", "report"]
_DIGITS: Final = re.compile(r"[0-9]{1,12}")


def _text(value: object) -> str | None:
    """A string field as sent, or None: absent (`Unset`), null, empty, or another type."""
    return value if isinstance(value, str) and value.strip() else None


def _moment(value: object) -> datetime.datetime | None:
    """Epoch seconds as an aware UTC datetime; digits in a string too (the API has sent
    integers as strings); None for anything else."""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, datetime.datetime):
        return None  # never sent by the API: a datetime here came from elsewhere
    return utc_moment(value)


def _field(attributes: object, name: str) -> object:
    """`attributes.name` of a generated model; where the parser keeps a drifted value (the
    attribute `Unset`, the value among `additional_properties` under its JSON name); a
    key of a raw dict; or None."""
    if isinstance(attributes, dict):
        return attributes.get(name)
    value = getattr(attributes, name, None)
    if value is None or isinstance(value, Unset):
        extra = getattr(attributes, "additional_properties", None)
        value = extra.get(name.rstrip("_")) if isinstance(extra, dict) else None
    return value


def _via(context: object) -> tuple[tuple[str, str, str | None], ...]:
    """`context_attributes.related_from` as (type, id, name), skipping malformed entries."""
    related = _field(context, "related_from")
    if not isinstance(related, list):
        return ()
    found = []
    for item in related:
        kind, ident = _field(item, "type_"), _field(item, "id")
        if kind is None and isinstance(item, dict):
            kind = item.get("type")
        if isinstance(kind, str) and isinstance(ident, str):
            found.append((kind, ident, _text(_field(_field(item, "attributes"), "name"))))
    return tuple(found)


@attrs.frozen
class Report:
    """A threat report, whichever object the API sent it as.

    `kind` is "reference" for a `reference` object, "report" for a `collection` (a
    Google Threat Intelligence report). `title` is a reference's `title` or a report's
    `name`; `url` the article: a reference's `url`, a report's `link` when it has one;
    `origin` ("Google Threat Intelligence", "Crowdsourced", a partner) and `report_type`
    ("News Analysis", "OSINT Article", ...) only reports have. `created` and `modified`
    are aware UTC datetimes. `via` lists the objects the report relates through
    (`context_attributes.related_from`) as (type, id, name), e.g. the malware family of a
    reference, or another report. Every field is a plain value or None, never `Unset`:
    a field absent, null or of another type than documented is None. `raw` is the
    generated model itself.
    """

    id: str
    kind: ReportKind
    title: str | None
    url: str | None
    author: str | None
    origin: str | None
    report_type: str | None
    created: datetime.datetime | None
    modified: datetime.datetime | None
    via: tuple[tuple[str, str, str | None], ...]
    raw: Reference | Collection = attrs.field(repr=False, eq=False)

    @classmethod
    def from_model(cls, model: Reference | Collection) -> Report:
        """The report a generated `Reference` or `Collection` stands for.

        Raises `UsageError` for anything else (a descriptor has no attributes to read).
        """
        if isinstance(model, Reference):
            kind: ReportKind = "reference"
            title_key, url_key = "title", "url"
        elif isinstance(model, Collection):
            kind, title_key, url_key = "report", "name", "link"
        else:
            raise UsageError(f"a Report is made of a Reference or a Collection, not {model!r}")
        attributes: Any = model.attributes
        is_report = kind == "report"
        return cls(
            id=model.id if isinstance(model.id, str) else str(model.id),
            kind=kind,
            title=_text(_field(attributes, title_key)),
            url=_text(_field(attributes, url_key)),
            author=_text(_field(attributes, "author")),
            origin=_text(_field(attributes, "origin")) if is_report else None,
            report_type=_text(_field(attributes, "report_type")) if is_report else None,
            created=_moment(_field(attributes, "creation_date")),
            modified=_moment(_field(attributes, "last_modification_date")),
            via=_via(model.context_attributes),
            raw=model,
        )

    def to_dict(self) -> dict[str, object]:
        """The fields but `raw`, as JSON values (dates in ISO 8601 UTC, `via` as lists)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "url": self.url,
            "author": self.author,
            "origin": self.origin,
            "report_type": self.report_type,
            "created": _iso(self.created),
            "modified": _iso(self.modified),
            "via": [list(item) for item in self.via],
        }


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def collection_type(model: Collection) -> str | None:
    """A collection's `collection_type`, when it is a string."""
    return _text(_field(model.attributes, "collection_type"))
