"""The command line of `vt-refs`: the parser, its checks, and the options they yield.

Standard library only, so `--help` and usage errors cost no more than argparse itself.
Defaults the SDK owns (timeout, retries, base URL) are left to `vt_refs.connect`: they are
None here and only passed on when given, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Final, Literal, NamedTuple, NoReturn

from .._env import API_KEY_ENV, BASE_URL_ENV
from .._spec import DEFAULT_RELATIONSHIP
from .numbers import count, seconds
from .store_options import EPILOG as STORES_EPILOG
from .store_options import add_options as add_store_options
from .store_options import connect_settings

FORMATS: Final = ("jsonl", "json", "table")
# --page-size unset: the walk asks for the largest page the API serves (the `maximum` of
# `limit` in openapi.yaml, read through the catalog once the run starts, not for --help).
PAGE_SIZE_HELP: Final = (
    "items per request, sent as `limit` (default: the largest page the API serves, the "
    "maximum of `limit` in openapi.yaml; more is refused)"
)

Format = Literal["jsonl", "json", "table"]

_DESCRIPTION: Final = f"""\
List the threat reports, blog posts and advisories that VirusTotal relates to a URL, a
file, a domain, an IP address or a threat actor (the API v3 `{DEFAULT_RELATIONSHIP}`
relationship), page by page; or the objects of any other relationship the installed
client has (--relationship).
"""

_EPILOG: Final = f"""\
API key:
  set the {API_KEY_ENV} environment variable. --api-key works too, but a key on the
  command line is visible to other users in `ps` and stays in your shell history.

formats:
  jsonl   one JSON object per line, each exactly as the API sent it (default)
  json    one JSON list of those objects, written as pages arrive
  table   title, author, date (UTC) and url; with --descriptors: type, id, related_from
  While it pages, a progress count goes to stderr when stderr is a terminal.

objects and relationships:
  --object and --relationship name any operation of the installed generated client
  (vt_refs_api, from openapi.yaml): a name it does not have is a usage error listing
  those it has. A relationship added to openapi.yaml works after `make generate`.

schema drift:
  When an optional field holds null or a value of another type than the API's
  documentation says, vt-refs writes the item as sent and warns on stderr once per
  field; --strict makes that a malformed response (exit 5) instead.

resuming:
  When --max-items stops early, or Ctrl-C interrupts, the last stderr line gives the
  --cursor that continues exactly after the last item written.

{STORES_EPILOG}
exit status:
  0 ok, 2 usage error, 3 API error, 4 network error or timeout, 5 malformed or too
  large response (or paging that would never end), 70 internal error (a bug: please
  report it), 130 interrupted, 141 output closed early (e.g. `| head`). Every failure
  is one line on stderr, ending with the cursor to resume from when items were written.

examples:
  {API_KEY_ENV}=... vt-refs https://example.com/ --format table
  vt-refs bulk iocs.txt --out refs.jsonl --checkpoint run.sqlite   (see vt-refs bulk --help)
  vt-refs watch case.txt --state case.sqlite --fail-on-new   (see vt-refs watch --help)
  vt-refs --object files --id 44d88612fea8a8f36de82e1278abb02f --descriptors
  vt-refs --object domains --id example.com --format table
  vt-refs --object ip_addresses --id 2001:db8::1
  vt-refs https://example.com/ --max-items 25 > first.jsonl
"""


class Options(NamedTuple):
    """What to fetch and how, after every check that needs no network.

    A NamedTuple rather than a dataclass: `dataclasses` imports `inspect`, which would
    cost `--help` a few milliseconds for nothing.
    """

    object: str
    relationship: str
    url: str | None
    id: str | None
    descriptors: bool
    max_items: int | None
    page_size: int | None
    cursor: str | None
    format: Format
    api_key: str | None
    # vt_refs.connect's keyword arguments from the connection options given
    # (`connection_settings`): the SDK's own defaults stand for the rest.
    connection: dict[str, Any]


def _nonempty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


class _VersionAction(argparse.Action):
    """`--version`, reading the installed version only when asked (importlib.metadata is
    not free to import)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from importlib import metadata

        try:
            version = metadata.version("vt-refs")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        print(f"vt-refs {version}")  # stdout, like argparse's own "version" action
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line like every other vt-refs error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


