"""The command lines of `vt-refs iocs` and `vt-refs pivot`: parsers and their checks.

Standard library only, like the main parser, so `--help` and usage errors stay cheap.
The connection options are the main command's (`add_connection_options`).
"""

from __future__ import annotations

import argparse
from typing import Any, Final, Literal, NamedTuple

from .._env import API_KEY_ENV
from .args import _nonempty, _Parser, add_connection_options, connection_settings
from .numbers import count

KINDS: Final = ("files", "urls", "domains", "ip_addresses")

_IOCS_EPILOG: Final = f"""\
TARGET is a report: a Google Threat Intelligence report id (report--21-00006507,
report--<64 hex>), a reference id, or the article's URL (http(s)://..., looked up as a
reference). With the {API_KEY_ENV} environment variable set:
  vt-refs iocs report--21-00006507 --kind domains,ip_addresses --format csv
  vt-refs iocs https://blog.example/post --format jsonl

jsonl lines and csv rows hold kind, id and value (a URL's URL where the API gives it,
else its id). Exit status as vt-refs (see vt-refs --help).
"""

_PIVOT_EPILOG: Final = f"""\
From an indicator to its reports and on to the indicators those reports name, printed
as edges, one a line:
  (url https://evil.example/) -[related_references]-> (reference 0082e6... 'Title')
  (reference 0082e6... 'Title') -[mentions]-> (domain c2.example)
Each indicator's reports and each report's indicators are fetched once, at most the
bounds given. A 403 on related_references (deprecated) moves to related_reports, said
on stderr once. With the {API_KEY_ENV} environment variable set:
  vt-refs pivot evil.example --max-reports 5 --max-iocs-per-report 20
"""


class IocsOptions(NamedTuple):
    """What `vt-refs iocs` lists, and where."""

    target: str
    kinds: tuple[str, ...]
    max_items: int | None
    format: Literal["jsonl", "csv"]
    api_key: str | None
    connection: dict[str, Any]


class PivotOptions(NamedTuple):
    """What `vt-refs pivot` walks, and how far."""

    ioc: str
    depth: int
    relationships: tuple[str, ...]
    max_reports: int | None
    max_iocs_per_report: int | None
    kinds: tuple[str, ...]
    format: Literal["text", "jsonl"]
    api_key: str | None
    connection: dict[str, Any]


def _kinds(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [kind for kind in chosen if kind not in KINDS]
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(f"choose among {','.join(KINDS)}")
    return chosen


def _relationships(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not chosen:
        raise argparse.ArgumentTypeError("name at least one relationship")
    return chosen


def _parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    return _Parser(
        prog=prog,
        description=description,
        epilog=epilog,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_iocs_parser() -> argparse.ArgumentParser:
    """`vt-refs iocs TARGET [--kind ...] [--format jsonl|csv]`."""
    parser = _parser(
        "vt-refs iocs", "List the indicators (IOCs) a threat report names.", _IOCS_EPILOG
    )
    parser.add_argument(
        "target",
        metavar="TARGET",
        type=_nonempty,
        help="a report id, a reference id or an article URL",
    )
    parser.add_argument(
        "--kind",
        type=_kinds,
        default=KINDS,
        metavar="KINDS",
        help=f"comma-separated, among {','.join(KINDS)} (default: all)",
    )
    parser.add_argument("--max-items", type=count(1), metavar="N", help="stop after N indicators")
    parser.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        default="jsonl",
        help="jsonl or csv (default: %(default)s)",
    )
    add_connection_options(parser)
    return parser


def parse_iocs_options(parser: argparse.ArgumentParser, argv: list[str]) -> IocsOptions:
    """The options of `argv`; usage errors exit with status 2."""
    args = parser.parse_args(argv)
    return IocsOptions(
        args.target,
        tuple(args.kind),
        args.max_items,
        args.format,
        args.api_key,
        connection_settings(args, parser),
    )


def build_pivot_parser() -> argparse.ArgumentParser:
    """`vt-refs pivot IOC --depth 1 [--max-reports N] [--max-iocs-per-report N]`."""
    parser = _parser(
        "vt-refs pivot",
        "Pivot from an indicator through its reports to the indicators they name.",
        _PIVOT_EPILOG,
    )
    parser.add_argument(
        "ioc",
        metavar="IOC",
        type=_nonempty,
        help="a URL, domain, IP address or file hash (defanged is fine)",
    )
    parser.add_argument(
        "--depth",
        type=count(1),
        default=1,
        metavar="N",
        help="levels of reports to walk (default: %(default)s)",
    )
    parser.add_argument(
        "--relationship",
        type=_relationships,
        default=("related_references",),
        metavar="NAMES",
        help="comma-separated relationships from an "
        "indicator to its reports (default: related_references; "
        "reports, related_reports: Google Threat Intelligence)",
    )
    parser.add_argument(
        "--max-reports", type=count(0), metavar="N", help="at most N reports per indicator"
    )
    parser.add_argument(
        "--max-iocs-per-report", type=count(0), metavar="N", help="at most N indicators per report"
    )
    parser.add_argument(
        "--kind",
        type=_kinds,
        default=KINDS,
        metavar="KINDS",
        help="the kinds of indicator to follow (default: all)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="text (the edges) or jsonl (default: %(default)s)",
    )
    add_connection_options(parser)
    return parser


def parse_pivot_options(parser: argparse.ArgumentParser, argv: list[str]) -> PivotOptions:
    """The options of `argv`; usage errors exit with status 2."""
    args = parser.parse_args(argv)
    return PivotOptions(
        args.ioc,
        args.depth,
        tuple(args.relationship),
        args.max_reports,
        args.max_iocs_per_report,
        tuple(args.kind),
        args.format,
        args.api_key,
        connection_settings(args, parser),
    )
