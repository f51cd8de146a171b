"""The quota and cache options (`--quota`, `--quota-store`, `--cache`, `--cache-ttl`).

Kept apart so every command that connects (the listing, `bulk`) adds the same group and
turns it into the same `connect()` arguments. Standard library only at import: the quota
spec is parsed (and its module loaded) only when a quota is given.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Final

from .numbers import seconds

QUOTA_ENV: Final = "VT_QUOTA"
QUOTA_STORE_ENV: Final = "VT_QUOTA_STORE"
CACHE_ENV: Final = "VT_CACHE"

EPILOG: Final = f"""\
quota and cache:
  --quota public (4/min,500/day) or e.g. 4/min,500/day (units s, min, h, day, month) keeps
  every client of the key within it; with --quota-store sqlite:///path.db the processes
  of one host share it, with redis://host:port/db those of every host. --cache URL (the
  same URL forms) answers repeated requests from the store, spending no quota; a line on
  stderr at the end says how many it answered (bulk: the summary's "answers from the
  cache"). Defaults from ${QUOTA_ENV}, ${QUOTA_STORE_ENV},
  ${CACHE_ENV}.
"""


def _quota(text: str) -> Any:
    from .._errors import UsageError
    from .._transport import Quota

    try:
        return Quota.parse(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_options(parser: argparse.ArgumentParser) -> None:
    """The "quota and cache" option group."""
    group = parser.add_argument_group("quota and cache")
    group.add_argument(
        "--quota",
        type=_quota,
        metavar="public|SPEC",
        help=f"the key's quota, e.g. 4/min,500/day; 'public' for 4/min,500/day (${QUOTA_ENV})",
    )
    group.add_argument(
        "--quota-store",
        metavar="URL",
        help=f"share the quota: sqlite:///path.db (one host) or redis://host:port/db "
        f"(${QUOTA_STORE_ENV}; default: this process only)",
    )
    group.add_argument(
        "--cache",
        metavar="URL",
        help=f"cache answers: sqlite:///path.db or redis://host:port/db (${CACHE_ENV})",
    )
    group.add_argument(
        "--cache-ttl",
        type=seconds(zero=False),
        metavar="SECONDS",
        help="how long cached answers are served (default: 86400)",
    )


def connect_settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The `connect()` arguments the group (or the environment) gives; usage errors exit."""
    quota = args.quota
    if quota is None and os.environ.get(QUOTA_ENV, "").strip():
        try:
            quota = _quota(os.environ[QUOTA_ENV])
        except argparse.ArgumentTypeError as error:
            parser.error(f"${QUOTA_ENV}: {error}")
    store = args.quota_store or os.environ.get(QUOTA_STORE_ENV, "").strip() or None
    cache = args.cache or os.environ.get(CACHE_ENV, "").strip() or None
    if store is not None and quota is None and getattr(args, "requests_per_minute", None) is None:
        parser.error(f"--quota-store (or ${QUOTA_STORE_ENV}) needs --quota")
    if args.cache_ttl is not None and cache is None:
        parser.error("--cache-ttl needs --cache")
    settings = {"quota": quota, "quota_store": store, "cache": cache, "cache_ttl": args.cache_ttl}
    return {name: value for name, value in settings.items() if value is not None}
