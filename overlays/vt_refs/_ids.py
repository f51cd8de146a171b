"""Object identifiers the API accepts in paths."""

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
    try:
        raw = url.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("url is not valid text: it holds a lone surrogate") from None
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
