"""`vt-refs bulk FILE --plan`: what the run would cost, before anything is sent.

It reads the input as the run would (`vt_refs.plan`: the same classification and
dedupe), asks the cache of `--cache` (if given) which walks it answers, and prints the
figures a public-key user needs before spending days of quota: the distinct indicators,
the duplicates, the invalid lines, what the cache answers (cost 0), the minimum and the
expected requests, and at `--quota` how long the run takes and when it ends.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import BinaryIO, TextIO, cast

from .._bulk import Plan, plan
from .._client import connect
from .._env import API_KEY_ENV
from .._errors import VTError
from .._transport import quota_of
from .bulk_args import BulkOptions
from .bulk_input import Source
from .bulk_progress import duration
from .errors import OK, USAGE, Reporter, describe


def lines(figures: Plan, name: str) -> list[str]:
    """The plan as the lines `--plan` prints."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in figures.kinds.items())
    out = [
        f"plan for {name}: {figures.items} indicators read: {figures.distinct} distinct"
        f"{f' ({kinds})' if kinds else ''}, {figures.duplicates} duplicates (no request), "
        f"{figures.invalid} invalid",
        f"cache: {figures.cached} answered whole (cost 0); meta.count known for "
        f"{figures.counts_known}",
        f"requests: at least {figures.minimum_requests} (one per distinct indicator the cache "
        f"does not answer), expected {figures.expected_requests} (pages of "
        f"{figures.page_size}; one each where the count is unknown)",
    ]
    if figures.left_today is not None:
        verdict = (
            "it fits"
            if figures.fits_today
            else "it does not fit: the rest waits for the quota to reset (00:00 UTC)"
        )
        out.append(
            f"today: {figures.left_today} requests left of the daily quota (VirusTotal); "
            f"{figures.expected_requests} expected: {verdict}"
        )
    if figures.quota is None or figures.seconds is None or figures.ends_at is None:
        out.append("no quota given: with --quota (public for 4/min,500/day) the plan says "
                   "when the run would end")  # fmt: skip
        return out
    ends = figures.ends_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    day = {0: "today", 1: "tomorrow"}.get(figures.days or 0, f"in {figures.days} days")
    out.append(
        f"at {figures.quota}: {duration(figures.seconds)} from an empty quota; it would end "
        f"{ends} ({day})"
    )
    return out


def run_plan(options: BulkOptions, key: str | None, report: Reporter, *, stdin: BinaryIO,
             stdout: BinaryIO, stderr: TextIO) -> int:  # fmt: skip
    """Print the plan of `options`' run on stdout; returns the exit status."""
    connection = options.connection
    try:
        source = Source(options.source, stdin)
        with contextlib.ExitStack() as stack:
            client = None
            if options.user is not None and key is None:
                report.line(f"--user needs an API key: set {API_KEY_ENV} (or pass --api-key)")
                return USAGE
            if key is not None and ("cache" in connection or options.user is not None):
                client = stack.enter_context(connect(key, **connection))
            figures = plan(
                # An overlong line (an Unreadable) counts as invalid, as in the run.
                cast(Iterator[str], source.items()),
                client=client,
                quota=quota_of(connection.get("quota"), connection.get("requests_per_minute")),
                descriptors=options.descriptors,
                max_items_per_ioc=options.max_items_per_ioc,
                page_size=options.page_size,
                relationship=options.relationship,
                user=options.user,
            )
    except VTError as error:
        status, message = describe(error)
        report.line(message)
        return status
    text = "".join(f"{line}\n" for line in lines(figures, source.name))
    stdout.write(text.encode("utf-8"))
    stdout.flush()
    return OK
