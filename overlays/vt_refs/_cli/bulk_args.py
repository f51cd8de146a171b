"""The command line of `vt-refs bulk`: its parser and the options it yields.

Standard library only, like `_args`: `vt-refs bulk --help` imports nothing heavy. The
connection options are `_args.add_connection_options`, the same as the single command's.
"""

from __future__ import annotations

import argparse
from typing import Any, Final, Literal, NamedTuple

from .._env import API_KEY_ENV
from .._spec import DEFAULT_RELATIONSHIP
from .args import (
    PAGE_SIZE_HELP,
    _nonempty,
    _Parser,
    add_connection_options,
    connection_settings,
)
from .numbers import count
from .store_options import EPILOG as STORES_EPILOG

BULK_FORMATS: Final = ("jsonl", "csv", "stix", "misp")
BulkFormat = Literal["jsonl", "csv", "stix", "misp"]
# Formats written as one whole document when the run ends, not line by line.
DOCUMENT_FORMATS: Final = frozenset({"stix", "misp"})
DEFAULT_CONCURRENCY: Final = 8

_DESCRIPTION: Final = """\
Enrich a list of indicators (URLs, domains, IP addresses, file hashes; one a line) with
the references VirusTotal relates to them: concurrently, within the retries and pacing
of the connection options, crash-safe and resumable with --checkpoint.
"""

_EPILOG: Final = f"""\
input:
  One indicator a line; blank lines and lines starting with # are skipped. Defanged
  forms are understood (hxxps://, [.], (.), [:], [://]). A prefix forces the kind:
  url:, domain:, ip:, file:, threat_actor:. `-` reads stdin.

formats:
  jsonl   one line per reference: {{"ioc": ..., "kind": ..., "reference": {{...}}}};
          an indicator with no reference gets one line with "reference": null and
          its "status" (ok, not_found, invalid, error) and, if it failed, "error".
          A repeat of an earlier indicator (however spelt: defanged, upper case, another
          IPv6 form) is fetched once: the repeat is one line with "status": "duplicate"
          and "duplicate_of": the first's index (its position among the indicators).
  csv     ioc, kind, status, reference_id, title, author, creation_date (UTC),
          url, via, error, duplicate_of; cells starting (after any blanks) with = + - @
          are prefixed with ' (CSV injection), control characters are written as \\xNN
          text.
  stix    one STIX 2.1 bundle: an observable per indicator (url, domain-name,
          ipv4-addr, ipv6-addr, file), a report per reference (OpenCTI's ids).
  misp    one MISP event: an attribute per indicator, a report object per
          reference linked to them with "mentions".
          Both are written whole when the run ends (--out: replaced, never half
          written; with --checkpoint, from every run's results); the same results
          give the same bytes.

output:
  --out FILE onto a file that is not empty is refused unless --append (add after it) or
  --force (replace it); the printed retry command appends. --out /dev/null, a device or a
  FIFO is written as a stream.

resuming:
  With --checkpoint FILE, finished indicators are recorded as their lines are written;
  after a crash, a kill or Ctrl-C, the same command continues where it stopped, and
  with --out the output holds every line exactly once. A changed input, format or
  output against an old checkpoint is refused unless --restart. --retry-errors reruns
  the indicators that ended in "error".

{STORES_EPILOG}
exit status:
  0 every indicator ok or not found, 6 some invalid or failed (listed, with the command
  that retries them), 2 usage error, 3 fatal API error (the key refused, the quota
  spent), 4 network down, 130 interrupted by Ctrl-C, 143 stopped by SIGTERM (both with
  the command that resumes). The first Ctrl-C or SIGTERM starts no new request and
  lets those in flight finish (at most --timeout); a second abandons them.

examples:
  vt-refs bulk iocs.txt --plan --quota public     # what it costs; sends nothing
  {API_KEY_ENV}=... vt-refs bulk iocs.txt --out refs.jsonl --checkpoint run.sqlite --quota public
  grep -v '^$' feed.txt | vt-refs bulk - --format csv > refs.csv
"""


class BulkOptions(NamedTuple):
    """What `vt-refs bulk` was asked to do, after every check that needs no I/O."""

    source: str
    out: str | None
    format: BulkFormat
    checkpoint: str | None
    restart: bool
    retry_errors: bool
    append: bool
    force: bool
    concurrency: int
    max_items_per_ioc: int | None
    page_size: int | None
    descriptors: bool
    plan: bool
    user: str | None
    relationship: str
    api_key: str | None
    connection: dict[str, Any]
    argv: list[str]