_STORE_DESTS: Final = frozenset({"quota", "quota_store", "cache", "cache_ttl"})


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """The options of the connection, shared by `vt-refs URL` and `vt-refs bulk`.

    Each option's dest is named as the `vt_refs.connect` argument it sets (`api_key`
    aside), so an option added here reaches both commands (see `connection_settings`).
    """
    connection = parser.add_argument_group("connection")
    connection.add_argument(
        "--base-url",
        type=_nonempty,
        metavar="URL",
        help=f"the API's base URL (default: ${BASE_URL_ENV}, else "
        "https://www.virustotal.com/api/v3)",
    )
    # No default here: argparse would show it in --help, and the key must never be shown.
    connection.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"the API key; prefer the {API_KEY_ENV} environment variable "
        "(a key given here shows in `ps`)",
    )
    connection.add_argument(
        "--timeout",
        type=seconds(zero=False),
        metavar="SECONDS",
        help="the most one attempt may take in all: connecting, headers and body, "
        "however slowly the bytes come (default: 30)",
    )
    connection.add_argument(
        "--max-retries",
        type=count(0),
        metavar="N",
        help="retries on 429, 5xx, timeouts and connection errors (default: 5)",
    )
    connection.add_argument(
        "--requests-per-minute",
        type=count(1),
        metavar="N",
        help="shorthand for --quota N/min (prefer --quota; a public key: --quota public)",
    )
    connection.add_argument(
        "--max-retry-wait",
        type=seconds(zero=True),
        metavar="SECONDS",
        help="the most one request waits between its retries, in total; a Retry-After "
        "past it fails at once (default: 120)",
    )
    connection.add_argument(
        "--max-response-bytes",
        type=count(1),
        metavar="N",
        help="refuse a response whose body, decoded, is larger (default: 16 MiB)",
    )
    connection.add_argument(
        "--proxy",
        type=_nonempty,
        metavar="URL",
        help="send every request through this proxy (http://, https:// or socks5://); "
        "by default HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY apply",
    )
    connection.add_argument(
        "--ca-bundle",
        type=_nonempty,
        metavar="PATH",
        help="trust the CAs in this PEM file (or directory) instead of the default ones, "
        "e.g. a corporate proxy's",
    )
    connection.add_argument(
        "--strict",
        dest="on_drift",
        action="store_const",
        const="error",
        help="treat an optional field holding null or another type than the API's "
        "documentation says as a malformed response, instead of warning once per field "
        "and going on",
    )
    add_store_options(parser)


def connection_settings(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> dict[str, Any]:
    """`vt_refs.connect`'s keyword arguments from the connection options that were given
    (the SDK's defaults stand for the rest), for any command `add_connection_options` set
    up; usage errors exit.

    Every option whose dest `connect` accepts under the same name passes as it is; the
    quota and cache group is read by its own module (it has environment defaults);
    options that need converting (a CA bundle into `verify`) get a line here.
    """
    import inspect

    from .._client import connect

    accepted = inspect.signature(connect).parameters
    stores = connect_settings(args, parser)
    given = {name: value for name, value in vars(args).items() if value is not None}
    settings = {
        name: value
        for name, value in given.items()
        if name in accepted and name not in _STORE_DESTS and name != "api_key"
    }
    if "ca_bundle" in given:
        settings["verify"] = given["ca_bundle"]
    return settings | stores


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser; its help is the command's documentation."""
    parser = _Parser(
        prog="vt-refs",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action=_VersionAction)
    what = parser.add_argument_group("what to list")
    what.add_argument(
        "url",
        nargs="?",
        metavar="URL",
        type=_nonempty,
        help="the URL whose references to list (with --object urls)",
    )
    what.add_argument(
        "--id",
        type=_nonempty,
        help="the object's VirusTotal id instead of a URL: a URL id, a file's "
        "MD5/SHA-1/SHA-256, a domain name, an IPv4 or IPv6 address or a threat actor id",
    )
    what.add_argument(
        "--object",
        type=_nonempty,
        default="urls",
        metavar="KIND",
        help="the object's collection, as the API's paths name it (e.g. files, domains; "
        "default: %(default)s); all but urls need --id",
    )
    what.add_argument(
        "--relationship",
        type=_nonempty,
        default=DEFAULT_RELATIONSHIP,
        metavar="NAME",
        help="the relationship to list (default: %(default)s)",
    )
    what.add_argument(
        "--descriptors",
        action="store_true",
        help="list only the references' descriptors (type, id, related_from) "
        "from the relationships/ endpoint: smaller pages",
    )
    paging = parser.add_argument_group("paging")
    paging.add_argument(
        "--max-items",
        type=count(1),
        metavar="N",
        help="stop after N items and print the cursor to resume from",
    )
    paging.add_argument(
        "--page-size",
        type=count(1),
        metavar="N",
        help=PAGE_SIZE_HELP,
    )
    paging.add_argument(
        "--cursor",
        type=_nonempty,
        help="resume where a previous run stopped (it prints this cursor)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
        help="jsonl, json or table (default: %(default)s)",
    )
    add_connection_options(parser)
    return parser


def _usage(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.error(message)


def parse_options(parser: argparse.ArgumentParser, argv: list[str] | None) -> Options:
    """The options of `argv`; usage errors exit with status 2 (argparse's convention)."""
    args = parser.parse_args(argv)
    if (args.url is None) == (args.id is None):
        _usage(parser, "give exactly one of URL and --id")
    if args.url is not None and args.object != "urls":
        _usage(parser, f"a URL only names an object of --object urls; for {args.object} use --id")
    return Options(
        object=args.object,
        relationship=args.relationship,
        url=args.url,
        id=args.id,
        descriptors=args.descriptors,
        max_items=args.max_items,
        page_size=args.page_size,
        cursor=args.cursor,
        format=args.format,
        api_key=args.api_key,
        connection=connection_settings(args, parser),
    )


def api_key(options: Options) -> str | None:
    """The key to use: --api-key if given, else VT_API_KEY; None when neither is set."""
    return key_from(options.api_key)


def key_from(given: str | None) -> str | None:
    """`given` (--api-key) if set, else VT_API_KEY; None when neither is set."""
    key = given if given is not None else os.environ.get(API_KEY_ENV)
    return key.strip() if key and key.strip() else None
