"""How a result maps onto STIX 2.1, as plain data: no stix2 object is made here.

- An indicator is its Cyber-observable: `url` (percent-encoded where RFC 3986 asks),
  `domain-name`, `ipv4-addr` / `ipv6-addr`, or `file` with its hash (MD5, SHA-1 or
  SHA-256 by its length). A domain STIX cannot hold (a label with an underscore) is
  left out, with its reports. Their ids are the ones
  STIX 2.1 defines (uuid5 over the id-contributing properties), which stix2 computes.
  A threat actor, which is no observable, is a `threat-actor` whose id follows pycti's
  convention for threat actor groups, so OpenCTI merges it with its own.
- A reference is a `report`: `name` its title (else its URL, else its id), `published`
  its creation date, `modified` its last modification date when later, `report_types`
  `["threat-report"]`, `labels` its tags, `description`, `external_references` (the
  article, and the VirusTotal object with its id), `object_refs` the observables of the
  indicators it was found for. Its id follows OpenCTI's convention (pycti's
  `Report.generate_id`: uuid5 over the canonical JSON of the lower-cased, stripped name
  and the published time, `isoformat()` of an aware UTC datetime), so an import merges
  with what OpenCTI holds instead of duplicating it. Two references with one name and
  one publication time are, by that convention, one report: their fields are merged.

A `vt_refs.Report` given on its own, with no indicator, names what it relates through
instead (`via`, such as the malware family of a reference): each a `malware` family with
pycti's id. A report with neither is left out: a STIX report must name something.

Nothing reads the clock: a reference with no date at all is published at the Unix
epoch, which says "unknown" without making the output change from run to run.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import quote, urlsplit

from .._client import DEFAULT_BASE_URL
from ._view import Article

# pycti's namespace for the ids of the objects OpenCTI defines by their content.
OPENCTI_NAMESPACE: Final = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_HASHES: Final = {32: "MD5", 40: "SHA-1", 64: "SHA-256"}
_VIRUSTOTAL: Final = "VirusTotal"

Canonical = Callable[[dict[str, str]], str]


def observable(kind: str | None, value: str | None) -> tuple[str, dict[str, Any]] | None:
    """The STIX type and properties of the indicator `value` of `kind`; None for a kind
    STIX has no observable for (threat actors: see `threat_actor_id`)."""
    if value is None:
        return None
    if kind == "urls":
        link = uri(value)
        return None if link is None else ("url", {"value": link})
    if kind == "domains":
        return ("domain-name", {"value": value}) if _hostname(value) else None
    if kind == "ip_addresses":
        return ("ipv6-addr" if ":" in value else "ipv4-addr"), {"value": value}
    if kind == "files" and len(value) in _HASHES:
        return "file", {"hashes": {_HASHES[len(value)]: value}}
    return None


def _hostname(name: str) -> bool:
    """Whether STIX can hold `name` as a `domain-name` (an IDNA host name: a label with an
    underscore, such as `_dmarc`, is valid DNS but no host name)."""
    import idna

    try:
        idna.encode(name.rstrip("."), uts46=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


def threat_actor_id(name: str, canonical: Canonical) -> str:
    """pycti's `ThreatActorGroup.generate_id`: uuid5 over name and OpenCTI's type."""
    data = {"name": name.lower().strip(), "opencti_type": "Threat-Actor-Group"}
    return f"threat-actor--{uuid.uuid5(OPENCTI_NAMESPACE, canonical(data))}"


def malware_id(name: str, canonical: Canonical) -> str:
    """pycti's `Malware.generate_id`: uuid5 over the lower-cased, stripped name."""
    return f"malware--{uuid.uuid5(OPENCTI_NAMESPACE, canonical({'name': name.lower().strip()}))}"


def published(article: Article) -> datetime.datetime:
    """When the reference was published: its creation date, else its modification date,
    else the epoch (no wall-clock time ever)."""
    return article.created or article.modified or EPOCH


def report_name(article: Article) -> str:
    return article.title or article.url or f"VirusTotal reference {article.id}"


def report_id(article: Article, canonical: Canonical) -> str:
    """pycti's `Report.generate_id(name, published)` with `published` an aware datetime."""
    data = {
        "name": report_name(article).lower().strip(),
        "published": published(article).isoformat(),
    }
    return f"report--{uuid.uuid5(OPENCTI_NAMESPACE, canonical(data))}"


# What RFC 3986 allows as is; anything else (spaces, non-ASCII) is percent-encoded.
_URI_SAFE: Final = ":/?#[]@!$&'()*+,;=%~-._"


def uri(text: str) -> str | None:
    """`text` as the URI STIX requires of a `url` (non-ASCII and unsafe characters
    percent-encoded); None when it is no absolute URL with a host."""
    encoded = quote(text.strip(), safe=_URI_SAFE)
    try:
        parts = urlsplit(encoded)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc or not parts.scheme.isascii():
        return None
    return encoded


def _site(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def external_references(article: Article) -> list[dict[str, str]]:
    """The article (named by its author, else its site) and the VirusTotal object."""
    found = []
    if article.url is not None:
        source, link = article.author or _site(article.url), uri(article.url)
        # A link that is no URL stays, as text: STIX's `url` must be a URI.
        found.append({"source_name": source, "url": link} if link is not None
                     else {"source_name": source, "description": article.url})  # fmt: skip
    if article.id:
        found.append({
            "source_name": _VIRUSTOTAL,
            "external_id": article.id,
            "url": f"{DEFAULT_BASE_URL}/{article.collection}/{article.id}",
            "description": f"the VirusTotal {article.collection[:-1]} object",
        })  # fmt: skip
    return found


def _unique(values: Iterable[Any]) -> list[Any]:
    """`values` in first-seen order, each once (dicts compared by their JSON)."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(json.dumps(value, sort_keys=True), value)
    return list(seen.values())


def report_properties(
    articles: list[Article], object_refs: list[str], ident: str
) -> dict[str, Any]:
    """The `report` of one id: `articles` (one, or several sharing name and date, by id)."""
    articles = sorted(articles, key=lambda found: found.id)
    first = articles[0]
    created = published(first)
    modified = max([created, *(a.modified for a in articles if a.modified is not None)])
    properties: dict[str, Any] = {
        "id": ident,
        "name": report_name(first),
        "published": created,
        "created": created,
        "modified": modified,
        "report_types": ["threat-report"],
        "object_refs": sorted(set(object_refs)),
    }
    labels = _unique(tag for found in articles for tag in found.tags)
    if labels:
        properties["labels"] = labels
    descriptions = _unique(a.description for a in articles if a.description)
    if descriptions:
        properties["description"] = "\n\n".join(descriptions)
    references = _unique(ref for found in articles for ref in external_references(found))
    if references:
        properties["external_references"] = references
    return properties
