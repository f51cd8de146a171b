"""The command line of `vt-refs watch`: its parser and the options it yields.

Standard library only, like `bulk_args`: `vt-refs watch --help` imports nothing heavy.
"""

from __future__ import annotations

import argparse
from typing import Any, Final, Literal, NamedTuple

from .._env import API_KEY_ENV
from .args import (
    PAGE_SIZE_HELP,
    _nonempty,
    _Parser,
    add_connection_options,
    connection_settings,
)
from .bulk_args import DEFAULT_CONCURRENCY
from .numbers import count

WATCH_FORMATS: Final = ("jsonl", "csv", "stix", "misp")
WatchFormat = Literal["jsonl", "csv", "stix", "misp"]
NEW_FOUND: Final = 10  # --fail-on-new: something new was found
DEFAULT_FORGET_DAYS: Final = 90.0

_DESCRIPTION: Final = """\
Watch a case: fetch the references of the indicators in FILE (one a line, as for
vt-refs bulk) and write only those that are new since the last run with the same --state:
never seen for that indicator, or seen with an earlier last_modification_date. Run it
from cron; --fail-on-new makes it exit 10 when there is something new.
"""

_EPILOG: Final = f"""\
state:
  --state FILE is a SQLite file of (indicator, reference id, modification date, when
  seen): no key, no reference content. The first run of a new state finds everything
  new; --baseline finds nothing new and records what there is, to watch from now on.
  A reference out of its indicator's answer for --forget-after days is forgotten.
  Every request passes the cache by (--cache is for other commands' repeats), within
  the retries and the quota.

output:
  The run's new references, written when the run is over: jsonl and csv as vt-refs
  bulk writes them (one line per new reference), stix and misp one document. With --out
  FILE, the file is replaced whole. What was written is recorded in the state with it:
  a run that dies part-way writes and records nothing, and its rerun writes each new
  reference once. The summary on stderr says how many were new per indicator.

exit status:
  0 done (new references or not), 10 with --fail-on-new when something was new,
  6 some indicators invalid or failed (the rest recorded), 2 usage error, 3 fatal API
  error (the key refused, the quota spent), 4 network down, 130 interrupted.

examples:
  {API_KEY_ENV}=... vt-refs watch case-42.txt --state case-42.sqlite --baseline
  vt-refs watch case-42.txt --state case-42.sqlite --fail-on-new --out new.jsonl
  vt-refs watch case-42.txt --state case-42.sqlite --format stix --out new-stix.json
"""


class WatchOptions(NamedTuple):
    """What `vt-refs watch` was asked to do, after every check that needs no I/O."""

    source: str
    state: str
    out: str | None
    format: WatchFormat
    baseline: bool
    fail_on_new: bool
    forget_after: float
    concurrency: int
    page_size: int | None
    api_key: str | None
    connection: dict[str, Any]


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of days, not {text}")
    return value


def build_watch_parser() -> argparse.ArgumentParser:
    """The parser of `vt-refs watch`; its help is the command's documentation."""
    parser = _Parser(prog="vt-refs watch", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     allow_abbrev=False)  # fmt: skip
    parser.add_argument("source", metavar="FILE", type=_nonempty,
                        help="indicators, one a line; - for stdin")  # fmt: skip
    parser.add_argument("--state", metavar="PATH", type=_nonempty, required=True,
                        help="SQLite file: what each indicator had (made if missing)")  # fmt: skip
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="PATH", type=_nonempty,
                        help="default: stdout; replaced whole by each run")  # fmt: skip
    output.add_argument("--format", choices=WATCH_FORMATS, default="jsonl",
                        help="(default: %(default)s)")  # fmt: skip
    run = parser.add_argument_group("watching")
    run.add_argument("--baseline", action="store_true",
                     help="record what there is, write nothing: watch from now on")  # fmt: skip
    run.add_argument("--fail-on-new", action="store_true",
                     help=f"exit {NEW_FOUND} when something new was found")  # fmt: skip
    run.add_argument("--forget-after", metavar="DAYS", type=_days, default=DEFAULT_FORGET_DAYS,
                     help="forget a reference out of the answer this long (default: "
                     "%(default)g)")  # fmt: skip
    run.add_argument("--concurrency", type=count(1), default=DEFAULT_CONCURRENCY, metavar="N",
                     help="requests in flight at most (default: %(default)s)")  # fmt: skip
    run.add_argument("--page-size", type=count(1), metavar="N", help=PAGE_SIZE_HELP)
    add_connection_options(parser)
    return parser


def parse_watch_options(parser: argparse.ArgumentParser, argv: list[str]) -> WatchOptions:
    """The options of `argv` (after `watch`); usage errors exit with status 2."""
    args = parser.parse_args(argv)
    return WatchOptions(
        source=args.source,
        state=args.state,
        out=args.out,
        format=args.format,
        baseline=args.baseline,
        fail_on_new=args.fail_on_new,
        forget_after=args.forget_after,
        concurrency=args.concurrency,
        page_size=args.page_size,
        api_key=args.api_key,
        connection=connection_settings(args, parser),
    )
