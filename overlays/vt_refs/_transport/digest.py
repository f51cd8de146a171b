"""Keyed digests of an API key: what the shared quota and cache stores are keyed by.

A store that other people can read (a SQLite file, a Redis server) must never hold the key
nor anything that finds it. VirusTotal keys are 256 random bits, so no dictionary reverses
a digest of one; an HMAC under a purpose label still keeps these digests apart from a
plain SHA-256 someone may have of the key elsewhere, and the quota's digest apart from the
cache's. The label is fixed, so every host derives the same digest and shares one quota.
"""

from __future__ import annotations

import hashlib
import hmac

from .secret import Secret


def key_digest(key: Secret, purpose: str) -> str:
    """Hex HMAC-SHA256 of the key under `vt-refs/<purpose>/v1`, the same on every host."""
    label = f"vt-refs/{purpose}/v1".encode()
    return hmac.new(label, key.reveal().encode(), hashlib.sha256).hexdigest()
