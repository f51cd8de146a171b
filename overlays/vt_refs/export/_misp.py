"""`to_misp`: results as one MISP event (`pymisp.MISPEvent`).

- Each indicator that was enriched is one attribute: `url`, `domain`, `ip-dst`,
  `md5` / `sha1` / `sha256`, or `threat-actor`, with `to_ids` off (being written about
  is not being malicious).
- Each reference is one `report` object (MISP's template: `title`, `summary`, `link`,
  `type` "Report"), with a `mentions` reference to the attribute of every indicator it
  was found for (a `vt_refs.Report` given on its own mentions none).

Deterministic: every uuid is a uuid5 of what the thing is (the event's, of the
attributes it holds), attributes and objects are sorted, the event's date is that of
its newest reference (1970-01-01 when it has none), and no timestamp is set, so MISP
stamps the import itself. The same input gives the same JSON, and importing it again
updates the event instead of adding a second one.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from .._bulk import IOCResult
from ._extras import require
from ._files import Destination, atomic_output
from ._view import Article, article, entries

if TYPE_CHECKING:
    import pymisp

_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "vt-refs:misp")
_HASHES: Final = {32: "md5", 40: "sha1", 64: "sha256"}
_EPOCH_DAY: Final = datetime.date(1970, 1, 1)


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\n".join(parts)))


def attribute_type(kind: str | None, value: str | None) -> str | None:
    """The MISP attribute type of an indicator; None when it has none."""
    if value is None:
        return None
    if kind == "files":
        return _HASHES.get(len(value))
    return {"urls": "url", "domains": "domain", "ip_addresses": "ip-dst",
            "threat_actors": "threat-actor"}.get(kind or "")  # fmt: skip


def _report(found: Article, pymisp_module: Any) -> Any:
    report = pymisp_module.MISPObject("report", standalone=False)
    report.uuid = _uuid("reference", found.id)
    values = {
        "title": found.title or found.url or f"VirusTotal reference {found.id}",
        "summary": found.description,
        "link": found.url,
        "type": "Report",
    }
    for relation, value in values.items():
        if value is not None:
            report.add_attribute(relation, value=value, uuid=_uuid("reference", found.id, relation))
    return report


def to_misp(results: Iterable[IOCResult]) -> pymisp.MISPEvent:
    """`results` as one MISP event (`pymisp.MISPEvent`): an attribute per indicator, a
    `report` object per reference linked to them with `mentions` (see the module).

    `event.to_json()` is what MISP imports; `pymisp.MISPEvent().load(text)` reads it back.
    Indicators that failed or were not found are left out.
    """
    pymisp_module = require("pymisp", "the MISP export")
    attributes: dict[str, tuple[str, str]] = {}  # uuid -> (type, value)
    articles: dict[str, Article] = {}
    mentions: dict[str, set[str]] = {}  # reference id -> attribute uuids
    for entry in entries(results):
        kind = attribute_type(entry.kind, entry.value)
        ident = None
        if entry.status != "ok" or (kind is None and entry.kind is not None):
            continue  # failed, or an indicator MISP has no attribute for
        if kind is not None and entry.value is not None:
            ident = _uuid("attribute", kind, entry.value)
            attributes[ident] = (kind, entry.value)
        for reference in entry.references:  # a Report on its own mentions nothing
            found = article(reference)
            articles.setdefault(found.id, found)
            links = mentions.setdefault(found.id, set())
            if ident is not None:
                links.add(ident)
    event: pymisp.MISPEvent = pymisp_module.MISPEvent()
    # Named by its indicators (by its reports when it has none): a later export of the
    # same case updates this event.
    event.uuid = _uuid("event", *(sorted(attributes) or sorted(articles)))
    event.info = f"VirusTotal references of {len(attributes)} indicators (vt-refs)"
    dates = [found.created.date() for found in articles.values() if found.created is not None]
    event.date = max(dates, default=_EPOCH_DAY)
    for ident, (kind, value) in sorted(attributes.items(), key=lambda item: item[1]):
        event.add_attribute(kind, value, uuid=ident, to_ids=False)
    for reference_id in sorted(articles):
        report = _report(articles[reference_id], pymisp_module)
        for ident in sorted(mentions[reference_id]):
            link = report.add_reference(ident, "mentions")
            link.uuid = _uuid("mentions", report.uuid, ident)
        event.add_object(report)
    return event


def misp_json(event: pymisp.MISPEvent) -> str:
    """The event as MISP imports it (`{"Event": {...}}`), keys sorted, indented."""
    return '{"Event": ' + event.to_json(sort_keys=True, indent=2) + "}\n"


def write_misp(results: Iterable[IOCResult], out: Destination) -> int:
    """Write `results` as one MISP event, `{"Event": {...}}` (JSON, UTF-8, keys sorted),
    to `out`: a path (written whole or not at all, as `write_stix` does) or a binary
    file object. Returns how many report objects it holds. MISP's "Import from MISP
    JSON" and `pymisp.MISPEvent().load` read it."""
    event = to_misp(results)
    with atomic_output(out) as stream:
        stream.write(misp_json(event).encode("utf-8"))
    return len(event.objects)
