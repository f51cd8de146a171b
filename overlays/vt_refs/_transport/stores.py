"""Where shared state lives: the URLs `quota_store=` and `cache=` accept.

`sqlite:///abs/path.db` (or `sqlite://relative/path.db`) is shared by the processes of one
host, `redis://host:port/db` (also `rediss://`, `unix://`) by any number of hosts.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Literal, NamedTuple

from .._errors import UsageError


class StoreURL(NamedTuple):
    kind: Literal["sqlite", "redis"]
    location: str  # a file path for SQLite, the URL itself for Redis

    def __repr__(self) -> str:  # a Redis URL may hold a password
        shown = self.location if self.kind == "sqlite" else _without_password(self.location)
        return f"StoreURL({self.kind!r}, {shown!r})"


def parse_store_url(name: str, url: object) -> StoreURL:
    """The store `url` names, or a UsageError saying what `name=` accepts."""
    if not isinstance(url, str):
        raise UsageError(f"{name} must be a str URL or None, not {type(url).__name__}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "sqlite":
        path = parts.netloc + parts.path
        if not path or path.endswith("/") or parts.query or parts.fragment:
            raise UsageError(f"{name}: a SQLite URL names a file, e.g. sqlite:///var/vt/q.db")
        # Absolute from here: stores are shared in a process by location, so a relative name
        # must mean the file in the directory current at connect(), not at the first use.
        path = os.path.abspath(path)
        if path.startswith("//"):  # sqlite:////abs/path: POSIX keeps a leading "//"
            path = "/" + path.lstrip("/")
        return StoreURL("sqlite", path)
    if parts.scheme in ("redis", "rediss", "unix"):
        if parts.scheme != "unix" and not parts.hostname:
            raise UsageError(f"{name}: a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
        return StoreURL("redis", url)
    raise UsageError(
        f"{name} must be sqlite:///path/file.db or redis://host:port/db, "
        f"not {_without_password(url)!r}"
    )


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + netloc))
