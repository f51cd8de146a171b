"""The paths the fake serves and the object ids each collection accepts.

The paths are the catalog's (`vt_refs._paging.get_catalog`): every relationship
operation of the generated client, full objects and descriptors, so a relationship added
to openapi.yaml is served after `make generate` with nothing changed here.
tests/test_fake_conformance.py checks them against openapi.yaml. What the catalog cannot
know is how the API spells each collection's ids: the rules below check and canonicalise
the ids of the collections the fake knows, and a collection it does not know accepts any
short id made of letters, digits and `_.:-`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Final, Literal, NamedTuple
from urllib.parse import unquote

from vt_refs._ids import url_id
from vt_refs._paging import Entry, get_catalog

from ._data import SEED_URL, SEED_URL_SHA256

API_PREFIX: Final = "/api/v3"

Kind = Literal["objects", "descriptors"]
"""Full reference objects, or the descriptors of the `relationships/` endpoints."""

_SHA256_URL_ID: Final = re.compile(r"[0-9a-f]{64}")
_BASE64_URL_ID: Final = re.compile(r"[A-Za-z0-9_-]+")
_FILE_HASH: Final = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_THREAT_ACTOR_ID: Final = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
# Labels of letters, digits, `-` (not at either end) and `_` (as in `_dmarc.example.com`).
_DOMAIN_LABEL: Final = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_SEED_URL_ID: Final = url_id(SEED_URL)


class ObjectKey(NamedTuple):
    """One object: its collection and its canonical id (two id forms may name one URL)."""

    collection: str
    object_id: str


class Route(NamedTuple):
    """What a request path asks for; `object_id` is percent-decoded but not canonical.

    `entry` is the catalog's operation of the path (its relationship, page sizes).
    """

    collection: str
    object_id: str
    kind: Kind
    entry: Entry

    @property
    def relationship(self) -> str:
        return self.entry.relationship


def _url_key(raw: str) -> str | None:
    """The canonical id of a URL: its SHA-256 id, whichever of the two forms names it.

    The fake's canonical form of a URL is the URL itself, so `url_id(u)` and
    `sha256(u)` name one object, as the two forms do on VirusTotal; the seed's URL is the
    exception, since the seed gives its SHA-256 but not the URL. Base64 ids must be exactly
    what `url_id` produces (unpadded, URL-safe, UTF-8) of printable text (a URL has no
    control characters), so sloppy encoders get a 404.
    """
    if _SHA256_URL_ID.fullmatch(raw):
        return raw
    if not _BASE64_URL_ID.fullmatch(raw) or len(raw) % 4 == 1:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if url_id(text) != raw or not text.isprintable():
        return None
    if raw == _SEED_URL_ID:
        return SEED_URL_SHA256
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_key(raw: str) -> str | None:
    """A file's MD5, SHA-1 or SHA-256 in hex; the API accepts either case."""
    return raw.lower() if _FILE_HASH.fullmatch(raw) else None


def _threat_actor_key(raw: str) -> str | None:
    """A threat actor id: the API's ids are short, made of letters, digits and `_.:-`."""
    return raw if _THREAT_ACTOR_ID.fullmatch(raw) else None


def _domain_key(raw: str) -> str | None:
    """A domain name (ASCII, punycode for IDNs), case-insensitive as DNS is.

    No scheme, port, path or trailing dot; a name whose last label is all digits is an
    IPv4 address, not a domain.
    """
    name = raw.lower()
    if len(name) > 253 or not name.isascii():
        return None
    labels = name.split(".")
    if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None
    return name


def _ip_address_key(raw: str) -> str | None:
    """An IPv4 or IPv6 address, named by its compressed form (RFC 5952 for IPv6).

    `2001:DB8:0::1` and `2001:db8::1` name one address; a scoped IPv6 address
    (`fe80::1%eth0`) and IPv4 with leading zeros are not accepted.
    """
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        return None
    return str(address)


class _Collection(NamedTuple):
    noun: str
    key: Callable[[str], str | None]


# How the API spells the ids of the collections the fake knows (the catalog has no id rules).
_ID_RULES: Final[Mapping[str, _Collection]] = {
    "urls": _Collection("URL", _url_key),
    "files": _Collection("File", _file_key),
    "domains": _Collection("Domain", _domain_key),
    "ip_addresses": _Collection("IP address", _ip_address_key),
    "threat_actors": _Collection("Threat actor", _threat_actor_key),
}
_ANY_ID: Final = _Collection("Object", _threat_actor_key)

# (collection, path after the id) -> the catalog's operation there.
_ROUTES: Final[Mapping[tuple[str, tuple[str, ...]], Entry]] = {
    (entry.collection, tuple(entry.path.strip("/").split("/")[2:])): entry
    for entry in get_catalog().entries
}

COLLECTIONS: Final[frozenset[str]] = frozenset(collection for collection, _ in _ROUTES)
"""The collections with at least one operation the fake serves."""

PATH_TEMPLATES: Final[frozenset[str]] = frozenset(e.path for e in _ROUTES.values()) | {
    "/users/{id}/overall_quotas"
}
"""Every path the fake serves, spelt like openapi.yaml's path templates."""


def match(path: str) -> Route | None:
    """The route of a request path (percent-decoded id), or None when nothing is served there."""
    if not path.startswith(API_PREFIX + "/"):
        return None
    collection, _, rest = path.removeprefix(API_PREFIX + "/").partition("/")
    object_id, _, suffix = rest.partition("/")
    entry = _ROUTES.get((collection, tuple(suffix.split("/"))))
    if entry is None or not object_id:
        return None
    kind: Kind = "descriptors" if entry.descriptors else "objects"
    return Route(collection, unquote(object_id), kind, entry)


def object_key(collection: str, object_id: str) -> ObjectKey | None:
    """The object an id names, or None when the id is not well formed for its collection."""
    key = _ID_RULES.get(collection, _ANY_ID).key(object_id)
    return None if key is None else ObjectKey(collection, key)


def noun(collection: str) -> str:
    """How error messages name an object of `collection` (e.g. `URL "..." not found`)."""
    return _ID_RULES.get(collection, _ANY_ID).noun
