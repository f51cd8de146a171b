"""Object identifiers the API accepts in paths, and the checks every path value passes."""

from __future__ import annotations

import base64

from ._errors import UsageError


def url_id(url: str) -> str:
    """The identifier of `url` in `/urls/{id}/...` paths.

    VirusTotal accepts the URL itself as unpadded URL-safe base64 (RFC 4648 section 5) of
    its UTF-8 bytes; it needs no canonicalisation by the client, unlike the SHA-256 form,
    which VirusTotal computes over its own canonical form of the URL.
    """
    if not isinstance(url, str):
        raise UsageError(f"url must be a str, not {type(url).__name__}")
    check_text("url", url)
    return base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")


def check_text(name: str, value: str) -> None:
    """`value` can be sent: UTF-8 has no lone surrogates (what undecodable bytes in argv
    or a file name become)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{name} is not valid text: it holds a lone surrogate") from None


def check_path_value(name: str, value: object) -> None:
    """An id is sent percent-encoded as one path segment; a few values cannot be one."""
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a str, not {type(value).__name__}")
    if value in ("", ".", ".."):
        # "" would request `urls//related_references`, and URL normalisation turns "." and
        # ".." into another path (`..` names the parent), the key riding along.
        raise UsageError(f"{name} must be an object id, not {value!r}")
    check_text(name, value)
