"""The Google Threat Intelligence side of the fake's dataset: reports and the IOCs they name.

One article stands behind each position of an indicator's lists: the `index`-th
reference of `related_references` (the seed's or a generated one) and the `index`-th
report of `reports` and `related_reports`. At an even position the report is the
reference's twin (a crowdsourced report whose `link` is the reference's `url`, so the
two dedupe as one article); at an odd one it is a curated Google Threat Intelligence
report with no link. Every report, and every reference, names the indicator that led to
it among a few generated IOCs of each kind, drawn from a hash as everything else is.
"""

from __future__ import annotations

import hashlib
from typing import Final, NamedTuple

from ._data import JsonObject
from ._routes import ObjectKey

IOC_RELATIONSHIPS: Final = ("files", "urls", "domains", "ip_addresses")
_GTI: Final = "Google Threat Intelligence"
_REPORT_TYPES: Final = ("News Analysis", "OSINT Article", "Actor Profile", "Malware Profile")
_ACTORS: Final = ("APT28", "FIN7", "Lazarus Group", "Sandworm Team", "Turla")
_TYPE_OF: Final = {
    "files": "file",
    "urls": "url",
    "domains": "domain",
    "ip_addresses": "ip_address",
}


class Source(NamedTuple):
    """One article: the indicator it was found under, its position there, and the
    indicator's value when the request named it (a URL given in base64 form)."""

    origin: ObjectKey
    position: int
    value: str | None = None

    @property
    def curated(self) -> bool:
        """An odd position: the report is Google's own, not the reference's twin."""
        return self.position % 2 == 1

    def digest(self, salt: str = "") -> bytes:
        key = f"{self.origin.collection}/{self.origin.object_id}/{self.position}/{salt}"
        return hashlib.sha256(key.encode()).digest()


def report_id(source: Source, reference_url: str | None) -> str:
    """A twin's id is `report--` + the SHA-256 of the article URL; a curated one's is
    shaped like `report--21-00006507`."""
    if not source.curated and reference_url:
        return "report--" + hashlib.sha256(reference_url.encode()).hexdigest()
    number = int.from_bytes(source.digest("curated")[:4]) % 10**8
    return f"report--{21 + number % 5}-{number:08d}"


def report(source: Source, reference: JsonObject, base_url: str) -> JsonObject:
    """The report at `source`'s position: the twin of `reference` or a curated one."""
    attributes = reference.get("attributes") or {}
    url = attributes.get("url") if isinstance(attributes.get("url"), str) else None
    rid = report_id(source, url)
    digest = source.digest("report")
    created = attributes.get("creation_date")
    created = created if isinstance(created, int) else 1_600_000_000 + digest[0] * 86400
    out: JsonObject = {
        "collection_type": "report",
        "creation_date": created,
        "last_modification_date": created + digest[1] * 3600,
        "tags": [],
        "private": False,
        "counters": {name: len(iocs(source, name)) for name in IOC_RELATIONSHIPS},
    }
    if source.curated:
        out.update(
            name=f"Threat Activity Report {rid.removeprefix('report--')}",
            origin=_GTI,
            author=_GTI,
            report_type=_REPORT_TYPES[digest[2] % 2],
        )
    else:
        out.update(
            name=attributes.get("title"),
            origin="Crowdsourced",
            link=url,
            author=attributes.get("author"),
            report_type="OSINT Article",
        )
        out = {k: v for k, v in out.items() if v is not None}
    return {
        "type": "collection",
        "id": rid,
        "attributes": out,
        "links": {"self": f"{base_url}/collections/{rid}"},
    }


def related_from(previous: JsonObject) -> JsonObject:
    """`context_attributes` saying a report relates through `previous`, another report."""
    attributes = previous["attributes"]
    via = {
        key: attributes[key]
        for key in ("name", "tags", "origin", "collection_type")
        if key in attributes
    }
    return {"related_from": [{"type": "collection", "id": previous["id"], "attributes": via}]}


def _url(digest: bytes, n: int) -> str:
    return f"http://ioc-{digest[n]:02x}{digest[n + 1]:02x}.example/payload/{n}"


def _ioc(relationship: str, digest: bytes, n: int) -> tuple[str, JsonObject]:
    if relationship == "files":
        sha = hashlib.sha256(digest + bytes([n])).hexdigest()
        return sha, {"sha256": sha, "md5": sha[:32], "meaningful_name": f"payload{n}.exe"}
    if relationship == "urls":
        url = _url(digest, n)
        return hashlib.sha256(url.encode()).hexdigest(), {"url": url}
    if relationship == "domains":
        return f"c2-{digest[n]:02x}{digest[n + 2]:02x}.example", {}
    return f"198.51.100.{1 + digest[n] % 254}", {}


def _origin_ioc(source: Source) -> tuple[str, JsonObject]:
    key = source.origin
    if key.collection == "urls":
        return key.object_id, ({"url": source.value} if source.value else {})
    if key.collection == "files":
        return key.object_id, ({"sha256": key.object_id} if len(key.object_id) == 64 else {})
    return key.object_id, {}


def iocs(source: Source, relationship: str) -> list[JsonObject]:
    """The IOCs of `relationship` the article names; the indicator it was found under first."""
    digest = source.digest(relationship)
    found: list[tuple[str, JsonObject]] = []
    if source.origin.collection == relationship:
        found.append(_origin_ioc(source))
    found += [_ioc(relationship, digest, n) for n in range(1 + digest[0] % 3)]
    kind = _TYPE_OF[relationship]
    out, seen = [], set()
    for ioc_id, attributes in found:
        if ioc_id not in seen:
            seen.add(ioc_id)
            out.append({"type": kind, "id": ioc_id, "attributes": attributes})
    return out


def threat_actors(source: Source, as_collections: bool) -> list[JsonObject]:
    """The actor the article names: a `collection` (GTI) or a `threat_actor` (references)."""
    name = _ACTORS[source.digest("actor")[0] % len(_ACTORS)]
    slug = name.lower().replace(" ", "-")
    if as_collections:
        attributes = {"name": name, "collection_type": "threat-actor", "origin": _GTI}
        return [{"type": "collection", "id": f"threat-actor--{slug}", "attributes": attributes}]
    return [{"type": "threat_actor", "id": slug, "attributes": {"name": name}}]


def malware_families(reference: JsonObject) -> list[JsonObject]:
    """The families the article's reference relates through, as collections."""
    context = reference.get("context_attributes") or {}
    out = []
    for via in context.get("related_from") or []:
        if isinstance(via, dict) and isinstance(via.get("id"), str):
            name = (via.get("attributes") or {}).get("name")
            attributes = {"collection_type": "malware-family", "origin": _GTI}
            if isinstance(name, str):
                attributes["name"] = name
            out.append({"type": "collection", "id": via["id"], "attributes": attributes})
    return out
