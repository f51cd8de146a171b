"""Object identifiers the API accepts in paths."""

from __future__ import annotations

import base64


def url_id(url: str) -> str:
    """The identifier of `url` in `/urls/{id}/...` paths.

    VirusTotal accepts the URL itself as unpadded URL-safe base64 (RFC 4648 section 5) of
    its UTF-8 bytes; it needs no canonicalisation by the client, unlike the SHA-256 form,
    which VirusTotal computes over its own canonical form of the URL.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    return base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")
