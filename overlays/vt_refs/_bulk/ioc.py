"""`classify`: an indicator as analysts paste it -> what the API calls it.

Analysts copy indicators out of reports, where they are defanged (`hxxp://`, `[.]`) so
nobody clicks them; `classify` refangs them first. Rules, in order: an explicit
`url:`/`domain:`/`ip:`/`file:`/`threat_actor:` prefix; `http(s)://` -> URL; an IPv4 or
IPv6 address (an IPv4-mapped one, `::ffff:192.0.2.1`, is its IPv4 address); 32, 40 or
64 hex digits -> file; a host name with a dot -> domain (underscores allowed: real DNS
names hold them); a host and a port (`evil.example:8080`, `10.0.0.1:443`,
`[2001:db8::1]:443`) -> the host, since the port names no object of the API; a host
followed by a path, query or fragment with no scheme (`www.evil.example/login`) -> the
URL with `http://`. Anything else is a `UsageError` saying what is wrong with the text,
never a guess.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final, Literal

import attrs

from .._errors import UsageError
from .._ids import url_id

Kind = Literal["urls", "domains", "ip_addresses", "files", "threat_actors"]
KINDS: Final[tuple[Kind, ...]] = ("urls", "domains", "ip_addresses", "files", "threat_actors")

_PREFIXES: Final[dict[str, Kind]] = {
    "url": "urls",
    "domain": "domains",
    "ip": "ip_addresses",
    "file": "files",
    "threat_actor": "threat_actors",
}
_PREFIX: Final = re.compile(r"(url|domain|ip|file|threat_actor):(?!//)", re.IGNORECASE)
# Longest first: `[://]` before `[:]`, and both before the scheme they may belong to.
_DEFANGS: Final = (
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"^hxxp(s?)(?::|\[:\])//", re.IGNORECASE), r"http\1://"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}"), "."),
    (re.compile(r"\s*(?:\[dot\]|\(dot\)|\{dot\})\s*", re.IGNORECASE), "."),
    (re.compile(r"\[:\]"), ":"),
)
_SCHEME: Final = re.compile(r"(https?)://", re.IGNORECASE)
_HASH: Final = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_LABEL: Final = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# A host and a port: a name or IPv4 address, or a bracketed IPv6 address, then :digits.
_HOST_PORT: Final = re.compile(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]/?#@\s]+):([0-9]{1,5})")
_PATH_START: Final = re.compile(r"[/?#]")
_THREAT_ACTOR: Final = re.compile(r"[^\s/?#]{1,200}")
_SHOWN: Final = 80  # characters of a rejected text quoted in the error


@attrs.frozen
class IOC:
    """An indicator, classified.

    `kind` is the API's collection (`urls`, `domains`, `ip_addresses`, `files`,
    `threat_actors`), `value` the indicator normalised (refanged; hashes and domains
    lower-case; IPv6 compressed), `id` what goes in the API path (`url_id(value)` for
    URLs, `value` for the rest).
    """

    kind: Kind
    value: str
    id: str


@attrs.frozen
class Unreadable:
    """An input item that is known not to be an indicator before it is classified (a line
    too long to read whole): `text` stands for it in results and the checkpoint, `reason`
    says what is wrong."""

    text: str
    reason: str


def refang(text: str) -> str:
    """`text` with the defanging of reports undone (`hxxp://`, `[.]`, `(.)`, `[:]`, `[://]`)."""
    if not ("[" in text or "(" in text or "{" in text or text[:4].lower() == "hxxp"):
        return text  # every defanging below brackets something or starts with hxxp
    for pattern, replacement in _DEFANGS:
        text = pattern.sub(replacement, text)
    return text


def _quoted(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


def _url(text: str) -> IOC | None:
    match = _SCHEME.match(text)
    if match is None:
        return None
    rest = text[match.end() :]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    if not host or any(char.isspace() for char in text) or not text.isprintable():
        return None
    value = match.group(1).lower() + "://" + rest
    return IOC("urls", value, url_id(value))


def _ip(text: str) -> IOC | None:
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if "." not in candidate and ":" not in candidate:
        return None  # no address is written without either (a hash, a word: most input)
    if "%" in candidate:
        return None  # a scoped address (`fe80::1%eth0`) names no host on the Internet
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 is the IPv4 host
    value = address.compressed
    return IOC("ip_addresses", value, value)


def _file(text: str) -> IOC | None:
    if not _HASH.fullmatch(text):
        return None
    value = text.lower()
    return IOC("files", value, value)


def _domain(text: str, *, need_dot: bool) -> IOC | None:
    name = text[:-1] if text.endswith(".") else text
    if not name or len(name) > 253:
        return None
    if not name.isascii():
        import idna  # only for internationalised names: IDNA 2008 with UTS 46 mapping

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    name = name.lower()
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if need_dot and (len(labels) < 2 or labels[-1].isdigit()):
        return None  # `1.2.3.999` is a broken address, not a domain
    return IOC("domains", name, name)


def _port(port: str, text: str) -> None:
    if not 1 <= int(port) <= 65535:
        raise UsageError(f"port {int(port)} is out of range (1-65535): {_quoted(text)}")


def _host(text: str) -> IOC | None:
    """A host (IP address or domain with a dot), with or without a port."""
    match = _HOST_PORT.fullmatch(text)
    if match is not None:
        _port(match.group(2), text)
        text = match.group(1)
    return _ip(text) or _domain(text, need_dot=True)


def _bare_url(text: str) -> IOC | None:
    """`host/path` (or `host?query`, `host#fragment`) with no scheme: that URL over http."""
    start = _PATH_START.search(text)
    if start is None or start.start() == 0 or any(char.isspace() for char in text):
        return None
    if _host(text[: start.start()]) is None:
        return None
    return _url("http://" + text)


def _threat_actor(text: str) -> IOC | None:
    if not _THREAT_ACTOR.fullmatch(text) or not text.isprintable():
        return None
    return IOC("threat_actors", text, text)


def _explicit(kind: Kind, text: str) -> IOC | None:
    if kind == "urls":
        if not text or any(char.isspace() for char in text) or not text.isprintable():
            return None
        found = _url(text)
        return found if found is not None else IOC("urls", text, url_id(text))
    if kind == "ip_addresses":
        return _ip(text)
    if kind == "files":
        return _file(text)
    if kind == "domains":
        return _domain(text, need_dot=False)
    return _threat_actor(text)


def classify(text: str) -> IOC:
    """The `IOC` that `text` names; `UsageError` naming the text when it names none."""
    if isinstance(text, IOC):
        return text
    if not isinstance(text, str):
        raise UsageError(f"an indicator must be a str, not {type(text).__name__}")
    stripped = text.strip()
    plain = refang(stripped)
    prefix = _PREFIX.match(plain)
    if prefix is not None:
        kind = _PREFIXES[prefix.group(1).lower()]
        found = _explicit(kind, refang(plain[prefix.end() :].strip()))
        if found is None:
            raise UsageError(f"not a valid {prefix.group(1).lower()} indicator: {_quoted(text)}")
        return found
    found = (
        _url(plain)
        or _ip(plain)
        or _file(plain)
        or _domain(plain, need_dot=True)
        or _host(plain)
        or _bare_url(plain)
    )
    if found is None:
        raise UsageError(_why_not(plain, text))
    return found


def _why_not(plain: str, text: str) -> str:
    """What is wrong with `text`, as precisely as can be told."""
    scheme = re.match(r"([a-z][a-z0-9+.-]*)://", plain, re.IGNORECASE)
    if scheme is not None and scheme.group(1).lower() not in ("http", "https"):
        return f"not an http(s) URL ({scheme.group(1)}://): {_quoted(text)}"
    if scheme is not None:
        return f"not a URL: no host, or spaces or control characters in it: {_quoted(text)}"
    if any(char.isspace() for char in plain):
        return f"not an indicator (it holds spaces: one indicator a line): {_quoted(text)}"
    if "%" in plain and _ip(plain.partition("%")[0]) is not None:
        return f"a scoped address names no host on the Internet: {_quoted(text)}"
    return f"not an indicator (a URL, domain, IP address or file hash): {_quoted(text)}"