def build_bulk_parser() -> argparse.ArgumentParser:
    """The parser of `vt-refs bulk`; its help is the command's documentation."""
    parser = _Parser(
        prog="vt-refs bulk",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "source", metavar="FILE", type=_nonempty, help="indicators, one a line; - for stdin"
    )
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="PATH", type=_nonempty, help="default: stdout")
    output.add_argument(
        "--format", choices=BULK_FORMATS, default="jsonl", help="(default: %(default)s)"
    )
    existing = output.add_mutually_exclusive_group()
    existing.add_argument(
        "--append",
        action="store_true",
        help="with --out: add this run's lines after what the file holds (no second CSV "
        "header); a non-empty --out file is refused without --append or --force",
    )
    existing.add_argument(
        "--force", action="store_true", help="with --out: replace what the file holds"
    )
    run = parser.add_argument_group("run")
    run.add_argument(
        "--checkpoint",
        metavar="PATH",
        type=_nonempty,
        help="SQLite file recording finished indicators: rerun to resume",
    )
    run.add_argument(
        "--restart", action="store_true", help="start over, emptying the checkpoint and output"
    )
    run.add_argument(
        "--retry-errors",
        action="store_true",
        help="with --checkpoint: run again the indicators that ended in error",
    )
    run.add_argument(
        "--concurrency",
        type=count(1),
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="requests in flight at most (default: %(default)s)",
    )
    what = parser.add_argument_group("what to fetch")
    what.add_argument(
        "--max-items-per-ioc",
        type=count(1),
        metavar="N",
        help="at most N references per indicator (default: all)",
    )
    what.add_argument(
        "--page-size",
        type=count(1),
        metavar="N",
        help=PAGE_SIZE_HELP,
    )
    run.add_argument(
        "--user",
        type=_nonempty,
        metavar="NAME",
        help="with --plan: also ask VirusTotal how many requests the user (a user id, never "
        "the key) has left today, and say whether the run fits",
    )
    run.add_argument(
        "--plan",
        action="store_true",
        help="send nothing: read the input and print what the run would cost (distinct "
        "indicators, duplicates, invalid lines, what --cache answers, the minimum and "
        "expected requests, and at --quota when it would end)",
    )
    what.add_argument(
        "--descriptors",
        action="store_true",
        help="only the references' descriptors (type, id, related_from): smaller pages",
    )
    what.add_argument(
        "--relationship",
        type=_nonempty,
        default=DEFAULT_RELATIONSHIP,
        metavar="NAME",
        help="the relationship to list, of any collection the installed client has it for "
        "(default: %(default)s); an indicator whose collection lacks it is invalid; `auto`: "
        "related_references, then related_reports once a 403 refuses it (said once)",
    )
    add_connection_options(parser)
    return parser


def parse_bulk_options(parser: argparse.ArgumentParser, argv: list[str]) -> BulkOptions:
    """The options of `argv` (after `bulk`); usage errors exit with status 2."""
    args = parser.parse_args(argv)
    if args.retry_errors and args.checkpoint is None:
        parser.error("--retry-errors needs --checkpoint")
    if args.user is not None and not args.plan:
        parser.error("--user needs --plan (vt-refs quota --user NAME shows the quota alone)")
    if args.restart and args.checkpoint is None:
        parser.error("--restart needs --checkpoint")
    if args.append and args.format in DOCUMENT_FORMATS:
        parser.error(f"--append does not go with --format {args.format}: it is one document")
    for flag in ("append", "force"):
        if getattr(args, flag) and args.out is None:
            parser.error(f"--{flag} needs --out (on stdout, the shell's > and >> decide)")
    return BulkOptions(
        source=args.source,
        out=args.out,
        format=args.format,
        checkpoint=args.checkpoint,
        restart=args.restart,
        retry_errors=args.retry_errors,
        append=args.append,
        force=args.force,
        concurrency=args.concurrency,
        max_items_per_ioc=args.max_items_per_ioc,
        page_size=args.page_size,
        descriptors=args.descriptors,
        plan=args.plan,
        user=args.user,
        relationship=args.relationship,
        api_key=args.api_key,
        connection=connection_settings(args, parser),
        argv=list(argv),
    )
